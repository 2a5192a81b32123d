import type { Diagnostic, Severity } from '../diagnostics';
import { parseLabelMatchers } from '../guardrails/selector';
import type { GuardrailKind } from './guardrailKinds';
import type { Guardrail, Stage } from './schema';
import type { PlanLocator, PlanPath, Span } from './yamlTree';

/** Stable codes of the guardrail-kind and judge rules. Never rename one. */
export const GuardrailKindCodes = {
  kindField: 'plan/guardrail-kind-field',
  kindMissing: 'plan/guardrail-kind-missing',
  invalidSelector: 'plan/invalid-selector',
  histogramSuffix: 'plan/histogram-suffix',
  judgeThresholds: 'plan/judge-thresholds',
  judgeWithoutGuardrails: 'plan/judge-without-guardrails',
  criticalWithoutJudge: 'plan/critical-without-judge',
  compareWithoutBake: 'plan/compare-without-bake',
} as const;

export const guardrailKindRuleDescriptions: Readonly<Record<string, string>> = {
  [GuardrailKindCodes.kindField]: 'A guardrail field that its kind does not use (e.g. `histogram` on a threshold guardrail), so it would be silently ignored.',
  [GuardrailKindCodes.kindMissing]: "A field the guardrail's kind needs is missing (threshold and compare: `query`; drift: `histogram`; calibration: `histogram` or `counter`).",
  [GuardrailKindCodes.invalidSelector]: 'A drift or calibration `selector` is not a PromQL label-matcher list in braces.',
  [GuardrailKindCodes.histogramSuffix]: "A `histogram` names the `_bucket` series instead of the histogram's base name.",
  [GuardrailKindCodes.judgeThresholds]: "A stage's `judge.marginal` is above its `judge.pass`.",
  [GuardrailKindCodes.judgeWithoutGuardrails]: 'A stage has `judge:` but no guardrails to score.',
  [GuardrailKindCodes.criticalWithoutJudge]: 'A guardrail is `critical` but no stage that uses it has `judge:`, where critical has its only effect.',
  [GuardrailKindCodes.compareWithoutBake]: 'A stage without `bake` uses a compare guardrail, which tests the samples of the bake.',
};

type FieldName = keyof Guardrail;

/** Fields that belong to one or more kinds only; the rest (name, interval, onNoData, …) apply to every kind. */
const FIELD_KINDS: Partial<Record<FieldName, readonly GuardrailKind[]>> = {
  query: ['threshold', 'compare'],
  min: ['threshold'],
  max: ['threshold', 'drift', 'calibration'],
  relativeTo: ['threshold'],
  maxRatio: ['threshold'],
  minRatio: ['threshold'],
  histogram: ['drift', 'calibration'],
  counter: ['calibration'],
  selector: ['drift', 'calibration'],
  window: ['drift', 'compare', 'calibration'],
  method: ['drift'],
  minSamples: ['drift', 'compare', 'calibration'],
  confidence: ['compare'],
  direction: ['compare'],
  tolerance: ['compare'],
  labelName: ['calibration'],
  positive: ['calibration'],
  binLabel: ['calibration'],
};

type Report = (code: string, message: string, span: Span, severity?: Severity, fix?: Diagnostic['fix']) => void;

/**
 * The rules of the guardrail kinds for one guardrail: fields its kind does not use, fields it
 * needs, the selector's syntax, a `_bucket` suffix. Threshold bounds (min/max/ratios) stay in
 * semantics.ts. `checkPlaceholders` is semantics.ts's check of `{{...}}` names.
 */
export function guardrailKindDiagnostics(guardrail: Guardrail, index: number, locator: PlanLocator, report: Report, checkPlaceholders: (text: string, path: PlanPath) => void): void {
  const kind = guardrail.kind;
  const at = (...rest: PropertyKey[]): PlanPath => ['guardrails', index, ...rest];
  for (const [field, kinds] of Object.entries(FIELD_KINDS) as [FieldName, readonly GuardrailKind[]][]) {
    if (guardrail[field] === undefined || kinds.includes(kind)) continue;
    report(GuardrailKindCodes.kindField, `'${field}' does not apply to a ${kind} guardrail (it is used by ${kinds.join(' and ')}); remove it or change 'kind'.`, locator.key(at(field)));
  }
  const missing = (what: string) => report(GuardrailKindCodes.kindMissing, `A ${kind} guardrail needs ${what}.`, locator.value(guardrail.kind === 'threshold' ? at('name') : at('kind')));
  if ((kind === 'threshold' || kind === 'compare') && guardrail.query === undefined) missing("'query': the PromQL query it measures");
  if (kind === 'drift' && guardrail.histogram === undefined) missing("'histogram': the base name of the score histogram whose distribution it compares");
  if (kind === 'calibration') {
    if (guardrail.histogram === undefined && guardrail.counter === undefined) {
      missing("'histogram' (a score histogram with a label for the outcome) or 'counter' (one series per bin and outcome)");
    } else if (guardrail.histogram !== undefined && guardrail.counter !== undefined) {
      report(GuardrailKindCodes.kindField, "Give 'histogram' or 'counter', not both: they are two ways to read the same bins.", locator.key(at('counter')));
    }
    if (guardrail.binLabel !== undefined && guardrail.counter === undefined) {
      report(GuardrailKindCodes.kindField, "'binLabel' names the bin label of a 'counter'; a histogram's bins are its 'le' label.", locator.key(at('binLabel')));
    }
    if (guardrail.max === undefined) {
      report('plan/guardrail-without-bound', `Guardrail '${guardrail.name}' has no 'max' for its expected calibration error, so it can never fail.`, locator.value(at('name')));
    }
  }
  if (guardrail.histogram?.endsWith('_bucket')) {
    const span = locator.value(at('histogram'));
    const base = guardrail.histogram.slice(0, -'_bucket'.length);
    report(
      GuardrailKindCodes.histogramSuffix,
      `'histogram' is the base name; Rollgate adds '_bucket' itself, so '${guardrail.histogram}' would read '${guardrail.histogram}_bucket', which does not exist. Use '${base}'.`,
      span,
      'error',
      { title: `Change to '${base}'`, edits: [{ start: span.end - '_bucket'.length, end: span.end, text: '' }] },
    );
  }
  if (guardrail.selector !== undefined && FIELD_KINDS.selector!.includes(kind)) {
    const parsed = parseLabelMatchers(guardrail.selector);
    if ('problem' in parsed) {
      report(GuardrailKindCodes.invalidSelector, `'selector' is not a label-matcher list in braces (${parsed.problem}), e.g. '{version="{{version}}"}'.`, locator.value(at('selector')));
    } else if (guardrail.selector.includes('{{')) checkPlaceholders(guardrail.selector, at('selector'));
  }
}

/**
 * The judge rules of the stages: thresholds in order, something to judge, a bake for compare
 * guardrails, and `critical` where it has an effect.
 */
export function judgeDiagnostics(stages: readonly Stage[], guardrails: readonly Guardrail[] | undefined, locator: PlanLocator, report: Report): void {
  const byName = new Map((guardrails ?? []).map((guardrail) => [guardrail.name, guardrail]));
  const judgedGuardrails = new Set<string>();
  stages.forEach((stage, index) => {
    const names = stage.guardrails ?? [];
    if (stage.judge) {
      names.forEach((name) => judgedGuardrails.add(name));
      if (stage.judge.marginal > stage.judge.pass) {
        report(
          GuardrailKindCodes.judgeThresholds,
          `'marginal' (${stage.judge.marginal}) is above 'pass' (${stage.judge.pass}); a score between them would both pass and fail. Set marginal ≤ pass.`,
          locator.value(['stages', index, 'judge', 'marginal']),
        );
      }
      if (names.length === 0) {
        report(GuardrailKindCodes.judgeWithoutGuardrails, `Stage '${stage.name}' has 'judge' but no guardrails to score; add guardrails or remove 'judge'.`, locator.key(['stages', index, 'judge']), 'warning');
      }
    }
    if (!stage.bake && names.some((name) => byName.get(name)?.kind === 'compare')) {
      report(
        GuardrailKindCodes.compareWithoutBake,
        `Stage '${stage.name}' has no 'bake', but its compare guardrails test the samples taken during the bake; give the stage a bake long enough for 'minSamples' measurements.`,
        locator.value(['stages', index, 'name']),
        'warning',
      );
    }
  });
  guardrails?.forEach((guardrail, index) => {
    if (guardrail.critical && !judgedGuardrails.has(guardrail.name)) {
      report(
        GuardrailKindCodes.criticalWithoutJudge,
        `Guardrail '${guardrail.name}' is critical, but no stage that uses it has 'judge:'; without a judge every guardrail already decides alone.`,
        locator.key(['guardrails', index, 'critical']),
        'warning',
      );
    }
  });
}
