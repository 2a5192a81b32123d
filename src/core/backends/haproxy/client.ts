import { parseRuntimeApiUrl, type RuntimeApiAddress } from './address';
import { HaproxyError, isHaproxyError, type HaproxyErrorKind } from './errors';
import { sendRuntimeLine } from './runtimeSocket';
import { HAPROXY_NAME_PATTERN } from './syntax';
import { parseServersState, serverUnavailability, type HaproxyServerState } from './serversState';
import { MAX_WEIGHT } from './weights';

export interface HaproxyRuntimeOptions {
  /** `tcp://HOST:PORT` or `unix:///PATH` (the plan's `endpoints.deployment.url`). */
  url: string;
  /** The HAProxy backend whose server weights this client reads and sets. */
  backend: string;
  /** Time for one runtime API exchange; default 5 s. */
  timeoutMs?: number;
}

/** One weight change as sent. */
export interface ServerWeightChange {
  server: string;
  from: number;
  to: number;
}

/** What {@link HaproxyRuntimeClient.setWeights} sent and changed. */
export interface WeightUpdate {
  /** The one runtime API line sent. */
  line: string;
  changes: ServerWeightChange[];
  /** Servers of the backend the caller did not name: set to 0 in the same line. */
  zeroed: ServerWeightChange[];
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * A client for the server weights of one HAProxy backend over the runtime API: reads them with
 * `show servers state` and `get weight`, and sets them with `set weight`, every change of one
 * call in ONE line so HAProxy applies them together. Every answer is checked; whatever fails is
 * thrown as a {@link HaproxyError} naming the socket, backend and server, with what was applied
 * and what HAProxy reports now.
 */
export class HaproxyRuntimeClient {
  readonly address: RuntimeApiAddress;
  readonly backend: string;
  readonly timeoutMs: number;

  constructor(options: HaproxyRuntimeOptions) {
    const address = parseRuntimeApiUrl(options.url);
    if (!address) {
      throw new HaproxyError(`"${options.url}" is not an HAProxy runtime API address; use tcp://HOST:PORT or unix:///PATH (endpoints.deployment.url).`, { kind: 'rejected', socket: options.url, sent: false });
    }
    if (!HAPROXY_NAME_PATTERN.test(options.backend)) {
      throw new HaproxyError(`"${options.backend}" is not an HAProxy backend name (letters, digits, '-', '_', '.', ':').`, { kind: 'rejected', socket: options.url, backend: options.backend, sent: false });
    }
    this.address = address;
    this.backend = options.backend;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The servers of the backend and their state (`show servers state <backend>`). */
  async servers(signal?: AbortSignal): Promise<HaproxyServerState[]> {
    const [answer = ''] = await this.#send([`show servers state ${this.backend}`], signal);
    if (/^Can't find backend\.?$/m.test(answer) || /^No such backend\.?$/m.test(answer)) throw await this.#unknownBackend(signal);
    if (/^Permission denied/m.test(answer)) throw this.#permission(`show servers state ${this.backend}`, false);
    try {
      return parseServersState(answer).filter((server) => server.backend === this.backend);
    } catch (error) {
      throw new HaproxyError(
        `HAProxy at ${this.address.url} answered \`show servers state ${this.backend}\` with something this client cannot read (${error instanceof Error ? error.message : String(error)}). Rollgate reads format version 1 (HAProxy 1.8 to 2.x).`,
        { kind: 'malformed', socket: this.address.url, backend: this.backend, sent: true, cause: error },
      );
    }
  }

  /** The current and configured weight of one server (`get weight <backend>/<server>`). */
  async weight(server: string, signal?: AbortSignal): Promise<{ weight: number; initial: number }> {
    this.#checkName(server);
    const command = `get weight ${this.backend}/${server}`;
    const [answer = ''] = await this.#send([command], signal, server);
    const match = /^(\d+) \(initial (\d+)\)$/.exec(answer.trim());
    if (match) return { weight: Number(match[1]), initial: Number(match[2]) };
    throw await this.#commandError(command, answer, server, false, signal);
  }

  /**
   * Sets the weights of the named servers and 0 on every other server of the backend, in one
   * runtime API line. Refuses before sending when a named server does not exist, when a server
   * that would get traffic is down (see {@link serverUnavailability}), or when a weight is not a
   * whole number from 0 to 256.
   */
  async setWeights(weights: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<WeightUpdate> {
    for (const [server, weight] of Object.entries(weights)) {
      this.#checkName(server);
      if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
        throw new HaproxyError(`Weight ${weight} for ${this.backend}/${server} is not a whole number from 0 to ${MAX_WEIGHT}; nothing was sent to ${this.address.url}.`, this.#details('rejected', false, server));
      }
    }
    const servers = await this.servers(signal);
    const byName = new Map(servers.map((server) => [server.name, server]));
    for (const [name, weight] of Object.entries(weights)) {
      const server = byName.get(name);
      if (!server) throw this.#unknownServer(name, servers, false);
      const unavailable = weight > 0 ? serverUnavailability(server) : undefined;
      if (unavailable) {
        throw new HaproxyError(`HAProxy reports ${this.backend}/${name} ${unavailable}, so it cannot take traffic; nothing was sent to ${this.address.url}.`, {
          ...this.#details('server-down', false, name),
          reason: unavailable,
        });
      }
    }
    const changes = Object.entries(weights).map(([server, to]) => ({ server, from: byName.get(server)!.weight, to }));
    const zeroed = servers.filter((server) => !(server.name in weights)).map((server) => ({ server: server.name, from: server.weight, to: 0 }));
    // Raise before lowering: should HAProxy stop part-way, some server still has weight, so a
    // half-applied change never leaves the backend with no server to send requests to.
    const ordered = [...changes, ...zeroed].sort((a, b) => Math.sign(b.to - b.from) - Math.sign(a.to - a.from));
    const commands = ordered.map((change) => `set weight ${this.backend}/${change.server} ${change.to}`);
    const line = commands.join('; ');

    let answers: string[];
    try {
      answers = await this.#send(commands, signal);
    } catch (error) {
      if (isHaproxyError(error) && error.sent) throw await this.#withStateNow(error, signal);
      throw error;
    }
    const failures = commands.map((command, index) => ({ command, change: ordered[index]!, answer: answers[index] })).filter((result) => result.answer !== '');
    if (failures.length === 0 && answers.length === commands.length) return { line, changes, zeroed };

    if (answers.length !== commands.length) {
      const error = new HaproxyError(
        `HAProxy at ${this.address.url} gave ${answers.length} answer(s) to the ${commands.length} commands of "${line}", so which ones it applied is unknown. Its answer: ${JSON.stringify(answers.join(' | ').slice(0, 300))}.`,
        { kind: 'malformed', socket: this.address.url, backend: this.backend, line, sent: true },
      );
      throw await this.#withStateNow(error, signal);
    }
    const [first] = failures;
    const firstError = await this.#commandError(first!.command, first!.answer!, first!.change.server, true);
    const applied = ordered.filter((_, index) => answers[index] === '').map((change) => `${change.server}=${change.to}`);
    const refused = failures.map((failure) => `"${failure.command}": ${failure.answer!.split('\n')[0]}`);
    const summary =
      applied.length === 0
        ? `HAProxy applied none of "${line}" (${refused.join('; ')}). ${firstError.message}`
        : `HAProxy applied only part of "${line}": it set ${applied.join(', ')} but refused ${refused.join('; ')}. Traffic is NOT as intended. ${firstError.message}`;
    const kind: HaproxyErrorKind = applied.length === 0 ? firstError.kind : 'partial';
    throw await this.#withStateNow(new HaproxyError(summary, { ...this.#details(kind, true, first!.change.server), line }), signal);
  }

  /** "… HAProxy now reports: v41=90 v42=10." appended to an error after a line was sent. */
  async #withStateNow(error: HaproxyError, signal?: AbortSignal): Promise<HaproxyError> {
    let now: string;
    try {
      const servers = await this.servers(signal);
      now = `HAProxy now reports ${servers.map((server) => `${server.name}=${server.weight}`).join(' ')} in ${this.backend}.`;
    } catch {
      now = `Reading the weights back failed too; check them with \`show servers state ${this.backend}\` on ${this.address.url}.`;
    }
    return new HaproxyError(`${error.message} ${now}`, {
      kind: error.kind,
      socket: error.socket,
      ...(error.backend ? { backend: error.backend } : {}),
      ...(error.server ? { server: error.server } : {}),
      ...(error.line ? { line: error.line } : {}),
      sent: error.sent,
      cause: error,
    });
  }

  async #send(commands: string[], signal: AbortSignal | undefined, server?: string): Promise<string[]> {
    return sendRuntimeLine(this.address, commands, { timeoutMs: this.timeoutMs, backend: this.backend, ...(server ? { server } : {}), ...(signal ? { signal } : {}) });
  }

  /** Maps HAProxy's answer to a failed command onto an error naming what it is about. */
  async #commandError(command: string, answer: string, server: string, sent: boolean, signal?: AbortSignal): Promise<HaproxyError> {
    const text = answer.trim();
    if (/^No such backend\.?$|^Can't find backend\.?$/m.test(text)) return this.#unknownBackend(signal);
    if (/^No such server\.?$/m.test(text)) {
      let servers: HaproxyServerState[] | undefined;
      try {
        servers = await this.servers(signal);
      } catch {
        servers = undefined;
      }
      return this.#unknownServer(server, servers, sent);
    }
    if (/^Permission denied/m.test(text)) return this.#permission(command, sent, server);
    if (/static LB algorithm/.test(text)) {
      return new HaproxyError(
        `Backend ${this.backend} uses a static load-balancing algorithm (static-rr, first, or a map-based hash), where HAProxy only switches a server between 0 and 100%, so it cannot split traffic (HAProxy at ${this.address.url} said: "${text}"). Use \`balance roundrobin\`, \`leastconn\` or \`random\` in backend ${this.backend}.`,
        this.#details('rejected', sent, server),
      );
    }
    if (/^Unknown command/m.test(text)) {
      return new HaproxyError(`HAProxy at ${this.address.url} does not know \`${command.split(' ').slice(0, 2).join(' ')}\`; Rollgate needs HAProxy 1.8 or later.`, this.#details('rejected', sent, server));
    }
    return new HaproxyError(`HAProxy at ${this.address.url} refused \`${command}\`: ${JSON.stringify(text.slice(0, 300))}.`, this.#details('rejected', sent, server));
  }

  #permission(command: string, sent: boolean, server?: string): HaproxyError {
    return new HaproxyError(
      `HAProxy at ${this.address.url} answered "Permission denied" to \`${command}\`: the socket's level is too low. Reading needs \`level operator\`, changing weights \`level admin\` on the \`stats socket\` line of HAProxy's global section.`,
      this.#details('permission', sent, server),
    );
  }

  async #unknownBackend(signal?: AbortSignal): Promise<HaproxyError> {
    let known = '';
    try {
      const [answer = ''] = await this.#send(['show backend'], signal);
      const names = answer.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
      if (names.length > 0) known = ` Its backends: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}.`;
    } catch {
      // the list is only a hint
    }
    return new HaproxyError(`HAProxy at ${this.address.url} has no backend "${this.backend}" (endpoints.deployment.backend).${known}`, this.#details('unknown-backend', false));
  }

  #unknownServer(server: string, servers: HaproxyServerState[] | undefined, sent: boolean): HaproxyError {
    const known = servers ? ` Its servers: ${servers.map((candidate) => candidate.name).join(', ') || 'none'}.` : '';
    return new HaproxyError(`Backend ${this.backend} of HAProxy at ${this.address.url} has no server "${server}" (endpoints.deployment.servers).${known}`, this.#details('unknown-server', sent, server));
  }

  #checkName(server: string): void {
    if (!HAPROXY_NAME_PATTERN.test(server)) {
      throw new HaproxyError(`"${server}" is not an HAProxy server name (letters, digits, '-', '_', '.', ':'); nothing was sent to ${this.address.url}.`, this.#details('rejected', false, server));
    }
  }

  #details(kind: HaproxyErrorKind, sent: boolean, server?: string) {
    return { kind, socket: this.address.url, backend: this.backend, sent, ...(server ? { server } : {}) };
  }
}
