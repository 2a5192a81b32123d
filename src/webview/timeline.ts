// The side panel's run timeline: the selected run's report rows (time, actor, action, traffic
// before → after, reason), its outcome, breach-to-recovery time and ledger verification, with
// "Export report" buttons and links to the runbook cell or plan stage each row came from. DOM
// only, text through textContent; the host builds the rows (core/panel/timeline.ts).
import type { PanelChangelogEntry, PanelSourceKind, PanelTimeline, PanelTimelineRow, ReportExportFormat, ViewMessage } from '../core/panel/protocol';

type Post = (message: ViewMessage) => void;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const SOURCE_LABEL: Record<PanelSourceKind, { text: string; title: string }> = {
  cell: { text: 'Open cell', title: 'Open the runbook at the cell this run came from' },
  plan: { text: 'Open plan', title: 'Open the plan at this stage' },
};

/** A link-styled button that asks the host to open what ledger entry `seq` came from. */
export function sourceLink(kind: PanelSourceKind, seq: number, post: Post): HTMLButtonElement {
  const link = element('button', `source-link source-${kind}`, SOURCE_LABEL[kind].text);
  link.type = 'button';
  link.title = SOURCE_LABEL[kind].title;
  link.dataset.seq = String(seq);
  link.addEventListener('click', (event) => {
    event.preventDefault();
    event.stopPropagation();
    post({ type: 'openSource', seq });
  });
  return link;
}

/** The link a changelog entry gets (the changelog lives in main.ts), if it has a source. */
export function changelogSourceLink(entry: PanelChangelogEntry, post: Post): HTMLButtonElement | undefined {
  return entry.source ? sourceLink(entry.source, entry.seq, post) : undefined;
}

function renderRow(row: PanelTimelineRow, post: Post): HTMLLIElement {
  const item = element('li', `timeline-row action-${row.action}${row.failed ? ' failed' : ''}${row.verified ? '' : ' unverified'}`);
  item.dataset.seq = String(row.seq);
  item.dataset.action = row.action;
  const head = element('div', 'timeline-head');
  head.append(element('span', 'timeline-time mono', row.clock), element('span', 'timeline-action', row.action), element('span', 'muted timeline-offset', row.offset));
  item.append(head);
  const what = [row.stage, row.traffic].filter(Boolean).join(' · ');
  if (what) item.append(element('div', 'timeline-what', what));
  if (row.reason) item.append(element('div', 'timeline-reason', row.reason));
  if (row.detail) item.append(element('div', 'timeline-detail mono', row.detail));
  const foot = element('div', 'timeline-foot muted', `#${row.seq} by ${row.actor}${row.verified ? '' : ' · ⚠ after the first bad line'}`);
  if (row.source) foot.append(' ', sourceLink(row.source, row.seq, post));
  item.append(foot);
  return item;
}

export interface TimelineView {
  /** The section to add to the panel. */
  element: HTMLElement;
  render(timeline: PanelTimeline): void;
}

/** Builds the timeline section once; `render` refills it. */
export function createTimelineView(post: Post): TimelineView {
  const section = element('section', 'timeline');
  section.setAttribute('aria-label', 'Run timeline');
  const heading = element('h2', undefined, 'Run timeline');
  const exports = element('div', 'actions export-actions');
  const exportButtons = (['html', 'md'] as ReportExportFormat[]).map((format) => {
    const button = element('button', `export export-${format}`, format === 'html' ? 'Export HTML report' : 'Export Markdown report');
    button.type = 'button';
    button.title = format === 'html' ? 'Write a self-contained HTML report of this run into the workspace and open it' : 'Write a Markdown report of this run into the workspace and open it';
    button.dataset.format = format;
    button.addEventListener('click', () => post({ type: 'exportReport', format }));
    return button;
  });
  exports.append(...exportButtons);
  const facts = element('dl', 'facts timeline-facts');
  const verification = element('p', 'timeline-verification');
  const problem = element('p', 'muted timeline-problem');
  const list = element('ol', 'timeline-rows');
  const note = element('p', 'muted timeline-note');
  section.append(heading, problem, exports, facts, verification, list, note);

  return {
    element: section,
    render(timeline) {
      problem.textContent = timeline.problem ?? '';
      problem.hidden = !timeline.problem;
      const hasRun = timeline.runId !== undefined;
      for (const button of exportButtons) button.disabled = !hasRun;
      section.dataset.run = timeline.runId ?? '';
      facts.replaceChildren();
      const fact = (term: string, value: string | undefined) => {
        if (!value) return;
        facts.append(element('dt', undefined, term), element('dd', undefined, value));
      };
      fact('Run', timeline.runId);
      fact('Outcome', timeline.outcome);
      fact('Breach → recovery', timeline.recovery);
      verification.textContent = timeline.verification ?? '';
      verification.className = `timeline-verification${timeline.verified ? ' muted' : ' problem'}`;
      verification.hidden = !timeline.verification;
      list.replaceChildren(...timeline.rows.map((row) => renderRow(row, post)));
      note.textContent = timeline.measurementEntries > 0 ? `${timeline.measurementEntries} measurement rounds are charted in the exported report.` : '';
      note.hidden = timeline.measurementEntries === 0;
    },
  };
}
