/**
 * `show servers state <backend>` of HAProxy's runtime API, format version 1 (HAProxy 2.x, see
 * "show servers state" in HAProxy's management guide): a version line, a `#` header naming the
 * columns, then one line per server with space-separated fields.
 */

/** srv_op_state: 0 stopped (down), 1 starting (slow start), 2 running, 3 stopping (soft stop). */
export type ServerOperationalState = 'stopped' | 'starting' | 'running' | 'stopping';

/** The bits of srv_admin_state. */
export const AdminState = {
  forcedMaintenance: 0x01,
  inheritedMaintenance: 0x02,
  configMaintenance: 0x04,
  forcedDrain: 0x08,
  inheritedDrain: 0x10,
  resolutionMaintenance: 0x20,
  hostnameFromSocket: 0x40,
} as const;

/** One server of a backend as `show servers state` reports it. */
export interface HaproxyServerState {
  backendId: number;
  backend: string;
  id: number;
  name: string;
  address: string;
  port?: number;
  operational: ServerOperationalState;
  /** The srv_admin_state bit mask (see {@link AdminState}). */
  adminState: number;
  /** The weight set at run time (`set weight`), or the configured one. */
  weight: number;
  initialWeight: number;
  /** srv_check_status, a number of HAProxy's `enum healthcheck_status`. */
  checkStatus: number;
  /** srv_check_result: 0 unknown, 1 neutral, 2 failed, 3 passed, 4 conditionally passed. */
  checkResult: number;
  /** True when a health check is configured (`check` on the server line). */
  checked: boolean;
}

const OPERATIONAL: Record<string, ServerOperationalState> = { '0': 'stopped', '1': 'starting', '2': 'running', '3': 'stopping' };

/** Names of HAProxy 2.6's `enum healthcheck_status` (include/haproxy/check-t.h), for messages. */
const CHECK_STATUS_NAMES = [
  'UNK',
  'INI',
  'START',
  'CHECKED',
  'HANA',
  'SOCKERR',
  'L4OK',
  'L4TOUT',
  'L4CON',
  'L6OK',
  'L6TOUT',
  'L6RSP',
  'L7TOUT',
  'L7RSP',
  'L57DATA',
  'L7OK',
  'L7OKC',
  'L7STS',
  'PROCERR',
  'PROCTOUT',
  'PROCOK',
];
const CHECK_STATUS_MEANINGS: Record<string, string> = {
  SOCKERR: 'socket error',
  L4TOUT: 'connection timed out',
  L4CON: 'connection refused or unreachable',
  L6TOUT: 'TLS handshake timed out',
  L6RSP: 'TLS error',
  L7TOUT: 'no answer in time',
  L7RSP: 'invalid answer',
  L7STS: 'bad HTTP status',
  HANA: 'too many errors on live traffic',
  PROCERR: 'external check failed',
  PROCTOUT: 'external check timed out',
};

/** The columns this parser needs; it finds them by name in the header line. */
const REQUIRED_COLUMNS = ['be_id', 'be_name', 'srv_id', 'srv_name', 'srv_addr', 'srv_op_state', 'srv_admin_state', 'srv_uweight', 'srv_iweight', 'srv_check_status', 'srv_check_result', 'srv_check_state'] as const;

/** Parses the answer to `show servers state`; throws an Error saying what is wrong when it is not one. */
export function parseServersState(answer: string): HaproxyServerState[] {
  const lines = answer.split('\n').filter((line) => line.trim() !== '');
  const version = lines[0]?.trim();
  if (version !== '1') {
    throw new Error(`expected the server state format version "1" on the first line, got ${JSON.stringify(lines[0]?.slice(0, 80) ?? '')}`);
  }
  const header = lines[1];
  if (!header?.startsWith('#')) throw new Error('the column header line (starting with "#") is missing');
  const columns = header.slice(1).trim().split(/\s+/);
  const index: Record<string, number> = {};
  columns.forEach((column, position) => (index[column] = position));
  const missing = REQUIRED_COLUMNS.filter((column) => index[column] === undefined);
  if (missing.length > 0) throw new Error(`the header lacks the column(s) ${missing.join(', ')}`);

  const servers: HaproxyServerState[] = [];
  for (const line of lines.slice(2)) {
    if (line.startsWith('#')) continue;
    const fields = line.trim().split(/\s+/);
    const field = (column: (typeof REQUIRED_COLUMNS)[number] | 'srv_port'): string | undefined => {
      const position = index[column];
      return position === undefined ? undefined : fields[position];
    };
    const number = (column: (typeof REQUIRED_COLUMNS)[number]): number => {
      const value = Number(field(column));
      if (!Number.isInteger(value)) throw new Error(`server line ${JSON.stringify(line.slice(0, 120))}: ${column} is not a whole number`);
      return value;
    };
    if (fields.length < columns.length - 1) throw new Error(`server line ${JSON.stringify(line.slice(0, 120))} has ${fields.length} fields for ${columns.length} columns`);
    const operational = OPERATIONAL[field('srv_op_state') ?? ''];
    if (!operational) throw new Error(`server line ${JSON.stringify(line.slice(0, 120))}: unknown srv_op_state ${field('srv_op_state')}`);
    const port = Number(field('srv_port'));
    servers.push({
      backendId: number('be_id'),
      backend: field('be_name')!,
      id: number('srv_id'),
      name: field('srv_name')!,
      address: field('srv_addr')!,
      ...(Number.isInteger(port) && port > 0 ? { port } : {}),
      operational,
      adminState: number('srv_admin_state'),
      weight: number('srv_uweight'),
      initialWeight: number('srv_iweight'),
      checkStatus: number('srv_check_status'),
      checkResult: number('srv_check_result'),
      // CHK_ST_CONFIGURED (0x02) of srv_check_state.
      checked: (number('srv_check_state') & 0x02) !== 0,
    });
  }
  return servers;
}

/**
 * Why HAProxy would not send requests to this server, or undefined when it would: maintenance
 * (forced, inherited, configured, or after a failed name resolution), drain, or a stopped or
 * soft-stopping server (a failing health check). A server in slow start counts as up.
 */
export function serverUnavailability(server: HaproxyServerState): string | undefined {
  const admin = server.adminState;
  // A server `disabled` in the configuration also carries the forced bit: test that one first.
  if (admin & AdminState.configMaintenance) return 'in maintenance from the configuration (`disabled` on its server line)';
  if (admin & AdminState.forcedMaintenance) return 'in maintenance (set by `set server … state maint` or `disable server`)';
  if (admin & AdminState.inheritedMaintenance) return 'in maintenance, inherited from the server it tracks';
  if (admin & AdminState.resolutionMaintenance) return 'in maintenance because its address could not be resolved';
  if (admin & (AdminState.forcedDrain | AdminState.inheritedDrain)) return 'draining (set by `set server … state drain`): it takes no new requests';
  if (server.operational === 'stopped') return `down${server.checked ? `: its health check fails (${checkStatusText(server.checkStatus)})` : ''}`;
  if (server.operational === 'stopping') return 'soft-stopping (its health check asks for no new requests)';
  return undefined;
}

/** `L4CON, connection refused or unreachable` for a check status number. */
export function checkStatusText(status: number): string {
  const name = CHECK_STATUS_NAMES[status];
  if (!name) return `check status ${status}`;
  const meaning = CHECK_STATUS_MEANINGS[name];
  return meaning ? `${name}, ${meaning}` : name;
}
