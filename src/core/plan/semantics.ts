import type { Diagnostic, Severity } from '../diagnostics';
import { notifyDiagnostics } from './notifyRules';
import { flagDiagnostics } from './flagRules';
import { guardrailKindDiagnostics, judgeDiagnostics } from './guardrailKindRules';
import type { Plan, Stage } from './schema';
import { closestMatch, createMatcher } from './suggest';
import type { PlanLocator, PlanPath, Span } from './yamlTree';

/** Stable codes of the semantic rules. Tools and tests match on these; never rename one. */
export const SemanticCodes = {
  trafficDecreases: 'plan/traffic-decreases',
  trafficIncomplete: 'plan/traffic-incomplete',
  fullStageTraffic: 'plan/full-stage-traffic',
  unknownGuardrail: 'plan/unknown-guardrail',
  duplicateGuardrail: 'plan/duplicate-guardrail',
  duplicateStage: 'plan/duplicate-stage',
  baselineIsCandidate: 'plan/baseline-is-candidate',
  rollbackToCandidate: 'plan/rollback-to-candidate',
  minAboveMax: 'plan/min-above-max',
  guardrailWithoutBound: 'plan/guardrail-without-bound',
  ratioWithoutBaseline: 'plan/ratio-without-baseline',
  relativeWithoutRatio: 'plan/relative-without-ratio',
  unknownPlaceholder: 'plan/unknown-placeholder',
  inlineCredential: 'plan/inline-credential',
  prodNeedsGradualStage: 'plan/prod-needs-gradual-stage',
} as const;

/** Placeholders a guardrail query may use. */
export const QUERY_PLACEHOLDERS = ['version', 'candidate.version', 'baseline.version', 'metadata.service', 'metadata.name', 'model.name'] as const;
const knownPlaceholders = new Set<string>(QUERY_PLACEHOLDERS);
const MAX_SUGGESTIONS = 100;

/** The share of live traffic a stage sends to the candidate: explicit, or implied by its kind. */
export function candidateTrafficPercent(stage: Stage): number | undefined {
  if (stage.traffic !== undefined) return stage.traffic;
  if (stage.kind === 'full' || stage.kind === 'blue-green') return 100;
  return undefined;
}

/**
 * The parts of a plan the semantic rules read. A whole `Plan` is one; when the schema rejects
 * the plan, the sections it accepted on their own are given, so an error in one guardrail does
 * not hide, say, a traffic drop between stages. A rule runs only when all it reads is present.
 */
export interface PlanSections {
  metadata?: Plan['metadata'];
  model?: Plan['model'];
  guardrails?: Plan['guardrails'];
  stages?: Plan['stages'];
  rollback?: Plan['rollback'];
  notify?: Plan['notify'];
  endpoints?: Plan['endpoints'];
  flags?: Plan['flags'];
}

/**
 * Checks the rules a schema cannot express. Linear in the size of the plan; spans are looked up
 * only for the findings.
 */
export function semanticDiagnostics(plan: PlanSections, locator: PlanLocator, text: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = (code: string, message: string, span: Span, severity: Severity = 'error', fix?: Diagnostic['fix']): void => {
    diagnostics.push({ severity, code, message, start: span.start, end: span.end, ...(fix ? { fix } : {}) });
  };
  // A stage's traffic figure, or its kind when the traffic is implied by it.
  const trafficSpan = (index: number): Span => locator.value(stages[index]!.traffic !== undefined ? ['stages', index, 'traffic'] : ['stages', index, 'kind']);

  // Guardrails: unique names, a bound each, consistent bounds, known placeholders.
  const guardrailIndex = new Map<string, number>();
  plan.guardrails?.forEach((guardrail, index) => {
    const at = (...rest: PropertyKey[]): PlanPath => ['guardrails', index, ...rest];
    const earlier = guardrailIndex.get(guardrail.name);
    if (earlier !== undefined) {
      report(SemanticCodes.duplicateGuardrail, `Guardrail name '${guardrail.name}' is already used by guardrails[${earlier}]; stages could not tell them apart.`, locator.value(at('name')));
    } else guardrailIndex.set(guardrail.name, index);

    // The other kinds have their own required fields and bounds (guardrailKindRules.ts).
    guardrailKindDiagnostics(guardrail, index, locator, report, checkPlaceholders);
    if (guardrail.query?.includes('{{')) checkPlaceholders(guardrail.query, at('query'));
    if (guardrail.kind !== 'threshold') return;
    const hasAbsolute = guardrail.min !== undefined || guardrail.max !== undefined;
    const hasRatio = guardrail.maxRatio !== undefined || guardrail.minRatio !== undefined;
    const relative = guardrail.relativeTo === 'baseline';
    if (hasRatio && !relative) {
      const key = guardrail.maxRatio !== undefined ? 'maxRatio' : 'minRatio';
      report(SemanticCodes.ratioWithoutBaseline, `'${key}' compares with the baseline, but the guardrail has no 'relativeTo: baseline'. Add it, or use min/max.`, locator.key(at(key)));
    } else if (relative && !hasRatio && hasAbsolute) {
      report(SemanticCodes.relativeWithoutRatio, "'relativeTo: baseline' has no effect without maxRatio or minRatio.", locator.value(at('relativeTo')), 'warning');
    }
    // A ratio without relativeTo is reported above as its own mistake, not as a missing bound.
    if (!hasAbsolute && !hasRatio) {
      report(SemanticCodes.guardrailWithoutBound, `Guardrail '${guardrail.name}' has no bound, so it can never fail. Add min and/or max, or relativeTo: baseline with maxRatio/minRatio.`, locator.value(at('name')));
    }
    if (guardrail.min !== undefined && guardrail.max !== undefined && guardrail.min > guardrail.max) {
      report(SemanticCodes.minAboveMax, `'min' (${guardrail.min}) is above 'max' (${guardrail.max}): every measurement would fail.`, locator.value(at('min')));
    }
    if (guardrail.minRatio !== undefined && guardrail.maxRatio !== undefined && guardrail.minRatio > guardrail.maxRatio) {
      report(SemanticCodes.minAboveMax, `'minRatio' (${guardrail.minRatio}) is above 'maxRatio' (${guardrail.maxRatio}): every measurement would fail.`, locator.value(at('minRatio')));
    }
  });

  function checkPlaceholders(query: string, path: PlanPath): void {
    const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;
    let querySpan: Span | undefined;
    let source = '';
    const seen = new Map<string, number>();
    for (let match = placeholder.exec(query); match; match = placeholder.exec(query)) {
      const name = match[1]!;
      if (knownPlaceholders.has(name)) continue;
      querySpan ??= locator.value(path);
      source ||= text.slice(querySpan.start, querySpan.end);
      // Find the same spelling in the source (the nth time it occurs); quoting or folding may
      // move it, in which case the whole query is marked.
      let from = 0;
      let found = -1;
      const occurrence = (seen.get(match[0]) ?? 0) + 1;
      seen.set(match[0], occurrence);
      for (let count = 0; count < occurrence; count++) {
        found = source.indexOf(match[0], from);
        if (found < 0) break;
        from = found + match[0].length;
      }
      const span = found >= 0 ? { start: querySpan.start + found, end: querySpan.start + found + match[0].length } : querySpan;
      const suggestion = closestMatch(name, QUERY_PLACEHOLDERS);
      report(
        SemanticCodes.unknownPlaceholder,
        `Unknown placeholder '{{${name}}}'.${suggestion ? ` Did you mean '{{${suggestion}}}'?` : ''} Available: ${QUERY_PLACEHOLDERS.map((known) => `{{${known}}}`).join(', ')}.`,
        span,
        'error',
        suggestion && found >= 0 ? { title: `Change to '{{${suggestion}}}'`, edits: [{ start: span.start, end: span.end, text: `{{${suggestion}}}` }] } : undefined,
      );
    }
  }

  // Stages: unique names, known guardrails, traffic that only rises and ends at 100.
  const stageIndex = new Map<string, number>();
  let previousTraffic: { value: number; index: number } | undefined;
  let lastTrafficIndex: number | undefined;
  let firstFullTraffic: number | undefined;
  let gradualBeforeFull = false;
  let markedFinal = false;
  let suggestGuardrail: ((name: string) => string | undefined) | undefined;
  let suggestionsMade = 0;
  const stages = plan.stages ?? [];
  stages.forEach((stage, index) => {
    const earlier = stageIndex.get(stage.name);
    if (earlier !== undefined) {
      report(SemanticCodes.duplicateStage, `Stage name '${stage.name}' is already used by stages[${earlier}]; approvals and the ledger refer to stages by name.`, locator.value(['stages', index, 'name']));
    } else stageIndex.set(stage.name, index);

    // Without a valid guardrails section there is nothing to check the names against.
    if (plan.guardrails)
      stage.guardrails?.forEach((name, position) => {
        if (guardrailIndex.has(name)) return;
        const span = locator.value(['stages', index, 'guardrails', position]);
        suggestGuardrail ??= createMatcher(guardrailIndex.keys());
        // Suggestions cost a comparison with every guardrail; past a hundred the list has stopped
        // being read anyway, so a pathological file stays fast.
        const suggestion = ++suggestionsMade <= MAX_SUGGESTIONS ? suggestGuardrail(name) : undefined;
        report(
          SemanticCodes.unknownGuardrail,
          `Stage '${stage.name}' names guardrail '${name}', which the plan does not define.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`,
          span,
          'error',
          suggestion ? { title: `Change to '${suggestion}'`, edits: [{ start: span.start, end: span.end, text: suggestion }] } : undefined,
        );
      });

    if (stage.final) markedFinal = true;
    if (stage.kind === 'full' && stage.traffic !== undefined && stage.traffic !== 100) {
      report(SemanticCodes.fullStageTraffic, `A 'full' stage sends all traffic to the candidate; traffic ${stage.traffic} contradicts it. Use kind: canary, or traffic: 100.`, locator.value(['stages', index, 'traffic']));
    }
    const traffic = candidateTrafficPercent(stage);
    if (firstFullTraffic === undefined && (traffic === undefined || traffic < 100) && (stage.kind === 'shadow' || stage.kind === 'canary')) {
      gradualBeforeFull = true;
    }
    if (traffic === undefined) return;
    if (previousTraffic && traffic < previousTraffic.value) {
      const before = stages[previousTraffic.index]!;
      report(SemanticCodes.trafficDecreases, `Traffic falls from ${previousTraffic.value}% (stage '${before.name}') to ${traffic}%. Stages only raise traffic; to go back, roll back.`, trafficSpan(index));
    }
    if (traffic >= 100 && firstFullTraffic === undefined) firstFullTraffic = index;
    // Compared with the stage just before, so one drop is reported once, not at every later stage.
    previousTraffic = { value: traffic, index };
    lastTrafficIndex = index;
  });

  if (plan.stages && !markedFinal) {
    if (lastTrafficIndex === undefined) {
      report(SemanticCodes.trafficIncomplete, 'No stage sends live traffic to the candidate. Add a canary, blue-green or full stage, or mark the last stage `final: true`.', locator.key(['stages']));
    } else {
      const last = stages[lastTrafficIndex]!;
      const traffic = candidateTrafficPercent(last)!;
      if (traffic < 100) {
        report(
          SemanticCodes.trafficIncomplete,
          `The last traffic stage '${last.name}' stops at ${traffic}%. Add a stage that reaches 100, or mark this one \`final: true\` if the plan deliberately stops here.`,
          trafficSpan(lastTrafficIndex),
        );
      }
    }
  }

  if (plan.stages) judgeDiagnostics(plan.stages, plan.guardrails, locator, report);

  if (plan.metadata?.environment === 'prod' && firstFullTraffic !== undefined && !gradualBeforeFull) {
    report(
      SemanticCodes.prodNeedsGradualStage,
      `A prod plan must pass a shadow or canary stage before full traffic, but stage '${stages[firstFullTraffic]!.name}' is the first and goes to 100% at once.`,
      trafficSpan(firstFullTraffic),
    );
  }

  // Model: a rollback target must differ from what is being rolled out.
  const model = plan.model;
  if (model && model.baseline.version === model.candidate.version) {
    report(
      SemanticCodes.baselineIsCandidate,
      `The baseline version '${model.baseline.version}' is the candidate's version; a rollback would change nothing. Declare the known-good version the candidate replaces.`,
      locator.value(['model', 'baseline', 'version']),
    );
  }
  if (model && plan.rollback && plan.rollback.to !== 'baseline' && plan.rollback.to === model.candidate.version) {
    report(SemanticCodes.rollbackToCandidate, `'rollback.to' names the candidate's version '${plan.rollback.to}'; roll back to 'baseline' or another known-good version.`, locator.value(['rollback', 'to']));
  }
  if (plan.notify) diagnostics.push(...notifyDiagnostics(plan.notify, plan.stages, locator));
  diagnostics.push(...flagDiagnostics(plan, locator, candidateTrafficPercent));
  return diagnostics;
}
