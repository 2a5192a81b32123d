// What a person does in the VS Code window, as Playwright steps that wait on the DOM with
// deadlines (never fixed sleeps). Selectors are VS Code's own workbench classes.
import type { Frame, FrameLocator, Locator, Page } from 'playwright-core';
import { waitFor } from '../harness/vscodeServer';

/** A failed expectation that knows what was expected and what was found on screen. */
export class ExpectationError extends Error {
  constructor(
    message: string,
    readonly expected: unknown,
    readonly found: unknown,
  ) {
    super(message);
  }
}

export interface Problem {
  message: string;
  line: number;
  column: number;
}

const isMac = process.platform === 'darwin';
const ctrl = isMac ? 'Meta' : 'Control';

export class Workbench {
  constructor(readonly page: Page) {}

  /** Waits until the workbench is interactive: the explorer lists the workspace. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** The folder code-server opened, read from the page's `?folder=` parameter. */
  workspaceFolder(): string {
    const folder = new URL(this.page.url()).searchParams.get('folder');
    if (!folder) throw new Error(`the workbench URL names no folder: ${this.page.url()}`);
    return folder;
  }

  /**
   * The Rollgate side panel's document (VS Code nests a webview's page in two iframes), opened
   * through the palette when it is not on screen. Only while no other webview is open: a notebook's
   * outputs are webviews too (see {@link rolloutPanelAmongWebviews}).
   */
  async rolloutPanel(): Promise<FrameLocator> {
    const panel = this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    if (
      !(await panel
        .locator('select#plan')
        .isVisible()
        .catch(() => false))
    )
      await this.runCommand('Rollgate: Open Rollout Panel');
    return panel;
  }

  /** Opens the side panel and finds its page among all webview frames: the one holding select#plan. */
  async rolloutPanelAmongWebviews(): Promise<Frame> {
    await this.runCommand('Rollgate: Open Rollout Panel');
    return waitFor('the side panel page', 30_000, async () => {
      for (const frame of this.page.frames()) {
        const holdsPanel = await frame
          .locator('select#plan')
          .count()
          .catch(() => 0);
        if (holdsPanel) return frame;
      }
      return undefined;
    });
  }

  /** Closes the editor tab labelled `label` with its close button and waits until it is gone. */
  async closeTab(label: string): Promise<void> {
    const tab = this.page.locator('.tab', { hasText: label });
    await tab.locator('.tab-actions .action-label').first().click();
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
  }

  /** Clicks a notebook cell's run button as a person does: it shows for the focused or hovered cell. */
  async clickRunButton(cell: Locator, what: string): Promise<void> {
    await cell.locator('.monaco-editor .view-lines').first().click();
    const runButton = cell.locator('.run-button-container .action-label').first();
    await waitFor(
      `the run button of ${what}`,
      10_000,
      async () => {
        await cell.hover();
        if (!(await runButton.isVisible())) return undefined;
        await runButton.click({ timeout: 2_000 });
        return true;
      },
      200,
    );
  }

  /** Runs a command by its palette title (F1), as a person would. */
  async runCommand(title: string): Promise<void> {
    const input = await this.quickInput('F1', `>${title}`);
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await input.press('Enter');
  }

  private async quickInput(keys: string, text: string): Promise<Locator> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await this.page.keyboard.press(keys);
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
    } catch {
      // Keys pressed while a webview (the side panel) has focus stay in its frame: give the
      // workbench the focus (a click on the active editor tab changes nothing else) and press again.
      await this.page.locator('.tabs-container .tab.active').first().click();
      await this.page.keyboard.press(keys);
      await input.waitFor({ state: 'visible', timeout: 10_000 });
    }
    await input.fill(text);
    return input;
  }

  /**
   * Opens a workspace file as a person would: a click on its row in the Explorer, or Quick Open
   * (Ctrl+P) when the row is not on screen (Quick Open waits for the file search, slow on a busy
   * machine). Resolves once its editor has focus.
   */
  async openFile(fileName: string, timeoutMs = 30_000): Promise<void> {
    const row = this.page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${fileName}"]`);
    if (await row.isVisible()) {
      await row.click();
    } else {
      const input = await this.quickInput(`${ctrl}+P`, fileName);
      const match = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: fileName }).first();
      await match.waitFor({ state: 'visible', timeout: timeoutMs });
      await input.press('Enter');
    }
    await this.page.locator(`.tabs-container .tab.active[aria-label*="${fileName}"]`).waitFor({ timeout: timeoutMs });
    // A click in the text gives the editor focus (the Explorer keeps it after a click there). The
    // first file opened starts the extension host, and on a loaded machine the page may not answer
    // a click for a while: try again until the editor has focus, within three times the timeout.
    const deadline = Date.now() + 3 * timeoutMs;
    for (;;) {
      try {
        // A click in the middle of the line-number gutter: always on screen whatever the scroll
        // position (the top of .view-lines is not when the editor is scrolled down), never on a
        // CodeLens or a decoration. It selects a line; callers place the cursor with goTo.
        const gutter = this.page.locator('.editor-group-container.active .monaco-editor .margin').first();
        await gutter.waitFor({ state: 'visible', timeout: timeoutMs });
        const box = await gutter.boundingBox();
        if (!box) throw new Error('the editor has no line-number gutter on screen');
        await this.page.mouse.click(box.x + box.width / 2, box.y + Math.min(box.height / 2, 200));
        await this.page.locator('.editor-instance .monaco-editor.focused').waitFor({ timeout: timeoutMs });
        return;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
      }
    }
  }

  /** Go to Line/Column (Ctrl+G), one-based like the status bar. */
  async goTo(line: number, column = 1): Promise<void> {
    const input = await this.quickInput(`${ctrl}+G`, `:${line}:${column}`);
    await input.press('Enter');
    await waitFor(`cursor at Ln ${line}, Col ${column}`, 10_000, async () => {
      const status = await this.page
        .locator('#status\\.editor\\.selection')
        .innerText()
        .catch(() => '');
      return status.includes(`Ln ${line}, Col ${column}`) ? true : undefined;
    });
  }

  /** Opens the Problems panel and reads every problem it lists (markers of all files). */
  async problems(): Promise<Problem[]> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) await this.page.keyboard.press(`${ctrl}+Shift+M`);
    await panel.waitFor({ state: 'visible', timeout: 10_000 });
    const rows = await panel.locator('.monaco-list-row').evaluateAll((elements) =>
      elements.map((element) => ({
        message: element.querySelector('.marker-message-details, .marker-message')?.textContent ?? '',
        position: element.querySelector('.marker-line')?.textContent ?? '',
        label: element.getAttribute('aria-label') ?? '',
      })),
    );
    return rows.flatMap((row) => {
      const match = /Ln (\d+), Col (\d+)/.exec(row.position) ?? /line (\d+) (?:and )?(?:character|column) (\d+)/i.exec(row.label);
      return match ? [{ message: row.message || row.label, line: Number(match[1]), column: Number(match[2]) }] : [];
    });
  }

  /** Polls the Problems panel until `accept` holds; on timeout the error shows what was listed. */
  async waitForProblems(expected: string, accept: (problems: Problem[]) => boolean, timeoutMs = 20_000): Promise<Problem[]> {
    let last: Problem[] = [];
    try {
      return await waitFor(
        expected,
        timeoutMs,
        async () => {
          last = await this.problems();
          return accept(last) ? last : undefined;
        },
        250,
      );
    } catch {
      throw new ExpectationError(
        `Problems panel never showed ${expected}`,
        expected,
        last.map((p) => `Ln ${p.line}, Col ${p.column}: ${p.message}`),
      );
    }
  }

  /** Triggers suggestions (Ctrl+Space) at the cursor and returns the labels shown. */
  async suggestions(timeoutMs = 10_000): Promise<string[]> {
    await this.page.keyboard.press(`${ctrl}+Space`);
    const widget = this.page.locator('.editor-widget.suggest-widget.visible');
    await widget.waitFor({ state: 'visible', timeout: timeoutMs });
    // The list fills in asynchronously after the widget appears ("Loading...").
    return waitFor('suggestion rows', timeoutMs, async () => {
      const labels = await widget.locator('.monaco-list-row .label-name').allInnerTexts();
      return labels.length > 0 ? labels.map((label) => label.trim()) : undefined;
    });
  }

  /** Shows the hover at the cursor (Ctrl+K Ctrl+I) and returns its text once non-empty. */
  async hoverText(timeoutMs = 10_000): Promise<string> {
    await this.page.keyboard.press(`${ctrl}+K`);
    await this.page.keyboard.press(`${ctrl}+I`);
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content');
    return waitFor('a hover with text', timeoutMs, async () => {
      const text = (await hover.allInnerTexts()).join('\n').trim();
      return text.length > 0 ? text : undefined;
    });
  }

  async escape(): Promise<void> {
    await this.page.keyboard.press('Escape');
  }
}
