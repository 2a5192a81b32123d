import { z } from 'zod';
import { ROLLOUT_ACTIONS, type ViewMessage } from './protocol';

/** Plan ids the host issues: `plan-<n>`. Anything else is not ours. */
export const PLAN_ID_PATTERN = /^plan-\d{1,6}$/;

const viewMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  z.strictObject({ type: z.literal('selectPlan'), planId: z.string().regex(PLAN_ID_PATTERN) }),
  z.strictObject({ type: z.literal('action'), action: z.enum(ROLLOUT_ACTIONS) }),
  z.strictObject({ type: z.literal('showMoreChangelog'), beforeSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }),
  z.strictObject({ type: z.literal('openSource'), seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
]);

/** Result of checking one inbound webview message: the message, or why it was refused. */
export type ViewMessageCheck = { ok: true; message: ViewMessage } | { ok: false; problem: string };

/**
 * Validates a message posted by the webview. Never throws: a message that does not match the
 * protocol exactly (unknown type, extra keys, a plan id the host could not have issued) is refused
 * with a short reason for the log; the reason never echoes the message's strings.
 */
export function parseViewMessage(value: unknown): ViewMessageCheck {
  const result = viewMessageSchema.safeParse(value);
  if (result.success) return { ok: true, message: result.data };
  const problem = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'message'}: ${issue.code}`)
    .join('; ');
  return { ok: false, problem };
}
