// What a person sees running a runbook cell in a folder they have not trusted (workspace trust
// ON, Restricted Mode): VS Code asks about trust before anything runs; declining runs nothing.
// A loopback server that only counts requests stands in for "something the cell could reach"
// (it imitates no system: the cell is a plain GET and any request at all is a failure).
// Screenshot: runbook-untrusted.png (what intervened); the runner saves runbook-untrusted-after.png.
import { once } from 'node:events';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { repoRoot, waitFor } from '../harness/vscodeServer';
import type { E2eCheck } from './planEditor.e2e';
import { ExpectationError, type Workbench } from './workbench';

const RUNBOOK_FILE = 'e2e-untrusted.runbook.md';
const screenshotsDir = path.join(repoRoot, 'test/e2e/screenshots');
/** The controller's own refusal (src/vscode/runbookController.ts), should VS Code let the run reach it. */
const CONTROLLER_REFUSAL = 'Rollgate runs no runbook cell in an untrusted workspace';

/** The text of every frame but the workbench's own (the notebook's output webview), shadow roots included. */
async function outputTexts(workbench: Workbench): Promise<string[]> {
  const texts: string[] = [];
  for (const frame of workbench.page.frames()) {
    if (frame === workbench.page.mainFrame()) continue;
    const text = await frame
      .evaluate(() => {
        const parts: string[] = [];
        const walk = (root: Node): void => {
          for (const node of Array.from(root.childNodes)) {
            if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent ?? '');
            else if (node instanceof Element) {
              if (node.shadowRoot) walk(node.shadowRoot);
              walk(node);
            }
          }
        };
        if (document.body) walk(document.body);
        return parts.join(' ');
      })
      .catch(() => undefined);
    if (text) texts.push(text);
  }
  return texts;
}

export const untrustedChecks: E2eCheck[] = [
  {
    name: "untrusted folder: clicking a runbook cell's run button sends nothing and writes no ledger",
    screenshot: 'runbook-untrusted-after',
    async run(workbench) {
      const page = workbench.page;
      let requests = 0;
      const counter = createServer((_request, response) => {
        requests++;
        response.end('{}');
      });
      counter.listen(0, '127.0.0.1');
      await once(counter, 'listening');
      const url = `http://127.0.0.1:${(counter.address() as AddressInfo).port}`;
      try {
        const workspace = workbench.workspaceFolder();
        // The temporary workspace is a copy of examples/, where a local drill may have left a
        // (git-ignored) .rollgate/: start without one so any ledger afterwards came from this click.
        fs.rmSync(path.join(workspace, '.rollgate'), { recursive: true, force: true });
        const fence = '```';
        fs.writeFileSync(path.join(workspace, RUNBOOK_FILE), `---\ntitle: Untrusted\n---\n# Must not run\n\n${fence}http {"name":"probe"}\nGET ${url}/probe\n${fence}\n`);

        // Restricted Mode is on: the status bar says so.
        await page
          .locator('.statusbar-item', { hasText: 'Restricted Mode' })
          .first()
          .waitFor({ state: 'visible', timeout: 30_000 })
          .catch(() => {
            throw new ExpectationError('the folder opens in Restricted Mode', 'a "Restricted Mode" status bar item', 'none');
          });

        const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${RUNBOOK_FILE}"]`);
        // The file watcher may miss a file written right after start-up: refresh the Explorer as a person would.
        let lastRefresh = Date.now();
        await waitFor(
          `${RUNBOOK_FILE} in the Explorer`,
          30_000,
          async () => {
            if (await row.isVisible()) return true;
            if (Date.now() - lastRefresh > 3_000) {
              lastRefresh = Date.now();
              await page.keyboard.press('F1');
              const input = page.locator('.quick-input-widget .quick-input-box input');
              await input.waitFor({ state: 'visible', timeout: 5_000 });
              await input.fill('>File: Refresh Explorer');
              await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Refresh Explorer' }).first().waitFor({ state: 'visible', timeout: 5_000 });
              await input.press('Enter');
            }
            return undefined;
          },
          250,
        );
        await row.click();
        const cell = page.locator('.notebook-editor .code-cell-row', { hasText: '/probe' });
        await cell.waitFor({ state: 'visible', timeout: 30_000 }).catch(async () => {
          throw new ExpectationError(
            `${RUNBOOK_FILE} opens as a notebook in Restricted Mode`,
            'a code cell in .notebook-editor',
            await page
              .locator('.editor-group-container.active')
              .innerText()
              .catch(() => ''),
          );
        });

        await workbench.clickRunButton(cell, 'the cell');

        // Whatever intervenes: VS Code's trust dialog, a kernel picker, or the controller's own error output.
        const dialog = page.locator('.monaco-dialog-box');
        const kernelPick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Rollgate' }).first();
        const errorIcon = cell.locator('.cell-statusbar-container .codicon-notebook-state-error');
        const successIcon = cell.locator('.cell-statusbar-container .codicon-notebook-state-success');
        let intervention = '';
        const deadline = Date.now() + 30_000;
        for (;;) {
          const seen = await waitFor(
            'a trust dialog, a kernel picker or an ended cell',
            Math.max(1_000, deadline - Date.now()),
            async () => {
              if (await dialog.isVisible()) return 'dialog';
              if (await kernelPick.isVisible()) return 'picker';
              if ((await errorIcon.count()) > 0) return 'error';
              if ((await successIcon.count()) > 0) return 'success';
              return undefined;
            },
            150,
          );
          if (seen === 'picker') {
            await kernelPick.click();
            continue;
          }
          await page.screenshot({ path: path.join(screenshotsDir, 'runbook-untrusted.png') });
          if (seen === 'success') throw new ExpectationError('the cell does not run in an untrusted folder', 'no success tick', { requests });
          if (seen === 'dialog') {
            intervention = `VS Code asked: ${(await dialog.innerText()).replace(/\s+/g, ' ').trim()}`;
            const decline = dialog.locator('.monaco-button', { hasText: /don't trust|do not trust|^no\b|cancel/i }).first();
            if ((await decline.count()) > 0) {
              intervention += ` -> clicked "${(await decline.innerText()).trim()}"`;
              await decline.click();
            } else {
              intervention += ' -> Escape';
              await page.keyboard.press('Escape');
            }
            await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
          } else {
            const texts = await waitFor("the controller's refusal in the cell output", 15_000, async () => {
              const found = await outputTexts(workbench);
              return found.some((text) => text.includes(CONTROLLER_REFUSAL)) ? found : undefined;
            }).catch(async () => {
              throw new ExpectationError(
                'a refused cell explains why',
                CONTROLLER_REFUSAL,
                (await outputTexts(workbench)).map((text) => text.slice(0, 400)),
              );
            });
            intervention = `the controller refused: ${texts
              .find((text) => text.includes(CONTROLLER_REFUSAL))
              ?.trim()
              .slice(0, 120)}`;
          }
          break;
        }

        // A definite sign the click was not turned into a run: the folder is still untrusted, so a
        // second click on the run button asks again (had the answer trusted the folder, or had the
        // run gone ahead, no dialog would come). Decline that one too with Escape.
        if (intervention.startsWith('VS Code asked')) {
          await cell.hover();
          await cell.locator('.run-button-container .action-label').first().click({ timeout: 5_000 });
          const again = await waitFor(
            'the trust question again on a second click',
            15_000,
            async () => {
              if (await dialog.isVisible()) return 'dialog';
              if (await kernelPick.isVisible()) return 'picker';
              if ((await successIcon.count()) > 0 || (await errorIcon.count()) > 0) return 'ran';
              return undefined;
            },
            150,
          ).catch(() => 'nothing');
          if (again !== 'dialog') throw new ExpectationError('a second click asks about trust again (the folder is still untrusted)', 'the trust dialog', { seen: again, requests });
          await page.keyboard.press('Escape');
          await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
          intervention += '; a second click asked again -> Escape';
        }
        if (!(await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().isVisible())) {
          throw new ExpectationError('the folder stays in Restricted Mode', 'a "Restricted Mode" status bar item', 'gone');
        }
        if ((await successIcon.count()) > 0) throw new ExpectationError('the cell does not run in an untrusted folder', 'no success tick', 'a success tick');
        if (requests !== 0) throw new ExpectationError('no request reaches the loopback counter', 0, requests);
        const ledger = path.join(workspace, '.rollgate/ledger.jsonl');
        if (fs.existsSync(ledger)) throw new ExpectationError('no ledger is written', 'no .rollgate/ledger.jsonl', fs.readFileSync(ledger, 'utf8').slice(0, 400));
        console.log(`       ${intervention}`);
        console.log(`       requests to the loopback counter: ${requests}; .rollgate/ledger.jsonl exists: false`);
      } finally {
        counter.closeAllConnections();
        counter.close();
      }
    },
  },
];
