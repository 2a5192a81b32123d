// What a person sees running a runbook: the token set through the palette, the runbook opened
// from the Explorer as a notebook, an http and a promql cell run with their outputs rendered,
// then a mutating rollout cell that asks first, names its target, and changes the real
// `rollgate dev` stack (started here on free loopback ports, with a real Prometheus and a
// bearer token) only once confirmed. Then Run All from the top: each cell that asks is revealed
// and selected before its dialog; the last one rolls back, and the panel's changelog shows that
// rollback with its reason and a link that opens the cell.
// Screenshots: runbook-output.png (http and promql outputs), runbook-confirm.png (the
// confirmation dialog), runbook-run-all-confirm-code-cell-3/4.png (Run All asking), and
// runbook-rollback-in-panel.png; the runner saves runbook-confirmed.png (the last screen).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { startDevStack, type DevStack } from '../../src/dev/index';
import { repoRoot, waitFor } from '../harness/vscodeServer';
import type { E2eCheck } from './planEditor.e2e';
import { ExpectationError, type Workbench } from './workbench';

const RUNBOOK_FILE = 'e2e-runbook.runbook.md';
const PLAN_FILE = 'e2e-runbook.rollout.yaml';
/** Only ever typed into VS Code's password box and given to the dev stack; never written to a file. */
const TOKEN = 'e2e-token-5c1f9a';
const ROLLBACK_REASON = 'e2e: the canary answered slowly';
const screenshotsDir = path.join(repoRoot, 'test/e2e/screenshots');

function runbookText(): string {
  const fence = '```';
  return [
    '---',
    'title: E2E runbook',
    `plan: ./${PLAN_FILE}`,
    'environment: staging',
    '---',
    '# Where is traffic going?',
    '',
    `${fence}http {"name":"status"}`,
    'GET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}',
    'Authorization: Bearer {{secret:deploy-token}}',
    fence,
    '',
    '# Requests per version',
    '',
    `${fence}promql {"name":"served"}`,
    'sum by (version) (rollgate_dev_requests_total)',
    fence,
    '',
    '# Move 5% to the candidate',
    '',
    `${fence}rollout`,
    'set-traffic 5',
    fence,
    '',
    '# Undo',
    '',
    `${fence}rollout {"name":"undo"}`,
    `rollback to baseline reason "${ROLLBACK_REASON}"`,
    fence,
    '',
  ].join('\n');
}

/** The sample canary plan pointed at this run's stack (its token stays `{ secret: deploy-token }`). */
function planText(stack: DevStack): string {
  const sample = fs.readFileSync(path.join(repoRoot, 'examples/churn-canary.rollout.yaml'), 'utf8');
  const text = sample
    .replace('http://127.0.0.1:8700', stack.deploymentUrl)
    .replace('http://127.0.0.1:9090', stack.prometheusUrl ?? '')
    .replace('$schema=../dist/', '$schema=./');
  if (!text.includes(stack.deploymentUrl) || !text.includes('{ secret: deploy-token }')) throw new Error('the sample plan no longer has the endpoints this check rewrites');
  return text;
}

/** Answers the quick input whose title contains `title` with `text`. */
async function answerInputBox(workbench: Workbench, title: string, text: string): Promise<void> {
  const widget = workbench.page.locator('.quick-input-widget', { hasText: title });
  await widget.waitFor({ state: 'visible', timeout: 10_000 });
  const input = widget.locator('.quick-input-box input');
  await input.fill(text);
  await input.press('Enter');
}

/** Opens the runbook from the Explorer (Quick Open when its row is off screen) and waits for the notebook. */
async function openRunbook(workbench: Workbench): Promise<void> {
  const page = workbench.page;
  // Show the Explorer (an earlier check may have left the Rollgate side panel in its place).
  if (!(await page.locator('.explorer-folders-view').isVisible())) await page.keyboard.press('Control+Shift+E');
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${RUNBOOK_FILE}"]`);
  await waitFor(`${RUNBOOK_FILE} in the Explorer`, 10_000, async () => ((await row.isVisible()) ? true : undefined)).catch(() => undefined);
  if (await row.isVisible()) {
    await row.click();
  } else {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(RUNBOOK_FILE);
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: RUNBOOK_FILE }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await input.press('Enter');
  }
  await page.locator(`.tabs-container .tab.active[aria-label*="${RUNBOOK_FILE}"]`).waitFor({ timeout: 30_000 });
  // A notebook, not a text editor: the cell list with its code cells (the list renders the rows near the top).
  const codeCells = page.locator('.notebook-editor .code-cell-row');
  await waitFor('the runbook open as a notebook with code cells', 30_000, async () => ((await codeCells.count()) >= 2 ? true : undefined)).catch(async () => {
    throw new ExpectationError(`${RUNBOOK_FILE} did not open as a notebook`, 'code cells in .notebook-editor', {
      codeCells: await codeCells.count(),
      textEditor: await page
        .locator('.editor-group-container.active .monaco-editor .view-lines')
        .first()
        .innerText()
        .catch(() => ''),
    });
  });
}

/** Text each code cell's editor shows, to find it among the rows the list has rendered. */
const CELL_MARKERS = ['/v1/services/', 'rollgate_dev_requests_total', 'set-traffic', 'rollback to baseline'] as const;

function codeCell(workbench: Workbench, index: number): Locator {
  return workbench.page.locator('.notebook-editor .code-cell-row', { hasText: CELL_MARKERS[index] });
}

/**
 * Scrolls the notebook down (mouse wheel, as a person would) until the cell is on screen: the
 * cell list renders only the rows near the viewport.
 */
async function revealCell(workbench: Workbench, index: number): Promise<Locator> {
  const cell = codeCell(workbench, index);
  const list = workbench.page.locator('.notebook-editor .cell-list-container').first();
  const box = await list.boundingBox();
  if (!box) throw new Error('the notebook cell list is not on screen');
  await workbench.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  // A rendered row may still sit below the notebook's visible area (the list clips it): scroll
  // until its editor and status bar (the top 100 px) are inside it: down when it is below (or not
  // rendered yet), up when above.
  await waitFor(
    `code cell ${index + 1} on screen`,
    20_000,
    async () => {
      const [cellBox, listBox] = (await cell.count()) > 0 ? await Promise.all([cell.boundingBox(), list.boundingBox()]) : [null, null];
      if (cellBox && listBox && cellBox.y >= listBox.y && cellBox.y + Math.min(cellBox.height, 100) <= listBox.y + listBox.height) return true;
      await workbench.page.mouse.wheel(0, cellBox && listBox && cellBox.y < listBox.y ? -150 : 150);
      return undefined;
    },
    150,
  );
  return cell;
}

/** Scrolls down (mouse wheel) until the cell sits in the upper part of the notebook, so its output is in the screenshot. */
async function scrollCellUp(workbench: Workbench, index: number): Promise<void> {
  const cell = codeCell(workbench, index);
  await waitFor(
    `code cell ${index + 1} near the top`,
    3_000,
    async () => {
      const box = await cell.boundingBox();
      if (box && box.y < 300) return true;
      await workbench.page.mouse.wheel(0, 200);
      return undefined;
    },
    150,
  ).catch(() => undefined); // the last cell may not scroll that far: as far as it goes is fine
}

/**
 * Runs a code cell with its run button, as a person would (hover, click). VS Code may ask for
 * the kernel the first time: pick Rollgate.
 */
async function runCell(workbench: Workbench, index: number): Promise<void> {
  const cell = await revealCell(workbench, index);
  await workbench.clickRunButton(cell, `code cell ${index + 1}`);
  const kernelPick = workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Rollgate' }).first();
  // Either the cell starts (or ends) running, or the kernel picker asks first.
  const seen = await waitFor('the cell to run or a kernel picker', 15_000, async () => {
    if (await kernelPick.isVisible()) return 'picker';
    const status = await cellState(cell);
    return status !== 'idle' ? 'running' : undefined;
  });
  if (seen === 'picker') await kernelPick.click();
}

type CellState = 'idle' | 'running' | 'success' | 'error';

/** The cell's execution state as its status bar shows it (check mark, cross, spinner). */
async function cellState(cell: Locator): Promise<CellState> {
  const statusBar = cell.locator('.cell-statusbar-container');
  if ((await statusBar.locator('.codicon-notebook-state-success').count()) > 0) return 'success';
  if ((await statusBar.locator('.codicon-notebook-state-error').count()) > 0) return 'error';
  if ((await statusBar.locator('.codicon-notebook-state-executing, .codicon-modifier-spin, .codicon-notebook-state-pending').count()) > 0) return 'running';
  return 'idle';
}

async function waitForCellEnd(workbench: Workbench, index: number, timeoutMs = 30_000): Promise<CellState> {
  const cell = codeCell(workbench, index);
  return waitFor(
    `code cell ${index + 1} to finish`,
    timeoutMs,
    async () => {
      const state = await cellState(cell);
      return state === 'success' || state === 'error' ? state : undefined;
    },
    200,
  );
}

/** The text of every frame of the notebook's output webview (the rendered cell outputs). */
async function outputTexts(workbench: Workbench): Promise<string[]> {
  const texts: string[] = [];
  for (const frame of workbench.page.frames()) {
    // The renderer's document is the inner frame of a webview; the side panel's is skipped by its select.
    if (frame === workbench.page.mainFrame()) continue;
    const text = await frameText(frame);
    if (
      text &&
      !(await frame
        .locator('select#plan')
        .count()
        .catch(() => 0))
    )
      texts.push(text);
  }
  return texts;
}

async function frameText(frame: Frame): Promise<string | undefined> {
  try {
    // Renderers draw into shadow roots, which innerText does not enter: walk them too.
    return await frame.evaluate(() => {
      const parts: string[] = [];
      const walk = (root: Node): void => {
        for (const node of Array.from(root.childNodes)) {
          if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent ?? '');
          else if (node instanceof Element && node.tagName !== 'SCRIPT' && node.tagName !== 'STYLE') {
            if (node.shadowRoot) walk(node.shadowRoot);
            walk(node);
            if (/^(DIV|P|PRE|TR|LI|BR|H\d)$/.test(node.tagName)) parts.push('\n');
          }
        }
      };
      if (document.body) walk(document.body);
      return parts.join('');
    });
  } catch {
    return undefined; // a frame that navigated or closed meanwhile
  }
}

async function waitForOutput(workbench: Workbench, what: string, accept: (text: string) => boolean, timeoutMs = 20_000): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor(
      what,
      timeoutMs,
      async () => {
        last = await outputTexts(workbench);
        return last.some(accept) ? true : undefined;
      },
      250,
    );
  } catch {
    throw new ExpectationError(
      `the notebook's outputs never showed ${what}`,
      what,
      last.map((text) => text.slice(0, 600)),
    );
  }
}

/** What the output webview shows (all cells' outputs, text only), for a failure message about cell `index`. */
async function errorOf(workbench: Workbench, index: number): Promise<string> {
  return (await outputTexts(workbench)).join('\n---\n').slice(0, 1500) || `cell ${index + 1} shows no output`;
}

export const runbookChecks: E2eCheck[] = [
  {
    name: 'a runbook opened from the Explorer runs http and promql cells, then a confirmed rollout cell changes rollgate dev',
    screenshot: 'runbook-confirmed',
    async run(workbench) {
      const stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin: process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus', token: TOKEN, requestsPerSecond: 20 });
      try {
        await runReadingCells(workbench, stack);
        await scrollCellUp(workbench, 1);
        await workbench.page.screenshot({ path: path.join(screenshotsDir, 'runbook-output.png') });
        await runConfirmedRollout(workbench, stack);
        await runAllRevealsEachConfirmation(workbench, stack);
        await runbookRollbackInPanel(workbench);
      } finally {
        await stack.stop();
      }
    },
  },
];

async function runReadingCells(workbench: Workbench, stack: DevStack): Promise<void> {
  if (!stack.prometheusUrl) throw new Error(`rollgate dev started without Prometheus: ${stack.notices.join(' ')}`);
  const workspace = workbench.workspaceFolder();
  fs.writeFileSync(path.join(workspace, PLAN_FILE), planText(stack));
  fs.writeFileSync(path.join(workspace, RUNBOOK_FILE), runbookText());

  // The token, as a person sets it: the palette command and its two input boxes.
  await workbench.runCommand('Rollgate: Set Secret for Runbooks and Plans');
  await answerInputBox(workbench, 'Rollgate secret name', 'deploy-token');
  await answerInputBox(workbench, 'Value of secret "deploy-token"', TOKEN);
  await workbench.page.locator('.notifications-toasts .notification-toast', { hasText: 'Secret "deploy-token" stored.' }).waitFor({ timeout: 10_000 });

  await openRunbook(workbench);

  await runCell(workbench, 0);
  const httpState = await waitForCellEnd(workbench, 0);
  if (httpState !== 'success') throw new ExpectationError('the http cell succeeds (check mark)', 'success', { state: httpState, outputs: await errorOf(workbench, 0) });
  await waitForOutput(workbench, 'HTTP 200 OK', (text) => text.includes('HTTP 200 OK'));
  await waitForOutput(workbench, '"stable": "41"', (text) => /"stable":\s*"41"/.test(text));

  // Prometheus needs a scrape or two before the series exist: run again until the table shows both versions.
  const deadline = Date.now() + 30_000;
  for (;;) {
    await runCell(workbench, 1);
    const state = await waitForCellEnd(workbench, 1);
    if (state === 'success' && (await renderedTables(workbench)).some((table) => table.includes('version') && /\b41\b/.test(table) && /\b42\b/.test(table))) break;
    if (Date.now() > deadline) {
      throw new ExpectationError('the promql cell shows a table of requests per version', 'a <table> with versions 41 and 42', { state, tables: await renderedTables(workbench), outputs: await errorOf(workbench, 1) });
    }
  }
  const candidate = stack.state().versions.find((version) => version.version === '42');
  if (candidate?.weight !== 0) throw new ExpectationError('reading cells change nothing', 'candidate at 0 %', stack.state());
}

/** The side panel's live picture of the runbook's plan shows the traffic the cell set (42 5%). */
async function livePictureFollows(workbench: Workbench): Promise<void> {
  // The notebook's outputs are webviews too: the panel is found by its plan list.
  const panel = await workbench.rolloutPanelAmongWebviews();
  const select = panel.locator('select#plan');
  const planId = await waitFor(`${PLAN_FILE} in the plan list`, 20_000, async () => {
    const options = await select.locator('option').evaluateAll((nodes) => nodes.map((node) => ({ value: (node as HTMLOptionElement).value, text: node.textContent ?? '' })));
    return options.find((option) => option.text.startsWith(PLAN_FILE))?.value;
  });
  await select.selectOption(planId);
  let shown = '';
  await waitFor("the live traffic to show the cell's change", 20_000, async () => {
    shown = await panel
      .locator('p.live-traffic')
      .innerText()
      .catch(() => '');
    return shown.includes('42 5%') ? true : undefined;
  }).catch(() => {
    throw new ExpectationError("the panel's live traffic follows the cell", '… 42 5%', shown);
  });
  await workbench.page.screenshot({ path: path.join(screenshotsDir, 'runbook-live-panel.png') });
}

/** The text of every rendered HTML table in the output webview. */
async function renderedTables(workbench: Workbench): Promise<string[]> {
  const found: string[] = [];
  for (const frame of workbench.page.frames()) {
    found.push(
      ...(await frame
        .locator('table')
        .allInnerTexts()
        .catch(() => [])),
    );
  }
  return found;
}

async function runConfirmedRollout(workbench: Workbench, stack: DevStack): Promise<void> {
  const before = stack.state();
  // Before it runs, the cell says what it will do and to what; the status bar names the runbook's plan.
  await waitFor('the badge on the traffic-changing cell', 20_000, async () => {
    const badges = await workbench.page
      .locator('.cell-statusbar-container')
      .allInnerTexts()
      .catch(() => [] as string[]);
    return badges.some((text) => text.includes('changes traffic')) ? true : undefined;
  });
  const frontMatter = await workbench.page
    .locator('.statusbar-item', { hasText: 'plan ' })
    .first()
    .innerText({ timeout: 10_000 })
    .catch(() => '');
  if (!frontMatter.includes('.rollout.yaml')) throw new ExpectationError("a status bar item names the runbook's plan", 'plan <file>.rollout.yaml', frontMatter);
  await workbench.page.screenshot({ path: path.join(screenshotsDir, 'runbook-cell-badge.png') });
  await runCell(workbench, 2);
  const dialog = workbench.page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 15_000 });
  const text = await dialog.innerText();
  for (const expected of ['changes something', `PUT ${stack.deploymentUrl}/v1/services/churn-scorer/traffic`, 'churn-scorer', '42 5%', '41 95%']) {
    if (!text.includes(expected)) throw new ExpectationError('the confirmation names the resolved target', expected, text);
  }
  if (text.includes(TOKEN)) throw new ExpectationError('the confirmation never shows the token', 'no token', text);
  // Nothing is sent before the answer.
  if (stack.state().updatedAt !== before.updatedAt) throw new ExpectationError('nothing changes before confirming', before, stack.state());
  await workbench.page.screenshot({ path: path.join(screenshotsDir, 'runbook-confirm.png') });
  await dialog.locator('.monaco-button', { hasText: /^Run$/ }).click();
  const state = await waitForCellEnd(workbench, 2);
  if (state !== 'success') throw new ExpectationError('the confirmed rollout cell succeeds', 'success', { state, outputs: await errorOf(workbench, 2) });
  const weights = Object.fromEntries(stack.state().versions.map((version) => [version.version, version.weight]));
  if (weights['42'] !== 5 || weights['41'] !== 95) throw new ExpectationError('the stack moved 5% to the candidate', { '41': 95, '42': 5 }, weights);
  await waitForOutput(workbench, 'the new weight 5 in the rollout output', (text) => /"weight":\s*5\b/.test(text));
  await scrollCellUp(workbench, 2);
  await livePictureFollows(workbench);
  const ledger = fs.readFileSync(path.join(workbench.workspaceFolder(), '.rollgate/ledger.jsonl'), 'utf8');
  if (ledger.includes(TOKEN)) throw new ExpectationError('the ledger never holds the token', 'no token', 'token found in .rollgate/ledger.jsonl');
}

/** Scrolls the notebook to its top (mouse wheel) so the cells that ask sit far below. */
async function scrollNotebookToTop(workbench: Workbench): Promise<void> {
  const list = workbench.page.locator('.notebook-editor .cell-list-container').first();
  const box = await list.boundingBox();
  if (!box) throw new Error('the notebook cell list is not on screen');
  await workbench.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await waitFor(
    'the first cell on screen',
    10_000,
    async () => {
      if (await codeCell(workbench, 0).isVisible()) return true;
      await workbench.page.mouse.wheel(0, -600);
      return undefined;
    },
    150,
  );
}

/** Whether code cell `index` is rendered inside the notebook's visible area. */
async function cellOnScreen(workbench: Workbench, index: number): Promise<boolean> {
  const cell = codeCell(workbench, index);
  if ((await cell.count()) === 0 || !(await cell.isVisible())) return false;
  const [box, list] = await Promise.all([cell.boundingBox(), workbench.page.locator('.notebook-editor .cell-list-container').first().boundingBox()]);
  return box !== null && list !== null && box.y < list.y + list.height && box.y + box.height > list.y;
}

/**
 * Run All from the top of the notebook: each cell that asks is scrolled into view and selected
 * before its dialog, and the dialog names it by number and name.
 */
async function runAllRevealsEachConfirmation(workbench: Workbench, stack: DevStack): Promise<void> {
  await openRunbook(workbench);
  await scrollNotebookToTop(workbench);
  await codeCell(workbench, 0).locator('.monaco-editor .view-lines').first().click();
  // The check means something only when the asking cell starts off screen.
  if (await cellOnScreen(workbench, 3)) throw new ExpectationError('the rollback cell starts below the visible cells', 'code cell 4 off screen', 'on screen');
  await workbench.runCommand('Notebook: Run All');
  const dialog = workbench.page.locator('.monaco-dialog-box');
  // The dialog numbers cells as the notebook does (markdown cells count): code cells 3 and 4 are cells 6 and 8.
  for (const [index, title] of [
    [2, 'Run cell 6?'],
    [3, 'Run cell 8 "undo"?'],
  ] as const) {
    await dialog.filter({ hasText: title }).waitFor({ state: 'visible', timeout: 30_000 });
    const onScreen = await cellOnScreen(workbench, index);
    const classes =
      (await codeCell(workbench, index)
        .getAttribute('class')
        .catch(() => '')) ?? '';
    if (!onScreen || !/\b(focused|selected)\b/.test(classes)) {
      throw new ExpectationError(`during Run All, code cell ${index + 1} is revealed and selected when it asks`, 'on screen and selected', { onScreen, classes });
    }
    await workbench.page.screenshot({ path: path.join(screenshotsDir, `runbook-run-all-confirm-code-cell-${index + 1}.png`) });
    await dialog.locator('.monaco-button', { hasText: /^Run$/ }).click();
    await dialog.filter({ hasText: title }).waitFor({ state: 'hidden', timeout: 10_000 });
  }
  const state = await waitForCellEnd(workbench, 3);
  if (state !== 'success') throw new ExpectationError('the confirmed rollback cell succeeds', 'success', { state, outputs: await errorOf(workbench, 3) });
  const weights = Object.fromEntries(stack.state().versions.map((version) => [version.version, version.weight]));
  if (weights['41'] !== 100 || (weights['42'] ?? 0) !== 0) throw new ExpectationError('the rollback cell sent all traffic to 41', { '41': 100, '42': 0 }, weights);
}

/** The rollback the cell made shows in the panel's changelog as a rollback, with its reason and a link to the cell. */
async function runbookRollbackInPanel(workbench: Workbench): Promise<void> {
  // The notebook's outputs are webviews too: the panel is found by its plan list.
  const panel = await workbench.rolloutPanelAmongWebviews();
  const entry = panel.locator('li.entry[data-action="rollback"]').first();
  await entry.waitFor({ timeout: 20_000 });
  if (!(await entry.locator('.entry-body').isVisible())) await entry.locator('summary').click();
  const body = await entry.locator('.entry-body').innerText({ timeout: 10_000 });
  for (const expected of [ROLLBACK_REASON, `${RUNBOOK_FILE}, cell 8 (undo)`, '41 100%']) {
    if (!body.includes(expected)) throw new ExpectationError('the runbook rollback shows in the changelog with its reason and cell', expected, body);
  }
  const link = entry.locator('button.source-cell');
  await link.scrollIntoViewIfNeeded();
  await workbench.page.screenshot({ path: path.join(screenshotsDir, 'runbook-rollback-in-panel.png') });
  // The link opens the runbook at that cell.
  await workbench.closeTab(RUNBOOK_FILE);
  await link.click();
  await workbench.page.locator(`.tabs-container .tab.active[aria-label*="${RUNBOOK_FILE}"]`).waitFor({ timeout: 20_000 });
  await waitFor('the rollback cell revealed and selected', 15_000, async () => {
    const classes =
      (await codeCell(workbench, 3)
        .getAttribute('class')
        .catch(() => '')) ?? '';
    return (await cellOnScreen(workbench, 3)) && /\b(focused|selected)\b/.test(classes) ? true : undefined;
  });
}
