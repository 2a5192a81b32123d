// The rollout controller's dialogs and the messages it shows when core refuses an action.
import { userInfo } from 'node:os';
import * as vscode from 'vscode';

import { trafficText } from '../core/panel/model';
import type { Plan } from '../core/plan/schema';
import { createDeploymentBackend, DrillNotPossibleError, LockHeldError, RolloutConflictError, StoredStateUnreadableError, type DiscardQuestion, type TrafficState } from '../core/rollout/index';
import { SecretNotSetError } from '../core/secrets';
import { missingSecretHint } from './secrets';

/** An error whose message is for the person (not logged as a fault of Rollgate). */
export class UserFacingError extends Error {}

/** `vscode:<user>`, the actor the editor records. */
export function actorName(): string {
  try {
    return `vscode:${userInfo().username}`;
  } catch {
    return 'vscode';
  }
}

/** Asked by `openRollout` after it holds the service lock, before stored state is discarded; throws when declined. */
export async function confirmDiscard(question: DiscardQuestion, service: string): Promise<void> {
  const discard = vscode.l10n.t('Discard and start');
  const message =
    question.kind === 'unfinished'
      ? vscode.l10n.t('{0} has an unfinished rollout of plan {1} ({2}).', question.stored.service, question.stored.planName, question.stored.status)
      : vscode.l10n.t('The stored rollout state of {0} cannot be read ({1}).', service, question.reason);
  const detail = vscode.l10n.t('Starting this plan discards that rollout state (the ledger keeps its history). Traffic stays as it is until this rollout sets it.');
  if ((await vscode.window.showWarningMessage(message, { modal: true, detail }, discard)) !== discard) {
    throw new UserFacingError(vscode.l10n.t('Not started: a rollout of {0} is unfinished.', service));
  }
}

/**
 * "Roll back now": asks for a reason (optional; Escape cancels, nothing is sent yet), then
 * "Roll back now?" with what will be sent and the reason. Returns the reason, or '' when none
 * was given; throws when cancelled.
 */
export async function confirmRollback(plan: Plan, to: string, traffic: TrafficState | undefined): Promise<string> {
  const rollBack = vscode.l10n.t('Roll back now');
  const typed = await vscode.window.showInputBox({
    title: vscode.l10n.t('Roll back {0} to version {1}', plan.metadata.service, to),
    prompt: vscode.l10n.t('Why? Optional, recorded in the ledger with the rollback. Enter to go on, Escape to cancel.'),
    placeHolder: vscode.l10n.t('e.g. error rate up after 42, pager INC-123'),
    ignoreFocusOut: true,
  });
  if (typed === undefined) throw new UserFacingError(vscode.l10n.t('Rollback cancelled.'));
  const reason = typed.trim();
  const current = trafficText(traffic) || vscode.l10n.t('unknown');
  // The backend says how its rollback is sent (the Rollgate API's POST, HAProxy's set-weight line).
  const request = createDeploymentBackend({ plan }).rollbackRequest(to);
  const detail = [
    vscode.l10n.t('Sends one rollback ({0}): all traffic goes to {1}. The action is recorded in the ledger. Current traffic: {2}.', request, to, current),
    reason ? vscode.l10n.t('Reason: {0}', reason) : vscode.l10n.t('No reason given.'),
  ].join('\n');
  const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Roll back {0} to version {1} now?', plan.metadata.service, to), { modal: true, detail }, rollBack);
  if (answer !== rollBack) throw new UserFacingError(vscode.l10n.t('Rollback cancelled.'));
  return reason;
}

/** What the person is told when core refuses to start (or roll back) before anything was sent. */
export function refusal(error: unknown, plan: Plan): unknown {
  if (error instanceof SecretNotSetError) return new UserFacingError(vscode.l10n.t('The plan needs the secret "{0}". {1}', error.secretName, missingSecretHint(error.secretName)));
  if (error instanceof DrillNotPossibleError) {
    if (error.reason === 'not-local') return new UserFacingError(vscode.l10n.t('A drill injects a fault and runs only against rollgate dev on this machine; this plan points at {0}.', plan.endpoints.deployment.url));
    if (error.reason === 'no-stage') return new UserFacingError(vscode.l10n.t('The plan has no stage with guardrails to drill.'));
    return new UserFacingError(error.message);
  }
  if (error instanceof LockHeldError || error instanceof RolloutConflictError || error instanceof StoredStateUnreadableError) return new UserFacingError(error.message);
  return error;
}
