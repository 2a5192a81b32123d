// The Markdown report: GitHub-flavoured Markdown that pastes into a review document. Every string
// from the ledger goes through `md` or `mdCode`; measurements are tables (charts are HTML's).
import { md, mdCode } from './escape';
import { describeBound, describeReportTraffic, formatDuration, formatOffset, formatTime, formatValue } from './text';
import type { GuardrailSeries, ReportModel, ReportRecovery, ReportVerification, TimelineRow } from './types';

const UNVERIFIED = '⚠';

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell || ' ').join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function valueText(value: number | null | undefined): string {
  return value === undefined ? '' : value === null ? 'no data' : formatValue(value);
}

export function trafficCell(row: Pick<TimelineRow, 'trafficBefore' | 'trafficAfter' | 'trafficChanged'>): string {
  const before = describeReportTraffic(row.trafficBefore);
  const after = describeReportTraffic(row.trafficAfter);
  if (!row.trafficChanged) return before;
  return `${before || '—'} → ${after || '—'}`;
}

/** The warning that opens a report whose ledger does not verify. */
export function verificationWarning(verification: ReportVerification): string | undefined {
  if (verification.ok) return undefined;
  if (verification.tornOnly) {
    return `The ledger's last line (line ${verification.firstBadLine ?? '?'}) is torn: an append was interrupted. Those bytes are not an entry and are not in this report; the chain before them verifies (${verification.verifiedEntries} entries).`;
  }
  const unverified = verification.unverifiedCovered;
  return (
    `THE LEDGER FAILS VERIFICATION at line ${verification.firstBadLine ?? '?'}: ${verification.problem ?? 'unknown problem'}. ` +
    `Nothing from that line on is vouched for by the hash chain` +
    (unverified > 0 ? `; ${unverified} of the entries below are, and are marked ${UNVERIFIED}.` : '; every entry below comes before it.')
  );
}

export function recoveryText(recovery: ReportRecovery): string {
  switch (recovery.status) {
    case 'no-breach':
      return 'No guardrail breach recorded';
    case 'not-recovered':
      return `Breach measured at ${formatTime(recovery.breachAt ?? '?')} (entry #${recovery.breachSeq}); traffic is NOT recorded back on ${recovery.knownGood ?? 'the known-good version'} in this report`;
    case 'recovered':
      return `${formatDuration(recovery.ms ?? 0)}: breach measured at ${formatTime(recovery.breachAt ?? '?')} (entry #${recovery.breachSeq}), all traffic on ${recovery.knownGood ?? '?'} at ${formatTime(recovery.recoveredAt ?? '?')} (entry #${recovery.recoveredSeq}, ${recovery.recoveredBy})`;
  }
}

function summary(model: ReportModel): string {
  const rows: string[][] = [];
  const { scope, verification } = model;
  if (scope.service) rows.push(['Service', md(scope.service)]);
  if (scope.kind === 'run') rows.push(['Run', mdCode(scope.runIds[0] ?? '?', { inTable: true })]);
  else {
    rows.push(['Window asked for', md(`${formatTime(scope.since ?? '?')} to ${scope.until ? formatTime(scope.until) : 'now'}`)]);
    if (scope.runIds.length > 0) rows.push(['Runs', scope.runIds.map((id) => mdCode(id, { inTable: true })).join(', ')]);
  }
  rows.push(['Outcome', md(model.outcome.text)]);
  const lineage = model.lineage[0];
  if (lineage?.candidate) rows.push(['Candidate', md(lineage.candidate.version)]);
  if (lineage?.baseline) rows.push(['Baseline (known good)', md(lineage.baseline.version)]);
  if (scope.firstAt && scope.lastAt) {
    const span = Date.parse(scope.lastAt) - Date.parse(scope.firstAt);
    rows.push(['Recorded', md(`${formatTime(scope.firstAt)} to ${formatTime(scope.lastAt)}${Number.isFinite(span) ? ` (${formatDuration(span)})` : ''}`)]);
  }
  rows.push(['First breach → traffic back on known good', md(recoveryText(model.recovery))]);
  const head = verification.lastCovered;
  rows.push([
    'Ledger',
    `${mdCode(verification.file, { inTable: true })}: ${verification.ok ? `chain intact, ${verification.verifiedEntries} entries` : md(verification.tornOnly ? 'torn last line' : `FAILS at line ${verification.firstBadLine}`)}` +
      (head ? `; last entry covered #${head.seq}, hash ${mdCode(head.hash, { inTable: true })}` : ''),
  ]);
  return table(['', ''], rows);
}

function timelineSection(model: ReportModel): string {
  if (model.timeline.length === 0) return 'No entries.';
  const rows = model.timeline.map((row) => [
    `${row.verified ? '' : `${UNVERIFIED} `}${row.seq}`,
    md(formatTime(row.time)),
    md(formatOffset(row.offsetMs)),
    md(row.actor, 200),
    md(row.action, 200) + (row.outcome && row.outcome !== 'ok' && row.outcome !== 'success' ? ` (${md(row.outcome, 100)})` : ''),
    row.stage ? md(row.stage, 200) : '',
    md(trafficCell(row)),
    [row.reason ? md(row.reason) : '', row.detail ? mdCode(row.detail, { inTable: true }) : '', ...(row.flags ?? []).map((flag) => `flag ${mdCode(flag, { inTable: true })}`)].filter(Boolean).join(' '),
  ]);
  const note = model.measurementEntries > 0 ? `\n\n${model.measurementEntries} measurement entries are charted under Guardrail measurements, not listed here.` : '';
  return table(['#', 'Time (UTC)', 'T+', 'Actor', 'Action', 'Stage', 'Traffic (before → after)', 'Reason'], rows) + note;
}

function seriesSection(series: GuardrailSeries): string {
  const heading = `### ${md(series.guardrail, 200)} (${md(series.rule ?? describeBound(series.bound))})`;
  const facts = [
    series.measures ? `${md(series.kind ?? '', 20)} guardrail: the value is the ${md(series.measures)}.` : '',
    `${series.points.length} measurement${series.points.length === 1 ? '' : 's'}, ${series.failed} failed, ${series.noData} with no data; the chart plots the ${series.plotted === 'ratio' ? 'ratio to the baseline' : 'value'}.`,
    series.query ? `Query: ${mdCode(series.query)}` : '',
  ].filter(Boolean);
  const withNote = series.kind !== undefined;
  const rows = series.points.map((point) => [
    md(formatTime(point.time)),
    point.stage ? md(point.stage, 200) : '',
    valueText(point.value),
    valueText(point.baselineValue),
    valueText(point.ratio),
    `${point.outcome ? md(point.outcome, 50) : ''}${point.dryRun ? ' (dry run)' : ''}${point.verified ? '' : ` ${UNVERIFIED}`}`,
    ...(withNote ? [point.note ? md(point.note) : ''] : []),
  ]);
  const header = ['Time (UTC)', 'Stage', 'Value', 'Baseline', 'Ratio', 'Outcome', ...(withNote ? ['Details'] : [])];
  const evidence = series.evidence
    ? [
        `${md(series.evidence.caption)}:`,
        table(
          series.evidence.header,
          series.evidence.rows.map((row) => row.map((cell) => md(cell, 200))),
        ),
      ]
    : [];
  return [heading, facts.join('\n\n'), table(header, rows), ...evidence].join('\n\n');
}

function judgementsSection(model: ReportModel): string {
  const rows = model.judgements.map((row) => [
    `${row.verified ? '' : `${UNVERIFIED} `}${row.seq}`,
    md(formatTime(row.time)),
    row.stage ? md(row.stage, 200) : '',
    md(row.action, 100),
    row.score !== undefined ? formatValue(row.score) : 'no score',
    md(row.verdict, 50),
    row.pass !== undefined ? `pass ≥ ${formatValue(row.pass)}${row.marginal !== undefined ? `, marginal ≥ ${formatValue(row.marginal)}` : ''}` : '',
    row.passed !== undefined && row.counted !== undefined ? `${row.passed} of ${row.counted}` : '',
    md([...row.criticalBreaches.map((name) => `${name} (critical)`), ...row.failed.filter((name) => !row.criticalBreaches.includes(name))].join(', ')),
  ]);
  return table(['#', 'Time (UTC)', 'Stage', 'Entry', 'Score', 'Verdict', 'Thresholds', 'Passed', 'Failed'], rows);
}

function cellRunsSection(model: ReportModel): string {
  if (model.cellRuns.length === 0) return 'No runbook cell ran in this window.';
  return model.cellRuns
    .map((cell, index) => {
      const where = [cell.runbook ? mdCode(cell.runbook) : undefined, cell.cell ? `cell ${mdCode(cell.cell)}` : undefined].filter(Boolean).join(' ');
      const lines = [
        `${index + 1}. ${cell.verified ? '' : `${UNVERIFIED} `}${md(formatTime(cell.time))}: ${where || 'a cell'}${cell.kind ? ` (${md(cell.kind, 50)}${cell.environment ? `, ${md(cell.environment, 100)}` : ''})` : ''} by ${md(cell.actor, 200)}, entry #${cell.seq}`,
        `   - Request: ${mdCode(`${cell.method} ${cell.url}`)}`,
      ];
      if (cell.action) lines.push(`   - Action: ${md(cell.action)}`);
      for (const [name, value] of cell.headers) lines.push(`   - Header ${mdCode(`${name}: ${value}`)}`);
      if (cell.body) lines.push(`   - Body: ${mdCode(cell.body, { max: 500 })}`);
      lines.push(`   - Result: ${md(cell.summary)}`);
      return lines.join('\n');
    })
    .join('\n');
}

function notificationsSection(model: ReportModel): string {
  const rows = model.notifications.map((row) => [
    `${row.verified ? '' : `${UNVERIFIED} `}${row.seq}`,
    md(formatTime(row.time)),
    row.event ? md(row.event, 100) : '',
    mdCode(row.target, { inTable: true }),
    md(row.outcome, 100),
    row.status !== undefined ? String(row.status) : '',
    row.attempts !== undefined ? String(row.attempts) : '',
    row.error ? md(row.error) : '',
  ]);
  return table(['#', 'Time (UTC)', 'Event', 'Target', 'Outcome', 'HTTP', 'Attempts', 'Error'], rows);
}

function lineageSection(model: ReportModel): string {
  if (model.lineage.length === 0) return 'No lineage recorded.';
  return model.lineage
    .map((block) => {
      const rows: string[][] = [];
      for (const [label, version] of [
        ['Candidate', block.candidate],
        ['Baseline', block.baseline],
      ] as const) {
        if (version) rows.push([label, md(version.version, 200), version.artifact ? mdCode(version.artifact, { inTable: true }) : '', version.digest ? mdCode(version.digest, { inTable: true }) : '']);
      }
      for (const data of block.data) rows.push(['Data', md(data.name, 200), data.snapshot ? md(data.snapshot, 200) : '', data.digest ? mdCode(data.digest, { inTable: true }) : '']);
      for (const feature of block.features) rows.push(['Features', md(feature.name, 200), feature.version ? md(`version ${feature.version}`, 200) : '', '']);
      if (block.training) {
        rows.push(['Training', md(block.training.run ?? '', 200), block.training.commit ? md(`commit ${block.training.commit}`, 200) : '', block.training.pipeline ? md(block.training.pipeline, 200) : '']);
      }
      for (const digest of block.planDigests) rows.push(['Plan', '', '', mdCode(digest, { inTable: true })]);
      return table(['', 'Name / version', 'Artifact / snapshot', 'Digest'], rows);
    })
    .join('\n\n');
}

function verificationSection(verification: ReportVerification): string {
  const lines = [
    verification.ok
      ? `The hash chain of ${mdCode(verification.file)} verifies: ${verification.verifiedEntries} entries, head #${verification.chainHeadSeq} with hash ${mdCode(verification.chainHeadHash)}.`
      : `The hash chain of ${mdCode(verification.file)} verifies up to entry #${verification.chainHeadSeq} (hash ${mdCode(verification.chainHeadHash)}); ${md(verification.problem ?? '')}`,
  ];
  if (verification.lastCovered) {
    lines.push(
      `The last entry in this report is #${verification.lastCovered.seq} (line ${verification.lastCovered.line}) with hash ${mdCode(verification.lastCovered.hash)}` +
        (verification.lastCovered.verified
          ? ': each hash covers the entry and the hash before it, so this hash vouches for every entry of the report up to it.'
          : `, after the first bad line: ${UNVERIFIED} not vouched for.`),
    );
  }
  if (verification.unreadableLines > 0) lines.push(`${verification.unreadableLines} line(s) of the file are not ledger entries and were skipped.`);
  lines.push(`To check: ${mdCode(`rollgate ledger verify --file ${verification.file}`)}, then ${mdCode('rollgate ledger show --format json')} and compare the hash of entry #${verification.lastCovered?.seq ?? '?'}.`);
  return lines.join('\n\n');
}

/** The report as GitHub-flavoured Markdown. */
export function renderMarkdown(model: ReportModel): string {
  const warning = verificationWarning(model.verification);
  const sections = [
    `# ${md(model.title)}`,
    warning ? `> **${md(warning)}**` : '',
    summary(model),
    '## Timeline',
    timelineSection(model),
    '## Guardrail measurements',
    model.guardrails.length > 0 ? model.guardrails.map(seriesSection).join('\n\n') : 'No guardrail measurement recorded.',
    ...(model.judgements.length > 0 ? ['## Judged stages', judgementsSection(model)] : []),
    '## Runbook cells run',
    cellRunsSection(model),
    ...(model.notifications.length > 0 ? ['## Notifications', notificationsSection(model)] : []),
    '## Lineage',
    lineageSection(model),
    '## Ledger verification',
    verificationSection(model.verification),
    `_Generated by Rollgate at ${md(formatTime(model.generatedAt))}._`,
  ];
  return `${sections.filter((section) => section !== '').join('\n\n')}\n`;
}
