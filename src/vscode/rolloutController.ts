import * as path from 'node:path';
import * as vscode from 'vscode';

import { errorMessage } from '../core/errors';
import type { RecordLocation } from '../core/ledger/index';
import { rolloutStatusLine, toPanelRollout, trafficText } from '../core/panel/model';
import { ROLLOUT_ACTIONS, type PanelChangelog, type PanelNotice, type PanelPlanChoice, type PanelState, type PanelTimeline, type ReportExportFormat, type RolloutAction } from '../core/panel/protocol';
import type { Plan } from '../core/plan/schema';
import { describeDevFaults, openRollout, rollBackPlan, rollbackTarget, type OpenedRollout, type RolloutEngine, type RolloutSnapshot } from '../core/rollout/index';
import { ChangelogPages } from './changelogPages';
import { LiveService } from './liveService';
import { editorRecordFor, workspaceRecord } from './recordLocation';
import { actorName, confirmDiscard, confirmRollback, refusal, UserFacingError } from './rolloutDialogs';
import { RunReports } from './runReports';
import { editorSecretResolver } from './secrets';
import { WorkspacePlans, type LoadedPlan } from './workspacePlans';

interface ActiveRun {
  opened: OpenedRollout;
  engine: RolloutEngine;
  plan: Plan;
  drill: boolean;
  /** Where its ledger and state live (the plan's record root). */
  record: RecordLocation;
  done: Promise<void>;
}

/** The outcome of a rollout command, returned to callers of `executeCommand` (automation, tests). */
export interface RolloutCommandResult {
  ok: boolean;
  message: string;
  status?: string;
}

/**
 * The editor's rollout runner and the single source of truth for the side panel, the commands
 * and the status bar: the selected plan, the engine driving it (at most one per window), its
 * snapshot and the changelog. Opening a rollout and a manual rollback are core's
 * (`openRollout`, `rollBackPlan`); this class adds the dialogs and what the views show.
 */
export class RolloutController implements vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly changelogEmitter = new vscode.EventEmitter<{ reset: boolean }>();
  /** Fires when anything shown changed (state); listeners throttle. */
  readonly onDidChange = this.changeEmitter.event;
  /** Fires when the ledger may have new entries (`reset`: another plan, so another list). */
  readonly onDidChangeChangelog = this.changelogEmitter.event;

  private readonly plans: WorkspacePlans;
  /** The selected plan's service as its deployment endpoint serves it now. */
  readonly live: LiveService;
  private readonly changelogPages: ChangelogPages;
  private readonly reports: RunReports;
  private run: ActiveRun | undefined;
  /** Actions in flight (a rollback may overlap another action). */
  private readonly inFlight = new Set<RolloutAction>();
  private notice: PanelNotice | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly watchedLedgerFolders = new Set<string>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.plans = new WorkspacePlans(context, log);
    this.changelogPages = new ChangelogPages(log);
    this.reports = new RunReports(log);
    this.live = new LiveService(context.secrets, () => this.run?.plan ?? this.plans.loaded?.plan);
    const ledgerWatcher = vscode.workspace.createFileSystemWatcher('**/.rollgate/ledger.jsonl');
    this.disposables.push(
      this.changeEmitter,
      this.changelogEmitter,
      this.plans,
      this.live,
      this.live.onDidChange(() => this.changeEmitter.fire()),
      this.plans.onDidChange(({ reloaded }) => {
        this.changeEmitter.fire();
        if (reloaded) {
          this.changelogEmitter.fire({ reset: true });
          void this.live.refresh();
        }
      }),
      ledgerWatcher,
      ledgerWatcher.onDidChange(() => this.changelogEmitter.fire({ reset: false })),
      ledgerWatcher.onDidCreate(() => this.changelogEmitter.fire({ reset: true })),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changeEmitter.fire()),
    );
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
    // The engine's state is on disk; releasing the lock lets the CLI or a new window resume it.
    void this.run?.opened.close();
  }

  refreshPlans = (): Promise<void> => this.plans.refresh();
  selectPlan = (planId: string): Promise<boolean> => this.plans.select(planId);
  selectPlanUri = (uri: vscode.Uri): Promise<boolean> => this.plans.selectUri(uri);
  planChoices = (): { id: string; uri: vscode.Uri }[] => this.plans.choices();
  selectedPlanUri = (): vscode.Uri | undefined => this.plans.selectedUri();
  /** The plan the panel shows: the running rollout's, else the selected one when it is valid. */
  selectedPlan = (): Plan | undefined => this.run?.plan ?? this.plans.loaded?.plan;

  /** Watches a ledger outside the workspace folders too (the record root may be the repository above the opened folder). */
  private watchLedger(ledgerPath: string): void {
    const folder = path.dirname(ledgerPath);
    if (this.watchedLedgerFolders.has(folder)) return;
    this.watchedLedgerFolders.add(folder);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), path.basename(ledgerPath)));
    this.disposables.push(
      watcher,
      watcher.onDidChange(() => this.changelogEmitter.fire({ reset: false })),
      watcher.onDidCreate(() => this.changelogEmitter.fire({ reset: true })),
    );
  }

  /** The snapshot shown: the running engine's, else the stored one of the selected plan's service. */
  currentSnapshot(): RolloutSnapshot | undefined {
    if (this.run) return this.run.engine.snapshot();
    const { storedSnapshot, loaded } = this.plans;
    return storedSnapshot && loaded?.plan && storedSnapshot.service === loaded.plan.metadata.service ? storedSnapshot : undefined;
  }

  get isDriving(): boolean {
    return this.run !== undefined;
  }

  /** What the panel shows (the changelog travels separately). */
  panelState(): PanelState {
    const trusted = vscode.workspace.isTrusted;
    const snapshot = this.currentSnapshot();
    const status = snapshot?.status;
    const busy = this.inFlight.values().next().value;
    const loaded = this.plans.loaded;
    const canAct = trusted && busy === undefined && loaded?.plan !== undefined;
    const enabled: Record<RolloutAction, boolean> = {
      // Without an engine in this window, Start also picks up a stored unfinished rollout (resume, gate).
      start: canAct && !this.run,
      startDrill: canAct && !this.run,
      pause: canAct && (status === 'running' || status === 'waiting-approval') && this.run !== undefined,
      resume: canAct && status === 'paused',
      approve: canAct && status === 'waiting-approval' && this.run !== undefined,
      rollback: trusted && !this.inFlight.has('rollback') && (this.run !== undefined || loaded?.plan !== undefined) && status !== 'rolled-back',
    };
    const plans: PanelPlanChoice[] = this.plans.choices().map((plan) => {
      const choice: PanelPlanChoice = { id: plan.id, label: vscode.workspace.asRelativePath(plan.uri) };
      if (loaded?.plan && plan.id === this.plans.selectedId) choice.description = `${loaded.plan.metadata.service} · ${loaded.plan.metadata.environment}`;
      return choice;
    });
    const state: PanelState = { trusted, plans, enabled };
    if (this.plans.selectedId) state.selectedPlanId = this.plans.selectedId;
    if (loaded?.problem) state.planProblem = loaded.problem;
    if (snapshot) {
      state.rollout = toPanelRollout(snapshot, { guardrails: this.run?.plan.guardrails ?? loaded?.plan?.guardrails ?? [], driving: this.run !== undefined, drill: this.run?.drill ?? false });
    }
    if (busy) state.busy = busy;
    const service = this.run?.plan.metadata.service ?? loaded?.plan?.metadata.service;
    if (this.live.live && this.live.live.service === service) state.live = this.live.live;
    else if (this.live.problem && service) state.liveProblem = this.live.problem;
    if (!trusted)
      state.notice = {
        level: 'warning',
        text: vscode.l10n.t('This folder is not trusted: Rollgate shows plans and the changelog but runs no rollout action. Trust the folder (Workspaces: Manage Workspace Trust) to start, pause, approve or roll back.'),
      };
    else if (this.notice) state.notice = this.notice;
    return state;
  }

  /** The status bar text for the running (or stored unfinished) rollout, if any. */
  statusText(): string | undefined {
    return rolloutStatusLine(this.currentSnapshot());
  }

  /** The timeline of the run the panel shows (the running one, or the stored one of the selected plan). */
  async timeline(): Promise<PanelTimeline> {
    const root = this.workspaceRoot();
    const ledgerPath = this.ledgerPath();
    if (!root || !ledgerPath) return { verified: true, rows: [], measurementEntries: 0, problem: vscode.l10n.t("Open a folder to see a run's timeline.") };
    return this.reports.timeline(ledgerPath, this.currentSnapshot()?.runId);
  }

  /** "Export report": writes the shown run's report (Markdown or HTML) into the workspace and opens it. */
  async exportReport(format: ReportExportFormat): Promise<RolloutCommandResult> {
    const root = this.workspaceRoot();
    const runId = this.currentSnapshot()?.runId;
    const ledgerPath = this.ledgerPath();
    if (!root || !runId || !ledgerPath) return { ok: false, message: vscode.l10n.t('No run to report: pick a plan that has run.') };
    try {
      const uri = await this.reports.export(ledgerPath, runId, format, root);
      const message = vscode.l10n.t('Report written to {0}.', vscode.workspace.asRelativePath(uri));
      this.notice = { level: 'info', text: message };
      return { ok: true, message };
    } catch (error) {
      const message = vscode.l10n.t('Could not export the report: {0}', errorMessage(error));
      this.notice = { level: 'error', text: message };
      void vscode.window.showErrorMessage(`Rollgate: ${message}`);
      return { ok: false, message };
    } finally {
      this.changeEmitter.fire();
    }
  }

  /** Opens the runbook cell or the plan stage that ledger entry `seq` came from. */
  async openSource(seq: number): Promise<RolloutCommandResult> {
    const record = this.selectedRecord();
    if (!record) return { ok: false, message: vscode.l10n.t('Open a folder first.') };
    const problem = await this.reports.openSource(
      record.ledgerPath,
      seq,
      record.root,
      this.plans.choices().map((choice) => choice.uri),
    );
    if (problem) void vscode.window.showWarningMessage(`Rollgate: ${problem}`);
    return problem ? { ok: false, message: problem } : { ok: true, message: vscode.l10n.t('Opened the source of entry #{0}.', seq) };
  }

  /** One page of the changelog of the selected plan's service, newest first (see {@link ChangelogPages}). */
  async changelog(mode: 'replace' | 'head' | 'append', beforeSeq?: number): Promise<PanelChangelog> {
    const record = this.selectedRecord();
    if (!record) return { mode: 'replace', entries: [], hasMore: false, source: '', problem: vscode.l10n.t('Open a folder to see its changelog.') };
    this.watchLedger(record.ledgerPath);
    return this.changelogPages.page(record.ledgerPath, this.plans.loaded?.plan?.metadata.service, mode, beforeSeq);
  }

  private workspaceRoot(): vscode.Uri | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  /** The ledger the panel shows: the selected plan's record (see {@link selectedRecord}). */
  private ledgerPath(): string | undefined {
    return this.selectedRecord()?.ledgerPath;
  }

  /** The record (ledger, state, locks) of the running rollout's plan, else of the selected plan, else of the workspace. */
  selectedRecord(): RecordLocation | undefined {
    if (this.run) return this.run.record;
    const uri = this.plans.loaded?.uri;
    return uri && uri.scheme === 'file' ? editorRecordFor(uri) : workspaceRecord();
  }

  // ---------------------------------------------------------------------------------------
  // Actions. Each re-checks trust and state; the view's enabled flags are only a hint.

  /** Runs one action and turns any failure into a notice and an error message. */
  async perform(action: RolloutAction, options: { confirmed?: boolean; reason?: string } = {}): Promise<RolloutCommandResult> {
    if (!ROLLOUT_ACTIONS.includes(action)) return { ok: false, message: 'unknown action' };
    if (!vscode.workspace.isTrusted) {
      const message = vscode.l10n.t('Rollgate runs no rollout action in an untrusted folder. Trust the folder first (Workspaces: Manage Workspace Trust).');
      void vscode.window.showWarningMessage(message);
      return { ok: false, message };
    }
    const busy = this.inFlight.values().next().value;
    if (action === 'rollback' ? this.inFlight.has('rollback') : busy !== undefined) {
      return { ok: false, message: vscode.l10n.t('Rollgate is still busy with "{0}"; try again when it is done.', busy ?? action) };
    }
    this.inFlight.add(action);
    this.notice = undefined;
    this.changeEmitter.fire();
    try {
      const message = await this.dispatch(action, options);
      this.notice = { level: 'info', text: message };
      const status = this.currentSnapshot()?.status;
      return { ok: true, message, ...(status ? { status } : {}) };
    } catch (error) {
      const message = errorMessage(error);
      this.notice = { level: 'error', text: message };
      if (!(error instanceof UserFacingError)) this.log.error(`Rollgate ${action} failed: ${message}`);
      void vscode.window.showErrorMessage(`Rollgate: ${message}`);
      return { ok: false, message };
    } finally {
      this.inFlight.delete(action);
      void this.live.refresh();
      this.changeEmitter.fire();
      this.changelogEmitter.fire({ reset: false });
    }
  }

  private async dispatch(action: RolloutAction, options: { confirmed?: boolean; reason?: string }): Promise<string> {
    switch (action) {
      case 'start':
      case 'startDrill':
        return this.start(action === 'startDrill');
      case 'pause': {
        const engine = this.requireEngine();
        if (!(await engine.pause(`paused by ${actorName()} in VS Code`, actorName()))) throw new UserFacingError(vscode.l10n.t('Nothing to pause: the rollout is {0}.', engine.snapshot().status));
        return vscode.l10n.t('Paused.');
      }
      case 'resume': {
        if (!this.run) await this.start(false);
        const engine = this.requireEngine();
        if (engine.snapshot().status === 'paused' && !(await engine.resume(actorName()))) throw new UserFacingError(vscode.l10n.t('Nothing to resume.'));
        return vscode.l10n.t('Resumed.');
      }
      case 'approve': {
        const engine = this.requireEngine();
        const stage = engine.snapshot().stages[engine.snapshot().stageIndex]?.name ?? '';
        if (!(await engine.approve(actorName()))) throw new UserFacingError(vscode.l10n.t('No stage waits for approval.'));
        return vscode.l10n.t('Approved promotion after stage {0}.', stage);
      }
      case 'rollback':
        return this.rollback(options.confirmed === true, options);
    }
  }

  private requireEngine(): RolloutEngine {
    if (!this.run) throw new UserFacingError(vscode.l10n.t('No rollout is running in this window. Start one first (Rollgate: Start Rollout).'));
    return this.run.engine;
  }

  private requirePlan(): LoadedPlan & { plan: Plan } {
    const loaded = this.plans.loaded;
    if (!loaded) throw new UserFacingError(vscode.l10n.t('Pick a rollout plan first.'));
    if (!loaded.plan) throw new UserFacingError(loaded.problem ?? vscode.l10n.t('The plan is not valid.'));
    return loaded as LoadedPlan & { plan: Plan };
  }

  private async start(drill: boolean): Promise<string> {
    if (this.run) throw new UserFacingError(vscode.l10n.t('A rollout of {0} is already running in this window.', this.run.plan.metadata.name));
    const { plan, digest, uri } = this.requirePlan();
    if (uri.scheme !== 'file') throw new UserFacingError(vscode.l10n.t('Open the plan from a folder on disk: rollout state and the ledger live beside it.'));
    const record = editorRecordFor(uri);
    let opened: OpenedRollout;
    try {
      opened = await openRollout({
        plan,
        planDigest: digest,
        secrets: editorSecretResolver(this.context.secrets),
        workspaceRoot: record.root,
        ledgerPath: record.ledgerPath,
        actor: drill ? `drill:${actorName()}` : actorName(),
        ...(drill ? { drill: {} } : {}),
        rerunFinished: true,
        confirmDiscard: (question) => confirmDiscard(question, plan.metadata.service),
        engine: { waitForPeople: !drill },
        onNotification: (record) => {
          const line = `Rollgate ${plan.metadata.service}: ${record.event} notification ${record.outcome} (${record.target}${record.status !== undefined ? `, HTTP ${record.status}` : ''}${record.error ? `: ${record.error}` : ''})`;
          if (record.outcome === 'delivered') this.log.info(line);
          else this.log.warn(line);
          this.changelogEmitter.fire({ reset: false });
        },
      });
    } catch (error) {
      throw refusal(error, plan);
    }
    const { engine } = opened;
    const unsubscribe = engine.onEvent((event) => {
      if (event.kind === 'rollback-failed' || event.kind === 'ledger-error' || event.kind === 'flags-failed') {
        this.log.error(`Rollgate: ${event.message}`);
        void vscode.window.showErrorMessage(`Rollgate: ${event.message}`);
      } else if (event.kind !== 'measured' && event.kind !== 'baking') this.log.info(`Rollgate ${event.snapshot.service}: ${event.message}`);
      this.changeEmitter.fire();
      if (event.kind !== 'measured' && event.kind !== 'baking') {
        this.changelogEmitter.fire({ reset: false });
        void this.live.refresh();
      }
    });
    const run: ActiveRun = { opened, engine, plan, drill, record, done: Promise.resolve() };
    this.run = run;
    run.done = this.drive(opened, plan)
      .catch((error: unknown) => {
        this.notice = { level: 'error', text: errorMessage(error) };
        this.log.error(`Rollgate rollout stopped: ${errorMessage(error)}`);
      })
      .finally(async () => {
        unsubscribe();
        this.plans.storedSnapshot = engine.snapshot();
        if (this.run === run) this.run = undefined;
        await opened.close().catch(() => undefined);
        // Deliveries still on their way finish (or give up) after the lock is released.
        void opened.notifications.drain(120_000).then(() => opened.notifications.close());
        this.changeEmitter.fire();
        this.changelogEmitter.fire({ reset: false });
      });
    return opened.drill
      ? vscode.l10n.t('Drill of {0} started: a fault strikes {1} in stage {2}.', plan.metadata.name, plan.model.candidate.version, opened.drill.stage)
      : vscode.l10n.t('Rollout of {0} started.', plan.metadata.name);
  }

  private async drive({ engine, drill }: OpenedRollout, plan: Plan): Promise<void> {
    if (!drill) {
      await engine.run();
      return;
    }
    const result = await drill.run({
      onClearFailed: (error) => this.log.warn(`Rollgate: could not clear drill faults: ${errorMessage(error)}`),
      onStaleFaultsCleared: (faults) => this.log.warn(`Rollgate: cleared ${faults.length} fault(s) already on rollgate dev before this drill (${describeDevFaults(faults)}), probably left by a drill that was killed.`),
    });
    const timing = result.faultToRollbackMs !== undefined ? vscode.l10n.t('fault to rollback {0} ms', Math.round(result.faultToRollbackMs)) : vscode.l10n.t('no rollback measured');
    this.notice = { level: result.snapshot.status === 'rolled-back' ? 'info' : 'error', text: vscode.l10n.t('Drill finished: {0} ({1}).', result.snapshot.status, timing) };
    this.log.info(`Rollgate drill of ${plan.metadata.name}: ${result.snapshot.status}, ${timing}`);
  }

  /** Waits until the running rollout (if any) stops driving. For tests and deactivation. */
  async settled(): Promise<void> {
    await this.run?.done;
  }

  private async rollback(confirmed: boolean, options: { reason?: string }): Promise<string> {
    // A running rollout is what "Roll back now" acts on, whichever plan the panel shows.
    const { plan, digest } = this.run ? { plan: this.run.plan, digest: this.run.engine.snapshot().planDigest } : this.requirePlan();
    const snapshot = this.currentSnapshot();
    const to = snapshot?.rollbackTo ?? rollbackTarget(plan);
    const given = confirmed ? (options.reason?.trim() ?? '') : await confirmRollback(plan, to, snapshot?.traffic);
    const reason = given || `manual rollback by ${actorName()} from the VS Code side panel`;
    if (this.run) {
      const result = await this.run.engine.rollbackNow(reason, actorName());
      if (!result.ok) throw new UserFacingError(vscode.l10n.t('ROLLBACK FAILED after {0} attempt(s): {1}. Roll back by hand to {2} now.', result.attempts, result.error ?? '', result.to));
      if (result.flags && !result.flags.ok) throw new UserFacingError(vscode.l10n.t('Rolled back to {0}, but feature flags were NOT restored. Set them by hand now: {1}', result.to, result.flags.manual.join(' ')));
      return vscode.l10n.t('Rolled back to {0}.', result.to);
    }
    // No engine in this window: one idempotency-keyed rollback through the plan's backend, recorded in the ledger.
    const record = this.selectedRecord();
    if (!record) throw new UserFacingError(vscode.l10n.t('Open a folder first: the ledger lives in the workspace.'));
    let result;
    try {
      result = await rollBackPlan({
        plan,
        planDigest: digest,
        secrets: editorSecretResolver(this.context.secrets),
        ledgerPath: record.ledgerPath,
        stateDir: record.stateDir,
        actor: actorName(),
        reason,
        to,
        keyPrefix: 'vscode',
      });
    } catch (error) {
      throw refusal(error, plan);
    }
    if (result.ledgerError) this.log.error(`Rollgate: could not record the rollback in the ledger: ${result.ledgerError}`);
    if (!result.ok) throw new UserFacingError(vscode.l10n.t('ROLLBACK FAILED: {0}. Roll back by hand to {1} now.', result.error ?? '', to));
    if (result.flags && !result.flags.ok) throw new UserFacingError(vscode.l10n.t('Rolled back to {0}, but feature flags were NOT restored. Set them by hand now: {1}', to, result.flags.manual.join(' ')));
    this.log.info(`Rollgate: rolled back ${plan.metadata.service} to ${to}${result.from ? ` (was ${trafficText(result.from)})` : ''}`);
    return vscode.l10n.t('Rolled back to {0}.', to);
  }
}
