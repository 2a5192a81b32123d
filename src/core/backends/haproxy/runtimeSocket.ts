import { createConnection, type Socket } from 'node:net';

import type { RuntimeApiAddress } from './address';
import { HaproxyError } from './errors';

export interface RuntimeLineOptions {
  /** The whole exchange (connect, send, answer, close) must finish within this time. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Answers longer than this are cut off and reported; default 4 MB. */
  maxAnswerBytes?: number;
  /** Named in error details. */
  backend?: string;
  server?: string;
}

const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * Sends `commands` to HAProxy's runtime API as ONE line (`a; b; c`) on a fresh connection in
 * the non-interactive mode: HAProxy runs them in order, answers each, and closes the connection.
 * Returns one answer per command, split on the empty line HAProxy ends every answer with (it
 * promises no answer contains one). The caller checks that the count matches: an answer that
 * lacks its terminator merges with the next, and that must not go unnoticed.
 *
 * Commands must be single-line and free of `;` and `\`, which the CLI would read as separators
 * or escapes; callers build them from validated names only.
 */
export async function sendRuntimeLine(address: RuntimeApiAddress, commands: readonly string[], options: RuntimeLineOptions): Promise<string[]> {
  const line = commands.join('; ');
  const details = { socket: address.url, line, ...(options.backend ? { backend: options.backend } : {}), ...(options.server ? { server: options.server } : {}) };
  for (const command of commands) {
    if (/[;\\]/.test(command) || hasControlCharacter(command) || command.trim() === '') {
      throw new HaproxyError(`Refusing to send ${JSON.stringify(command)} to the HAProxy runtime API ${address.url}: a command must be one line without ';' or '\\'.`, { kind: 'rejected', sent: false, ...details });
    }
  }
  const maxBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  const text = await new Promise<string>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new HaproxyError(`Cancelled before "${line}" was sent to the HAProxy runtime API ${address.url}.`, { kind: 'aborted', sent: false, ...details }));
      return;
    }
    const socket: Socket = address.kind === 'tcp' ? createConnection({ host: address.host, port: address.port }) : createConnection({ path: address.path });
    const chunks: Buffer[] = [];
    let size = 0;
    let sent = false;
    let settled = false;
    const finish = (error?: HaproxyError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onAbort = (): void =>
      finish(
        new HaproxyError(
          sent
            ? `Cancelled after "${line}" was sent to the HAProxy runtime API ${address.url}: HAProxy may have applied it. Read the state with \`show servers state${options.backend ? ` ${options.backend}` : ''}\`.`
            : `Cancelled before "${line}" was sent to the HAProxy runtime API ${address.url}.`,
          { kind: 'aborted', sent, ...details },
        ),
      );
    const timer = setTimeout(
      () =>
        finish(
          new HaproxyError(
            sent
              ? `The HAProxy runtime API ${address.url} did not answer "${line}" within ${options.timeoutMs} ms. The command was sent, so HAProxy may have applied it: read the state with \`show servers state${options.backend ? ` ${options.backend}` : ''}\` before trying again.`
              : `Could not connect to the HAProxy runtime API ${address.url} within ${options.timeoutMs} ms; nothing was sent. Is HAProxy running and the address right (endpoints.deployment.url)?`,
            { kind: 'timeout', sent, ...details },
          ),
        ),
      options.timeoutMs,
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      sent = true;
      socket.end(`${line}\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(new HaproxyError(`The HAProxy runtime API ${address.url} answered "${line}" with more than ${maxBytes} bytes; stopped reading.`, { kind: 'malformed', sent, ...details }));
        return;
      }
      chunks.push(chunk);
    });
    socket.once('end', () => finish());
    socket.once('close', () => finish());
    socket.once('error', (error: NodeJS.ErrnoException) => finish(connectionError(address, error, sent, details)));
  });
  return splitAnswers(text);
}

function connectionError(address: RuntimeApiAddress, error: NodeJS.ErrnoException, sent: boolean, details: { socket: string; line: string; backend?: string; server?: string }): HaproxyError {
  const where = `the HAProxy runtime API ${address.url}`;
  const configLine = address.kind === 'tcp' ? `stats socket ipv4@${address.host}:${address.port} level admin` : `stats socket ${address.path} mode 600 level admin`;
  const hint = `Is HAProxy running, with \`${configLine}\` in its global section? (endpoints.deployment.url)`;
  const base = { sent, cause: error, ...details };
  switch (error.code) {
    case 'ECONNREFUSED':
      return new HaproxyError(`${where} refused the connection: nothing is listening there. ${hint}`, { kind: 'unreachable', ...base });
    case 'ENOENT':
      return new HaproxyError(`There is no socket file at ${address.kind === 'unix' ? address.path : address.url} (${where}). ${hint}`, { kind: 'unreachable', ...base });
    case 'EACCES':
    case 'EPERM':
      return new HaproxyError(
        `Permission denied opening the socket file of ${where}. Run as a user allowed to use it, or give that user access with the \`mode\`, \`user\` or \`group\` options of the \`stats socket\` line.`,
        { kind: 'permission', ...base },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new HaproxyError(`The host of ${where} could not be resolved (${error.code}). Check endpoints.deployment.url.`, { kind: 'unreachable', ...base });
    default:
      return new HaproxyError(
        sent
          ? `The connection to ${where} failed after "${details.line}" was sent (${error.code ?? error.message}): HAProxy may have applied it. Read the state with \`show servers state${details.backend ? ` ${details.backend}` : ''}\`.`
          : `Could not connect to ${where} (${error.code ?? error.message}). ${hint}`,
        { kind: 'unreachable', ...base },
      );
  }
}

/** Splits a non-interactive answer into one text per command, on the empty line ending each. */
export function splitAnswers(text: string): string[] {
  const answers: string[] = [];
  let current: string[] = [];
  const lines = text.split('\n');
  // The text ends with "\n": the element after it is not a line.
  if (lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      answers.push(current.join('\n'));
      current = [];
    } else current.push(line);
  }
  if (current.length > 0) answers.push(current.join('\n'));
  return answers;
}

/** A line break or any other control character would end or corrupt the command line. */
function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
