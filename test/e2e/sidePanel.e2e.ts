// What a person sees in the Rollgate side panel: pick a plan, press "Start drill", watch the
// stage list and the changelog show the automatic rollback. Runs against a real `rollgate dev`
// stack with a real Prometheus, started here on free loopback ports.
// Screenshots: side-panel-before.png (plan picked, nothing run), side-panel-during.png (baking,
// guardrail measured) and side-panel-after.png (rolled back, rollback entry opened).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { startDevStack } from '../../src/dev/index';
import { repoRoot, waitFor } from '../harness/vscodeServer';
import { sidePanelDrillPlan } from '../host/sidePanelPlan';
import type { E2eCheck } from './planEditor.e2e';
import { ExpectationError, type Workbench } from './workbench';

const PLAN_FILE = 'e2e-side-panel.rollout.yaml';
const screenshotsDir = path.join(repoRoot, 'test/e2e/screenshots');

/** The folder code-server opened, read from the page's `?folder=` parameter. */
function workspaceOf(workbench: Workbench): string {
  const folder = new URL(workbench.page.url()).searchParams.get('folder');
  if (!folder) throw new Error(`the workbench URL names no folder: ${workbench.page.url()}`);
  return folder;
}

/** Runs a command by its palette title (F1), as a person would. */
async function runCommand(workbench: Workbench, title: string): Promise<void> {
  const page = workbench.page;
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await input.press('Enter');
}

/** The panel's document: VS Code nests a webview's page in two iframes. */
function panelFrame(workbench: Workbench): FrameLocator {
  return workbench.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

export const sidePanelChecks: E2eCheck[] = [
  {
    name: 'a drill started from the side panel rolls back; the stage list and the changelog show it',
    screenshot: 'side-panel-after',
    async run(workbench) {
      const stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin: process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus', requestsPerSecond: 20 });
      try {
        if (!stack.prometheusUrl) throw new Error(`rollgate dev started without Prometheus: ${stack.notices.join(' ')}`);
        fs.writeFileSync(path.join(workspaceOf(workbench), PLAN_FILE), sidePanelDrillPlan({ name: 'e2e-side-panel', deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl }));

        await runCommand(workbench, 'Rollgate: Open Rollout Panel');
        const panel = panelFrame(workbench);
        const select = panel.locator('select#plan');
        await select.waitFor({ state: 'visible', timeout: 30_000 });
        const planId = await waitFor(`${PLAN_FILE} in the plan list`, 20_000, async () => {
          const options = await select.locator('option').evaluateAll((nodes) => nodes.map((node) => ({ value: (node as HTMLOptionElement).value, text: node.textContent ?? '' })));
          return options.find((option) => option.text.startsWith(PLAN_FILE))?.value;
        });
        await select.selectOption(planId);
        await waitFor('the drill plan selected and its actions enabled', 20_000, async () =>
          (await select.inputValue()) === planId && (await panel.locator('button.action-startDrill').isEnabled()) ? true : undefined,
        );
        fs.mkdirSync(screenshotsDir, { recursive: true });
        await workbench.page.screenshot({ path: path.join(screenshotsDir, 'side-panel-before.png') });

        await panel.locator('button.action-startDrill').click();
        // Live: the stage bakes with its guardrail measured, then the fault rolls it back.
        await panel.locator('li.stage[data-stage="canary-50"][data-status="baking"]').waitFor({ timeout: 30_000 });
        await panel.locator('li.stage[data-stage="canary-50"] svg.sparkline polyline').first().waitFor({ timeout: 30_000 });
        await workbench.page.screenshot({ path: path.join(screenshotsDir, 'side-panel-during.png') });
        await panel.locator('li.stage[data-stage="canary-50"][data-status="rolled-back"]').waitFor({ timeout: 90_000 });
        const headline = await panel.locator('.headline').innerText();
        if (headline !== 'Rolled back to 41') throw new ExpectationError('the headline names the rollback', 'Rolled back to 41', headline);

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
          const text = await workbench.page.locator('.statusbar-item', { hasText: 'Rollgate:' }).first().innerText().catch(() => '');
          return text.includes('rolled back to 41') ? true : undefined;
        });
      } finally {
        await stack.stop();
      }
    },
  },
];
