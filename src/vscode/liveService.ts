import * as vscode from 'vscode';

import { errorMessage } from '../core/errors';
import { toPanelLive } from '../core/panel/live';
import type { PanelLive } from '../core/panel/protocol';
import type { Plan } from '../core/plan/schema';
import { connectDeployment } from '../core/rollout/index';
import { SecretNotSetError } from '../core/secrets';
import { editorSecretResolver, missingSecretHint } from './secrets';

/** How often the panel's live picture is read while the panel is visible. */
const LIVE_INTERVAL_MS = 2000;

/**
 * Reads the selected plan's service from its deployment endpoint every {@link LIVE_INTERVAL_MS}
 * while the panel is visible (never in an untrusted folder: a read sends the plan's token), so
 * the panel shows traffic, stable version, phase and digests even when no rollout runs. One read
 * at a time; a read of a plan no longer selected is dropped.
 */
export class LiveService implements vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changeEmitter.event;
  live: PanelLive | undefined;
  problem: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private shownKey = '';

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly selectedPlan: () => Plan | undefined,
  ) {}

  /** Starts or stops the periodic reads (the panel calls this as it shows or hides). */
  setWatching(watching: boolean): void {
    if (watching && !this.timer) {
      this.timer = setInterval(() => void this.refresh(), LIVE_INTERVAL_MS);
      void this.refresh();
    } else if (!watching && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Reads now (after an action, a plan change); joins a read in flight. */
  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<void> {
    const plan = this.selectedPlan();
    if (!plan) return this.show(undefined, undefined);
    if (!vscode.workspace.isTrusted) return this.show(undefined, vscode.l10n.t("Live state is read only in a trusted folder (the read sends the plan's token)."));
    this.abort = new AbortController();
    const timeout = setTimeout(() => this.abort?.abort(), 10_000);
    try {
      const { deployment } = await connectDeployment(plan, editorSecretResolver(this.secrets));
      if (!deployment.readService) return this.show(undefined, vscode.l10n.t('The deployment endpoint {0} does not report live state.', plan.endpoints.deployment.url));
      const state = await deployment.readService(this.abort.signal);
      // The selection may have moved on while the read was out.
      if (this.selectedPlan() !== plan) return;
      this.show(toPanelLive(state, plan, { readAt: new Date(), target: deployment.target }), undefined);
    } catch (error) {
      if (this.selectedPlan() !== plan) return;
      const reason = error instanceof SecretNotSetError ? vscode.l10n.t('The plan needs the secret "{0}". {1}', error.secretName, missingSecretHint(error.secretName)) : errorMessage(error);
      this.show(undefined, vscode.l10n.t('Cannot read {0} from {1}: {2}', plan.metadata.service, plan.endpoints.deployment.url, reason));
    } finally {
      clearTimeout(timeout);
      this.abort = undefined;
    }
  }

  private show(live: PanelLive | undefined, problem: string | undefined): void {
    // Only a change redraws the panel (readAt alone is not one).
    const key = JSON.stringify([live ? { ...live, readAt: '' } : undefined, problem]);
    this.live = live;
    this.problem = problem;
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.changeEmitter.fire();
  }

  dispose(): void {
    this.setWatching(false);
    this.abort?.abort();
    this.changeEmitter.dispose();
  }
}
