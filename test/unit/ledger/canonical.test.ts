import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { canonicalJson, computeEntryHash, sealEntry, sha256Hex } from '../../../src/core/ledger/index';

describe('canonical encoding', () => {
  it('sorts keys at every depth, drops undefined members and whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: 'x y' } })).toBe('{"a":{"c":"x y","d":[3,{"z":1}]},"b":1}');
    expect(canonicalJson([undefined, Number.NaN, Infinity, -0])).toBe('[null,null,null,0]');
    expect(canonicalJson({ when: new Date('2026-01-02T03:04:05.000Z') })).toBe('{"when":"2026-01-02T03:04:05.000Z"}');
  });

  it('is stable through a JSON round trip, so verify recomputes the same hash (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const encoded = canonicalJson(value);
        expect(canonicalJson(JSON.parse(encoded))).toBe(encoded);
      }),
      { numRuns: Number(process.env.ROLLGATE_PROPERTY_RUNS ?? 500) },
    );
  });

  it('gives the same hash whatever order the keys were written in', () => {
    const body = { seq: 1, time: 't', actor: 'a', action: 'pause', prev: '0'.repeat(64), service: 's' };
    const reordered = { service: 's', prev: '0'.repeat(64), action: 'pause', actor: 'a', time: 't', seq: 1 };
    expect(computeEntryHash(body)).toBe(computeEntryHash(reordered));
    expect(computeEntryHash(body)).toBe(sha256Hex(canonicalJson(body)));
  });

  it('seals an entry into a line that parses back to the same entry and hash', () => {
    const { entry, line } = sealEntry({ seq: 1, time: 't', actor: 'a', action: 'pause', prev: '0'.repeat(64), reason: 'ünïcode \u2028 "quoted"' });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(entry);
    expect(computeEntryHash(JSON.parse(line))).toBe(entry.hash);
  });
});
