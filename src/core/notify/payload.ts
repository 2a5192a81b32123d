// What a notification says, built from the ledger entry it follows (which holds no secret): the
// event, the run, the service, both versions, traffic before and after, the reason and the
// guardrail evidence. Two shapes: Rollgate's JSON document and a Slack incoming-webhook message.
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';

import type { LedgerEntry, LedgerEvidence, LedgerTraffic } from '../ledger/types';
import type { NotifyEventKind } from '../plan/notifySchema';
import { describeBound, describeReportTraffic, formatValue, oneLine } from '../report/text';
import { objectOf, objectsOf, recordedTraffic, stringOf } from '../ledger/fields';

/** The plan a notifier sends for (the ledger entries carry only its digest). */
export interface NotifyPlanInfo {
  name: string;
  environment?: string;
}

/** The event a ledger entry is, for subscribers; undefined for entries nobody subscribes to. */
export function eventOfEntry(entry: Pick<LedgerEntry, 'action' | 'details'>): NotifyEventKind | undefined {
  switch (entry.action) {
    case 'rollout-start':
      return 'start';
    case 'promote':
      return 'promote';
    case 'pause':
      return 'pause';
    case 'guardrail-breach':
      return 'breach';
    case 'rollback':
      return objectOf(entry.details)?.outcome === 'failed' ? 'rollback-failed' : 'rollback';
    case 'rollout-end':
      return 'end';
    default:
      return undefined;
  }
}

/** Rollgate's notification document (`schema: rollgate.notification/v1`). */
export interface NotificationDocument {
  schema: 'rollgate.notification/v1';
  event: NotifyEventKind;
  time: string;
  runId?: string;
  service?: string;
  plan: { name: string; environment?: string; digest?: string };
  actor: string;
  stage?: string;
  versions: { candidate?: { version: string; artifact?: string; digest?: string }; baseline?: { version: string; artifact?: string; digest?: string } };
  traffic: { before?: LedgerTraffic; after?: LedgerTraffic };
  reason?: string;
  evidence: LedgerEvidence[];
  /** The ledger entry this notification follows: a reader can find it with `rollgate ledger show`. */
  ledger: { seq: number; hash: string };
}

function version(value: unknown): { version: string; artifact?: string; digest?: string } | undefined {
  const item = objectOf(value);
  const name = stringOf(item?.version);
  if (!item || !name) return undefined;
  const artifact = stringOf(item.artifact);
  const digest = stringOf(item.digest);
  return { version: name, ...(artifact ? { artifact } : {}), ...(digest ? { digest } : {}) };
}

/** The JSON document for a ledger entry. */
export function notificationDocument(entry: LedgerEntry, event: NotifyEventKind, plan: NotifyPlanInfo): NotificationDocument {
  const lineage = objectOf(entry.lineage);
  const candidate = version(lineage?.candidate);
  const baseline = version(lineage?.baseline);
  const stage = stringOf(objectOf(entry.details)?.stage) ?? entry.to?.stage ?? entry.from?.stage;
  const document: NotificationDocument = {
    schema: 'rollgate.notification/v1',
    event,
    time: entry.time,
    plan: { name: plan.name, ...(plan.environment ? { environment: plan.environment } : {}), ...(entry.planDigest ? { digest: entry.planDigest } : {}) },
    actor: entry.actor,
    versions: { ...(candidate ? { candidate } : {}), ...(baseline ? { baseline } : {}) },
    traffic: { ...(entry.from ? { before: entry.from } : {}), ...(entry.to ? { after: entry.to } : {}) },
    evidence: objectsOf(entry.evidence) as LedgerEvidence[],
    ledger: { seq: entry.seq, hash: entry.hash },
  };
  if (entry.runId) document.runId = entry.runId;
  if (entry.service) document.service = entry.service;
  if (stage) document.stage = stage;
  if (entry.reason) document.reason = entry.reason;
  return document;
}

const headlines: Record<NotifyEventKind, string> = {
  start: 'rollout started',
  promote: 'stage promoted',
  pause: 'rollout paused',
  breach: 'GUARDRAIL BREACH',
  rollback: 'rolled back',
  'rollback-failed': 'ROLLBACK FAILED',
  end: 'rollout ended',
};

const icons: Record<NotifyEventKind, string> = {
  start: ':arrow_forward:',
  promote: ':arrow_up:',
  pause: ':double_vertical_bar:',
  breach: ':rotating_light:',
  rollback: ':leftwards_arrow_with_hook:',
  'rollback-failed': ':x:',
  end: ':checkered_flag:',
};

/** Slack's mrkdwn treats `&`, `<` and `>` as control characters; everything else is text. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Recorded text on one line (controls and bidi overrides made visible), escaped for mrkdwn. */
function text(value: string, max = 1500): string {
  return slackEscape(oneLine(value, max));
}

/** Cuts composed text to a Slack limit. */
function fit(composed: string, max: number): string {
  return composed.length > max ? `${composed.slice(0, max - 1)}…` : composed;
}

function evidenceLine(item: LedgerEvidence): string {
  const value = item.value === null ? 'no data' : item.value === undefined ? '?' : formatValue(item.value);
  const baseline = item.baselineValue !== undefined && item.baselineValue !== null ? `, baseline ${formatValue(item.baselineValue)}` : '';
  return `• ${item.guardrail ?? 'guardrail'} = ${value}${baseline} (${describeBound(item.bound ?? {})})${item.outcome ? ` ${item.outcome}` : ''}`;
}

/** A Slack incoming-webhook message: a `text` summary (also the notification's fallback) and blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * The Slack message for a document, within Slack's documented limits: a header of at most 150
 * characters, section texts of at most 3000, at most 10 fields of at most 2000 each.
 */
export function slackMessage(document: NotificationDocument): SlackMessage {
  const service = document.service ?? 'service';
  const headline = `${service}: ${headlines[document.event]}`;
  const summary = `${headline}${document.stage ? ` (stage ${document.stage})` : ''}${document.reason ? `: ${document.reason}` : ''}`;
  // plain_text is shown as is: only line breaks and invisible characters are dealt with.
  const header: HeaderBlock = { type: 'header', text: { type: 'plain_text', text: fit(oneLine(headline, 150), 150), emoji: true } };
  const blocks: KnownBlock[] = [header];
  if (document.reason) {
    const reason: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: fit(`${icons[document.event]} ${text(document.reason, 2900)}`, 3000) } };
    blocks.push(reason);
  }
  const field = (label: string, value: string) => ({ type: 'mrkdwn' as const, text: fit(`*${label}*\n${text(value, 1900)}`, 2000) });
  const before = describeReportTraffic(recordedTraffic(document.traffic.before));
  const after = describeReportTraffic(recordedTraffic(document.traffic.after));
  const fields = [
    field('Plan', `${document.plan.name}${document.plan.environment ? ` (${document.plan.environment})` : ''}`),
    ...(document.stage ? [field('Stage', document.stage)] : []),
    ...(document.versions.candidate ? [field('Candidate', document.versions.candidate.version)] : []),
    ...(document.versions.baseline ? [field('Baseline', document.versions.baseline.version)] : []),
    ...(before || after ? [field('Traffic', before && after && before !== after ? `${before} → ${after}` : after || before)] : []),
    ...(document.runId ? [field('Run', document.runId)] : []),
  ].slice(0, 10);
  const facts: SectionBlock = { type: 'section', fields };
  blocks.push(facts);
  if (document.evidence.length > 0) {
    const evidence: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: fit(`*Evidence*\n${document.evidence.map((item) => text(evidenceLine(item), 500)).join('\n')}`, 3000) } };
    blocks.push(evidence);
  }
  const context: ContextBlock = {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: fit(`Rollgate · ${text(document.actor, 200)} · ledger entry #${document.ledger.seq} · ${document.ledger.hash.slice(0, 12)} · ${document.time}`, 2000) }],
  };
  blocks.push(context);
  return { text: fit(text(summary, 2900), 3000), blocks };
}
