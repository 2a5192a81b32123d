import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

import type { HostMessage } from '../core/panel/protocol';
import { throttle } from '../core/panel/throttle';
import { parseViewMessage } from '../core/panel/validate';
import type { RolloutController } from './rolloutController';
import { SidePanelFlags } from './sidePanelFlags';
import { errorMessage } from '../core/errors';

/** The webview view's id, contributed in package.json under the `rollgate` view container. */
export const SIDE_PANEL_VIEW_ID = 'rollgate.sidePanel';
/** How often at most the panel is re-rendered while a rollout runs. */
const UPDATE_INTERVAL_MS = 250;
/** How often the live state of the plan's feature flags is read again while the panel is visible. */
const FLAGS_REFRESH_MS = 15_000;

/** A fresh nonce per rendered page: 128 random bits, base64. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The panel's HTML: a strict CSP (`default-src 'none'`), styles and the one script from
 * `media/` only, the script allowed by nonce, no inline script or style anywhere.
 */
export function sidePanelHtml(options: { cspSource: string; styleUri: string; scriptUri: string; nonce: string; title: string }): string {
  const csp = ["default-src 'none'", `style-src ${options.cspSource}`, `img-src ${options.cspSource}`, `font-src ${options.cspSource}`, `script-src 'nonce-${options.nonce}'`].join('; ');
  const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="${escape(vscode.env.language || 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escape(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escape(options.styleUri)}">
<title>${escape(options.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading…</p></main>
<script nonce="${escape(options.nonce)}" src="${escape(options.scriptUri)}"></script>
</body>
</html>`;
}

/** Counts of what the panel received, for the log and for tests. */
export interface SidePanelStats {
  invalidMessages: number;
  validMessages: number;
}

class SidePanelProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private sendState: () => void = () => undefined;
  private sendChangelogNow: () => void = () => undefined;
  private sendFlagsNow: () => void = () => undefined;
  readonly stats: SidePanelStats = { invalidMessages: 0, validMessages: 0 };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly rollouts: RolloutController,
    private readonly log: vscode.LogOutputChannel,
    private readonly flags: SidePanelFlags,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media] };
    view.webview.html = sidePanelHtml({
      cspSource: view.webview.cspSource,
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js')).toString(),
      nonce: createNonce(),
      title: 'Rollgate',
    });
    const stateUpdates = throttle(() => void this.post({ type: 'state', state: this.rollouts.panelState() }), UPDATE_INTERVAL_MS);
    // A reset (another plan) replaces the view's list; otherwise only the newest page travels.
    let resetPending = true;
    const changelogUpdates = throttle(() => {
      const mode = resetPending ? 'replace' : 'head';
      resetPending = false;
      void this.sendChangelog(mode);
    }, 500);
    this.sendState = () => stateUpdates.flush();
    this.sendChangelogNow = () => {
      resetPending = true;
      changelogUpdates.flush();
    };
    // Flags are read from their service: on a new plan, after each ledger write, and now and then.
    const flagUpdates = throttle(() => void this.sendFlags(), 1000);
    this.sendFlagsNow = () => flagUpdates.flush();
    const flagTimer = setInterval(() => {
      if (view.visible) flagUpdates.schedule();
    }, FLAGS_REFRESH_MS);
    const subscriptions = [
      { dispose: () => clearInterval(flagTimer) },
      this.rollouts.onDidChangeChangelog(() => flagUpdates.schedule()),
      view.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      this.rollouts.onDidChange(() => stateUpdates.schedule()),
      this.rollouts.onDidChangeChangelog((change) => {
        if (change.reset) resetPending = true;
        changelogUpdates.schedule();
      }),
      view.onDidChangeVisibility(() => {
        // A hidden webview drops messages; a visible one asks again with `ready`.
        if (view.visible) stateUpdates.schedule();
        this.rollouts.live.setWatching(view.visible);
      }),
    ];
    this.rollouts.live.setWatching(view.visible);
    view.onDidDispose(() => {
      this.rollouts.live.setWatching(false);
      stateUpdates.dispose();
      changelogUpdates.dispose();
      flagUpdates.dispose();
      for (const subscription of subscriptions) subscription.dispose();
      if (this.view === view) this.view = undefined;
    });
  }

  /** Handles one message as if the webview had posted it (the hidden inspect command uses this too). */
  async receive(raw: unknown): Promise<void> {
    const check = parseViewMessage(raw);
    if (!check.ok) {
      this.stats.invalidMessages += 1;
      this.log.warn(`Rollgate side panel: ignored an invalid message (${check.problem})`);
      return;
    }
    this.stats.validMessages += 1;
    const message = check.message;
    switch (message.type) {
      case 'ready':
        if (this.rollouts.planChoices().length === 0) await this.rollouts.refreshPlans();
        this.sendState();
        this.sendChangelogNow();
        this.sendFlagsNow();
        return;
      case 'selectPlan':
        if (!(await this.rollouts.selectPlan(message.planId))) {
          this.stats.invalidMessages += 1;
          this.log.warn('Rollgate side panel: ignored a plan id the host did not issue');
        }
        return;
      case 'showMoreChangelog':
        await this.sendChangelog('append', message.beforeSeq);
        return;
      case 'exportReport':
        await this.rollouts.exportReport(message.format);
        return;
      case 'openSource':
        await this.rollouts.openSource(message.seq);
        return;
      case 'action':
        await this.rollouts.perform(message.action);
        return;
    }
  }

  private async sendChangelog(mode: 'replace' | 'head' | 'append', beforeSeq?: number): Promise<void> {
    if (!this.view) return;
    await this.post({ type: 'changelog', changelog: await this.rollouts.changelog(mode, beforeSeq) });
    // The run's timeline is built from the same ledger: it changes when the changelog does.
    if (mode !== 'append') await this.post({ type: 'timeline', timeline: await this.rollouts.timeline() });
  }

  private flagsReading = false;

  private async sendFlags(): Promise<void> {
    // One read at a time: a slow flag service must not pile up reads.
    if (!this.view || this.flagsReading) return;
    this.flagsReading = true;
    try {
      await this.post({ type: 'flags', flags: await this.flags.read(this.rollouts.selectedPlan()) });
    } catch (error) {
      this.log.warn(`Rollgate side panel: could not read the feature flags: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.flagsReading = false;
    }
  }

  private async post(message: HostMessage): Promise<void> {
    if (!this.view) return;
    try {
      await this.view.webview.postMessage(message);
    } catch (error) {
      this.log.warn(`Rollgate side panel: could not update the view: ${errorMessage(error)}`);
    }
  }

  get html(): string | undefined {
    return this.view?.webview.html;
  }
}

/** What tests (through the hidden `rollgate.sidePanel.inspect` command) can read about the panel. */
export interface SidePanelInspection {
  resolved: boolean;
  html?: string;
  stats: SidePanelStats;
}

/**
 * Registers the Rollgate side panel (webview view `rollgate.sidePanel`). The host is the source
 * of truth: the view sends `ready` and gets the state; every inbound message is validated.
 */
export function registerSidePanel(context: vscode.ExtensionContext, rollouts: RolloutController, log: vscode.LogOutputChannel): vscode.Disposable {
  const provider = new SidePanelProvider(context.extensionUri, rollouts, log, new SidePanelFlags(context.secrets));
  return vscode.Disposable.from(
    vscode.window.registerWebviewViewProvider(SIDE_PANEL_VIEW_ID, provider),
    // Hidden (not in the palette): lets host tests read the page and push a message through the same validation as the view's.
    vscode.commands.registerCommand('rollgate.sidePanel.inspect', async (deliver?: { message: unknown }): Promise<SidePanelInspection> => {
      if (deliver && typeof deliver === 'object' && 'message' in deliver) await provider.receive(deliver.message);
      return { resolved: provider.html !== undefined, ...(provider.html !== undefined ? { html: provider.html } : {}), stats: { ...provider.stats } };
    }),
  );
}
