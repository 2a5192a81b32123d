import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, parseDuration } from '../../../src/core/plan/schema';
import { RUNBOOK_DURATION_PATTERN, parseAttributes } from '../../../src/core/runbook/attributes';
import { KNOWN_ATTRIBUTES, parseRunbook } from '../../../src/core/runbook/index';

/** `severity code` of each diagnostic for a fence line `language attributes`. */
const findings = (language: string, attributes: string): string[] => parseRunbook(`\`\`\`${language} ${attributes}\nup\n\`\`\`\n`).diagnostics.map((d) => `${d.severity} ${d.code}`);

describe('cell attributes timeout and wait', () => {
  it('are known attributes', () => {
    expect(KNOWN_ATTRIBUTES).toContain('timeout');
    expect(KNOWN_ATTRIBUTES).toContain('wait');
  });

  it('accept durations on the cells that use them', () => {
    expect(findings('http', '{"name":"status","timeout":"10s"}')).toEqual([]);
    expect(findings('promql', '{"expect":"> 0","wait":"60s"}')).toEqual([]);
    expect(findings('check', '{"wait":"1m30s"}')).toEqual([]);
    expect(findings('promql', '{"range":"15m","step":"250ms","wait":"2m"}')).toEqual([]);
  });

  it('reject values that are not positive durations, pointing at the attribute text', () => {
    const text = '```http {"timeout":"ten seconds"}\nGET /x\n```\n\n```check {"wait":30}\nall\n```\n\n```promql {"wait":"0s"}\nup\n```\n';
    const { diagnostics } = parseRunbook(text);
    expect(diagnostics.map((d) => [d.severity, d.code, text.slice(d.start, d.end)])).toEqual([
      ['error', 'runbook/attribute-duration-invalid', '{"timeout":"ten seconds"}'],
      ['error', 'runbook/attribute-type', '{"wait":30}'],
      ['error', 'runbook/attribute-duration-invalid', '{"wait":"0s"}'],
    ]);
    expect(diagnostics[0]!.message).toContain('"ten seconds"');
  });

  it('warn when used on a cell kind that ignores them', () => {
    expect(findings('promql', '{"timeout":"5s"}')).toEqual(['warning runbook/attribute-not-for-language']);
    expect(findings('http', '{"wait":"60s"}')).toEqual(['warning runbook/attribute-not-for-language']);
    expect(findings('rollout', '{"wait":"60s"}')).toEqual(['warning runbook/attribute-not-for-language']);
    expect(findings('check', '{"expect":"< 1"}')).toEqual(['warning runbook/attribute-not-for-language']);
    const [warning] = parseRunbook('```http {"wait":"60s"}\nGET /x\n```\n').diagnostics;
    expect(warning!.message).toBe('"wait" applies to promql and check cells only; a http cell ignores it.');
  });

  it('flag range and step that are not durations too', () => {
    expect(findings('promql', '{"range":"an hour","step":"1m"}')).toEqual(['error runbook/attribute-duration-invalid']);
    expect(findings('promql', '{"range":"1h","step":"1x"}')).toEqual(['error runbook/attribute-duration-invalid']);
  });

  it('check nothing language-specific when no language is given', () => {
    expect(parseAttributes('{"wait":"60s","timeout":"5s"}', 0).diagnostics).toEqual([]);
  });

  it('use the same duration grammar as the plan schema and the cells', () => {
    const word = fc.stringMatching(/^[0-9hms ]{0,8}$/);
    const shaped = fc.tuple(fc.nat(99), fc.constantFrom('h', 'm', 's', 'ms', ''), fc.nat(99), fc.constantFrom('h', 'm', 's', 'ms', '')).map(([a, first, b, second]) => `${a}${first}${b}${second}`);
    fc.assert(
      fc.property(fc.oneof(word, shaped), (text) => {
        expect(RUNBOOK_DURATION_PATTERN.test(text)).toBe(DURATION_PATTERN.test(text));
        // The parser's "positive" shortcut agrees with what the cells compute.
        const valid = parseAttributes(JSON.stringify({ wait: text }), 0).diagnostics.length === 0;
        expect(valid).toBe((parseDuration(text) ?? 0) > 0);
      }),
      { numRuns: 2000 },
    );
  });
});
