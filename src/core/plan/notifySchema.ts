import { z } from 'zod';

/**
 * The plan's `notify:` block: webhooks told about a rollout's events, and confirm-promotion gates
 * (Flagger's sense) that a rollout asks before promoting a stage. Built from the schema's own
 * primitives, passed in by `schema.ts`, so this file does not import it back (no import cycle).
 * Rules across fields (exactly one URL, gate-only fields, known stages) are in `notifyRules.ts`.
 */

/** Rollout events a notification target can subscribe to. */
export const NOTIFY_EVENTS = ['start', 'promote', 'pause', 'breach', 'rollback', 'rollback-failed', 'end'] as const;
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number];

export const NOTIFY_TYPES = ['event', 'confirm-promotion'] as const;
export const NOTIFY_FORMATS = ['json', 'slack'] as const;

/** Defaults applied by the sender and the gate (not by the schema, so rules can see what was written). */
export const NOTIFY_DEFAULTS = { timeout: '5s', retries: 3, format: 'json', gateInterval: '10s', gateMaxWait: '30m' } as const;

export interface NotifySchemaParts {
  /** An http(s) URL string. */
  url: (description: string) => z.ZodType<string>;
  /** A duration string such as `30s`. */
  duration: (description: string) => z.ZodType<string>;
  /** `{ secret: name }`. */
  secretRef: z.ZodType<{ secret: string }>;
  /** A lower-case name. */
  name: (what: string) => z.ZodType<string>;
}

/** The `notify:` list, built from the plan schema's primitives. */
export function notifyTargetsSchema(parts: NotifySchemaParts) {
  const target = z
    .strictObject({
      name: parts.name('Target name').optional().describe('Name of the target in the ledger, messages and reports. Default: `notify-<index>`.'),
      type: z
        .enum(NOTIFY_TYPES)
        .default('event')
        .describe(
          '`event`: a webhook told about the events it lists, after they are recorded. `confirm-promotion`: a gate the rollout asks before promoting a stage; it promotes once the URL answers 2xx, and pauses if it has not by `maxWait`.',
        ),
      url: parts.url('Where to POST: an http:// or https:// URL. Use `urlSecret` instead when the URL itself is a secret (a Slack incoming webhook).').optional(),
      urlSecret: parts.secretRef.optional().describe('The URL as a secret reference, for webhooks whose URL is the credential (Slack incoming webhooks). Give either `url` or `urlSecret`.'),
      events: z
        .array(z.enum(NOTIFY_EVENTS))
        .min(1, 'a list of at least one event')
        .optional()
        .describe('Events to send (event targets): start, promote, pause, breach, rollback, rollback-failed, end. Default: all of them.'),
      format: z.enum(NOTIFY_FORMATS).optional().describe("`json`: Rollgate's notification document. `slack`: a Slack incoming-webhook message (a `text` summary and blocks). Default: json."),
      headers: z
        .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name'), parts.secretRef)
        .optional()
        .describe('Extra request headers; each value is a secret reference (`X-Api-Key: { secret: hook-key }`), resolved when the request is sent.'),
      timeout: parts.duration('How long one request may take. Default: 5s.').optional(),
      retries: z
        .number()
        .int('a whole number')
        .min(0, 'at least 0')
        .max(10, 'at most 10')
        .optional()
        .describe('Further attempts after a failed delivery (connection error, timeout, 5xx, 429), with exponential backoff (event targets). Default: 3.'),
      stages: z.array(z.string().min(1)).optional().describe('Confirm-promotion gates: the stages whose promotion waits for the gate. Default: every stage.'),
      interval: parts.duration('Confirm-promotion gates: how often to ask again while the gate holds. Default: 10s.').optional(),
      maxWait: parts.duration('Confirm-promotion gates: how long to hold a promotion before the rollout pauses for a person. Default: 30m.').optional(),
    })
    .describe('A webhook told about rollout events, or a gate asked before each promotion.');
  return z.array(target).describe('Webhooks notified of rollout events (after each is recorded in the ledger) and confirm-promotion gates.');
}
