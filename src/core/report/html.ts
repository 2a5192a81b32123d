// The HTML report: one self-contained file (inline CSS and SVG; no script, font, image or link to
// anything else; a CSP that forbids loading any), readable on screen in light or dark mode and
// printed. Every string from the ledger goes through `html`.
import { html, htmlBlock } from './escape';
import { recoveryText, trafficCell, verificationWarning } from './markdown';
import { seriesChart, type ChartOptions } from './svg';
import { describeBound, formatDuration, formatOffset, formatTime, formatValue } from './text';
import type { EvidenceTable, GuardrailSeries, ReportModel, ReportVerification, TimelineRow } from './types';

const STYLE = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --stripe: #f6f8fa;
  --accent: #0969da; --fail: #cf222e; --pass: #1a7f37; --other: #9a6700; --warn-bg: #fff8c5; --warn-fg: #4d2d00;
  --error-bg: #ffebe9; --error-fg: #82071e; --plot: #f6f8fa; --grid: #d1d9e0; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --stripe: #151b23;
  --accent: #4493f8; --fail: #f85149; --pass: #3fb950; --other: #d29922; --warn-bg: #3b2e00; --warn-fg: #f2cc60;
  --error-bg: #490202; --error-fg: #ffa198; --plot: #151b23; --grid: #3d444d; } }
@media print { :root { --bg: #ffffff; --fg: #000000; --muted: #444444; --border: #999999; --stripe: #f2f2f2; --plot: #ffffff; --grid: #cccccc;
  --warn-bg: #ffffff; --warn-fg: #000000; --error-bg: #ffffff; --error-fg: #000000; }
  body { font-size: 9.5pt; margin: 0; max-width: none; } .banner { border-width: 2px; }
  tr, figure, .cell, .banner { break-inside: avoid; } h2 { break-after: avoid; } }
* { box-sizing: border-box; }
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--border); padding-bottom: .25rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
.muted { color: var(--muted); } code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; } th, td { border: 1px solid var(--border); padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: var(--stripe); font-weight: 600; } td { overflow-wrap: break-word; } td.text, td code { overflow-wrap: anywhere; }
tr.failed td, tr.breach td { color: var(--fail); } tr.recovered td { color: var(--pass); } .nowrap { white-space: nowrap; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 1rem 0; } dl.summary dt { font-weight: 600; } dl.summary dd { margin: 0; overflow-wrap: anywhere; }
.banner { border: 1px solid; border-radius: 6px; padding: .6rem .8rem; margin: 1rem 0; font-weight: 600; }
.banner.error { background: var(--error-bg); color: var(--error-fg); border-color: var(--fail); } .banner.warning { background: var(--warn-bg); color: var(--warn-fg); border-color: var(--other); }
.unverified { color: var(--fail); font-weight: 700; }
figure { margin: .5rem 0 1rem; } .chart { width: 100%; max-width: 860px; height: auto; }
.chart .plot { fill: var(--plot); stroke: var(--border); } .chart .grid { stroke: var(--grid); stroke-width: .5; }
.chart .axis, .chart .bound-label, .chart .nodata { fill: var(--muted); font: 11px ui-monospace, monospace; } .chart .bound-label { fill: var(--fail); }
.chart .bound { stroke: var(--fail); stroke-dasharray: 6 4; stroke-width: 1.2; } .chart .series { fill: none; stroke: var(--accent); stroke-width: 1.6; }
.chart .point.pass { fill: var(--pass); } .chart .point.fail { fill: var(--fail); } .chart .point.other { fill: var(--other); }
.chart .marker { stroke-width: 1.2; stroke-dasharray: 2 3; } .chart .marker.breach { stroke: var(--fail); } .chart .marker.recovery { stroke: var(--pass); }
table.evidence { width: auto; min-width: 24rem; } table.evidence caption { text-align: left; color: var(--muted); padding: .25rem 0; }
ol.cells { padding-left: 1.5rem; } .cell { margin: .5rem 0 .9rem; } .cell dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: .25rem 0; }
.cell dt { color: var(--muted); } .cell dd { margin: 0; } pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
`;

const mark = (verified: boolean) => (verified ? '' : '<span class="unverified" title="after the first bad line: not vouched for by the hash chain">⚠ </span>');
const code = (text: string, max?: number) => `<code>${html(text, max)}</code>`;

function summary(model: ReportModel): string {
  const items: Array<[string, string]> = [];
  const { scope, verification } = model;
  if (scope.service) items.push(['Service', html(scope.service)]);
  if (scope.kind === 'run') items.push(['Run', code(scope.runIds[0] ?? '?')]);
  else {
    items.push(['Window asked for', html(`${formatTime(scope.since ?? '?')} to ${scope.until ? formatTime(scope.until) : 'now'}`)]);
    if (scope.runIds.length > 0) items.push(['Runs', scope.runIds.map((id) => code(id)).join(', ')]);
  }
  items.push(['Outcome', html(model.outcome.text)]);
  const lineage = model.lineage[0];
  if (lineage?.candidate) items.push(['Candidate', html(lineage.candidate.version)]);
  if (lineage?.baseline) items.push(['Baseline (known good)', html(lineage.baseline.version)]);
  if (scope.firstAt && scope.lastAt) {
    const span = Date.parse(scope.lastAt) - Date.parse(scope.firstAt);
    items.push(['Recorded', html(`${formatTime(scope.firstAt)} to ${formatTime(scope.lastAt)}${Number.isFinite(span) ? ` (${formatDuration(span)})` : ''}`)]);
  }
  items.push(['First breach → traffic back on known good', html(recoveryText(model.recovery))]);
  const head = verification.lastCovered;
  items.push([
    'Ledger',
    `${code(verification.file)}: ${verification.ok ? html(`chain intact, ${verification.verifiedEntries} entries`) : html(verification.tornOnly ? 'torn last line' : `FAILS at line ${verification.firstBadLine}`)}` +
      (head ? `; last entry covered #${head.seq}, hash ${code(head.hash)}` : ''),
  ]);
  return `<dl class="summary">${items.map(([term, value]) => `<dt>${html(term)}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

function rowClass(row: TimelineRow, model: ReportModel): string {
  if (row.action === 'guardrail-breach') return 'breach';
  if (row.outcome === 'failed' || row.outcome === 'failure' || row.outcome === 'error') return 'failed';
  if (model.recovery.recoveredSeq === row.seq) return 'recovered';
  return '';
}

function timelineSection(model: ReportModel): string {
  if (model.timeline.length === 0) return '<p>No entries.</p>';
  const rows = model.timeline.map((row) => {
    const cls = rowClass(row, model);
    const outcome = row.outcome && row.outcome !== 'ok' && row.outcome !== 'success' ? ` (${html(row.outcome, 100)})` : '';
    const reason = [row.reason ? html(row.reason) : '', row.detail ? code(row.detail) : '', ...(row.flags ?? []).map((flag) => `flag ${code(flag)}`)].filter(Boolean).join('<br>');
    return (
      `<tr${cls ? ` class="${cls}"` : ''}><td class="nowrap">${mark(row.verified)}${row.seq}</td><td class="nowrap">${html(formatTime(row.time))}</td>` +
      `<td class="nowrap">${html(formatOffset(row.offsetMs))}</td><td>${html(row.actor, 200)}</td><td>${html(row.action, 200)}${outcome}</td>` +
      `<td>${row.stage ? html(row.stage, 200) : ''}</td><td>${html(trafficCell(row))}</td><td class="text">${reason}</td></tr>`
    );
  });
  const note = model.measurementEntries > 0 ? `<p class="muted">${model.measurementEntries} measurement entries are charted under Guardrail measurements, not listed here.</p>` : '';
  return (
    '<table class="timeline"><thead><tr><th>#</th><th>Time (UTC)</th><th>T+</th><th>Actor</th><th>Action</th><th>Stage</th><th>Traffic (before → after)</th><th>Reason</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>${note}`
  );
}

const valueText = (value: number | null | undefined) => (value === undefined ? '' : value === null ? 'no data' : formatValue(value));

function evidenceSection(evidence: EvidenceTable): string {
  const head = evidence.header.some(Boolean) ? `<thead><tr>${evidence.header.map((cell) => `<th>${html(cell)}</th>`).join('')}</tr></thead>` : '';
  return `<table class="evidence"><caption>${html(evidence.caption)}</caption>${head}<tbody>${evidence.rows.map((row) => `<tr>${row.map((cell) => `<td>${html(cell, 200)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function seriesSection(series: GuardrailSeries, markers: ChartOptions['markers']): string {
  const facts = `${series.points.length} measurement${series.points.length === 1 ? '' : 's'}, ${series.failed} failed, ${series.noData} with no data; the chart plots the ${series.plotted === 'ratio' ? 'ratio to the baseline' : 'value'}.`;
  const measures = series.measures ? `${html(series.kind ?? '', 20)} guardrail: the value is the ${html(series.measures)}.<br>` : '';
  const withNote = series.kind !== undefined;
  const rows = series.points.map(
    (point) =>
      `<tr${point.outcome === 'fail' ? ' class="failed"' : ''}><td class="nowrap">${mark(point.verified)}${html(formatTime(point.time))}</td><td>${point.stage ? html(point.stage, 200) : ''}</td>` +
      `<td>${valueText(point.value)}</td><td>${valueText(point.baselineValue)}</td><td>${valueText(point.ratio)}</td><td>${point.outcome ? html(point.outcome, 50) : ''}${point.dryRun ? ' (dry run)' : ''}</td>` +
      (withNote ? `<td>${point.note ? html(point.note) : ''}</td>` : '') +
      '</tr>',
  );
  return (
    `<h3>${html(series.guardrail, 200)} <span class="muted">(${html(series.rule ?? describeBound(series.bound))})</span></h3>` +
    `<p>${measures}${html(facts)}${series.query ? `<br>Query: ${code(series.query)}` : ''}</p>` +
    `<figure>${seriesChart(series, { markers: markers ?? [] })}</figure>` +
    `<table class="measurements"><thead><tr><th>Time (UTC)</th><th>Stage</th><th>Value</th><th>Baseline</th><th>Ratio</th><th>Outcome</th>${withNote ? '<th>Details</th>' : ''}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>` +
    (series.evidence ? evidenceSection(series.evidence) : '')
  );
}

function judgementsSection(model: ReportModel): string {
  const rows = model.judgements.map((row) => {
    const failed = [...row.criticalBreaches.map((name) => `${name} (critical)`), ...row.failed.filter((name) => !row.criticalBreaches.includes(name))].join(', ');
    const thresholds = row.pass !== undefined ? `pass ≥ ${formatValue(row.pass)}${row.marginal !== undefined ? `, marginal ≥ ${formatValue(row.marginal)}` : ''}` : '';
    return (
      `<tr${row.verdict === 'fail' ? ' class="failed"' : ''}><td>${mark(row.verified)}${row.seq}</td><td class="nowrap">${html(formatTime(row.time))}</td><td>${row.stage ? html(row.stage, 200) : ''}</td>` +
      `<td>${html(row.action, 100)}</td><td>${row.score !== undefined ? formatValue(row.score) : 'no score'}</td><td>${html(row.verdict, 50)}</td><td>${html(thresholds)}</td>` +
      `<td>${row.passed !== undefined && row.counted !== undefined ? `${row.passed} of ${row.counted}` : ''}</td><td>${html(failed)}</td></tr>`
    );
  });
  return `<table class="judgements"><thead><tr><th>#</th><th>Time (UTC)</th><th>Stage</th><th>Entry</th><th>Score</th><th>Verdict</th><th>Thresholds</th><th>Passed</th><th>Failed</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function cellRunsSection(model: ReportModel): string {
  if (model.cellRuns.length === 0) return '<p>No runbook cell ran in this window.</p>';
  const items = model.cellRuns.map((cell) => {
    const where = [cell.runbook ? code(cell.runbook) : '', cell.cell ? `cell ${code(cell.cell)}` : ''].filter(Boolean).join(' ') || 'a cell';
    const kind = cell.kind ? ` (${html(cell.kind, 50)}${cell.environment ? `, ${html(cell.environment, 100)}` : ''})` : '';
    const facts: Array<[string, string]> = [['Request', code(`${cell.method} ${cell.url}`)]];
    if (cell.action) facts.push(['Action', html(cell.action)]);
    if (cell.headers.length > 0) facts.push(['Headers', cell.headers.map(([name, value]) => code(`${name}: ${value}`)).join('<br>')]);
    if (cell.body) facts.push(['Body', `<pre class="mono">${htmlBlock(cell.body.length > 2000 ? `${cell.body.slice(0, 2000)}… (${cell.body.length - 2000} more characters)` : cell.body)}</pre>`]);
    facts.push(['Result', html(cell.summary)]);
    return (
      `<li class="cell">${mark(cell.verified)}<strong>${html(formatTime(cell.time))}</strong>: ${where}${kind} by ${html(cell.actor, 200)}, entry #${cell.seq}` +
      `<dl>${facts.map(([term, value]) => `<dt>${html(term)}</dt><dd>${value}</dd>`).join('')}</dl></li>`
    );
  });
  return `<ol class="cells">${items.join('')}</ol>`;
}

function notificationsSection(model: ReportModel): string {
  const rows = model.notifications.map(
    (row) =>
      `<tr${row.outcome === 'failed' ? ' class="failed"' : ''}><td>${mark(row.verified)}${row.seq}</td><td class="nowrap">${html(formatTime(row.time))}</td><td>${row.event ? html(row.event, 100) : ''}</td>` +
      `<td>${code(row.target)}</td><td>${html(row.outcome, 100)}</td><td>${row.status ?? ''}</td><td>${row.attempts ?? ''}</td><td>${row.error ? html(row.error) : ''}</td></tr>`,
  );
  return `<table><thead><tr><th>#</th><th>Time (UTC)</th><th>Event</th><th>Target</th><th>Outcome</th><th>HTTP</th><th>Attempts</th><th>Error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function lineageSection(model: ReportModel): string {
  if (model.lineage.length === 0) return '<p>No lineage recorded.</p>';
  return model.lineage
    .map((block) => {
      const rows: string[] = [];
      const row = (cells: string[]) => rows.push(`<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`);
      for (const [label, version] of [
        ['Candidate', block.candidate],
        ['Baseline', block.baseline],
      ] as const) {
        if (version) row([label, html(version.version, 200), version.artifact ? code(version.artifact) : '', version.digest ? code(version.digest) : '']);
      }
      for (const data of block.data) row(['Data', html(data.name, 200), data.snapshot ? html(data.snapshot, 200) : '', data.digest ? code(data.digest) : '']);
      for (const feature of block.features) row(['Features', html(feature.name, 200), feature.version ? html(`version ${feature.version}`, 200) : '', '']);
      if (block.training)
        row(['Training', html(block.training.run ?? '', 200), block.training.commit ? html(`commit ${block.training.commit}`, 200) : '', block.training.pipeline ? html(block.training.pipeline, 200) : '']);
      for (const digest of block.planDigests) row(['Plan', '', '', code(digest)]);
      return `<table class="lineage"><thead><tr><th></th><th>Name / version</th><th>Artifact / snapshot</th><th>Digest</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
    })
    .join('');
}

function verificationSection(verification: ReportVerification): string {
  const paragraphs = [
    verification.ok
      ? `The hash chain of ${code(verification.file)} verifies: ${verification.verifiedEntries} entries, head #${verification.chainHeadSeq} with hash ${code(verification.chainHeadHash)}.`
      : `The hash chain of ${code(verification.file)} verifies up to entry #${verification.chainHeadSeq} (hash ${code(verification.chainHeadHash)}); ${html(verification.problem ?? '')}`,
  ];
  const last = verification.lastCovered;
  if (last) {
    paragraphs.push(
      `The last entry in this report is #${last.seq} (line ${last.line}) with hash ${code(last.hash)}` +
        (last.verified ? ': each hash covers the entry and the hash before it, so this hash vouches for every entry of the report up to it.' : ', after the first bad line: ⚠ not vouched for.'),
    );
  }
  if (verification.unreadableLines > 0) paragraphs.push(`${verification.unreadableLines} line(s) of the file are not ledger entries and were skipped.`);
  paragraphs.push(`To check: ${code(`rollgate ledger verify --file ${verification.file}`)}, then ${code('rollgate ledger show --format json')} and compare the hash of entry #${last?.seq ?? '?'}.`);
  return paragraphs.map((paragraph) => `<p>${paragraph}</p>`).join('');
}

/** The report as one self-contained HTML file. */
export function renderHtml(model: ReportModel): string {
  const warning = verificationWarning(model.verification);
  const markers: NonNullable<ChartOptions['markers']> = [];
  if (model.recovery.breachAt) markers.push({ time: model.recovery.breachAt, label: `breach (entry #${model.recovery.breachSeq})`, kind: 'breach' });
  if (model.recovery.recoveredAt) markers.push({ time: model.recovery.recoveredAt, label: `traffic back on ${model.recovery.knownGood ?? '?'} (entry #${model.recovery.recoveredSeq})`, kind: 'recovery' });
  const sections = [
    `<header><h1>${html(model.title)}</h1><p class="muted">Generated by Rollgate at ${html(formatTime(model.generatedAt))} from the hash-chained ledger.</p></header>`,
    warning ? `<div class="banner ${model.verification.tornOnly ? 'warning' : 'error'}" role="alert">${html(warning)}</div>` : '',
    `<section>${summary(model)}</section>`,
    `<section><h2>Timeline</h2>${timelineSection(model)}</section>`,
    `<section><h2>Guardrail measurements</h2>${model.guardrails.length > 0 ? model.guardrails.map((series) => seriesSection(series, markers)).join('') : '<p>No guardrail measurement recorded.</p>'}</section>`,
    `<section><h2>Runbook cells run</h2>${cellRunsSection(model)}</section>`,
    model.judgements.length > 0 ? `<section><h2>Judged stages</h2>${judgementsSection(model)}</section>` : '',
    model.notifications.length > 0 ? `<section><h2>Notifications</h2>${notificationsSection(model)}</section>` : '',
    `<section><h2>Lineage</h2>${lineageSection(model)}</section>`,
    `<section><h2>Ledger verification</h2>${verificationSection(model.verification)}</section>`,
  ];
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="color-scheme" content="light dark">\n' +
    `<title>${html(model.title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${sections.filter(Boolean).join('\n')}\n</body>\n</html>\n`
  );
}
