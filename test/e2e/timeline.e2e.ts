// The side panel's run timeline and "Export report", as a person uses them: after the drill of
// sidePanel.e2e.ts (run it with a filter that includes "side panel"), the timeline shows the run,
// "Export HTML report" writes the report into the workspace, and the report opens in the browser
// with its charts and nothing loaded from anywhere. A timeline row opens its plan at the stage.
// Screenshots: side-panel-timeline.png (the panel's timeline) and report-html.png (the report).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, waitFor } from '../harness/vscodeServer';
import type { E2eCheck } from './planEditor.e2e';
import { ExpectationError } from './workbench';

const screenshotsDir = path.join(repoRoot, 'test/e2e/screenshots');

export const timelineChecks: E2eCheck[] = [
  {
    name: 'the side panel shows the drill run timeline, exports its HTML report (shown in a tab, read in a browser) and opens the plan at a stage',
    screenshot: 'side-panel-timeline-after-export',
    async run(workbench) {
      const panel = await workbench.rolloutPanel();
      const timeline = panel.locator('section.timeline');
      await timeline.locator('li.timeline-row[data-action="rollback"]').waitFor({ timeout: 30_000 });
      const actions = await timeline.locator('li.timeline-row').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.action ?? ''));
      const expected = ['rollout-start', 'traffic-change', 'guardrail-breach', 'rollback', 'rollout-end'];
      if (expected.some((action) => !actions.includes(action)) || actions.indexOf('guardrail-breach') > actions.indexOf('rollback')) {
        throw new ExpectationError('the timeline lists the drill in ledger order', expected, actions);
      }
      const facts = await timeline.locator('dl.timeline-facts').innerText();
      if (!/Rolled back/.test(facts) || !/breach measured at/.test(facts)) throw new ExpectationError('the outcome and the breach-to-recovery time', 'Rolled back … breach measured at …', facts);
      const rollbackRow = await timeline.locator('li.timeline-row[data-action="rollback"]').innerText();
      if (!rollbackRow.includes('→ 41 100%')) throw new ExpectationError('the rollback row shows traffic before → after', '… → 41 100%', rollbackRow);
      await timeline.scrollIntoViewIfNeeded();
      fs.mkdirSync(screenshotsDir, { recursive: true });
      await workbench.page.screenshot({ path: path.join(screenshotsDir, 'side-panel-timeline.png') });

      // Export HTML: the file lands in the workspace, and opens in a browser on its own.
      const runId = await timeline.getAttribute('data-run');
      if (!runId) throw new ExpectationError('the timeline names its run', 'a run id', runId);
      const reportFile = path.join(workbench.workspaceFolder(), '.rollgate/reports', `churn-scorer-${runId.slice(0, 8)}.html`);
      fs.rmSync(reportFile, { force: true });
      await timeline.locator('button.export-html').click();
      await waitFor(`the report ${path.relative(workbench.workspaceFolder(), reportFile)}`, 30_000, async () => (fs.existsSync(reportFile) ? true : undefined));
      // In VS Code for the Web the report opens in an editor tab (a file: address would reach
      // nothing in the user's browser); its frame shows the report's own title.
      const reportTab = workbench.page.locator('.tab', { hasText: `Report: ${path.basename(reportFile)}` });
      await reportTab.waitFor({ timeout: 15_000 });
      const shownTitle = await waitFor('the report shown in its tab', 15_000, async () => {
        for (const frame of workbench.page.frames()) {
          const title = await frame.evaluate(() => document.querySelector('h1')?.textContent ?? '').catch(() => '');
          if (title.startsWith('Rollout report')) return title;
        }
        return undefined;
      });
      if (!shownTitle.includes('churn-scorer')) throw new ExpectationError('the report tab shows the report of the run', 'Rollout report: churn-scorer…', shownTitle);
      await workbench.page.screenshot({ path: path.join(screenshotsDir, 'report-tab.png') });
      await workbench.closeTab(`Report: ${path.basename(reportFile)}`);
      const browser = await workbench.page.context().newPage();
      try {
        const requested: string[] = [];
        browser.on('request', (request) => requested.push(request.url()));
        await browser.setViewportSize({ width: 1200, height: 900 });
        await browser.goto(`file://${reportFile}`);
        const heading = await browser.locator('h1').innerText();
        if (!heading.startsWith('Rollout report: churn-scorer')) throw new ExpectationError('the report opens with its title', 'Rollout report: churn-scorer, run …', heading);
        const charts = await browser.locator('svg.chart').count();
        if (charts < 1) throw new ExpectationError('the report charts the guardrail measurements', '>= 1 chart', charts);
        const failing = await browser.locator('svg.chart circle.point.fail').count();
        if (failing < 1) throw new ExpectationError('the chart marks the failing measurement', '>= 1 red point', failing);
        const external = requested.filter((url) => url !== `file://${reportFile}`);
        if (external.length > 0) throw new ExpectationError('the report loads nothing else', [], external);
        await browser.screenshot({ path: path.join(screenshotsDir, 'report-html.png'), fullPage: true });
      } finally {
        await browser.close();
      }

      // A timeline row opens the plan at its stage.
      // The run shown is the newest drill of the selected plan (the HAProxy drill may have run last):
      // its rollout-start row names the plan.
      const startRow = await timeline.locator('li.timeline-row[data-action="rollout-start"]').first().innerText();
      const planName = /plan (e2e-side-panel[\w-]*)/.exec(startRow)?.[1];
      if (!planName) throw new ExpectationError('the timeline names the plan of the run', 'plan e2e-side-panel…', startRow);
      await timeline.locator('li.timeline-row[data-action="traffic-change"] button.source-plan').first().click();
      await waitFor(`${planName}.rollout.yaml open in the editor`, 20_000, async () => {
        // A narrow tab wraps its label: compare without the line breaks.
        const tab = (
          await workbench.page
            .locator('.tab.active')
            .first()
            .innerText()
            .catch(() => '')
        ).replace(/\s+/g, '');
        return tab.includes(`${planName}.rollout.yaml`) ? true : undefined;
      });
    },
  },
];
