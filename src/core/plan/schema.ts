import { z } from 'zod';
import { notifyTargetsSchema } from './notifySchema';
import { exportSchema } from './exportSchema';
import { guardrailKindFields, judgeSchema } from './guardrailKinds';

import { DEPLOYMENT_TYPE_DESCRIPTION, deploymentBackendSchemas } from '../backends/planSchemas';
import { SECRET_NAME_PATTERN, SECRET_NAME_RULE } from '../secrets';
import { duration, parseDuration } from './durations';
import { flagSchemas } from './flagsSchema';

/**
 * The `rollgate/v1` rollout plan schema. Every field carries a `.describe()` text: hover, the
 * README's format reference and the exported JSON Schema all read it from here, so this file is
 * the single source of truth for the plan format.
 */

export const API_VERSION = 'rollgate/v1';

export { DURATION_PATTERN, parseDuration } from './durations';
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

const name = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN, "a name of lower-case letters, digits, '.', '_' or '-' (at most 64 characters), starting and ending with a letter or digit")
    .describe(`${what}: lower-case letters, digits, '.', '_' and '-'.`);

/**
 * A duration used as a timer, with bounds: Node fires a timer above 2^31-1 ms (about 24.8 days)
 * at once, so an unbounded `timeout: 600h` failed every call in 1 ms; a zero interval measured
 * without pause.
 */
const boundedDuration = (description: string, bounds: { min?: string; max?: string }) =>
  duration(description).refine(
    (text) => {
      const millis = parseDuration(text);
      if (millis === undefined) return true; // the pattern reports it
      return (bounds.min === undefined || millis >= parseDuration(bounds.min)!) && (bounds.max === undefined || millis <= parseDuration(bounds.max)!);
    },
    { message: [bounds.min ? `at least ${bounds.min}` : '', bounds.max ? `at most ${bounds.max}` : ''].filter(Boolean).join(' and ') },
  );

const percent = (description: string) => z.number().min(0, 'a percentage from 0 to 100').max(100, 'a percentage from 0 to 100').describe(description);

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
    digest: z.string().regex(DIGEST_PATTERN, "a digest 'sha256:' followed by 64 lower-case hex digits").describe('Content digest of the artifact, `sha256:` and 64 hex digits: proves which bytes were deployed.'),
  })
  .describe('One deployable model version.');

export const metadataSchema = z
  .strictObject({
    name: name('Plan name').describe('Name of this rollout plan, unique in the repository.'),
    service: name('Service name').describe('Service on the deployment endpoint that serves the model.'),
    owner: z.string().min(1).optional().describe('Team or person accountable for this rollout.'),
    environment: z.enum(['dev', 'test', 'staging', 'prod']).describe('Environment the plan targets. `prod` plans must pass a shadow or canary stage before full traffic.'),
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
            digest: z.string().regex(DIGEST_PATTERN, "a digest 'sha256:' followed by 64 lower-case hex digits").optional().describe('Content digest of the snapshot.'),
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
      timeout: boundedDuration(`How long one request to the ${what} may take, e.g. 10s (100ms to 1h).`, { min: '100ms', max: '1h' }).optional(),
    })
    .describe(`The ${what}.`);

export const { flagEndpointSchema, flagSchema } = flagSchemas({ secretRef: secretRefSchema, duration, url });
/** `endpoints.deployment` without a `type`, or with `type: rollgate`: the Rollgate deployment API. */
export const rollgateDeploymentSchema = z
  .strictObject({
    type: z.literal('rollgate').default('rollgate').describe(DEPLOYMENT_TYPE_DESCRIPTION),
    ...endpointSchema('deployment endpoint (Rollgate deployment API)').shape,
  })
  .describe('The deployment endpoint (Rollgate deployment API).');

/** Where traffic is changed: one of the deployment backends, told apart by `type`. */
export const deploymentEndpointSchema = z
  .discriminatedUnion('type', [rollgateDeploymentSchema, ...deploymentBackendSchemas])
  .describe('Where traffic is changed: the Rollgate deployment API (the default) or another deployment backend chosen by `type`.');

export const endpointsSchema = z
  .strictObject({
    deployment: deploymentEndpointSchema,
    metrics: endpointSchema('metric endpoint (Prometheus HTTP API)'),
    flags: flagEndpointSchema.optional(),
  })
  .describe('Where traffic is changed, where metrics are read and, for plans with flags, where feature flags live.');

export const guardrailSchema = z
  .strictObject({
    name: name('Guardrail name').describe('Name stages use to refer to this guardrail.'),
    description: z.string().optional().describe('What this guardrail protects against.'),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        "threshold, compare: PromQL query returning one number. `{{version}}` stands for the version under test (the baseline's in the baseline half of a relative check); `{{candidate.version}}`, `{{baseline.version}}`, `{{metadata.service}}`, `{{metadata.name}}` and `{{model.name}}` are available too. Any other placeholder is an error.",
      ),
    min: z.number().optional().describe('The measurement fails when it is below this value.'),
    max: z.number().optional().describe('The measurement fails when it is above this value (drift: the PSI or Jensen–Shannon value, default by method; calibration: the expected calibration error).'),
    relativeTo: z.enum(['baseline']).optional().describe('Compare against the same query run for the baseline version; use with maxRatio/minRatio.'),
    maxRatio: z.number().positive().optional().describe('Fails when candidate / baseline is above this ratio (needs relativeTo: baseline).'),
    minRatio: z.number().positive().optional().describe('Fails when candidate / baseline is below this ratio (needs relativeTo: baseline).'),
    interval: boundedDuration('How often the guardrail is measured while a stage bakes (1s to 1h).', { min: '1s', max: '1h' }).default('30s'),
    failureLimit: z.number().int('a whole number').min(1, 'at least 1').default(1).describe('Consecutive failed measurements that make a breach.'),
    onNoData: z.enum(['fail', 'pass', 'inconclusive']).default('inconclusive').describe('What a query that returns no data means. `inconclusive` pauses the rollout for a human.'),
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
    bake: boundedDuration('How long the stage runs, measuring its guardrails, before it can be promoted (at most 168h, a week).', { max: '168h' }).optional(),
    guardrails: z.array(z.string().min(1)).optional().describe('Names of the guardrails that gate this stage.'),
    approval: z.enum(['manual', 'auto']).default('auto').describe('manual: a person approves before the next stage; auto: promote when the bake passes.'),
    final: z.boolean().optional().describe('Marks the last traffic stage when a plan deliberately stops below 100 percent.'),
    judge: judgeSchema.optional(),
  })
  .describe('One step of the rollout.');

export const rollbackSchema = z
  .strictObject({
    to: z.string().min(1).default('baseline').describe('Version to roll back to: `baseline` (the declared baseline) or an explicit version.'),
    automatic: z.boolean().default(true).describe('Roll back without asking when a guardrail is breached; otherwise pause.'),
  })
  .describe('What happens when a guardrail is breached.');

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
    flags: z
      .array(flagSchema)
      .optional()
      .describe(
        'Feature flags that ship with the candidate, on the flag service of `endpoints.flags`: switched to their `default` when the rollout starts, moved with traffic when `followTraffic`, and put back by a rollback as `onRollback` says, in the same ledger entry as the traffic.',
      ),
    notify: notifyTargetsSchema({ url, duration, secretRef: secretRefSchema, name }).optional(),
    export: exportSchema.optional(),
  })
  .describe('A Rollgate rollout plan: how a model version goes from offline checks to full traffic, and how it rolls back.');

/** A plan after schema validation, defaults applied. */
export type Plan = z.output<typeof planSchema>;
export type Guardrail = z.output<typeof guardrailSchema>;
export type Stage = z.output<typeof stageSchema>;
export type ModelVersion = z.output<typeof modelVersionSchema>;
export type SecretRef = z.output<typeof secretRefSchema>;
export type NotifyTarget = NonNullable<Plan['notify']>[number];
export type FlagEndpoint = z.output<typeof flagEndpointSchema>;
export type PlanFlag = z.output<typeof flagSchema>;
export type DeploymentEndpoint = z.output<typeof deploymentEndpointSchema>;
/** The deployment backends a plan can name in `endpoints.deployment.type`. */
export type DeploymentType = DeploymentEndpoint['type'];
