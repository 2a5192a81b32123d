import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

import { DeploymentClient, PrometheusClient } from '../core/endpoints/index';
import { defaultLedgerPath, Ledger } from '../core/ledger/index';
import { ROLLOUT_ACTIONS, type PanelChangelog, type PanelNotice, type PanelPlanChoice, type PanelState, type RolloutAction } from '../core/panel/protocol';
import { firstOlderIndex, toChangelogEntry, toPanelRollout, trafficText } from '../core/panel/model';
import { rollgateDeployment } from '../core/backends/profiles';
import { parseDuration, type Plan, type SecretRef } from '../core/plan/schema';
import { validatePlan } from '../core/plan/validate';
import {
  acquireServiceLock,
  clearDevFaults,
  DEFAULT_STATE_DIR,
  DeploymentTraffic,
  FileStateStore,
  FINISHED_STATUSES,
  injectDevFault,
  isLoopbackUrl,
  LedgerChangeLog,
  pickDrillStage,
  PrometheusMetrics,
  RolloutConflictError,
  RolloutEngine,
  rollBackService,
  rollbackTarget,
  runDrill,
  type RolloutSnapshot,
  type ServiceLock,
} from '../core/rollout/index';
import { editorSecretResolver, missingSecretHint } from './secrets';

/** Plan files the panel offers. */
export const PLAN_GLOB = '**/*.rollout.{yaml,yml}';
/** Entries per changelog message: the newest page, then older pages on request. */
export const CHANGELOG_PAGE = 200;

interface LoadedPlan {
  uri: vscode.Uri;
  text: string;
  plan?: Plan;
  digest: string;
  problem?: string;
}

interface ActiveRun {
  engine: RolloutEngine;
  planUri: vscode.Uri;
  plan: Plan;
  drill: boolean;
  lock: ServiceLock;
  done: Promise<void>;
}

/** The outcome of a rollout command, returned to callers of `executeCommand` (automation, tests). */
export interface RolloutCommandResult {
  ok: boolean;
  message: string;
  status?: string;
}

class UserFacingError extends Error {}

function actorName(): string {
  try {
    return `vscode:${userInfo().username}`;
  } catch {
    return 'vscode';
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The editor's rollout runner and the single source of truth for the side panel, the commands
 * and the status bar: the workspace's plans, the selected one, the engine driving it (at most
 * one per window), its snapshot and the changelog. Views subscribe to {@link onDidChange}.
 */
export class RolloutController implements vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly changelogEmitter = new vscode.EventEmitter<{ reset: boolean }>();
  /** Fires when anything shown changed (state); listeners throttle. */
  readonly onDidChange = this.changeEmitter.event;
  /** Fires when the ledger may have new entries (`reset`: another plan, so another list). */
  readonly onDidChangeChangelog = this.changelogEmitter.event;

  private plans: { id: string; uri: vscode.Uri }[] = [];
  private nextPlanNumber = 1;
  private selectedPlanId: string | undefined;
  private loaded: LoadedPlan | undefined;
  private storedSnapshot: RolloutSnapshot | undefined;
  private run: ActiveRun | undefined;
  /** Actions in flight (a rollback may overlap another action). */
  private readonly inFlight = new Set<RolloutAction>();
  private notice: PanelNotice | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(PLAN_GLOB);
    const ledgerWatcher = vscode.workspace.createFileSystemWatcher('**/.rollgate/ledger.jsonl');
    this.disposables.push(
      this.changeEmitter,
      this.changelogEmitter,
      watcher,
      watcher.onDidCreate(() => void this.refreshPlans()),
      watcher.onDidDelete(() => void this.refreshPlans()),
      watcher.onDidChange((uri) => {
        if (this.loaded && uri.toString() === this.loaded.uri.toString()) void this.loadSelected();
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
    void this.run?.lock.release();
  }

  private workspaceRoot(): vscode.Uri | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  /** Finds the workspace's plans again; keeps ids stable for files already known. */
  async refreshPlans(): Promise<void> {
    const found = await vscode.workspace.findFiles(PLAN_GLOB, '**/node_modules/**', 1000);
    found.sort((a, b) => vscode.workspace.asRelativePath(a).localeCompare(vscode.workspace.asRelativePath(b)));
    const known = new Map(this.plans.map((plan) => [plan.uri.toString(), plan.id]));
    this.plans = found.map((uri) => ({ id: known.get(uri.toString()) ?? `plan-${this.nextPlanNumber++}`, uri }));
    if (this.selectedPlanId && !this.plans.some((plan) => plan.id === this.selectedPlanId)) {
      this.selectedPlanId = undefined;
      this.loaded = undefined;
      this.storedSnapshot = undefined;
    }
    if (!this.selectedPlanId) {
      const remembered = this.context.workspaceState.get<string>('rollgate.panel.plan');
      const choice = this.plans.find((plan) => vscode.workspace.asRelativePath(plan.uri) === remembered) ?? this.plans[0];
      if (choice) await this.selectPlan(choice.id);
    }
    this.changeEmitter.fire();
  }

  /** Selects a plan by the id the host issued. Returns false for an id it never issued. */
  async selectPlan(planId: string): Promise<boolean> {
    const choice = this.plans.find((plan) => plan.id === planId);
    if (!choice) return false;
    this.selectedPlanId = choice.id;
    await this.context.workspaceState.update('rollgate.panel.plan', vscode.workspace.asRelativePath(choice.uri));
    await this.loadSelected();
    return true;
  }

  /** Selects a plan by file (commands invoked from the explorer or by tests). */
  async selectPlanUri(uri: vscode.Uri): Promise<boolean> {
    if (!this.plans.some((plan) => plan.uri.toString() === uri.toString())) await this.refreshPlans();
    const choice = this.plans.find((plan) => plan.uri.toString() === uri.toString());
    return choice ? this.selectPlan(choice.id) : false;
  }

  private async loadSelected(): Promise<void> {
    const choice = this.plans.find((plan) => plan.id === this.selectedPlanId);
    if (!choice) return;
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(choice.uri));
    } catch (error) {
      this.loaded = { uri: choice.uri, text: '', digest: '', problem: `cannot read the plan: ${errorText(error)}` };
      this.changeEmitter.fire();
      return;
    }
    const { plan, diagnostics } = validatePlan(text);
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    const digest = `sha256:${createHash('sha256').update(text).digest('hex')}`;
    this.loaded = { uri: choice.uri, text, digest };
    if (plan && errors.length === 0) this.loaded.plan = plan;
    else this.loaded.problem = `the plan has ${errors.length || diagnostics.length} error(s); open it and fix them first (first: ${errors[0]?.message ?? diagnostics[0]?.message ?? 'unknown'})`;
    this.storedSnapshot = undefined;
    const root = this.workspaceRoot();
    if (plan && root) {
      try {
        this.storedSnapshot = await new FileStateStore(path.join(root.fsPath, DEFAULT_STATE_DIR)).load(plan.metadata.service);
      } catch (error) {
        this.log.warn(`Rollgate: cannot read the stored rollout state: ${errorText(error)}`);
      }
    }
    this.changeEmitter.fire();
    this.changelogEmitter.fire({ reset: true });
  }

  /** The snapshot shown: the running engine's, else the stored one of the selected plan's service. */
  currentSnapshot(): RolloutSnapshot | undefined {
    if (this.run) return this.run.engine.snapshot();
    if (this.storedSnapshot && this.loaded?.plan && this.storedSnapshot.service === this.loaded.plan.metadata.service) return this.storedSnapshot;
    return undefined;
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
    const canAct = trusted && busy === undefined && this.loaded?.plan !== undefined;
    const enabled: Record<RolloutAction, boolean> = {
      // Without an engine in this window, Start also picks up a stored unfinished rollout (resume, gate).
      start: canAct && !this.run,
      startDrill: canAct && !this.run,
      pause: canAct && (status === 'running' || status === 'waiting-approval') && this.run !== undefined,
      resume: canAct && status === 'paused',
      approve: canAct && status === 'waiting-approval' && this.run !== undefined,
      rollback: trusted && !this.inFlight.has('rollback') && (this.run !== undefined || this.loaded?.plan !== undefined) && status !== 'rolled-back',
    };
    const plans: PanelPlanChoice[] = this.plans.map((plan) => {
      const choice: PanelPlanChoice = { id: plan.id, label: vscode.workspace.asRelativePath(plan.uri) };
      if (this.loaded?.plan && plan.id === this.selectedPlanId) choice.description = `${this.loaded.plan.metadata.service} · ${this.loaded.plan.metadata.environment}`;
      return choice;
    });
    const state: PanelState = { trusted, plans, enabled };
    if (this.selectedPlanId) state.selectedPlanId = this.selectedPlanId;
    if (this.loaded?.problem) state.planProblem = this.loaded.problem;
    if (snapshot) {
      state.rollout = toPanelRollout(snapshot, {
        guardrails: this.run?.plan.guardrails ?? this.loaded?.plan?.guardrails ?? [],
        driving: this.run !== undefined,
        drill: this.run?.drill ?? false,
      });
    }
    if (busy) state.busy = busy;
    if (!trusted) state.notice = { level: 'warning', text: vscode.l10n.t('This folder is not trusted: Rollgate shows plans and the changelog but runs no rollout action. Trust the folder (Workspaces: Manage Workspace Trust) to start, pause, approve or roll back.') };
    else if (this.notice) state.notice = this.notice;
    return state;
  }

  /** The status bar text for the running (or stored unfinished) rollout, if any. */
  statusText(): string | undefined {
    const snapshot = this.currentSnapshot();
    if (!snapshot || snapshot.status === 'pending') return undefined;
    const stage = snapshot.stages[snapshot.stageIndex];
    switch (snapshot.status) {
      case 'running':
        return stage?.status === 'baking' && stage.bakeMs > 0
          ? `${stage.name} ${Math.round(Math.min(1, stage.bakeElapsedMs / stage.bakeMs) * 100)}%`
          : `${stage?.name ?? 'running'}`;
      case 'waiting-approval':
        return `${stage?.name ?? ''} awaits approval`;
      case 'paused':
        return `paused at ${stage?.name ?? 'end'}`;
      case 'rolling-back':
        return `rolling back to ${snapshot.rollbackTo}`;
      case 'rolled-back':
        return `rolled back to ${snapshot.rollbackTo}`;
      case 'promoted':
        return `${snapshot.candidateVersion} promoted`;
      case 'failed':
        return 'rollback FAILED';
    }
  }

  /**
   * One page of the changelog, newest first: the newest entries, or (with `beforeSeq`) the
   * entries older than that one. Reading stops after the page, so a page costs the same
   * however long the ledger is beyond it.
   */
  async changelog(mode: 'replace' | 'head' | 'append', beforeSeq?: number): Promise<PanelChangelog> {
    const root = this.workspaceRoot();
    if (!root) return { mode: 'replace', entries: [], hasMore: false, source: '', problem: vscode.l10n.t('Open a folder to see its changelog.') };
    const file = this.ledgerPath(root);
    const source = vscode.workspace.asRelativePath(file);
    try {
      const service = this.loaded?.plan?.metadata.service;
      if (mode === 'append' && beforeSeq !== undefined) {
        // Older pages are sliced from one full read kept while the file is unchanged; until that
        // read is ready (it starts with the first older page) a page streams from the end.
        const all = await this.cachedEntries(file, service);
        if (all) {
          const start = firstOlderIndex(all, beforeSeq);
          return { mode, entries: all.slice(start, start + CHANGELOG_PAGE), hasMore: start + CHANGELOG_PAGE < all.length, source };
        }
      }
      const page: PanelChangelog['entries'] = [];
      let hasMore = false;
      for await (const entry of new Ledger({ path: file }).read({ newestFirst: true, ...(service ? { service } : {}) })) {
        if (beforeSeq !== undefined && entry.seq >= beforeSeq) continue;
        if (page.length === CHANGELOG_PAGE) {
          hasMore = true;
          break;
        }
        page.push(toChangelogEntry(entry));
      }
      return { mode, entries: page, hasMore, source };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { mode: 'replace', entries: [], hasMore: false, source };
      return { mode: 'replace', entries: [], hasMore: false, source, problem: `cannot read the ledger: ${errorText(error)}` };
    }
  }

  private entryCache: { key: string; entries?: PanelChangelog['entries']; loading?: Promise<void> } | undefined;

  /** The whole (service-filtered) changelog if a read for the file as it is now is complete; else starts one. */
  private async cachedEntries(file: string, service: string | undefined): Promise<PanelChangelog['entries'] | undefined> {
    const info = await stat(file);
    const key = `${file}\0${info.size}\0${info.mtimeMs}\0${service ?? ''}`;
    if (this.entryCache?.key === key) return this.entryCache.entries;
    const cache: NonNullable<typeof this.entryCache> = { key };
    this.entryCache = cache;
    cache.loading = (async () => {
      const entries: PanelChangelog['entries'] = [];
      for await (const entry of new Ledger({ path: file }).read({ newestFirst: true, ...(service ? { service } : {}) })) entries.push(toChangelogEntry(entry));
      cache.entries = entries;
    })().catch((error: unknown) => {
      this.log.warn(`Rollgate: could not read the whole ledger: ${errorText(error)}`);
      if (this.entryCache === cache) this.entryCache = undefined;
    });
    return undefined;
  }

  private ledgerPath(root: vscode.Uri): string {
    const configured = vscode.workspace.getConfiguration('rollgate').get<string>('ledger.path');
    return configured ? path.resolve(root.fsPath, configured) : defaultLedgerPath(root.fsPath);
  }

  // ---------------------------------------------------------------------------------------
  // Actions. Each re-checks trust and state; the view's enabled flags are only a hint.

  /** Runs one action and turns any failure into a notice and an error message. */
  async perform(action: RolloutAction, options: { confirmed?: boolean } = {}): Promise<RolloutCommandResult> {
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
      return { ok: true, message, ...(this.currentSnapshot() ? { status: this.currentSnapshot()!.status } : {}) };
    } catch (error) {
      const message = errorText(error);
      this.notice = { level: 'error', text: message };
      if (!(error instanceof UserFacingError)) this.log.error(`Rollgate ${action} failed: ${message}`);
      void vscode.window.showErrorMessage(`Rollgate: ${message}`);
      return { ok: false, message };
    } finally {
      this.inFlight.delete(action);
      this.changeEmitter.fire();
      this.changelogEmitter.fire({ reset: false });
    }
  }

  private async dispatch(action: RolloutAction, options: { confirmed?: boolean }): Promise<string> {
    switch (action) {
      case 'start':
        return this.start(false);
      case 'startDrill':
        return this.start(true);
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
        return this.rollback(options.confirmed === true);
    }
  }

  private requireEngine(): RolloutEngine {
    if (!this.run) throw new UserFacingError(vscode.l10n.t('No rollout is running in this window. Start one first (Rollgate: Start Rollout).'));
    return this.run.engine;
  }

  private requirePlan(): LoadedPlan & { plan: Plan } {
    const loaded = this.loaded;
    if (!loaded) throw new UserFacingError(vscode.l10n.t('Pick a rollout plan first.'));
    if (!loaded.plan) throw new UserFacingError(loaded.problem ?? vscode.l10n.t('The plan is not valid.'));
    return loaded as LoadedPlan & { plan: Plan };
  }

  private async resolveSecret(ref: SecretRef | undefined, secrets: Record<string, string>): Promise<string | undefined> {
    if (!ref) return undefined;
    const value = await editorSecretResolver(this.context.secrets).get(ref.secret);
    if (!value) throw new UserFacingError(vscode.l10n.t('The plan needs the secret "{0}". {1}', ref.secret, missingSecretHint(ref.secret)));
    secrets[ref.secret] = value;
    return value;
  }

  private async clients(plan: Plan): Promise<{ deployment: DeploymentClient; prometheus: PrometheusClient; deploymentToken?: string; secrets: Record<string, string> }> {
    const secrets: Record<string, string> = {};
    const deployment = rollgateDeployment(plan, 'The side panel');
    const metrics = plan.endpoints.metrics;
    const deploymentToken = await this.resolveSecret(deployment.token, secrets);
    const metricsToken = await this.resolveSecret(metrics.token, secrets);
    const timeout = (text: string | undefined) => (text ? parseDuration(text) : undefined);
    const deploymentTimeout = timeout(deployment.timeout);
    const metricsTimeout = timeout(metrics.timeout);
    return {
      deployment: new DeploymentClient({ baseUrl: deployment.url, service: plan.metadata.service, ...(deploymentToken ? { token: deploymentToken } : {}), ...(deploymentTimeout ? { timeoutMs: deploymentTimeout } : {}) }),
      prometheus: new PrometheusClient({ baseUrl: metrics.url, ...(metricsToken ? { token: metricsToken } : {}), ...(metricsTimeout ? { timeoutMs: metricsTimeout } : {}) }),
      ...(deploymentToken ? { deploymentToken } : {}),
      secrets,
    };
  }

  private async start(drill: boolean): Promise<string> {
    if (this.run) throw new UserFacingError(vscode.l10n.t('A rollout of {0} is already running in this window.', this.run.plan.metadata.name));
    const { plan, digest, uri } = this.requirePlan();
    const root = this.workspaceRoot();
    if (!root) throw new UserFacingError(vscode.l10n.t('Open a folder first: rollout state and the ledger live in the workspace.'));
    let drillStage: string | undefined;
    if (drill) {
      if (!isLoopbackUrl(plan.endpoints.deployment.url) || !isLoopbackUrl(plan.endpoints.metrics.url)) {
        throw new UserFacingError(vscode.l10n.t('A drill injects a fault and runs only against rollgate dev on this machine; this plan points at {0}.', plan.endpoints.deployment.url));
      }
      drillStage = pickDrillStage(plan);
      if (!drillStage) throw new UserFacingError(vscode.l10n.t('The plan has no stage with guardrails to drill.'));
    }
    const { deployment, prometheus, deploymentToken, secrets } = await this.clients(plan);
    const ledger = new Ledger({ path: this.ledgerPath(root), secrets });
    const stateDir = path.join(root.fsPath, DEFAULT_STATE_DIR);
    const store = new FileStateStore(stateDir);
    const stored = await store.load(plan.metadata.service).catch(() => undefined);
    const unfinished = stored !== undefined && !FINISHED_STATUSES.includes(stored.status);
    let restart = drill || !unfinished;
    // A drill starts over, and another plan cannot continue this one: either way ask before discarding unfinished state.
    if (stored && unfinished && (drill || stored.planDigest !== digest)) {
      const discard = vscode.l10n.t('Discard and start');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('{0} has an unfinished rollout of plan {1} ({2}).', stored.service, stored.planName, stored.status),
        { modal: true, detail: vscode.l10n.t('Starting this plan discards that rollout state (the ledger keeps its history). Traffic stays as it is until this rollout sets it.') },
        discard,
      );
      if (answer !== discard) throw new UserFacingError(vscode.l10n.t('Not started: a rollout of {0} is unfinished.', stored.service));
      restart = true;
    }
    const lock = await acquireServiceLock(stateDir, plan.metadata.service);
    let engine: RolloutEngine;
    const traffic = new DeploymentTraffic(deployment, { candidate: plan.model.candidate, baseline: plan.model.baseline });
    try {
      engine = await RolloutEngine.create({
        plan,
        planDigest: digest,
        traffic,
        metrics: new PrometheusMetrics(prometheus),
        changeLog: new LedgerChangeLog(ledger),
        stateStore: store,
        actor: drill ? `drill:${actorName()}` : actorName(),
        waitForPeople: !drill,
        autoApprove: drill,
        restart,
      });
    } catch (error) {
      await lock.release();
      if (error instanceof RolloutConflictError) throw new UserFacingError(error.message);
      throw error;
    }
    const unsubscribe = engine.onEvent((event) => {
      if (event.kind === 'rollback-failed' || event.kind === 'ledger-error') {
        this.log.error(`Rollgate: ${event.message}`);
        void vscode.window.showErrorMessage(`Rollgate: ${event.message}`);
      } else if (event.kind !== 'measured' && event.kind !== 'baking') this.log.info(`Rollgate ${event.snapshot.service}: ${event.message}`);
      this.changeEmitter.fire();
      if (event.kind !== 'measured' && event.kind !== 'baking') this.changelogEmitter.fire({ reset: false });
    });
    const run: ActiveRun = { engine, planUri: uri, plan, drill, lock, done: Promise.resolve() };
    this.run = run;
    const drive = async (): Promise<void> => {
      if (!drill || !drillStage) {
        await engine.run();
        return;
      }
      const faultVersion = plan.model.candidate.version;
      try {
        const result = await runDrill({
          engine,
          stage: drillStage,
          rollbackTo: engine.snapshot().rollbackTo,
          injectFault: () => injectDevFault(plan.endpoints.deployment.url, deploymentToken, { version: faultVersion, errorRate: 1 }),
          readTraffic: () => traffic.getState(),
        });
        const timing = result.faultToRollbackMs !== undefined ? vscode.l10n.t('fault to rollback {0} ms', Math.round(result.faultToRollbackMs)) : vscode.l10n.t('no rollback measured');
        this.notice = { level: result.snapshot.status === 'rolled-back' ? 'info' : 'error', text: vscode.l10n.t('Drill finished: {0} ({1}).', result.snapshot.status, timing) };
        this.log.info(`Rollgate drill of ${plan.metadata.name}: ${result.snapshot.status}, ${timing}`);
      } finally {
        await clearDevFaults(plan.endpoints.deployment.url, deploymentToken).catch((error: unknown) => this.log.warn(`Rollgate: could not clear drill faults: ${errorText(error)}`));
      }
    };
    run.done = drive()
      .catch((error: unknown) => {
        this.notice = { level: 'error', text: errorText(error) };
        this.log.error(`Rollgate rollout stopped: ${errorText(error)}`);
      })
      .finally(async () => {
        unsubscribe();
        this.storedSnapshot = engine.snapshot();
        if (this.run === run) this.run = undefined;
        await lock.release().catch(() => undefined);
        this.changeEmitter.fire();
        this.changelogEmitter.fire({ reset: false });
      });
    return drill
      ? vscode.l10n.t('Drill of {0} started: a fault strikes {1} in stage {2}.', plan.metadata.name, plan.model.candidate.version, drillStage ?? '')
      : vscode.l10n.t('Rollout of {0} started.', plan.metadata.name);
  }

  /** Waits until the running rollout (if any) stops driving. For tests and deactivation. */
  async settled(): Promise<void> {
    await this.run?.done;
  }

  private async rollback(confirmed: boolean): Promise<string> {
    // A running rollout is what "Roll back now" acts on, whichever plan the panel shows.
    const { plan, digest } = this.run ? { plan: this.run.plan, digest: this.run.engine.snapshot().planDigest } : this.requirePlan();
    const snapshot = this.currentSnapshot();
    const to = snapshot?.rollbackTo ?? rollbackTarget(plan);
    if (!confirmed) {
      const rollBack = vscode.l10n.t('Roll back now');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('Roll back {0} to version {1} now?', plan.metadata.service, to),
        {
          modal: true,
          detail: vscode.l10n.t(
            'Sends one rollback to {0}: all traffic goes to {1}. The action is recorded in the ledger. Current traffic: {2}.',
            plan.endpoints.deployment.url,
            to,
            trafficText(snapshot?.traffic) || vscode.l10n.t('unknown'),
          ),
        },
        rollBack,
      );
      if (answer !== rollBack) throw new UserFacingError(vscode.l10n.t('Rollback cancelled.'));
    }
    const reason = `manual rollback by ${actorName()} from the VS Code side panel`;
    if (this.run) {
      const result = await this.run.engine.rollbackNow(reason, actorName());
      if (!result.ok) throw new UserFacingError(vscode.l10n.t('ROLLBACK FAILED after {0} attempt(s): {1}. Roll back by hand to {2} now.', result.attempts, result.error ?? '', result.to));
      return vscode.l10n.t('Rolled back to {0}.', result.to);
    }
    // No engine in this window: one idempotency-keyed call through the deployment client, recorded in the ledger.
    const root = this.workspaceRoot();
    if (!root) throw new UserFacingError(vscode.l10n.t('Open a folder first: the ledger lives in the workspace.'));
    const { deployment, secrets } = await this.clients(plan);
    const result = await rollBackService({
      plan,
      planDigest: digest,
      deployment,
      ledger: new Ledger({ path: this.ledgerPath(root), secrets }),
      actor: actorName(),
      reason,
      to,
      keyPrefix: 'vscode',
      ...(snapshot ? { runId: snapshot.runId } : {}),
    });
    if (result.ledgerError) this.log.error(`Rollgate: could not record the rollback in the ledger: ${result.ledgerError}`);
    if (!result.ok) throw new UserFacingError(vscode.l10n.t('ROLLBACK FAILED: {0}. Roll back by hand to {1} now.', result.error ?? '', to));
    this.log.info(`Rollgate: rolled back ${plan.metadata.service} to ${to}${result.from ? ` (was ${trafficText(result.from)})` : ''}`);
    return vscode.l10n.t('Rolled back to {0}.', to);
  }

  /** Workspace-relative paths of the plans found, for quick picks. */
  planChoices(): { id: string; uri: vscode.Uri }[] {
    return [...this.plans];
  }

  selectedPlanUri(): vscode.Uri | undefined {
    return this.plans.find((plan) => plan.id === this.selectedPlanId)?.uri;
  }
}
