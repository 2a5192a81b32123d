import { z } from 'zod';

/**
 * The plan fields of the guardrail kinds beyond `threshold` (drift, compare, calibration), a
 * stage's `judge`, and how failures are counted. Kept apart from schema.ts, which spreads them
 * in, so the ML guardrails read as one unit. Defaults that depend on the kind are applied when
 * measuring (see {@link guardrailDefaults}) and stated in each field's description.
 */

export const GUARDRAIL_KINDS = ['threshold', 'drift', 'compare', 'calibration'] as const;
export type GuardrailKind = (typeof GUARDRAIL_KINDS)[number];
export const DRIFT_METHODS = ['psi', 'jensen-shannon'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];
export type CompareDirection = 'increase' | 'decrease' | 'either';

/** A Prometheus metric name. */
export const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** A Prometheus label name. */
export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Defaults of the kind-specific fields; the descriptions below quote them. */
export const guardrailDefaults = {
  driftMethod: 'psi' as DriftMethod,
  driftMax: { psi: 0.2, 'jensen-shannon': 0.05 } as Record<DriftMethod, number>,
  window: '5m',
  compareWindow: '10m',
  minSamples: { drift: 100, compare: 10, calibration: 100 },
  confidence: 0.98,
  direction: 'either' as CompareDirection,
  tolerance: 0,
  labelName: 'label',
  positive: '1',
  binLabel: 'bin',
} as const;

const metricName = (description: string) => z.string().regex(METRIC_NAME_PATTERN, 'a Prometheus metric name: letters, digits, _ and :, not starting with a digit').describe(description);
const labelName = (description: string) => z.string().regex(LABEL_NAME_PATTERN, 'a Prometheus label name: letters, digits and _, not starting with a digit').describe(description);

/**
 * The guardrail fields this module adds; `duration` is schema.ts's duration type (passed in, so
 * the two files do not import each other).
 */
export function guardrailKindFields(duration: (description: string) => z.ZodString) {
  return {
    kind: z
      .enum(GUARDRAIL_KINDS)
      .default('threshold')
      .describe(
        "threshold: `query` against min/max or a baseline ratio. drift: the candidate's distribution of a Prometheus histogram against the baseline's (PSI or Jensen–Shannon). compare: a Mann–Whitney U test of the candidate's samples of `query` against the baseline's over the bake. calibration: expected calibration error of the candidate's scores from labelled outcomes. See docs/guardrails.md.",
      ),
    histogram: metricName(
      'drift, calibration: base name of a Prometheus histogram (without `_bucket`); its `_bucket` series with `le` are read. For calibration it must also carry the label named by `labelName`.',
    ).optional(),
    counter: metricName("calibration: a counter with one series per score bin (label `binLabel`, the bin's upper edge) and outcome (label `labelName`); use instead of `histogram`.").optional(),
    selector: z
      .string()
      .describe('drift, calibration: PromQL label matchers in braces that pick one version\'s series, with the usual placeholders, e.g. `\'{version="{{version}}"}\'`. Default `{version="{{version}}"}`.')
      .optional(),
    window: duration(
      'drift, calibration: the range of `increase(...[window])`, e.g. 5m (default 5m). compare: the most recent stretch of the bake whose samples are tested (default: the whole bake so far; 10m outside a rollout).',
    ).optional(),
    method: z.enum(DRIFT_METHODS).describe('drift: psi (population stability index, natural log; default max 0.2) or jensen-shannon (divergence in bits; default max 0.05). Default psi.').optional(),
    minSamples: z
      .number()
      .int('a whole number')
      .min(1, 'at least 1')
      .describe('drift: observations per version in the window (default 100); compare: samples per version (default 10); calibration: labelled predictions (default 100). Fewer mean no data, which follows `onNoData`.')
      .optional(),
    confidence: z.number().gt(0.5, 'above 0.5').lt(1, 'below 1').describe("compare: confidence of the Mann–Whitney U test; a difference counts when p < 1 − confidence. Default 0.98 (Kayenta's).").optional(),
    direction: z.enum(['increase', 'decrease', 'either']).describe('compare: which change of the candidate against the baseline is bad (one-sided test for increase/decrease). Default either.').optional(),
    tolerance: z
      .number()
      .min(0, 'not negative')
      .describe("compare: relative effect size ignored even when significant: the candidate's median may differ from the baseline's by this share (0.1 = 10 %). Default 0.")
      .optional(),
    labelName: labelName('calibration: the label holding the true outcome of a labelled prediction. Default `label`.').optional(),
    positive: z.string().min(1).describe('calibration: the value of `labelName` for a positive outcome. Default "1".').optional(),
    binLabel: labelName("calibration with `counter`: the label holding a bin's upper edge. Default `bin`.").optional(),
    critical: z.boolean().default(false).describe('In a judged stage (`judge:`), a breach of this guardrail fails the stage whatever the score.'),
    failureCounting: z
      .enum(['consecutive', 'total'])
      .default('consecutive')
      .describe("How failures count towards `failureLimit`: consecutive (a pass resets the count) or total (every failure in the stage's bake counts, as Argo Rollouts counts them)."),
  };
}

/** A stage's `judge:` block. */
export const judgeSchema = z
  .strictObject({
    pass: z.number().min(0, 'from 0 to 100').max(100, 'from 0 to 100').describe('Score (0–100) at or above which the stage passes.'),
    marginal: z
      .number()
      .min(0, 'from 0 to 100')
      .max(100, 'from 0 to 100')
      .describe('Score below which the stage fails at once (rolls back); between marginal and pass, the stage pauses for a person at the end of its bake.'),
  })
  .describe(
    "Combines the stage's guardrails into one score, Kayenta-style: the share of judged guardrails that pass, in points out of 100. A `critical` guardrail's breach fails the stage alone. Without `judge`, each guardrail decides alone.",
  );

export type JudgeConfig = z.output<typeof judgeSchema>;
