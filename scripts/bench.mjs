// `npm run bench [-- <name filter>...] [--json] [--quick]`: bundles each bench/*.bench.ts with esbuild into
// .cache/bench/ and runs each in its own node process, so that the memory a bench reports is
// that bench's alone. A bench prints a table (or, with --json, one JSON object on stdout);
// with --json this runner prints one JSON document holding every bench's object.
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';

const args = process.argv.slice(2);
const json = args.includes('--json');
// Other flags (e.g. --quick) go to every bench unchanged.
const passthrough = args.filter((arg) => arg.startsWith('--') && arg !== '--json');
const filters = args.filter((arg) => !arg.startsWith('--'));
const benchDir = 'bench';
const outDir = join('.cache', 'bench');

const benches = readdirSync(benchDir)
  .filter((name) => name.endsWith('.bench.ts'))
  .map((name) => basename(name, '.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.toLowerCase().includes(filter.toLowerCase())))
  .sort();
if (benches.length === 0) {
  process.stderr.write(`bench: no bench/*.bench.ts matches ${filters.map((filter) => `'${filter}'`).join(', ') || 'anything'}.\n`);
  process.exit(2);
}

mkdirSync(outDir, { recursive: true });

/** Bundles one bench; a bench that does not build fails alone instead of stopping the others. */
async function buildBench(name) {
  try {
    await esbuild.build({
      entryPoints: [join(benchDir, `${name}.bench.ts`)],
      outfile: join(outDir, `${name}.bench.cjs`),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'inline',
      logLevel: 'silent',
      // Benches may import the optional peers they compare against; those stay outside the bundle.
      packages: 'external',
    });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Runs one bundled bench in a fresh node process; resolves to its exit code and stdout. */
function runBench(name) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', join(outDir, `${name}.bench.cjs`), ...(json ? ['--json'] : []), ...passthrough], {
      stdio: ['ignore', json ? 'pipe' : 'inherit', 'inherit'],
    });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` };
const reports = [];
let failed = false;
for (const name of benches) {
  if (!json) process.stdout.write(`\n== ${name} ==\n`);
  const buildError = await buildBench(name);
  if (buildError) {
    failed = true;
    process.stderr.write(`bench: ${name} does not build:\n${buildError}\n`);
    if (json) reports.push({ bench: name, error: 'does not build', output: buildError.slice(0, 2000) });
    continue;
  }
  const { code, stdout } = await runBench(name);
  if (code !== 0) {
    failed = true;
    process.stderr.write(`bench: ${name} exited with ${code}.\n`);
  }
  if (json) {
    try {
      reports.push(JSON.parse(stdout));
    } catch {
      failed = true;
      reports.push({ bench: name, error: 'did not print JSON', output: stdout.slice(0, 2000) });
    }
  }
}
if (json) process.stdout.write(`${JSON.stringify({ machine, benches: reports }, null, 2)}\n`);
process.exit(failed ? 1 : 0);
