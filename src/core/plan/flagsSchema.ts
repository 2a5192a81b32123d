import { z } from 'zod';

import { flagProviderCapabilities, type FlagProviderType } from '../flags/capabilities';
import type { secretRefSchema } from './schema';

/**
 * The plan's feature flags: `endpoints.flags` (the flag service) and the `flags` list. Kept apart
 * from schema.ts so a new flag provider changes this file only. schema.ts calls
 * {@link flagSchemas} with its shared parts (secret references, durations, URLs), so the two
 * files describe those the same way without importing each other at load time.
 */

/** Flag providers Rollgate can drive; each has one implementation in `src/core/flags/`. */
export const FLAG_PROVIDER_TYPES = Object.keys(flagProviderCapabilities) as [FlagProviderType, ...FlagProviderType[]];

/**
 * Unleash names (flags, projects, environments) must be URL-friendly: what
 * `encodeURIComponent` leaves unchanged, 1 to 100 characters, and never `.` or `..`.
 */
const URL_FRIENDLY = /^(?!\.\.?$)[A-Za-z0-9\-_.!~*'()]{1,100}$/;

const urlFriendly = (what: string, description: string) => z.string().regex(URL_FRIENDLY, `${what}: letters, digits and - _ . ! ~ * ' ( ) (1 to 100 characters, as Unleash allows)`).describe(description);

/** The schema parts flags share with the rest of the plan. */
export interface SharedSchemaParts {
  secretRef: typeof secretRefSchema;
  duration: (description: string) => z.ZodString;
  url: (description: string) => z.ZodURL;
}

/** Builds the `endpoints.flags` and `flags[]` schemas from the plan's shared parts. */
export function flagSchemas(shared: SharedSchemaParts) {
  const flagEndpointSchema = z
    .strictObject({
      type: z.enum(FLAG_PROVIDER_TYPES).describe('Which flag service this is. `unleash`: Unleash (open source or hosted), through its admin API.'),
      url: shared.url('Base URL of the flag service, e.g. http://127.0.0.1:4242 for Unleash (without `/api`).'),
      token: shared.secretRef.describe("The flag service's API token, as a secret reference. For Unleash: an admin API token, or a personal access token whose user may change flags in the project and environment."),
      project: urlFriendly('a project id', 'Unleash project holding the flags.').default('default'),
      environment: urlFriendly('an environment name', 'Unleash environment whose flag state the rollout changes, e.g. production.'),
      timeout: shared.duration('How long one request to the flag service may take, e.g. 5s. A slow flag service never delays a traffic rollback.').optional(),
    })
    .describe('The feature-flag service whose flags move with the rollout and are restored on a rollback.');

  const flagSchema = z
    .strictObject({
      name: urlFriendly('a flag name', 'Name of the flag in the flag service (Unleash: the feature flag name).'),
      default: z.enum(['on', 'off']).describe('State of the flag when the candidate starts: the rollout switches the flag to this before its first stage.'),
      followTraffic: z
        .boolean()
        .default(false)
        .describe(
          "When true, the flag's gradual-rollout percentage follows the candidate's traffic: each stage turns it on at that stage's traffic percentage (Unleash: the `rollout` of its `flexibleRollout` strategy, created when missing).",
        ),
      onRollback: z
        .enum(['restore', 'off', 'on'])
        .default('restore')
        .describe('What a rollback does to the flag, in the same ledger entry as the traffic: `restore` puts back the state recorded when the rollout started (on/off and percentage), `off` or `on` switch it.'),
      description: z.string().optional().describe('What the flag switches.'),
    })
    .describe('A feature flag that travels with the candidate.');

  return { flagEndpointSchema, flagSchema };
}
