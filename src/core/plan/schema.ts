import { z } from 'zod';
import { exportSchema } from './exportSchema';
import { guardrailKindFields, judgeSchema } from './guardrailKinds';

import { SECRET_NAME_PATTERN, SECRET_NAME_RULE } from '../secrets';

/**
 * The `rollgate/v1` rollout plan schema. Every field carries a `.describe()` text: hover, the
 * README's format reference and the exported JSON Schema all read it from here, so this file is
 * the single source of truth for the plan format.
 */

export const API_VERSION = 'rollgate/v1';

/** `30s`, `10m`, `1h30m`, `250ms`: units from largest to smallest, each at most once, never empty. */
export const DURATION_PATTERN = /^(?=\d)(?:\d+h)?(?:\d+m(?!s))?(?:\d+s)?(?:\d+ms)?$/;
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Parses a duration such as `1h30m` into milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|h|m|s)/g)) total += Number(match[1]) * units[match[2]!]!;
  return total;
}

const name = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN, "a name of lower-case letters, digits, '.', '_' or '-' (at most 64 characters), starting and ending with a letter or digit")
    .describe(`${what}: lower-case letters, digits, '.', '_' and '-'.`);

const duration = (description: string) =>
  // A regex rather than a refine, so the exported JSON Schema carries the pattern too.
  z.string().regex(DURATION_PATTERN, "a duration such as '30s', '10m', '1h' or '1h30m'").describe(description);

const percent = (description: string) =>
  z.number().min(0, 'a percentage from 0 to 100').max(100, 'a percentage from 0 to 100').describe(description);

const url = (description: string) =>
  // z.url (not a refine) so the exported JSON Schema says `format: uri`.
  z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).describe(description);

export const secretRefSchema = z
  .strictObject({
    secret: z
      .string()
      .regex(SECRET_NAME_PATTERN, `a secret name: ${SECRET_NAME_RULE}`)
      .describe(
        `Name of the secret (${SECRET_NAME_RULE}). The editor resolves it from VS Code secret storage, then like the CLI from the environment variable ROLLGATE_SECRET_<NAME> (upper case, every other character as '_').`,
      ),
  })
  .describe('A reference to a secret, resolved only when a request is sent. Never put the value itself in a plan.');

export const modelVersionSchema = z
  .strictObject({
    version: z.string().min(1).describe('Version label the deployment endpoint knows this model by, e.g. "42".'),
    artifact: z.string().min(1).describe('Where the model artifact lives, e.g. s3://models/churn/42.'),
    digest: z
      .string()
      .regex(DIGEST_PATTERN, "a digest 'sha256:' followed by 64 lower-case hex digits")
      .describe('Content digest of the artifact, `sha256:` and 64 hex digits: proves which bytes were deployed.'),
  })
  .describe('One deployable model version.');

export const metadataSchema = z
  .strictObject({
    name: name('Plan name').describe('Name of this rollout plan, unique in the repository.'),
    service: name('Service name').describe('Service on the deployment endpoint that serves the model.'),
    owner: z.string().min(1).optional().describe('Team or person accountable for this rollout.'),
    environment: z
      .enum(['dev', 'test', 'staging', 'prod'])
      .describe('Environment the plan targets. `prod` plans must pass a shadow or canary stage before full traffic.'),
    description: z.string().optional().describe('Free text shown in the side panel.'),
    labels: z.record(z.string(), z.string()).optional().describe('Free-form key/value labels, copied to ledger entries.'),
  })
  .describe('What is rolled out, where, and who owns it.');

export const modelSchema = z
  .strictObject({
    name: z.string().min(1).describe('Model name, e.g. churn.'),
    candidate: modelVersionSchema.describe('The new version being rolled out.'),
    baseline: modelVersionSchema.describe('The declared known-good version to roll back to.'),
  })
  .describe('The candidate version and the known-good baseline it replaces.');

export const lineageSchema = z
  .strictObject({
    data: z
      .array(
        z
          .strictObject({
            name: z.string().min(1).describe('Data set name.'),
            snapshot: z.string().optional().describe('Snapshot or partition used, e.g. a date.'),
            uri: z.string().optional().describe('Where the snapshot lives.'),
            digest: z
              .string()
              .regex(DIGEST_PATTERN, "a digest 'sha256:' followed by 64 lower-case hex digits")
              .optional()
              .describe('Content digest of the snapshot.'),
          })
          .describe('A data set the candidate was trained on.'),
      )
      .optional()
      .describe('Training and evaluation data the candidate came from.'),
    features: z
      .array(
        z
          .strictObject({
            name: z.string().min(1).describe('Feature set or feature view name.'),
            version: z.string().min(1).describe('Feature set version.'),
          })
          .describe('A feature set the candidate reads.'),
      )
      .optional()
      .describe('Feature sets the candidate depends on.'),
    training: z
      .strictObject({
        run: z.string().min(1).describe('Training run id, e.g. from the experiment tracker.'),
        commit: z.string().optional().describe('Source commit of the training code.'),
        pipeline: z.string().optional().describe('Pipeline that produced the model.'),
      })
      .optional()
      .describe('The training run that produced the candidate.'),
  })
  .describe('Where the candidate came from: data, features, training run. Recorded with every ledger entry.');

export const endpointSchema = (what: string) =>
  z
    .strictObject({
      url: url(`Base URL of the ${what}.`),
      token: secretRefSchema.optional().describe(`Bearer token for the ${what}, as a secret reference.`),
      timeout: duration(`How long one request to the ${what} may take, e.g. 10s.`).optional(),
    })
    .describe(`The ${what}.`);

export const endpointsSchema = z
  .strictObject({
    deployment: endpointSchema('deployment endpoint (Rollgate deployment API)'),
    metrics: endpointSchema('metric endpoint (Prometheus HTTP API)'),
  })
  .describe('Where traffic is changed and where metrics are read.');

export const guardrailSchema = z
  .strictObject({
    name: name('Guardrail name').describe('Name stages use to refer to this guardrail.'),
    description: z.string().optional().describe('What this guardrail protects against.'),
    query: z
      .string()
      .min(1)
      .optional()
      .describe('threshold, compare: PromQL query returning one number. `{{version}}` stands for the version under test (the baseline\'s in the baseline half of a relative check); `{{candidate.version}}`, `{{baseline.version}}`, `{{metadata.service}}`, `{{metadata.name}}` and `{{model.name}}` are available too. Any other placeholder is an error.'),
    min: z.number().optional().describe('The measurement fails when it is below this value.'),
    max: z.number().optional().describe('The measurement fails when it is above this value (drift: the PSI or Jensen–Shannon value, default by method; calibration: the expected calibration error).'),
    relativeTo: z
      .enum(['baseline'])
      .optional()
      .describe('Compare against the same query run for the baseline version; use with maxRatio/minRatio.'),
    maxRatio: z.number().positive().optional().describe('Fails when candidate / baseline is above this ratio (needs relativeTo: baseline).'),
    minRatio: z.number().positive().optional().describe('Fails when candidate / baseline is below this ratio (needs relativeTo: baseline).'),
    interval: duration('How often the guardrail is measured while a stage bakes.').default('30s'),
    failureLimit: z
      .number()
      .int('a whole number')
      .min(1, 'at least 1')
      .default(1)
      .describe('Consecutive failed measurements that make a breach.'),
    onNoData: z
      .enum(['fail', 'pass', 'inconclusive'])
      .default('inconclusive')
      .describe('What a query that returns no data means. `inconclusive` pauses the rollout for a human.'),
    dryRun: z.boolean().default(false).describe('Measure and record, but never decide (for trying a new guardrail).'),
    ...guardrailKindFields(duration),
  })
  .describe('A metric check that gates stages.');

export const stageSchema = z
  .strictObject({
    name: name('Stage name').describe('Name of the stage, unique in the plan.'),
    kind: z
      .enum(['offline', 'shadow', 'canary', 'blue-green', 'full'])
      .describe('offline: checks before any traffic; shadow: mirror traffic, answers discarded; canary: a share of live traffic; blue-green: switch all traffic at once; full: 100 percent.'),
    traffic: percent('Percent of live traffic the candidate receives in this stage.').optional(),
    mirror: percent('Percent of live traffic copied to the candidate (shadow), its answers discarded.').optional(),
    bake: duration('How long the stage runs, measuring its guardrails, before it can be promoted.').optional(),
    guardrails: z.array(z.string().min(1)).optional().describe('Names of the guardrails that gate this stage.'),
    approval: z
      .enum(['manual', 'auto'])
      .default('auto')
      .describe('manual: a person approves before the next stage; auto: promote when the bake passes.'),
    final: z
      .boolean()
      .optional()
      .describe('Marks the last traffic stage when a plan deliberately stops below 100 percent.'),
    judge: judgeSchema.optional(),
  })
  .describe('One step of the rollout.');

export const rollbackSchema = z
  .strictObject({
    to: z
      .string()
      .min(1)
      .default('baseline')
      .describe('Version to roll back to: `baseline` (the declared baseline) or an explicit version.'),
    automatic: z.boolean().default(true).describe('Roll back without asking when a guardrail is breached; otherwise pause.'),
  })
  .describe('What happens when a guardrail is breached.');

export const flagSchema = z
  .strictObject({
    name: z.string().min(1).describe('Feature flag name.'),
    default: z.enum(['on', 'off']).describe('State of the flag when the candidate starts.'),
    description: z.string().optional().describe('What the flag switches.'),
  })
  .describe('A feature flag that travels with the candidate.');

export const planSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION).describe(`Plan format version; always \`${API_VERSION}\`.`),
    kind: z.literal('RolloutPlan').describe('Always `RolloutPlan`.'),
    metadata: metadataSchema,
    model: modelSchema,
    lineage: lineageSchema.optional(),
    endpoints: endpointsSchema,
    guardrails: z.array(guardrailSchema).default([]).describe('Metric checks, referred to by name from stages.'),
    stages: z.array(stageSchema).min(1, 'a list of at least one stage').describe('The ordered stages of the rollout.'),
    rollback: rollbackSchema.default({ to: 'baseline', automatic: true }),
    flags: z.array(flagSchema).optional().describe('Feature flags that ship with the candidate.'),
    export: exportSchema.optional(),
  })
  .describe('A Rollgate rollout plan: how a model version goes from offline checks to full traffic, and how it rolls back.');

/** A plan after schema validation, defaults applied. */
export type Plan = z.output<typeof planSchema>;
export type Guardrail = z.output<typeof guardrailSchema>;
export type Stage = z.output<typeof stageSchema>;
export type ModelVersion = z.output<typeof modelVersionSchema>;
export type SecretRef = z.output<typeof secretRefSchema>;
