// The Rollgate side panel's view: DOM only, built with textContent (never innerHTML), talking to
// the host with the typed protocol. The host is the source of truth; the view keeps only what it
// last showed (getState/setState) so it reappears at once when the panel is shown again.
import { sparkline } from '../core/panel/model';
import { createFlagsView } from './flagsView';
import { renderGuardrailVisualRow, renderJudge } from './guardrailVisuals';
import { renderLive } from './liveView';
import { renderGuardrailChart } from './guardrailChart';
import type { HostMessage, PanelChangelog, PanelFlags, PanelChangelogEntry, PanelGuardrail, PanelRollout, PanelStage, PanelState, RolloutAction, ViewMessage } from '../core/panel/protocol';
import { changelogSourceLink, createTimelineView } from './timeline';

interface VsCodeApi {
  postMessage(message: ViewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState {
  state?: PanelState;
  /** Only the newest page is kept: saving thousands of entries on every update would cost more than asking again. */
  changelog?: PanelChangelog;
  /** Changelog entries (by seq) whose details are open. */
  open?: number[];
  flags?: PanelFlags | null;
}

const vscode = acquireVsCodeApi();
const saved: SavedState = (vscode.getState() as SavedState | undefined) ?? {};
const openEntries = new Set<number>(saved.open ?? []);
let currentState: PanelState | undefined = saved.state;
let currentFlags: PanelFlags | null | undefined = saved.flags;
/** What the list shows, newest first; grows by pages. */
let shownEntries: PanelChangelogEntry[] = saved.changelog?.entries ?? [];
let changelogHasMore = saved.changelog?.hasMore ?? false;
let changelogSource: { source: string; problem?: string } | undefined;
const SAVED_ENTRIES = 200;

const SVG = 'http://www.w3.org/2000/svg';
const STATUS_SYMBOL: Record<string, string> = {
  pending: '○',
  running: '▶',
  baking: '◔',
  'waiting-approval': '⏸',
  passed: '✓',
  failed: '✗',
  'rolled-back': '↩',
  paused: '⏸',
};
const STATUS_LABEL: Record<string, string> = {
  pending: 'pending',
  running: 'running',
  baking: 'baking',
  'waiting-approval': 'waiting for approval',
  passed: 'passed',
  failed: 'failed',
  'rolled-back': 'rolled back',
  paused: 'paused',
};

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function persist(): void {
  const state: SavedState = { open: [...openEntries] };
  if (currentState) state.state = currentState;
  if (currentFlags) state.flags = currentFlags;
  if (changelogSource) {
    state.changelog = { mode: 'replace', entries: shownEntries.slice(0, SAVED_ENTRIES), hasMore: changelogHasMore || shownEntries.length > SAVED_ENTRIES, source: changelogSource.source };
    if (changelogSource.problem) state.changelog.problem = changelogSource.problem;
  }
  vscode.setState(state);
}

// ---------------------------------------------------------------------------------------------
// Layout: built once; parts are refreshed in place.

const app = document.getElementById('app')!;
app.replaceChildren();
const noticeBox = element('div', 'notice');
noticeBox.setAttribute('role', 'status');
const planRow = element('div', 'plan-row');
const planLabel = element('label', 'plan-label', 'Plan');
planLabel.htmlFor = 'plan';
const planSelect = element('select');
planSelect.id = 'plan';
planRow.append(planLabel, planSelect);
const planProblem = element('p', 'problem');
const actions = element('div', 'actions');
const buttons = new Map<RolloutAction, HTMLButtonElement>();
const buttonLabels: [RolloutAction, string, string][] = [
  ['start', 'Start', 'Start or continue the selected plan'],
  ['pause', 'Pause', 'Pause: traffic stays as it is'],
  ['resume', 'Resume', 'Resume a paused rollout'],
  ['approve', 'Approve', 'Approve promotion of the stage that waits'],
  ['startDrill', 'Start drill', 'Run the plan against rollgate dev, inject a fault and watch the automatic rollback'],
  ['rollback', 'Roll back now', 'Roll back to the baseline now (asks to confirm, then one recorded action)'],
];
for (const [action, label, title] of buttonLabels) {
  const button = element('button', `action action-${action}`, label);
  button.type = 'button';
  button.title = title;
  button.dataset.action = action;
  button.addEventListener('click', () => vscode.postMessage({ type: 'action', action }));
  buttons.set(action, button);
  actions.append(button);
}
const liveHeading = element('h2', undefined, 'Live service');
const liveSection = element('section', 'live');
liveSection.setAttribute('aria-label', 'Live service');
const summary = element('section', 'summary');
summary.setAttribute('aria-label', 'Rollout');
const chartsHeading = element('h2', undefined, 'Guardrails');
const chartsSection = element('section', 'charts');
const stagesHeading = element('h2', undefined, 'Stages');
const stageList = element('ol', 'stages');
const changelogHeading = element('h2', undefined, 'Changelog');
const changelogSourceLine = element('p', 'muted source');
const changelogList = element('ol', 'changelog');
const showMore = element('button', 'show-more', 'Show older entries');
showMore.type = 'button';
showMore.addEventListener('click', () => {
  const oldest = shownEntries[shownEntries.length - 1];
  if (!oldest) return;
  showMore.disabled = true;
  vscode.postMessage({ type: 'showMoreChangelog', beforeSeq: oldest.seq });
});
const emptyNote = element('p', 'muted', 'No entries yet.');
const timelineView = createTimelineView((message) => vscode.postMessage(message));
const flagsView = createFlagsView();
app.append(
  noticeBox,
  planRow,
  planProblem,
  actions,
  liveHeading,
  liveSection,
  summary,
  chartsHeading,
  chartsSection,
  stagesHeading,
  stageList,
  flagsView.element,
  timelineView.element,
  changelogHeading,
  changelogSourceLine,
  emptyNote,
  changelogList,
  showMore,
);

planSelect.addEventListener('change', () => {
  if (planSelect.value) vscode.postMessage({ type: 'selectPlan', planId: planSelect.value });
});

// ---------------------------------------------------------------------------------------------
// State rendering.

function renderState(state: PanelState): void {
  noticeBox.className = `notice ${state.notice ? `notice-${state.notice.level}` : 'hidden'}`;
  noticeBox.textContent = state.notice?.text ?? '';

  const options = state.plans.map((plan) => {
    const option = element('option', undefined, plan.description ? `${plan.label} (${plan.description})` : plan.label);
    option.value = plan.id;
    option.selected = plan.id === state.selectedPlanId;
    return option;
  });
  if (options.length === 0) {
    const none = element('option', undefined, 'No *.rollout.yaml in this workspace');
    none.value = '';
    options.push(none);
  }
  planSelect.replaceChildren(...options);
  planSelect.disabled = state.plans.length === 0;
  planProblem.textContent = state.planProblem ?? '';
  planProblem.hidden = !state.planProblem;

  for (const [action, button] of buttons) {
    button.disabled = !state.enabled[action];
    button.classList.toggle('busy', state.busy === action);
  }
  // Approve only matters where a stage waits; keep the row short otherwise.
  buttons.get('approve')!.hidden = !state.enabled.approve;
  const live = renderLive(state.live, state.liveProblem);
  liveSection.replaceChildren(...live);
  liveHeading.hidden = live.length === 0;
  renderRollout(state.rollout);
}

function renderRollout(rollout: PanelRollout | undefined): void {
  if (!rollout) {
    summary.replaceChildren(element('p', 'muted', 'No rollout of this plan yet. Press Start, or Start drill against rollgate dev.'));
    stageList.replaceChildren();
    chartsSection.replaceChildren();
    chartsHeading.hidden = true;
    return;
  }
  const charts = (rollout.charts ?? []).map(renderGuardrailChart);
  chartsSection.replaceChildren(...charts);
  chartsHeading.hidden = charts.length === 0;
  const headline = element('p', `headline status-${rollout.status}`, rollout.headline);
  headline.dataset.status = rollout.status;
  const facts = element('dl', 'facts');
  const fact = (term: string, value: string) => {
    if (!value) return;
    facts.append(element('dt', undefined, term), element('dd', undefined, value));
  };
  fact('Service', rollout.service);
  fact('Candidate', rollout.candidateVersion);
  fact('Baseline', rollout.baselineVersion);
  fact('Traffic', rollout.trafficText);
  fact('Mode', rollout.drill ? 'drill' : rollout.driving ? 'driven by this window' : 'stored state');
  const parts: HTMLElement[] = [headline, facts];
  if (rollout.pauseReason) parts.push(element('p', 'reason', rollout.pauseReason));
  if (rollout.rollbackText) parts.push(element('p', `reason rollback ${rollout.status === 'failed' ? 'problem' : ''}`, rollout.rollbackText));
  summary.replaceChildren(...parts);
  stageList.replaceChildren(...rollout.stages.map(renderStage));
}

function renderStage(stage: PanelStage): HTMLLIElement {
  const item = element('li', `stage status-${stage.status}${stage.current ? ' current' : ''}`);
  item.dataset.stage = stage.name;
  item.dataset.status = stage.status;
  const head = element('div', 'stage-head');
  const symbol = element('span', 'symbol', STATUS_SYMBOL[stage.status] ?? '•');
  symbol.setAttribute('aria-hidden', 'true');
  head.append(symbol, element('span', 'stage-name', stage.name), element('span', 'badge', STATUS_LABEL[stage.status] ?? stage.status));
  if (stage.trafficText) head.append(element('span', 'muted', stage.trafficText));
  if (stage.manualApproval) head.append(element('span', 'muted', 'manual gate'));
  item.append(head);
  if (stage.judge) item.append(renderJudge(stage.judge));
  if (stage.progress !== undefined && (stage.status === 'baking' || stage.status === 'paused' || stage.current)) {
    const progress = element('progress');
    progress.max = 1;
    progress.value = stage.progress;
    progress.setAttribute('aria-label', `bake ${stage.name}`);
    const row = element('div', 'progress-row');
    row.append(progress, element('span', 'muted', stage.bakeText ?? ''));
    item.append(row);
  }
  if (stage.guardrails.length > 0) {
    const table = element('table', 'guardrails');
    for (const guardrail of stage.guardrails) {
      table.append(renderGuardrail(guardrail));
      if (guardrail.visual) table.append(renderGuardrailVisualRow(guardrail.visual));
    }
    item.append(table);
  }
  return item;
}

function renderGuardrail(guardrail: PanelGuardrail): HTMLTableRowElement {
  const row = element('tr', `guardrail outcome-${guardrail.outcome ?? 'none'}`);
  row.title = guardrail.reason ?? '';
  const value = element('td', 'value', guardrail.valueText);
  const bound = element('td', 'bound muted', guardrail.boundText);
  const trend = element('td', 'trend');
  trend.append(renderSparkline(guardrail));
  row.append(element('td', 'name', guardrail.name), value, bound, trend);
  if (guardrail.consecutiveFailures > 0) row.append(element('td', 'failures', `${guardrail.consecutiveFailures}✗`));
  return row;
}

function renderSparkline(guardrail: PanelGuardrail): SVGSVGElement {
  const width = 80;
  const height = 18;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${guardrail.name} trend: ${guardrail.trend.map((value) => (value === null ? 'no data' : String(value))).join(', ') || 'no values yet'}`);
  const bounds: { min?: number; max?: number } = {};
  if (guardrail.max !== undefined) bounds.max = guardrail.max;
  if (guardrail.min !== undefined) bounds.min = guardrail.min;
  const shape = sparkline(guardrail.trend, width, height, bounds);
  for (const y of [shape.maxY, shape.minY]) {
    if (y === undefined) continue;
    const line = document.createElementNS(SVG, 'line');
    line.setAttribute('class', 'bound-line');
    line.setAttribute('x1', '0');
    line.setAttribute('x2', String(width));
    line.setAttribute('y1', String(y));
    line.setAttribute('y2', String(y));
    svg.append(line);
  }
  for (const points of shape.segments) {
    const polyline = document.createElementNS(SVG, 'polyline');
    polyline.setAttribute('class', 'trend-line');
    polyline.setAttribute('points', points);
    svg.append(polyline);
  }
  return svg;
}

// ---------------------------------------------------------------------------------------------
// Changelog: rows are reused by seq+hash, and an entry's details are built only when opened, so
// a long ledger costs one small row per entry.

const rowCache = new Map<string, HTMLLIElement>();

function entryKey(entry: PanelChangelogEntry): string {
  return `${entry.seq}:${entry.hash}`;
}

function fillDetails(details: HTMLDetailsElement, entry: PanelChangelogEntry): void {
  if (details.dataset.filled) return;
  details.dataset.filled = 'true';
  const body = element('div', 'entry-body');
  const facts = element('dl', 'facts');
  const fact = (term: string, value: string | undefined) => {
    if (!value) return;
    facts.append(element('dt', undefined, term), element('dd', undefined, value));
  };
  fact('Time', entry.time);
  fact('Actor', entry.actor);
  fact('Service', entry.service);
  fact('Stage', entry.stage);
  fact('Change', entry.change);
  fact('Flags', entry.flags);
  fact('Reason', entry.reason);
  fact('From', entry.origin);
  body.append(facts);
  if (entry.evidence.length > 0) {
    body.append(element('h3', undefined, 'Evidence'));
    const table = element('table', 'evidence');
    for (const evidence of entry.evidence) {
      const row = element('tr', `outcome-${evidence.outcome ?? 'none'}`);
      row.append(element('td', undefined, evidence.guardrail), element('td', 'value', evidence.valueText), element('td', 'muted', evidence.boundText), element('td', undefined, evidence.outcome ?? ''));
      table.append(row);
    }
    body.append(table);
  }
  if (entry.lineage.length > 0) {
    body.append(element('h3', undefined, 'Lineage'));
    const lineage = element('dl', 'facts lineage');
    for (const line of entry.lineage) lineage.append(element('dt', undefined, line.label), element('dd', 'mono', line.value));
    body.append(lineage);
  }
  body.append(element('p', 'muted mono', `#${entry.seq} ${entry.hash.slice(0, 16)}…`));
  details.append(body);
}

function renderEntry(entry: PanelChangelogEntry): HTMLLIElement {
  const key = entryKey(entry);
  const cached = rowCache.get(key);
  if (cached) return cached;
  const item = element('li', `entry action-${entry.action}${entry.failed ? ' failed' : ''}`);
  item.dataset.seq = String(entry.seq);
  item.dataset.action = entry.action;
  const details = element('details');
  const summaryLine = element('summary');
  const time = entry.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  summaryLine.append(
    element('span', 'entry-action', entry.action),
    element('span', 'entry-what', [entry.stage, entry.change, entry.failed ? 'FAILED' : undefined].filter(Boolean).join(' · ')),
    element('span', 'muted entry-time', time),
  );
  const source = changelogSourceLink(entry, (message) => vscode.postMessage(message));
  if (source) summaryLine.append(source);
  details.append(summaryLine);
  details.addEventListener('toggle', () => {
    if (details.open) {
      fillDetails(details, entry);
      openEntries.add(entry.seq);
    } else openEntries.delete(entry.seq);
    persist();
  });
  if (openEntries.has(entry.seq)) {
    fillDetails(details, entry);
    details.open = true;
  }
  item.append(details);
  rowCache.set(key, item);
  return item;
}

/** Merges a changelog message into the list, touching only the rows that change. */
function applyChangelog(changelog: PanelChangelog): void {
  changelogSource = { source: changelog.source, ...(changelog.problem ? { problem: changelog.problem } : {}) };
  changelogSourceLine.textContent = changelog.problem ?? (changelog.source ? `${changelog.source}, newest first` : '');
  changelogSourceLine.classList.toggle('problem', changelog.problem !== undefined);
  const newest = shownEntries[0];
  const incoming = changelog.entries;
  let mode = changelog.mode;
  // A head page that does not reach back to what is shown (or disagrees with it) starts the list again.
  if (mode === 'head' && newest) {
    const overlap = incoming.find((entry) => entry.seq === newest.seq);
    const reaches = incoming.length === 0 || incoming[incoming.length - 1]!.seq <= newest.seq;
    if (!reaches || (overlap && overlap.hash !== newest.hash)) mode = 'replace';
  } else if (mode === 'head') mode = 'replace';
  if (mode === 'replace') {
    for (const row of rowCache.values()) row.remove();
    rowCache.clear();
    shownEntries = incoming;
    changelogHasMore = changelog.hasMore;
    changelogList.replaceChildren(...incoming.map(renderEntry));
  } else if (mode === 'head') {
    const fresh = incoming.filter((entry) => entry.seq > newest!.seq);
    if (fresh.length > 0) {
      shownEntries = [...fresh, ...shownEntries];
      changelogList.prepend(...fresh.map(renderEntry));
    }
  } else {
    const oldest = shownEntries[shownEntries.length - 1];
    const older = oldest ? incoming.filter((entry) => entry.seq < oldest.seq) : incoming;
    shownEntries = [...shownEntries, ...older];
    changelogList.append(...older.map(renderEntry));
    changelogHasMore = changelog.hasMore;
  }
  emptyNote.hidden = shownEntries.length > 0;
  showMore.hidden = !changelogHasMore;
  showMore.disabled = false;
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  if (!message || typeof message !== 'object') return;
  if (message.type === 'state') {
    currentState = message.state;
    renderState(message.state);
  } else if (message.type === 'changelog') {
    applyChangelog(message.changelog);
  } else if (message.type === 'timeline') {
    timelineView.render(message.timeline);
    return;
  } else if (message.type === 'flags') {
    currentFlags = message.flags;
    flagsView.render(message.flags);
  } else return;
  persist();
});

if (currentState) renderState(currentState);
if (saved.changelog) applyChangelog(saved.changelog);
if (currentFlags) flagsView.render(currentFlags);
vscode.postMessage({ type: 'ready' });
