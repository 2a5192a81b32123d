// A benchmark, not a test: run only by bench/vscodeLatency.bench.ts, which bundles this file into
// its own suites folder and points the host runner at it (ROLLGATE_HOST_SUITES). It is not named
// test/host/*.test.ts, so `npm test` never runs it, and it asserts no timing: it records
// timings into the side file named by ROLLGATE_BENCH_OUT and fails only when the measurement
// itself could not be made (the plan did not open, diagnostics never changed).
//
// Environment (set by the bench on the code-server process, inherited by the extension host):
//   ROLLGATE_BENCH_OUT    where to write the timings (JSON)
//   ROLLGATE_BENCH_PLAN   the generated plan, relative to the workspace folder
//   ROLLGATE_BENCH_EDITS  how many one-character edits to time (default 50)
//   ROLLGATE_BENCH_WARMUP how many edits come first, timed but kept apart (default 5): the first
//                         edits of a freshly opened large file are slower in VS Code's own path
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const extensionId = 'rollgate.rollgate';

/** What the bench reads back. Times are milliseconds of the extension host's performance.now(). */
export interface KeystrokeBenchOutput {
  activation: { measured: true; ms: number } | { measured: false; reason: string };
  planLines: number;
  debounceMs: number;
  quietGapMs: number;
  baselineFindings: number;
  /** applyEdit to the changed diagnostics being published (the goal's figure), per edit. */
  samplesMs: number[];
  /** The same figure for the warm-up edits that came first, kept apart from the samples. */
  warmupMs: number[];
  /**
   * Per edit, all from the applyEdit call: `ms` to the changed diagnostics being published
   * (`DiagnosticCollection.set` ran: `languages.getDiagnostics` shows them, and the same call
   * sent them to the workbench); `diagnosticsEventMs` to `languages.onDidChangeDiagnostics`
   * reporting them, which VS Code debounces by 50 ms in the extension host; `changeEventMs` to
   * the extension host's onDidChangeTextDocument (VS Code's own part of the path).
   */
  edits: { kind: 'add' | 'remove'; target: 'key' | 'query'; line: number; ms: number; diagnosticsEventMs: number; changeEventMs: number }[];
}

/** `code@line: message` of each diagnostic of `uri`, for a failure message. */
function describeDiagnostics(uri: vscode.Uri): string {
  return JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => `${typeof d.code === 'object' ? d.code.value : d.code}@${d.range.start.line + 1}: ${d.message.slice(0, 80)}`));
}

/**
 * Resolves with the time at which `uri` first holds `expected` findings, checked on every turn of
 * the extension host's event loop: this is when Rollgate's `DiagnosticCollection.set` ran.
 */
function publishedCount(uri: vscode.Uri, expected: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      const at = performance.now();
      if (vscode.languages.getDiagnostics(uri).length === expected) return resolve(at);
      if (at > deadline) return reject(new Error(`diagnostics of ${uri.fsPath} were not published with ${expected} finding(s) within ${timeoutMs} ms; found ${describeDiagnostics(uri)}`));
      setImmediate(check);
    };
    setImmediate(check);
  });
}

/**
 * Resolves with the time at which onDidChangeDiagnostics reported `uri` holding `expected`
 * findings. Subscribed before the caller's edit, so the event cannot be missed.
 */
function nextDiagnosticsCount(uri: vscode.Uri, expected: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      const at = performance.now();
      if (!event.uris.some((changed) => changed.toString() === uri.toString())) return;
      if (vscode.languages.getDiagnostics(uri).length !== expected) return;
      cleanup();
      resolve(at);
    });
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`diagnostics of ${uri.fsPath} did not reach ${expected} finding(s) within ${timeoutMs} ms (now ${vscode.languages.getDiagnostics(uri).length})`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      subscription.dispose();
    };
  });
}

suite('bench: keystroke to diagnostics and activation (real VS Code)', () => {
  test('times activation and ~50 one-character edits of a 5,000-line plan', async function () {
    this.timeout(240_000);
    const outPath = process.env.ROLLGATE_BENCH_OUT;
    const planPath = process.env.ROLLGATE_BENCH_PLAN;
    assert.ok(outPath && planPath, 'ROLLGATE_BENCH_OUT and ROLLGATE_BENCH_PLAN are set by bench/vscodeLatency.bench.ts');
    const editCount = Number(process.env.ROLLGATE_BENCH_EDITS ?? 50);
    const warmupCount = Number(process.env.ROLLGATE_BENCH_WARMUP ?? 5);

    // Activation first, before anything opens a plan (which would activate Rollgate itself).
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `${extensionId} is installed`);
    let activation: KeystrokeBenchOutput['activation'];
    if (extension.isActive) {
      activation = { measured: false, reason: 'Rollgate was already active when the bench suite started' };
    } else {
      const started = performance.now();
      await extension.activate();
      activation = { measured: true, ms: performance.now() - started };
    }

    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    const uri = vscode.Uri.file(path.join(folder.uri.fsPath, planPath));
    // Subscribe before opening: the plan is validated as soon as it opens.
    const firstDiagnostics = new Promise<void>((resolve) => {
      const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
        if (event.uris.some((changed) => changed.toString() === uri.toString()) && vscode.languages.getDiagnostics(uri).length > 0) {
          subscription.dispose();
          resolve();
        }
      });
    });
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    if (vscode.languages.getDiagnostics(uri).length === 0) {
      await Promise.race([firstDiagnostics, new Promise((_, reject) => setTimeout(() => reject(new Error('no first diagnostics within 30 s')), 30_000))]);
    }
    const baselineFindings = vscode.languages.getDiagnostics(uri).length;

    const debounceMs = vscode.workspace.getConfiguration('rollgate.validation', document).get<number>('debounceMs', 150);
    // Longer than the debounce, so every edit is "a lone keystroke after a quiet spell".
    const quietGapMs = debounceMs + 100;

    // Each pair of edits types one character and deletes it again (back to the baseline), at a
    // different guardrail each pair, so every edit changes the diagnostics: pairs alternate between
    // an `x` in front of a `description` key (an unknown key) and a `)` at the end of a guardrail
    // query (a PromQL syntax error: the query is parsed again, the others come from the cache).
    const text = document.getText();
    const keyOffsets = [...text.matchAll(/^ {4}description: Generated guardrail/gm)].map((match) => match.index + 4);
    const queryEnds = [...text.matchAll(/^ {4}query: .*$/gm)].map((match) => match.index + match[0].length);
    assert.ok(keyOffsets.length > 10 && queryEnds.length > 10, 'the generated plan has guardrail descriptions and queries to edit');
    const edits: KeystrokeBenchOutput['edits'] = [];
    for (let index = 0; index < warmupCount + editCount; index++) {
      const adding = index % 2 === 0;
      const pair = Math.floor(index / 2);
      const inQuery = pair % 2 === 1;
      const targets = inQuery ? queryEnds : keyOffsets;
      const offset = targets[(pair * 7) % targets.length]!;
      const position = document.positionAt(offset);
      const edit = new vscode.WorkspaceEdit();
      if (adding) edit.insert(uri, position, inQuery ? ')' : 'x');
      else edit.delete(uri, new vscode.Range(position, position.translate(0, 1)));
      // The quiet spell is the condition being measured (a keystroke after a pause), not a wait
      // for something to happen, so it is a deliberate pause.
      await new Promise((resolve) => setTimeout(resolve, quietGapMs));
      const expected = adding ? baselineFindings + 1 : baselineFindings;
      const changed = nextDiagnosticsCount(uri, expected, 10_000);
      let changeEventAt = Number.NaN;
      const changeSubscription = vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.uri.toString() === uri.toString() && Number.isNaN(changeEventAt)) changeEventAt = performance.now();
      });
      const started = performance.now();
      const published = publishedCount(uri, expected, 10_000);
      const applied = await vscode.workspace.applyEdit(edit);
      assert.ok(applied, `edit ${index + 1} was applied`);
      const ms = (await published) - started;
      const diagnosticsEventMs = (await changed) - started;
      changeSubscription.dispose();
      edits.push({ kind: adding ? 'add' : 'remove', target: inQuery ? 'query' : 'key', line: position.line + 1, ms, diagnosticsEventMs, changeEventMs: changeEventAt - started });
    }

    const output: KeystrokeBenchOutput = {
      activation,
      planLines: document.lineCount,
      debounceMs,
      quietGapMs,
      baselineFindings,
      samplesMs: edits.slice(warmupCount).map((edit) => edit.ms),
      warmupMs: edits.slice(0, warmupCount).map((edit) => edit.ms),
      edits: edits.slice(warmupCount),
    };
    fs.mkdirSync(path.dirname(outPath), { recursive: true });
    fs.writeFileSync(outPath, `${JSON.stringify(output, null, 2)}\n`);
    assert.equal(edits.length, warmupCount + editCount, 'every edit was timed');
  });
});
