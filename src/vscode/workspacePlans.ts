import * as vscode from 'vscode';

import { errorMessage } from '../core/errors';
import type { Plan } from '../core/plan/schema';
import { planDigest, validatePlan } from '../core/plan/validate';
import { FileStateStore, type RolloutSnapshot } from '../core/rollout/index';
import { editorRecordFor } from './recordLocation';

/** Plan files the panel offers. */
export const PLAN_GLOB = '**/*.rollout.{yaml,yml}';
/** workspaceState key: the plan the panel opens on. */
const REMEMBERED_PLAN = 'rollgate.panel.plan';

/** The selected plan file, read and validated. */
export interface LoadedPlan {
  uri: vscode.Uri;
  text: string;
  plan?: Plan;
  digest: string;
  problem?: string;
}

/**
 * The workspace's rollout plans for the side panel: found by glob, each with an id the host
 * issued (the webview only ever names plans by these), the selected one read and validated,
 * and the stored rollout state of its service for display.
 */
export class WorkspacePlans implements vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<{ reloaded: boolean }>();
  /** Fires when the list or the selected plan changed (`reloaded`: the selected plan was read again). */
  readonly onDidChange = this.changeEmitter.event;
  private plans: { id: string; uri: vscode.Uri }[] = [];
  private nextPlanNumber = 1;
  private selectedPlanId: string | undefined;
  /** The selected plan as last read. */
  loaded: LoadedPlan | undefined;
  /** The stored rollout state of the selected plan's service, for display. */
  storedSnapshot: RolloutSnapshot | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(PLAN_GLOB);
    this.disposables.push(
      this.changeEmitter,
      watcher,
      watcher.onDidCreate(() => void this.refresh()),
      watcher.onDidDelete(() => void this.refresh()),
      vscode.workspace.onDidSaveTextDocument((document) => {
        if (/\.rollout\.ya?ml$/.test(document.uri.path)) this.remember(document.uri);
      }),
      watcher.onDidChange((uri) => {
        if (this.loaded && uri.toString() === this.loaded.uri.toString()) void this.loadSelected();
      }),
    );
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  get selectedId(): string | undefined {
    return this.selectedPlanId;
  }

  /** The plans found, for quick picks and the panel's list. */
  choices(): { id: string; uri: vscode.Uri }[] {
    return [...this.plans];
  }

  selectedUri(): vscode.Uri | undefined {
    return this.plans.find((plan) => plan.id === this.selectedPlanId)?.uri;
  }

  /** Finds the workspace's plans again; keeps ids stable for files already known. */
  async refresh(): Promise<void> {
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
      // The plan last run, selected or saved here; else the most recently modified one.
      const remembered = this.context.workspaceState.get<string>(REMEMBERED_PLAN);
      const choice = this.plans.find((plan) => vscode.workspace.asRelativePath(plan.uri) === remembered) ?? (await this.newest());
      if (choice) await this.select(choice.id);
    }
    this.changeEmitter.fire({ reloaded: false });
  }

  /** The plan file modified last (the first one when none can be read). */
  private async newest(): Promise<{ id: string; uri: vscode.Uri } | undefined> {
    let best: { plan: { id: string; uri: vscode.Uri }; mtime: number } | undefined;
    for (const plan of this.plans) {
      const mtime = await vscode.workspace.fs.stat(plan.uri).then(
        (stat) => stat.mtime,
        () => -1,
      );
      if (!best || mtime > best.mtime) best = { plan, mtime };
    }
    return best?.plan;
  }

  /** Remembers a plan as the one the panel opens on next time (it was run or saved). */
  remember(uri: vscode.Uri): void {
    void this.context.workspaceState.update(REMEMBERED_PLAN, vscode.workspace.asRelativePath(uri));
  }

  /** Selects a plan by the id the host issued. Returns false for an id it never issued. */
  async select(planId: string): Promise<boolean> {
    const choice = this.plans.find((plan) => plan.id === planId);
    if (!choice) return false;
    this.selectedPlanId = choice.id;
    await this.context.workspaceState.update(REMEMBERED_PLAN, vscode.workspace.asRelativePath(choice.uri));
    await this.loadSelected();
    return true;
  }

  /** Selects a plan by file (commands invoked from the explorer or by tests). */
  async selectUri(uri: vscode.Uri): Promise<boolean> {
    if (!this.plans.some((plan) => plan.uri.toString() === uri.toString())) await this.refresh();
    const choice = this.plans.find((plan) => plan.uri.toString() === uri.toString());
    return choice ? this.select(choice.id) : false;
  }

  private async loadSelected(): Promise<void> {
    const choice = this.plans.find((plan) => plan.id === this.selectedPlanId);
    if (!choice) return;
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(choice.uri));
    } catch (error) {
      this.loaded = { uri: choice.uri, text: '', digest: '', problem: `cannot read the plan: ${errorMessage(error)}` };
      this.changeEmitter.fire({ reloaded: false });
      return;
    }
    const { plan, diagnostics } = validatePlan(text);
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    this.loaded = { uri: choice.uri, text, digest: planDigest(text) };
    if (plan && errors.length === 0) this.loaded.plan = plan;
    else this.loaded.problem = `the plan has ${errors.length || diagnostics.length} error(s); open it and fix them first (first: ${errors[0]?.message ?? diagnostics[0]?.message ?? 'unknown'})`;
    this.storedSnapshot = undefined;
    if (plan && choice.uri.scheme === 'file') {
      try {
        this.storedSnapshot = await new FileStateStore(editorRecordFor(choice.uri).stateDir).load(plan.metadata.service);
      } catch (error) {
        // Shown only; starting a rollout reads it again and reports the problem.
        this.log.warn(`Rollgate: cannot read the stored rollout state: ${errorMessage(error)}`);
      }
    }
    this.changeEmitter.fire({ reloaded: true });
  }
}
