// The pure parts of the HAProxy backend: runtime API addresses, answer splitting, the
// `show servers state` format (version 1, as HAProxy 2.6 prints it) and percent -> weight.
import { describe, expect, it } from 'vitest';

import { checkStatusText, isLoopbackAddress, parseRuntimeApiUrl, parseServersState, serverUnavailability, sharesFromWeights, splitAnswers, weightsForShares } from '../../../src/core/backends/haproxy/index';

// Captured from HAProxy 2.6.12 (Debian 12): `show servers state churn-scorer` after
// `set weight churn-scorer/v41 90; set weight churn-scorer/v42 10`, v40 failing its check.
const captured = [
  '1',
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
  '4 churn-scorer 1 v41 127.0.0.1 2 0 90 100 6 1 0 2 0 0 0 0 - 32010 - 0 0 - - 0',
  '4 churn-scorer 2 v42 127.0.0.1 2 8 10 0 6 1 0 2 0 0 0 0 - 32011 - 0 0 - - 0',
  '4 churn-scorer 3 v40 127.0.0.1 0 0 0 0 6 8 2 0 6 0 0 0 - 32012 - 0 0 - - 0',
].join('\n');

describe('runtime API addresses', () => {
  it('reads tcp:// and unix:// URLs and tells loopback from remote', () => {
    expect(parseRuntimeApiUrl('tcp://127.0.0.1:9999')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9999, url: 'tcp://127.0.0.1:9999' });
    expect(parseRuntimeApiUrl('tcp://[::1]:9999')).toMatchObject({ kind: 'tcp', host: '::1', port: 9999 });
    expect(parseRuntimeApiUrl('unix:///run/haproxy/admin.sock')).toEqual({ kind: 'unix', path: '/run/haproxy/admin.sock', url: 'unix:///run/haproxy/admin.sock' });
    for (const bad of ['http://127.0.0.1:9999', 'tcp://127.0.0.1', 'tcp://127.0.0.1:0', 'tcp://127.0.0.1:70000', 'unix://relative.sock', 'unix:///', 'tcp://a b:1']) {
      expect(parseRuntimeApiUrl(bad), bad).toBeUndefined();
    }
    expect(isLoopbackAddress(parseRuntimeApiUrl('tcp://127.0.0.2:1')!)).toBe(true);
    expect(isLoopbackAddress(parseRuntimeApiUrl('tcp://localhost:1')!)).toBe(true);
    expect(isLoopbackAddress(parseRuntimeApiUrl('unix:///run/a.sock')!)).toBe(true);
    expect(isLoopbackAddress(parseRuntimeApiUrl('tcp://10.0.0.5:9999')!)).toBe(false);
    expect(isLoopbackAddress(parseRuntimeApiUrl('tcp://haproxy.internal:9999')!)).toBe(false);
  });
});

describe('answers', () => {
  it('splits a pipelined answer on the empty line ending each command', () => {
    // `set weight` answers nothing on success; errors are a line; show commands end with one too.
    expect(splitAnswers('\nNo such server.\n\n\n')).toEqual(['', 'No such server.', '']);
    expect(splitAnswers('90 (initial 100)\n\n')).toEqual(['90 (initial 100)']);
    expect(splitAnswers(`${captured}\n\n`)).toEqual([captured]);
    // An answer without its terminator (HAProxy does this for some parse errors) merges, and the
    // caller sees fewer answers than commands.
    expect(splitAnswers('Trailing garbage in weight string\n')).toEqual(['Trailing garbage in weight string']);
  });
});

describe('show servers state', () => {
  it('parses the format HAProxy 2.6 prints, by column name', () => {
    const servers = parseServersState(captured);
    expect(servers.map(({ name, weight, initialWeight, operational, adminState, checked }) => ({ name, weight, initialWeight, operational, adminState, checked }))).toEqual([
      { name: 'v41', weight: 90, initialWeight: 100, operational: 'running', adminState: 0, checked: false },
      { name: 'v42', weight: 10, initialWeight: 0, operational: 'running', adminState: 8, checked: false },
      { name: 'v40', weight: 0, initialWeight: 0, operational: 'stopped', adminState: 0, checked: true },
    ]);
    expect(servers[0]).toMatchObject({ backendId: 4, backend: 'churn-scorer', id: 1, address: '127.0.0.1', port: 32010 });
  });

  it('reads the shorter lines of older HAProxy versions, whose header has fewer columns', () => {
    // The column set of HAProxy 1.6 (the example line of its "show servers state" fix).
    const old = [
      '1',
      '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id',
      '3 proc2 1 RIGHT 127.0.0.1 2 0 1 1 5 1 0 2 0 0 0 0',
    ].join('\n');
    expect(parseServersState(old)).toEqual([expect.objectContaining({ backend: 'proc2', name: 'RIGHT', weight: 1, operational: 'running' })]);
  });

  it('refuses what is not that format, saying why', () => {
    expect(() => parseServersState("Can't find backend.")).toThrow('expected the server state format version "1"');
    expect(() => parseServersState('2\n# be_id')).toThrow('format version "1"');
    expect(() => parseServersState('1\n4 a 1 b')).toThrow('column header line');
    expect(() => parseServersState('1\n# be_id be_name srv_id')).toThrow('lacks the column(s) srv_name');
    expect(() => parseServersState(captured.replace('2 0 90 100', '9 0 90 100'))).toThrow('unknown srv_op_state 9');
    expect(() => parseServersState(captured.replace(' 90 100 ', ' ninety 100 '))).toThrow('srv_uweight is not a whole number');
  });

  it('says why a server takes no traffic: check failing, maintenance, drain, soft stop', () => {
    const [up, drained, down] = parseServersState(captured);
    expect(serverUnavailability(up!)).toBeUndefined();
    expect(serverUnavailability(drained!)).toContain('draining');
    expect(serverUnavailability(down!)).toBe('down: its health check fails (L4CON, connection refused or unreachable)');
    expect(serverUnavailability({ ...up!, operational: 'starting' })).toBeUndefined();
    expect(serverUnavailability({ ...up!, operational: 'stopping' })).toContain('soft-stopping');
    expect(serverUnavailability({ ...up!, adminState: 0x05 })).toContain('from the configuration');
    expect(serverUnavailability({ ...up!, adminState: 0x02 })).toContain('inherited');
    expect(serverUnavailability({ ...up!, adminState: 0x20 })).toContain('could not be resolved');
    expect(checkStatusText(17)).toBe('L7STS, bad HTTP status');
    expect(checkStatusText(99)).toBe('check status 99');
  });
});

describe('percent -> weight', () => {
  it('uses the percentages themselves when they are whole', () => {
    expect(weightsForShares({ '41': 90, '42': 10 })).toEqual({ weights: { '41': 90, '42': 10 } });
    expect(weightsForShares({ '41': 0, '42': 100 })).toEqual({ weights: { '41': 0, '42': 100 } });
    expect(weightsForShares({ a: 34, b: 33, c: 33 })).toEqual({ weights: { a: 34, b: 33, c: 33 } });
  });

  it('scales fractional splits to whole weights, or to their smallest ratio', () => {
    expect(weightsForShares({ '41': 97.5, '42': 2.5 })).toEqual({ weights: { '41': 195, '42': 5 } });
    expect(weightsForShares({ '41': 99.5, '42': 0.5 })).toEqual({ weights: { '41': 199, '42': 1 } });
    // Halves are doubled; what doubling cannot make whole uses its smallest ratio (15 : 1).
    expect(weightsForShares({ '41': 87.5, '42': 12.5 })).toEqual({ weights: { '41': 175, '42': 25 } });
    expect(weightsForShares({ '41': 93.75, '42': 6.25 })).toEqual({ weights: { '41': 15, '42': 1 } });
  });

  it('refuses splits whole weights up to 256 cannot express, and shares that do not add up', () => {
    expect(weightsForShares({ '41': 66.67, '42': 33.33 })).toEqual({ problem: expect.stringContaining('cannot split traffic exactly as 41=66.67% 42=33.33%') });
    expect(weightsForShares({ '41': 99.75, '42': 0.25 })).toEqual({ problem: expect.stringContaining('cannot split traffic exactly') });
    expect(weightsForShares({ '41': 90, '42': 5 })).toEqual({ problem: 'the shares add up to 95%, not 100% (41=90% 42=5%)' });
    expect(weightsForShares({ '41': 120, '42': -20 })).toEqual({ problem: 'the share of 41 is 120%; a share is a percentage from 0 to 100' });
    expect(weightsForShares({ '41': 1e-7, '42': 99.9999999 })).toEqual({ problem: expect.stringContaining('cannot split') });
  });

  it('reads weights back as the exact percentages they were made from', () => {
    const cases: Record<string, number>[] = [
      { a: 90, b: 10 },
      { a: 97.5, b: 2.5 },
      { a: 93.75, b: 6.25 },
      { a: 34, b: 33, c: 33 },
    ];
    for (const shares of cases) {
      const plan = weightsForShares(shares);
      if (!('weights' in plan)) throw new Error(plan.problem);
      expect(sharesFromWeights(plan.weights)).toEqual(shares);
    }
    expect(sharesFromWeights({ a: 0, b: 0 })).toEqual({ a: 0, b: 0 });
  });
});
