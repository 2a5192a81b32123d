// PromQL in runbooks and the sample files: promql cells, check cells against the linked plan, and
// every query shipped in examples/ and the test fixtures.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePlan } from '../../../src/core/plan/validate';
import { parseRunbook } from '../../../src/core/runbook/index';
import { cellFileOffset, linkedPlan, runbookPromqlDiagnostics } from '../../../src/core/runbook/promqlFindings';
import { analyzeQuery } from '../../../src/core/promql/guardrail';
import { readMarkers } from '../plan/markers';

const root = join(__dirname, '../../..');
const files = (folder: string, suffix: string) =>
  readdirSync(join(root, folder))
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(folder, name));

describe('the PromQL of the sample plans and runbooks', () => {
  const plans = [...files('examples', '.rollout.yaml'), ...files('test/fixtures/plans/valid', '.rollout.yaml')];
  it.each(plans)('%s: every guardrail query parses and checks clean', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const { guardrails } = linkedPlan(file, text);
    expect(guardrails.length).toBeGreaterThan(0);
    for (const guardrail of guardrails) expect(analyzeQuery(guardrail.query).findings, guardrail.query).toEqual([]);
    expect(validatePlan(text).diagnostics.filter((diagnostic) => diagnostic.code.startsWith('plan/promql-'))).toEqual([]);
  });

  const runbooks = [...files('examples', '.runbook.md'), ...files('test/fixtures/runbooks', '.runbook.md')];
  it.each(runbooks)('%s: every promql cell parses clean', (file) => {
    const parsed = parseRunbook(readFileSync(join(root, file), 'utf8'));
    const promqlCells = parsed.cells.filter((cell) => cell.language === 'promql');
    for (const cell of promqlCells) expect(analyzeQuery(cell.value).findings, cell.value).toEqual([]);
    expect(runbookPromqlDiagnostics(parsed.cells)).toEqual([]);
  });
});

const planText = `guardrails:
  - name: error-rate
    query: sum(rate(x{version="{{version}}"}[1m]))
  - name: broken
    query: sum(rate(x{version="{{version}}"}[1m])
`;

describe('runbook PromQL findings', () => {
  it('marks the broken token of a promql cell, in the cell and in the file (indented fence included)', () => {
    const source = '# Checks\n\n  ```promql {"name":"errors"}\n  sum(rate(x[1m]))\n    ⟦)⟧\n  ```\n';
    const { text, spans } = readMarkers(source);
    const parsed = parseRunbook(text);
    const findings = runbookPromqlDiagnostics(parsed.cells);
    expect(findings).toHaveLength(1);
    const finding = findings[0]!;
    const cell = parsed.cells[finding.cell]!;
    expect(finding).toMatchObject({ code: 'runbook/promql-syntax', message: "unexpected right parenthesis ')'" });
    expect(cell.value.slice(finding.start, finding.end)).toBe(')');
    expect([cellFileOffset(cell, finding.start), cellFileOffset(cell, finding.end)]).toEqual([spans[0]!.start, spans[0]!.end]);
  });

  it('refuses a range vector in a cell with a range attribute, in Prometheus’s words', () => {
    const text = '```promql {"range":"15m"}\nrate(x[1m])[5m:1m]\n```\n';
    const findings = runbookPromqlDiagnostics(parseRunbook(text).cells);
    expect(findings).toMatchObject([{ code: 'runbook/promql-result-type', start: 0, end: 18 }]);
    expect(findings[0]!.message).toContain('invalid expression type "range vector" for range query, must be Scalar or instant Vector');
    // Without `range` the instant query is fine: Prometheus answers a matrix.
    expect(runbookPromqlDiagnostics(parseRunbook(text.replace('{"range":"15m"}', '')).cells)).toEqual([]);
  });

  it('accepts cell variables anywhere a value stands', () => {
    const text = '```promql\nsum(rate({{metric}}{version="{{candidate.version}}"}[{{status.body.window}}])) > {{threshold}}\n```\n';
    expect(runbookPromqlDiagnostics(parseRunbook(text).cells)).toEqual([]);
  });

  it('marks each guardrail a check cell names whose query in the linked plan is broken', () => {
    const plan = linkedPlan('./plan.rollout.yaml', planText);
    const named = parseRunbook('```check\nerror-rate, broken\n```\n');
    const findings = runbookPromqlDiagnostics(named.cells, plan);
    expect(findings).toHaveLength(1);
    const cell = named.cells[findings[0]!.cell]!;
    expect(cell.value.slice(findings[0]!.start, findings[0]!.end)).toBe('broken');
    expect(findings[0]!.message).toBe("Guardrail 'broken' of the linked plan (./plan.rollout.yaml, line 5) has a query Prometheus would refuse: unclosed left parenthesis");
    // An empty check cell runs every guardrail.
    const all = runbookPromqlDiagnostics(parseRunbook('```check\n```\n').cells, plan);
    expect(all.map((finding) => finding.code)).toEqual(['runbook/promql-syntax']);
    // Without a linked plan there is nothing to check against.
    expect(runbookPromqlDiagnostics(named.cells)).toEqual([]);
  });

  it('does not hold a drift or calibration guardrail to a query it does not send', () => {
    const plan = linkedPlan('./plan.rollout.yaml', `${planText}  - name: score-drift\n    kind: drift\n    histogram: score\n    query: sum(rate(x[1m])\n`);
    expect(plan.guardrails.map((guardrail) => guardrail.name)).toEqual(['error-rate', 'broken']);
    expect(runbookPromqlDiagnostics(parseRunbook('```check\nscore-drift\n```\n').cells, plan)).toEqual([]);
  });
});
