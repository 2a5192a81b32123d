// The set-up `npm start` and `npm test` do on their own, so a fresh Debian machine needs only
// those two commands (README quick start): `npm ci` when node_modules is missing or older than
// package-lock.json, and the Debian packages the run needs — installed when run as root (as .ci/run
// does), otherwise named in one `sudo apt-get install …` line before going on with what works.
// Node built-ins only: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages by purpose; keep in step with .ci/run. */
export const DEBIAN_PACKAGES = {
  // libkrb5-dev: a native module of code-server; prometheus: the real metric endpoint of rollgate dev;
  // haproxy: the real router rollgate dev can steer (issue 12).
  start: ['libkrb5-dev', 'prometheus', 'haproxy'],
  // chromium drives VS Code in the host and e2e layers; postgresql backs the real Unleash of the flag tests.
  test: ['chromium', 'libkrb5-dev', 'prometheus', 'haproxy', 'postgresql'],
};

/** True when node_modules is missing or older than package-lock.json. */
export function dependenciesStale() {
  const marker = path.join(root, 'node_modules/.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (!existsSync(marker)) return true;
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs;
}

/** The packages of `names` that dpkg does not know as installed (none when dpkg is absent). */
export function missingDebianPackages(names) {
  if (spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status !== 0) return [];
  return names.filter((name) => spawnSync('dpkg', ['-s', name], { stdio: 'ignore' }).status !== 0);
}

function run(command, args) {
  console.log(`== ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

/** Does the set-up for `purpose` ('start' or 'test'); returns false only when `npm ci` failed. */
export function ensureSetup(purpose) {
  const missing = missingDebianPackages(DEBIAN_PACKAGES[purpose] ?? []);
  if (missing.length > 0) {
    if (process.getuid?.() === 0) {
      if (!run('apt-get', ['update', '-q']) || !run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing])) console.warn(`setup: could not install ${missing.join(' ')}; going on without them.`);
    } else {
      console.warn(`setup: missing Debian packages; install them with:\n  sudo apt-get install ${missing.join(' ')}\nGoing on with what works without them.`);
    }
  }
  if (dependenciesStale()) return run('npm', ['ci', '--no-audit', '--no-fund']);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(ensureSetup(process.argv[2] ?? 'test') ? 0 : 1);
}
