// PromQL findings of a runbook: the query of each `promql` cell, and the guardrail queries of the
// linked plan that each `check` cell will run. Offsets are into each cell's value (what a notebook
// cell editor shows); `toFileOffsets` places them in the runbook file.
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { parseCheckCell } from '../cells/check';
import type { Diagnostic } from '../diagnostics';
import type { PromqlAnalysis } from '../promql/analysis';
import { analyzeQuery, queryFindings } from '../promql/guardrail';
import type { PromqlRule } from '../promql/syntaxErrors';
import type { RunbookCell } from './types';

/** Stable codes of the PromQL findings in runbooks. */
export const RunbookPromqlCodes: Readonly<Record<PromqlRule, string>> = {
  syntax: 'runbook/promql-syntax',
  invalid: 'runbook/promql-invalid',
  experimental: 'runbook/promql-experimental',
  'result-type': 'runbook/promql-result-type',
  'many-series': 'runbook/promql-many-series',
  'short-window': 'runbook/promql-short-window',
};

/** A finding in one cell: offsets into that cell's value. */
export interface CellDiagnostic extends Diagnostic {
  cell: number;
}

/** A guardrail of the linked plan, as a check cell runs it. */
export interface LinkedGuardrail {
  name: string;
  query: string;
  /** 1-based line of the query in the plan, for the message. */
  line?: number;
}

/** What a runbook needs to know about its linked plan: where it is and its guardrails. */
export interface LinkedPlan {
  /** As written in the front matter, e.g. `./churn-canary.rollout.yaml`. */
  path: string;
  guardrails: LinkedGuardrail[];
}

/** Analyses by query text: an editor re-checks a runbook on every pause in typing. */
export type AnalysisCache = Map<string, PromqlAnalysis>;

function analysisOf(query: string, cache: AnalysisCache | undefined): PromqlAnalysis {
  let analysis = cache?.get(query);
  if (!analysis) {
    analysis = analyzeQuery(query);
    if (cache) {
      if (cache.size > 2000) cache.clear();
      cache.set(query, analysis);
    }
  }
  return analysis;
}

/**
 * PromQL findings of the runbook's cells. A `promql` cell's query is checked as Prometheus would
 * (and, with a `range` attribute, for a type a range query accepts); a `check` cell gets a finding
 * at each guardrail it names (or at its start, for all of them) whose query in the linked plan is
 * broken, since running it could only fail.
 */
export function runbookPromqlDiagnostics(cells: readonly RunbookCell[], linkedPlan?: LinkedPlan, cache?: AnalysisCache): CellDiagnostic[] {
  const found: CellDiagnostic[] = [];
  cells.forEach((cell, index) => {
    if (cell.kind !== 'code') return;
    if (cell.language === 'promql') {
      if (cell.value.trim() === '') return;
      const analysis = analysisOf(cell.value, cache);
      const findings = queryFindings(cell.value, analysis, { expects: 'any' });
      const isRange = cell.attributes.range !== undefined;
      if (isRange && findings.every((finding) => finding.severity !== 'error') && (analysis.resultType === 'range vector' || analysis.resultType === 'string')) {
        // Prometheus's own refusal of such a range query (web/api/v1: invalid expression type).
        const start = cell.value.length - cell.value.trimStart().length;
        findings.push({
          rule: 'result-type',
          severity: 'error',
          message: `invalid expression type "${analysis.resultType}" for range query, must be Scalar or instant Vector (this cell has a "range" attribute; drop it, or apply a function such as rate(...) to the range)`,
          start,
          end: cell.value.trimEnd().length,
        });
      }
      for (const finding of findings) {
        found.push({ cell: index, severity: finding.severity, code: RunbookPromqlCodes[finding.rule], message: finding.message, start: finding.start, end: finding.end });
      }
      return;
    }
    if (cell.language === 'check' && linkedPlan) found.push(...checkCellDiagnostics(cell.value, index, linkedPlan, cache));
  });
  return found;
}

function checkCellDiagnostics(value: string, cell: number, plan: LinkedPlan, cache: AnalysisCache | undefined): CellDiagnostic[] {
  const references = parseCheckCell(value).value;
  if (!references) return [];
  const targets =
    references.length === 0
      ? plan.guardrails.map((guardrail) => ({ guardrail, start: 0, end: Math.max(0, value.trimEnd().length) }))
      : references.flatMap((reference) => {
          const guardrail = plan.guardrails.find((candidate) => candidate.name === reference.name);
          return guardrail ? [{ guardrail, start: reference.start, end: reference.end }] : [];
        });
  const found: CellDiagnostic[] = [];
  for (const { guardrail, start, end } of targets) {
    const analysis = analysisOf(guardrail.query, cache);
    const problem = queryFindings(guardrail.query, analysis, { expects: 'number' }).find((finding) => finding.severity === 'error');
    if (!problem) continue;
    const where = guardrail.line !== undefined ? `${plan.path}, line ${guardrail.line}` : plan.path;
    found.push({
      cell,
      severity: 'error',
      code: RunbookPromqlCodes[problem.rule],
      message: `Guardrail '${guardrail.name}' of the linked plan (${where}) has a query Prometheus would refuse: ${problem.message}`,
      start,
      end,
    });
  }
  return found;
}

/** The linked plan's guardrails from its text, read leniently: a plan with other errors still has queries. */
export function linkedPlan(path: string, planText: string): LinkedPlan {
  const guardrails: LinkedGuardrail[] = [];
  const list = parseDocument(planText, { uniqueKeys: false, prettyErrors: false }).get('guardrails', true);
  if (isSeq(list)) {
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const name = item.get('name');
      const query = item.get('query', true);
      if (typeof name !== 'string' || !isScalar(query) || typeof query.value !== 'string') continue;
      // Drift and calibration guardrails do not send a `query` (they build a bucket query); the plan reports one as unused.
      const kind = item.get('kind');
      if (kind === 'drift' || kind === 'calibration') continue;
      const line = query.range ? planText.slice(0, query.range[0]).split('\n').length : undefined;
      guardrails.push({ name, query: query.value, ...(line !== undefined ? { line } : {}) });
    }
  }
  return { path, guardrails };
}

/**
 * File offsets of a cell's value offsets: the value starts after the opening fence line, and an
 * indented fence had up to its indentation removed from every line (CommonMark), which is put back.
 */
export function cellFileOffset(cell: RunbookCell, valueOffset: number): number | undefined {
  const source = cell.source;
  const fence = source?.fence;
  if (!source || !fence) return undefined;
  const valueStart = source.start + fence.indent.length + fence.markup.length + cell.language.length + fence.infoTail.length + fence.openLineEnding.length;
  if (fence.indent.length === 0) return valueStart + valueOffset;
  const body = source.text.slice(valueStart - source.start);
  let bodyAt = 0;
  let valueAt = 0;
  // Walk line by line: each line lost min(its spaces, indent) characters.
  while (bodyAt <= body.length) {
    let spaces = 0;
    while (spaces < fence.indent.length && body[bodyAt + spaces] === ' ') spaces++;
    const lineEnd = body.indexOf('\n', bodyAt);
    const lineLength = (lineEnd < 0 ? body.length : lineEnd + 1) - bodyAt - spaces;
    if (valueOffset <= valueAt + lineLength || lineEnd < 0) return valueStart + bodyAt + spaces + (valueOffset - valueAt);
    valueAt += lineLength;
    bodyAt = lineEnd + 1;
  }
  return undefined;
}
