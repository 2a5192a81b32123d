// What a person sees in the Rollgate side panel: pick a plan, press "Start drill", watch the
// stage list and the changelog show the automatic rollback. Runs against a real `rollgate dev`
// stack with a real Prometheus, started here on free loopback ports.
// Screenshots: side-panel-before.png (plan picked, nothing run, the live service picture),
// side-panel-during.png (baking, guardrail measured, live bar at the canary), side-panel-chart.png
// (the guardrail chart with its bound and the breach) and side-panel-after.png (rolled back,
// rollback entry opened).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HaproxyTraffic } from '../../src/core/backends/haproxy/index';
import { Ledger } from '../../src/core/ledger/index';
import { startDevStack } from '../../src/dev/index';
import { repoRoot, waitFor } from '../harness/vscodeServer';
import { sidePanelDrillPlan } from '../host/sidePanelPlan';
import type { E2eCheck } from './planEditor.e2e';
import { ExpectationError } from './workbench';

const PLAN_FILE = 'e2e-side-panel.rollout.yaml';
const HAPROXY_PLAN_FILE = 'e2e-side-panel-haproxy.rollout.yaml';
const screenshotsDir = path.join(repoRoot, 'test/e2e/screenshots');

export const sidePanelChecks: E2eCheck[] = [
  {
    name: 'a drill started from the side panel rolls back; the stage list and the changelog show it',
    screenshot: 'side-panel-after',
    async run(workbench) {
      const stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin: process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus', requestsPerSecond: 20 });
      try {
        if (!stack.prometheusUrl) throw new Error(`rollgate dev started without Prometheus: ${stack.notices.join(' ')}`);
        fs.writeFileSync(path.join(workbench.workspaceFolder(), PLAN_FILE), sidePanelDrillPlan({ name: 'e2e-side-panel', deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl }));

        const panel = await workbench.rolloutPanel();
        const select = panel.locator('select#plan');
        await select.waitFor({ state: 'visible', timeout: 30_000 });
        const planId = await waitFor(`${PLAN_FILE} in the plan list`, 20_000, async () => {
          const options = await select.locator('option').evaluateAll((nodes) => nodes.map((node) => ({ value: (node as HTMLOptionElement).value, text: node.textContent ?? '' })));
          return options.find((option) => option.text.startsWith(PLAN_FILE))?.value;
        });
        await select.selectOption(planId);
        await waitFor('the drill plan selected and its actions enabled', 20_000, async () => ((await select.inputValue()) === planId && (await panel.locator('button.action-startDrill').isEnabled()) ? true : undefined));
        fs.mkdirSync(screenshotsDir, { recursive: true });
        // The live picture with no rollout running: what rollgate dev serves (all traffic on 41).
        const liveTraffic = panel.locator('p.live-traffic');
        await waitFor('the live traffic of the service', 20_000, async () => ((await liveTraffic.innerText().catch(() => '')) === '41 100%' ? true : undefined));
        const digests = await panel.locator('.live-digest').allInnerTexts();
        if (!digests.some((text) => text.endsWith('✓'))) throw new ExpectationError('the live picture shows digests that match the plan', 'a digest marked ✓', digests);
        await workbench.page.screenshot({ path: path.join(screenshotsDir, 'side-panel-before.png') });

        // Note (in the page, by the wall clock) when the stage list first shows the rollback.
        await panel.locator('ol.stages').evaluate((list) => {
          const page = list.ownerDocument.defaultView as Window & { rolledBackSeenAt?: number };
          const observer = new MutationObserver(() => {
            if (page.rolledBackSeenAt === undefined && list.querySelector('li.stage[data-status="rolled-back"]')) {
              page.rolledBackSeenAt = Date.now();
              observer.disconnect();
            }
          });
          observer.observe(list, { childList: true, subtree: true, attributes: true });
        });
        await panel.locator('button.action-startDrill').click();
        // Live: the stage bakes with its guardrail measured, then the fault rolls it back.
        await panel.locator('li.stage[data-stage="canary-50"][data-status="baking"]').waitFor({ timeout: 30_000 });
        await panel.locator('li.stage[data-stage="canary-50"] svg.sparkline polyline').first().waitFor({ timeout: 30_000 });
        // The live bar follows the traffic change the drill made.
        await waitFor('the live traffic bar to show the canary', 20_000, async () => ((await liveTraffic.innerText().catch(() => '')).includes('42 50%') ? true : undefined));
        await workbench.page.screenshot({ path: path.join(screenshotsDir, 'side-panel-during.png') });
        await panel.locator('li.stage[data-stage="canary-50"][data-status="rolled-back"]').waitFor({ timeout: 90_000 });
        // The rollback completed (engine state, written at once) and the panel showed it within a second.
        const seenAt = await panel.locator('ol.stages').evaluate((list) => (list.ownerDocument.defaultView as Window & { rolledBackSeenAt?: number }).rolledBackSeenAt);
        const state = JSON.parse(fs.readFileSync(path.join(workbench.workspaceFolder(), '.rollgate/state/churn-scorer.json'), 'utf8')) as { rollback?: { completedAt?: string } };
        const completedAt = Date.parse(state.rollback?.completedAt ?? '');
        if (seenAt === undefined || Number.isNaN(completedAt)) throw new ExpectationError('a rollback time in the state and in the page', 'both', { seenAt, completedAt: state.rollback?.completedAt });
        const delay = seenAt - completedAt;
        console.log(`       rollback completed to shown in the panel: ${delay} ms`);
        // The product goal is one second (measured figures in docs/performance.md); tests do not
        // assert timings that a loaded CI machine can miss, only that the update is not stuck.
        if (delay > 5000) throw new ExpectationError('the panel shows the rollback promptly', '<= 5000 ms', delay);
        const headline = await panel.locator('.headline').innerText();
        if (headline !== 'Rolled back to 41') throw new ExpectationError('the headline names the rollback', 'Rolled back to 41', headline);

        // A readable chart per guardrail at the panel's default width: bound line, the breach marked, a stage marker.
        const chart = panel.locator('figure.guardrail-chart').first();
        // A horizontal line has a zero-height box, which Playwright calls hidden: check it is drawn, and where.
        await chart.locator('line.chart-bound').waitFor({ state: 'attached', timeout: 20_000 });
        const bound = await chart
          .locator('line.chart-bound')
          .first()
          .evaluate((line) => ({ y1: line.getAttribute('y1'), x1: Number(line.getAttribute('x1')), x2: Number(line.getAttribute('x2')) }));
        if (!bound.y1 || !(bound.x2 - bound.x1 > 100)) throw new ExpectationError('the bound is drawn as a line across the chart', 'x2 - x1 > 100 px', bound);
        await chart.locator('circle.chart-breach').first().waitFor({ timeout: 20_000 });
        await chart.locator('line.chart-marker').first().waitFor({ state: 'attached', timeout: 20_000 });
        const box = await chart.locator('svg.chart').boundingBox();
        if (!box || box.width < 200) throw new ExpectationError('the chart is wide enough to read at the default panel width', '>= 200 px', box);
        await chart.scrollIntoViewIfNeeded();
        await workbench.page.screenshot({ path: path.join(screenshotsDir, 'side-panel-chart.png') });

        const rollbackEntry = panel.locator('li.entry[data-action="rollback"]').first();
        await rollbackEntry.waitFor({ timeout: 20_000 });
        await panel.locator('li.entry[data-action="guardrail-breach"]').first().waitFor({ timeout: 20_000 });
        await rollbackEntry.locator('summary').click();
        const details = await rollbackEntry.locator('.entry-body').innerText({ timeout: 10_000 });
        for (const expected of ['41 50%, 42 50% → 41 100%', 'sha256:4f2a9c1e8b7d6054a3f21e9c8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b', 'churn-features v7', 'error-rate']) {
          if (!details.includes(expected)) throw new ExpectationError('the rollback entry shows its change, lineage and evidence', expected, details);
        }
        const order = await panel.locator('li.entry').evaluateAll((nodes) => nodes.map((node) => Number((node as HTMLElement).dataset.seq)));
        if (order.some((seq, index) => index > 0 && seq > order[index - 1]!)) throw new ExpectationError('the changelog is newest first', 'descending seq', order);
        await waitFor('the status bar to name the rollback', 10_000, async () => {
          const text = await workbench.page
            .locator('.statusbar-item', { hasText: 'Rollgate:' })
            .first()
            .innerText()
            .catch(() => '');
          return text.includes('rolled back to 41') ? true : undefined;
        });
      } finally {
        await stack.stop();
      }
    },
  },
  {
    name: 'a drill on the HAProxy plan, started from the side panel, rolls back through HAProxy',
    screenshot: 'side-panel-haproxy-after',
    async run(workbench) {
      const stack = await startDevStack({
        port: 0,
        prometheusPort: 0,
        prometheus: 'required',
        prometheusBin: process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus',
        haproxy: 'required',
        haproxyBin: process.env.ROLLGATE_HAPROXY_BIN ?? '/usr/sbin/haproxy',
        haproxyPort: 0,
        haproxyApiPort: 0,
        haproxyMetricsPort: 0,
        requestsPerSecond: 20,
      });
      try {
        if (!stack.prometheusUrl || !stack.haproxy) throw new Error(`rollgate dev started without Prometheus or HAProxy: ${stack.notices.join(' ')}`);
        fs.writeFileSync(
          path.join(workbench.workspaceFolder(), HAPROXY_PLAN_FILE),
          sidePanelDrillPlan({ name: 'e2e-side-panel-haproxy', deploymentUrl: stack.haproxy.runtimeUrl, prometheusUrl: stack.prometheusUrl, haproxy: true }),
        );
        const panel = await workbench.rolloutPanel();
        const select = panel.locator('select#plan');
        await select.waitFor({ state: 'visible', timeout: 30_000 });
        const planId = await waitFor(`${HAPROXY_PLAN_FILE} in the plan list`, 20_000, async () => {
          const options = await select.locator('option').evaluateAll((nodes) => nodes.map((node) => ({ value: (node as HTMLOptionElement).value, text: node.textContent ?? '' })));
          return options.find((option) => option.text.startsWith(HAPROXY_PLAN_FILE))?.value;
        });
        await select.selectOption(planId);
        await waitFor('the HAProxy plan selected and its actions enabled', 20_000, async () =>
          (await select.inputValue()) === planId && (await panel.locator('button.action-startDrill').isEnabled()) ? true : undefined,
        );
        // The changelog already holds the first drill's entries (one ledger): this drill's come after.
        const seqsBefore = await panel.locator('li.entry').evaluateAll((nodes) => nodes.map((node) => Number((node as HTMLElement).dataset.seq ?? 0)));
        const lastSeqBefore = Math.max(0, ...seqsBefore);
        await panel.locator('button.action-startDrill').click();
        await panel.locator('li.stage[data-stage="canary-50"][data-status="baking"]').waitFor({ timeout: 30_000 });
        // HAProxy itself now splits the traffic.
        const splitState = await new HaproxyTraffic({ url: stack.haproxy.runtimeUrl, backend: stack.haproxy.backend, servers: stack.haproxy.servers }).read();
        if (splitState.weights['42'] !== 50) throw new ExpectationError('HAProxy gives the canary its weight', 50, splitState.weights);
        await panel.locator('li.stage[data-stage="canary-50"][data-status="rolled-back"]').waitFor({ timeout: 90_000 });
        const headline = await panel.locator('.headline').innerText();
        if (headline !== 'Rolled back to 41') throw new ExpectationError('the headline names the rollback', 'Rolled back to 41', headline);
        const after = await new HaproxyTraffic({ url: stack.haproxy.runtimeUrl, backend: stack.haproxy.backend, servers: stack.haproxy.servers }).read();
        if (after.weights['41'] !== 100 || after.weights['42'] !== 0) throw new ExpectationError('HAProxy sends everything to 41 after the rollback', { '41': 100, '42': 0 }, after.weights);
        // This drill's rollback entry, by its seq: the newest rollback may still be the first drill's
        // (open since that check) until the changelog catches up.
        const rollbackSeq = await waitFor("the HAProxy drill's rollback in the changelog", 20_000, async () => {
          const seqs = await panel.locator('li.entry[data-action="rollback"]').evaluateAll((nodes) => nodes.map((node) => Number((node as HTMLElement).dataset.seq ?? 0)));
          return seqs.find((seq) => seq > lastSeqBefore);
        });
        const rollbackEntry = panel.locator(`li.entry[data-action="rollback"][data-seq="${rollbackSeq}"]`);
        if (!(await rollbackEntry.locator('.entry-body').isVisible())) await rollbackEntry.locator('summary').click();
        const details = await rollbackEntry.locator('.entry-body').innerText({ timeout: 10_000 });
        if (!details.includes('41 50%, 42 50% → 41 100%')) throw new ExpectationError('the rollback entry shows its change', '41 50%, 42 50% → 41 100%', details);
      } finally {
        await stack.stop();
      }
    },
  },
  {
    name: 'a changelog of 10,000 entries opens in pages and every page renders quickly',
    screenshot: 'side-panel-changelog-10000',
    async run(workbench) {
      const ledgerFile = path.join(workbench.workspaceFolder(), '.rollgate/ledger.jsonl');
      const ledger = new Ledger({ path: ledgerFile });
      // Measurement rounds are charted in reports, not listed in the changelog.
      const existing = (await ledger.list()).filter((entry) => entry.action !== 'guardrail-measurement').length;
      const lineage = {
        candidate: { version: '42', artifact: 's3://models/churn/42', digest: `sha256:${'4f'.repeat(32)}` },
        baseline: { version: '41', artifact: 's3://models/churn/41', digest: `sha256:${'9b'.repeat(32)}` },
        data: [{ name: 'events', snapshot: '2025-07-01', digest: `sha256:${'1c'.repeat(32)}` }],
        features: [{ name: 'churn-features', version: '7' }],
        training: { run: 'run-8812', commit: '1a2b3c4' },
      };
      const target = 10_000;
      const batch = Array.from({ length: target }, (_, index) => ({
        actor: 'e2e-generator',
        action: index % 2 === 0 ? 'traffic-change' : 'promote',
        service: 'churn-scorer',
        from: { weights: { '41': 100 - (index % 50), '42': index % 50 } },
        to: { weights: { '41': 99 - (index % 50), '42': (index % 50) + 1 } },
        reason: `generated entry ${index}`,
        evidence: [{ guardrail: 'error-rate', query: 'sum(rate(x[1m]))', value: 0.001 * (index % 7), bound: { max: 0.1 }, outcome: 'pass' as const }],
        lineage,
      }));
      await ledger.appendMany(batch);
      const panel = await workbench.rolloutPanel();
      const rows = panel.locator('ol.changelog > li.entry');
      await waitFor('the newest generated entries in the changelog', 20_000, async () =>
        (await rows.first().innerText()).includes('traffic-change') || (await rows.first().innerText()).includes('promote') ? true : undefined,
      );
      const pageTimes: number[] = [];
      let shown = await rows.count();
      const showMore = panel.locator('button.show-more');
      const changelogList = panel.locator('ol.changelog');
      while (await showMore.isVisible()) {
        // Timed inside the page: from the click to the new rows in the list (host read, message, render).
        const step = await changelogList.evaluate(
          (list, timeoutMs) =>
            new Promise<{ ms: number; count: number }>((resolve, reject) => {
              const before = list.children.length;
              const started = performance.now();
              const observer = new MutationObserver(() => {
                if (list.children.length <= before) return;
                observer.disconnect();
                clearTimeout(timer);
                // Wait for the frame that paints the new rows.
                requestAnimationFrame(() => resolve({ ms: performance.now() - started, count: list.children.length }));
              });
              const timer = setTimeout(() => {
                observer.disconnect();
                reject(new Error(`no new rows within ${timeoutMs} ms`));
              }, timeoutMs);
              observer.observe(list, { childList: true });
              (list.ownerDocument.querySelector('button.show-more') as HTMLButtonElement).click();
            }),
          20_000,
        );
        pageTimes.push(Math.round(step.ms));
        shown = step.count;
      }
      const total = existing + target;
      if (shown < total) throw new ExpectationError('every entry is reachable with "Show older entries"', total, shown);
      // Opening an old entry builds its details on demand.
      const oldest = rows.last();
      await oldest.scrollIntoViewIfNeeded();
      await oldest.locator('summary').click();
      await oldest.locator('.entry-body').waitFor({ timeout: 10_000 });
      const slowest = Math.max(...pageTimes);
      console.log(`       changelog: ${shown} entries in ${pageTimes.length} pages; page times ms: median ${pageTimes.sort((a, b) => a - b)[Math.floor(pageTimes.length / 2)]}, slowest ${slowest}`);
      // Goal: under a second per page (figures in docs/performance.md); the test only catches a
      // design that re-renders everything (which took over 10 s per page).
      if (slowest > 5000) throw new ExpectationError('each page of the changelog appears promptly', '< 5000 ms', pageTimes);
    },
  },
];
