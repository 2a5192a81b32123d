// Reports of ledgers holding hostile strings: every field a writer chooses (actor, reason, stage,
// guardrail, runbook, cell, URL, headers) carries markup meant to run script, break a Markdown
// table or hide text. The HTML must contain only the renderer's own tags, the Markdown none of the
// injected markup, and neither a registered secret.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';

import { buildReport, collectFromLedger, Ledger, renderHtml, renderJson, renderMarkdown, ReportSelectionError } from '../../../src/core/index';
import { parseReportTime } from '../../../src/cli/commands/report';

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '[click](javascript:alert(3))',
  '| broken | table |',
  '`code` and ``more``',
  '**bold** _em_ ~~strike~~',
  'line one\nline two\r\n# heading',
  'right-to-left \u202Eevil\u202C and \u0007bell',
  '&lt;already escaped&gt; &amp;',
  '"quoted" \'single\'',
].join(' ¦ ');

const SECRET = 'hostile-secret-value-77aa';

/** The tags the HTML renderer itself writes; anything else came from the data. */
const OWN_TAGS = new Set([
  '!doctype',
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'header',
  'h1',
  'h2',
  'h3',
  'p',
  'div',
  'section',
  'dl',
  'dt',
  'dd',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'code',
  'span',
  'br',
  'figure',
  'svg',
  'rect',
  'line',
  'text',
  'polyline',
  'circle',
  'ol',
  'li',
  'strong',
  'pre',
  'caption',
]);

async function hostileLedger(): Promise<string> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-hostile-')), 'ledger.jsonl');
  const ledger = new Ledger({ path: file });
  const runId = 'run-hostile-1';
  const lineage = { candidate: { version: '42', artifact: HOSTILE, digest: HOSTILE }, baseline: { version: '41' } };
  await ledger.append({ actor: HOSTILE, action: 'rollout-start', service: 'svc', runId, reason: HOSTILE, lineage, planDigest: HOSTILE });
  await ledger.append({ actor: 'engine', action: 'traffic-change', service: 'svc', runId, to: { weights: { '41': 90, '42': 10 }, stage: HOSTILE }, reason: HOSTILE, lineage });
  await ledger.append({
    actor: 'engine',
    action: 'guardrail-breach',
    service: 'svc',
    runId,
    reason: `${HOSTILE} token ${SECRET}`,
    evidence: [{ guardrail: HOSTILE, query: HOSTILE, value: 0.5, bound: { max: 0.1 }, outcome: 'fail' }],
    details: { stage: HOSTILE, measurements: [{ guardrail: HOSTILE, at: new Date().toISOString(), reason: HOSTILE }] },
    lineage,
  });
  // The ML kinds' figures and a judged stage's score, every string in them hostile.
  const at = new Date().toISOString();
  await ledger.append({
    actor: 'engine',
    action: 'guardrail-measurement',
    service: 'svc',
    runId,
    evidence: [
      { guardrail: 'drift', query: HOSTILE, value: 0.4, bound: { max: 0.25 }, outcome: 'fail' },
      { guardrail: 'compare', query: HOSTILE, value: 0.001, bound: {}, outcome: 'fail' },
      { guardrail: 'calibration', query: HOSTILE, value: 0.2, bound: { max: 0.15 }, outcome: 'fail' },
    ],
    details: {
      stage: HOSTILE,
      measurements: [
        {
          guardrail: 'drift',
          at,
          reason: HOSTILE,
          kind: 'drift',
          drift: {
            method: HOSTILE,
            window: HOSTILE,
            buckets: [HOSTILE, '+Inf'],
            baselineShares: [0.5, 0.5],
            candidateShares: [HOSTILE, 0.9],
            baselineCounts: [1, 1],
            candidateCounts: [1, 9],
            baselineTotal: HOSTILE,
            candidateTotal: 10,
          },
        },
        {
          guardrail: 'compare',
          at,
          reason: HOSTILE,
          kind: 'compare',
          compare: {
            alpha: 0.02,
            confidence: HOSTILE,
            tolerance: 0.1,
            direction: HOSTILE,
            alternative: HOSTILE,
            method: HOSTILE,
            u: HOSTILE,
            pValue: 0.001,
            candidateMedian: HOSTILE,
            baselineMedian: 1,
            effectSize: null,
            candidateCount: 5,
            baselineCount: 5,
            from: HOSTILE,
            to: HOSTILE,
            stepSeconds: 1,
          },
        },
        {
          guardrail: 'calibration',
          at,
          reason: HOSTILE,
          kind: 'calibration',
          calibration: { source: HOSTILE, window: HOSTILE, mce: HOSTILE, total: 3, bins: [{ lower: HOSTILE, upper: 1, confidence: 0.5, observed: HOSTILE, gap: 0.1, count: 3 }, HOSTILE] },
        },
      ],
      judgement: { verdict: HOSTILE, score: 33.3, passed: 1, counted: 3, failed: [HOSTILE], criticalBreaches: [HOSTILE], thresholds: { pass: 75, marginal: HOSTILE }, reason: `${HOSTILE} ${SECRET}` },
    },
    lineage,
  });
  await ledger.append({
    actor: HOSTILE,
    action: 'cell-run',
    service: 'svc',
    request: { method: HOSTILE, url: `http://127.0.0.1/${HOSTILE}`, headers: [[HOSTILE, HOSTILE]], status: 500, outcome: 'failure', error: HOSTILE, runbook: HOSTILE, cell: HOSTILE },
    details: { kind: 'http', body: HOSTILE, action: HOSTILE },
  });
  await ledger.append({ actor: 'engine', action: 'rollback', service: 'svc', runId, from: { weights: { '41': 90, '42': 10 } }, to: { weights: { '41': 100 } }, reason: HOSTILE, lineage });
  await ledger.append({ actor: 'engine', action: HOSTILE, service: 'svc', runId, reason: HOSTILE });
  return file;
}

describe('reports escape everything the ledger holds', () => {
  it("HTML: only the renderer's own tags, no script, no event handler, no external reference", async () => {
    const file = await hostileLedger();
    const model = buildReport(await collectFromLedger({ file, selector: { kind: 'latest-run' } }), { secrets: { token: SECRET } });
    const html = renderHtml(model);
    const tags = new Set([...html.matchAll(/<\/?([a-z!][a-z0-9]*)/gi)].map((match) => match[1]!.toLowerCase()));
    expect([...tags].filter((tag) => !OWN_TAGS.has(tag))).toEqual([]);
    // Every '<' from the data is escaped, so each tag is the renderer's: none has a handler or a reference.
    expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/<[^>]*\s(src|href|xlink:href|action)\s*=/i);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(style).not.toMatch(/url\(|@import/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The ML figures and the judged stage went through the same escaping (and were shown).
    expect(html).toContain('<h2>Judged stages</h2>');
    expect((html.match(/<table class="evidence">/g) ?? []).length).toBe(3);
    // Bidi overrides and control characters are shown, not obeyed.
    expect(html).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(html).not.toContain('\u0007');
    expect(html).toContain('\\u{202e}');
    expect(html).not.toContain(SECRET);
    expect(html).toContain('«redacted:token»');
  });

  it('Markdown: rendered by a real Markdown renderer, the injected markup stays text', async () => {
    const file = await hostileLedger();
    const model = buildReport(await collectFromLedger({ file, selector: { kind: 'latest-run' } }), { secrets: { token: SECRET } });
    const markdown = renderMarkdown(model);
    expect(markdown).not.toContain(SECRET);
    // GFM tables: markdown-it parses them; a broken row would change the column count.
    const rendered = new MarkdownIt({ html: true, linkify: false }).render(markdown);
    expect(rendered).not.toMatch(/<script|<img|<a\s|href=/i);
    for (const markup of ['<strong>bold</strong>', '<em>em</em>', '<s>strike</s>', '<h1>heading', '<code>code</code>']) expect(rendered).not.toContain(markup);
    const timeline = rendered.slice(rendered.indexOf('<h2>Timeline</h2>'), rendered.indexOf('<h2>Guardrail measurements</h2>'));
    const header = (timeline.match(/<th>/g) ?? []).length;
    const rows = [...timeline.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1);
    expect(rows.length).toBe(model.timeline.length);
    for (const [, row] of rows) expect((row!.match(/<td>/g) ?? []).length).toBe(header);
    expect(rendered).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(markdown).not.toMatch(/[\u202a-\u202e]/);
    expect(markdown).not.toContain('\u0007');
  });

  it('JSON keeps the strings as recorded (JSON escaping only), secrets taken out', async () => {
    const file = await hostileLedger();
    const model = buildReport(await collectFromLedger({ file, selector: { kind: 'run', runId: 'run-hostile' } }), { secrets: { token: SECRET } });
    const json = renderJson(model);
    expect(json).not.toContain(SECRET);
    const back = JSON.parse(json);
    expect(back.timeline[0].actor).toBe(HOSTILE);
    expect(back.guardrails[0].guardrail).toBe(HOSTILE);
  });

  it('odd entries written by other tools do not break the report', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-odd-')), 'ledger.jsonl');
    const ledger = new Ledger({ path: file });
    await ledger.append({ actor: 'x', action: 'rollout-start', runId: 'r1', service: 's', from: 'not an object' as never, evidence: 'nope' as never, lineage: [] as never, details: { measurements: 5 } });
    await ledger.append({ actor: 'x', action: 'guardrail-breach', runId: 'r1', service: 's', evidence: [null, 3, { guardrail: 'g', value: 'high', bound: 'max' }] as never });
    await ledger.append({ actor: 'x', action: 'cell-run', service: 's', request: { method: 'GET', url: 5 } as never });
    const model = buildReport(await collectFromLedger({ file, selector: { kind: 'run', runId: 'r1' } }));
    expect(model.timeline.map((row) => row.action)).toEqual(['rollout-start', 'guardrail-breach', 'cell-run']);
    expect(model.guardrails).toEqual([]);
    expect(model.recovery.status).toBe('not-recovered');
    expect(() => renderHtml(model)).not.toThrow();
    expect(() => renderMarkdown(model)).not.toThrow();
  });

  it('an ambiguous run prefix and a run that does not exist are refused with what to do', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-prefix-')), 'ledger.jsonl');
    const ledger = new Ledger({ path: file });
    await ledger.append({ actor: 'x', action: 'rollout-start', runId: 'abc-1', service: 's' });
    await ledger.append({ actor: 'x', action: 'rollout-start', runId: 'abc-2', service: 's' });
    await expect(collectFromLedger({ file, selector: { kind: 'run', runId: 'abc' } })).rejects.toThrow(/matches 2 runs .*give more of the run id/);
    await expect(collectFromLedger({ file, selector: { kind: 'run', runId: 'zzz' } })).rejects.toBeInstanceOf(ReportSelectionError);
    const exact = await collectFromLedger({ file, selector: { kind: 'run', runId: 'abc-2' } });
    expect(exact.entries.map(({ entry }) => entry.runId)).toEqual(['abc-2']);
    await expect(collectFromLedger({ file, selector: { kind: 'window', service: 's', since: new Date(Date.now() + 3_600_000) } })).rejects.toThrow(/nothing was recorded for service 's'/);
  });
});

describe('--since and --until', () => {
  const now = new Date('2025-07-01T12:00:00Z');
  it('reads ISO dates and times (UTC when no zone is given) and times ago', () => {
    expect(parseReportTime('2025-06-30', now)?.toISOString()).toBe('2025-06-30T00:00:00.000Z');
    expect(parseReportTime('2025-06-30T10:15', now)?.toISOString()).toBe('2025-06-30T10:15:00.000Z');
    expect(parseReportTime('2025-06-30 10:15:30', now)?.toISOString()).toBe('2025-06-30T10:15:30.000Z');
    expect(parseReportTime('2025-06-30T10:15:00+02:00', now)?.toISOString()).toBe('2025-06-30T08:15:00.000Z');
    expect(parseReportTime('90m', now)?.toISOString()).toBe('2025-07-01T10:30:00.000Z');
    expect(parseReportTime('2d', now)?.toISOString()).toBe('2025-06-29T12:00:00.000Z');
    expect(parseReportTime('yesterday', now)).toBeUndefined();
    expect(parseReportTime('2025-13-45', now)).toBeUndefined();
  });
});
