// Bundles the extension, the CLI, the core library and the webview with esbuild, and writes
// the plan's JSON Schema next to them. Type-checking is separate (`npm run typecheck`).
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

const production = process.argv.includes('--production');
mkdirSync('dist', { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  esbuild.build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  esbuild.build({ ...common, entryPoints: ['src/core/index.ts'], outfile: 'dist/core.js' }),
  ...(existsSync('src/webview/main.ts') ? [esbuild.build({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['src/webview/main.ts'], outfile: 'media/panel.js', sourcemap: false })] : []),
]);
chmodSync('dist/cli.js', 0o755);

// The Kubernetes-model validators (rollgate export/import) compile their patterns with re2-wasm,
// which reads re2.wasm from the directory of the bundle that loads it: ship it beside them.
copyFileSync(createRequire(import.meta.url).resolve('re2-wasm/build/wasm/re2.wasm'), 'dist/re2.wasm');

// Type declarations for the `rollgate/core` library entry.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.core.json'], { stdio: 'inherit' });

// JSON Schema generated from the zod schema (contributed for yaml-language-server users).
const core = await import('../dist/core.js');
writeFileSync('dist/rollout-plan.schema.json', JSON.stringify(core.default.planJsonSchema(), null, 2) + '\n');
