import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseRuntimeApiUrl } from '../core/backends/haproxy/address';
import { sendRuntimeLine } from '../core/backends/haproxy/runtimeSocket';
import { findOnPath, startWatched } from './watchedProcess';

/** A real HAProxy started by `rollgate dev` (or a test), in the foreground under a watchdog. */
export interface HaproxyProcess {
  pid: number;
  /** Temporary folder holding the generated config (and any unix socket); removed on stop. */
  dir: string;
  configFile: string;
  stop(): Promise<void>;
}

export interface HaproxyStartOptions {
  bin: string;
  /** The configuration text; `{dir}` stands for the temporary folder (for unix sockets). */
  config: string;
  /** A runtime API address in the config (`tcp://…` or `unix://…`), polled until it answers. */
  runtimeUrl: string;
  /** Give up waiting after this long. Default 15 s. */
  startTimeoutMs?: number;
}

/** Thrown when HAProxy could not bind one of its addresses; the message names it. */
export class HaproxyPortInUseError extends Error {}

/** Finds an executable `haproxy` on `PATH`, or `undefined`. */
export function findHaproxyOnPath(path: string | undefined = process.env.PATH): string | undefined {
  return findOnPath('haproxy', path);
}

/** How to get HAProxy when it is missing. */
export const installHaproxyHint = 'Install it to route through a real HAProxy: `sudo apt-get install haproxy` on Debian/Ubuntu (its system service need not run), or pass --haproxy-bin PATH.';

/**
 * Starts HAProxy with the given configuration in a temporary folder, in the foreground (`-db`)
 * under the watchdog of {@link startWatched} (so it never outlives this process), and resolves
 * once its runtime API answers.
 */
export async function startHaproxy(options: HaproxyStartOptions): Promise<HaproxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'rollgate-haproxy-'));
  const configFile = join(dir, 'haproxy.cfg');
  writeFileSync(configFile, options.config.replaceAll('{dir}', dir));
  const runtimeUrl = options.runtimeUrl.replaceAll('{dir}', dir);
  const haproxy = startWatched({ bin: options.bin, args: ['-db', '-f', configFile], tempDir: dir });
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  const failure = async (message: string, portInUse = false): Promise<never> => {
    await haproxy.stop();
    const tail = haproxy.output().slice(-8).join('\n    ');
    const text = `${message}${tail ? `\n  HAProxy said:\n    ${tail}` : ''}`;
    throw portInUse ? new HaproxyPortInUseError(text) : new Error(text);
  };
  const address = parseRuntimeApiUrl(runtimeUrl);
  if (!address) return failure(`"${runtimeUrl}" is not a runtime API address (tcp://HOST:PORT or unix:///PATH).`);
  for (;;) {
    if (haproxy.exited) {
      const busy = haproxy.output().find((line) => /cannot bind|Address already in use/i.test(line));
      return failure(busy ? `HAProxy could not listen on one of its addresses: ${busy.trim()}` : `HAProxy (${options.bin}) exited while starting.`, busy !== undefined);
    }
    if (Date.now() > deadline) return failure(`HAProxy's runtime API ${runtimeUrl} did not answer within ${timeoutMs / 1000}s.`);
    try {
      const [info = ''] = await sendRuntimeLine(address, ['show info'], { timeoutMs: 1000 });
      if (/^Name: /m.test(info) && haproxy.pid !== undefined) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { pid: haproxy.pid!, dir, configFile, stop: () => haproxy.stop() };
}
