import { describe, expect, it } from 'vitest';
import { FixIndex, type DiagnosticIdentity } from '../../../src/vscode/fixIndex';

const at = (line: number, from: number, to: number, code: DiagnosticIdentity['code'], message: string): DiagnosticIdentity => ({
  range: { start: { line, character: from }, end: { line, character: to } },
  code,
  message,
});

describe('FixIndex', () => {
  it('finds a fix again from a copy of the diagnostic (same range, code, message)', () => {
    const index = new FixIndex<string>();
    index.set('file:///a', [{ diagnostic: at(3, 4, 10, 'schema/unknown-key', "Unknown key 'trafic'"), fix: 'traffic' }]);
    expect(index.find('file:///a', at(3, 4, 10, 'schema/unknown-key', "Unknown key 'trafic'"))).toBe('traffic');
    expect(index.find('file:///a', at(3, 4, 10, { value: 'schema/unknown-key' }, "Unknown key 'trafic'"))).toBe('traffic');
  });

  it('does not confuse diagnostics that differ in range, code, message or document', () => {
    const index = new FixIndex<string>();
    index.set('file:///a', [{ diagnostic: at(3, 4, 10, 'c', 'm'), fix: 'x' }]);
    expect(index.find('file:///a', at(3, 4, 11, 'c', 'm'))).toBeUndefined();
    expect(index.find('file:///a', at(3, 4, 10, 'other', 'm'))).toBeUndefined();
    expect(index.find('file:///a', at(3, 4, 10, 'c', 'other'))).toBeUndefined();
    expect(index.find('file:///b', at(3, 4, 10, 'c', 'm'))).toBeUndefined();
  });

  it('replaces a document’s fixes on each set and forgets them on delete', () => {
    const index = new FixIndex<string>();
    index.set('file:///a', [{ diagnostic: at(1, 0, 1, 'c', 'old'), fix: 'old' }]);
    index.set('file:///a', [{ diagnostic: at(2, 0, 1, 'c', 'new'), fix: 'new' }]);
    expect(index.find('file:///a', at(1, 0, 1, 'c', 'old'))).toBeUndefined();
    expect(index.find('file:///a', at(2, 0, 1, 'c', 'new'))).toBe('new');
    index.delete('file:///a');
    expect(index.find('file:///a', at(2, 0, 1, 'c', 'new'))).toBeUndefined();
    expect(index.documentCount).toBe(0);
  });

  it('keeps no entry for a document without fixes', () => {
    const index = new FixIndex<string>();
    index.set('file:///a', []);
    expect(index.documentCount).toBe(0);
  });
});
