import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLLOUT_ACTIONS } from '../../../src/core/panel/protocol';
import { parseViewMessage } from '../../../src/core/panel/validate';

describe('parseViewMessage', () => {
  it('accepts every message of the protocol', () => {
    const valid: unknown[] = [
      { type: 'ready' },
      { type: 'selectPlan', planId: 'plan-1' },
      { type: 'selectPlan', planId: 'plan-123456' },
      { type: 'showMoreChangelog', beforeSeq: 10_001 },
      { type: 'showMoreChangelog', beforeSeq: 0 },
      ...ROLLOUT_ACTIONS.map((action) => ({ type: 'action', action })),
    ];
    for (const message of valid) {
      const check = parseViewMessage(message);
      expect(check, JSON.stringify(message)).toEqual({ ok: true, message });
    }
  });

  it.each([
    ['not an object', 'ready'],
    ['null', null],
    ['an array', [{ type: 'ready' }]],
    ['an unknown type', { type: 'runCommand', command: 'workbench.action.terminal.new' }],
    ['an extra key', { type: 'ready', command: 'x' }],
    ['an extra key on an action', { type: 'action', action: 'rollback', to: '40' }],
    ['an unknown action', { type: 'action', action: 'deleteEverything' }],
    ['a plan path instead of an id', { type: 'selectPlan', planId: '../../etc/passwd' }],
    ['a URI as plan id', { type: 'selectPlan', planId: 'command:rollgate.rollout.start' }],
    ['a plan id with a suffix', { type: 'selectPlan', planId: 'plan-1\nplan-2' }],
    ['a numeric plan id', { type: 'selectPlan', planId: 1 }],
    ['a missing plan id', { type: 'selectPlan' }],
    ['show more without a position', { type: 'showMoreChangelog' }],
    ['show more with a string position', { type: 'showMoreChangelog', beforeSeq: '12' }],
    ['show more with a negative position', { type: 'showMoreChangelog', beforeSeq: -1 }],
    ['show more with a fractional position', { type: 'showMoreChangelog', beforeSeq: 1.5 }],
    ['a prototype key', JSON.parse('{"type":"ready","__proto__":{"polluted":true}}')],
  ])('refuses %s', (_what, message) => {
    const check = parseViewMessage(message);
    expect(check.ok).toBe(false);
  });

  it('never echoes the refused message into the log line', () => {
    const check = parseViewMessage({ type: 'selectPlan', planId: 'secret-value-123' });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problem).not.toContain('secret-value-123');
  });

  it('never throws and accepts only exact protocol shapes, for arbitrary JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            { type: fc.constantFrom('ready', 'selectPlan', 'action', 'showMoreChangelog'), planId: fc.string(), action: fc.string(), beforeSeq: fc.oneof(fc.integer(), fc.double(), fc.string()) },
            { requiredKeys: ['type'] },
          ),
        ),
        (value) => {
          const check = parseViewMessage(value);
          if (!check.ok) return true;
          const message = check.message as Record<string, unknown>;
          const keys = Object.keys(message).sort().join(',');
          switch (message.type) {
            case 'ready':
              return keys === 'type';
            case 'showMoreChangelog':
              return keys === 'beforeSeq,type' && Number.isSafeInteger(message.beforeSeq) && (message.beforeSeq as number) >= 0;
            case 'selectPlan':
              return keys === 'planId,type' && /^plan-\d{1,6}$/.test(String(message.planId));
            case 'action':
              return keys === 'action,type' && (ROLLOUT_ACTIONS as readonly unknown[]).includes(message.action);
            default:
              return false;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
