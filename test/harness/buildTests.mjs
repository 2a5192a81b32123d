// Compiles everything the real-VS-Code layers need, with esbuild (type-checking is `npm run typecheck`):
//  - the test-only runner extension and every test/host/*.test.ts suite, packaged as a .vsix;
//  - test/host/index.ts beside the suites, as `extensionTestsPath` for @vscode/test-electron;
//  - the harness and the e2e suites, run by plain Node from test/.results/build.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const runnerDir = join(root, 'test/harness/hostRunner');
const suitesOut = join(runnerDir, 'dist/suites');
const buildOut = join(root, 'test/.results/build');
rmSync(join(runnerDir, 'dist'), { recursive: true, force: true });
mkdirSync(suitesOut, { recursive: true });
mkdirSync(buildOut, { recursive: true });

const hostCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'error',
};
const hostSuites = readdirSync(join(root, 'test/host')).filter((name) => name.endsWith('.test.ts'));
const nodeScripts = [join(root, 'test/harness/runHostTests.ts'), join(root, 'test/e2e/run.ts'), join(root, 'test/host/runWithElectron.ts')];

await Promise.all([
  esbuild.build({ ...hostCommon, entryPoints: [join(runnerDir, 'extension.ts')], outfile: join(runnerDir, 'dist/extension.js') }),
  esbuild.build({ ...hostCommon, entryPoints: [join(root, 'test/host/index.ts')], outfile: join(suitesOut, 'index.js') }),
  ...hostSuites.map((name) => esbuild.build({ ...hostCommon, entryPoints: [join(root, 'test/host', name)], outfile: join(suitesOut, name.replace(/\.ts$/, '.js')) })),
  esbuild.build({
    entryPoints: nodeScripts,
    outdir: buildOut,
    outbase: join(root, 'test'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
  }),
]);

execFileSync(
  process.execPath,
  [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--allow-star-activation', '-o', join(root, 'test/.results/rollgate-host-runner.vsix')],
  { cwd: runnerDir, stdio: ['ignore', 'ignore', 'inherit'] },
);
console.log(`built ${hostSuites.length} host suite file(s), runner .vsix and ${nodeScripts.length} harness/e2e script(s)`);
