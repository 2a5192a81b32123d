// The rollout-plan editor against the real VS Code API: diagnostics with exact ranges and codes,
// completion, hover, the "did you mean" quick fix, and diagnostics following edits.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { generatePlan } from '../support/generatePlan';
import { openFixture, rollgateExtensionId, waitForDiagnostics, workspaceFile } from './hostSupport';

const PLAN_LANGUAGE = 'rollout-plan';
const CURSOR = '<|>';

/** The range of `text` in the document, found just after `context` (which must occur once). */
function rangeAfter(document: vscode.TextDocument, context: string, text: string): vscode.Range {
  const source = document.getText();
  const at = source.indexOf(context + text);
  assert.ok(at >= 0, `the document contains ${JSON.stringify(context + text)}`);
  assert.strictEqual(source.indexOf(context + text, at + 1), -1, `${JSON.stringify(context + text)} occurs once`);
  const start = at + context.length;
  return new vscode.Range(document.positionAt(start), document.positionAt(start + text.length));
}

const describeRange = (range: vscode.Range) => `${range.start.line + 1}:${range.start.character + 1}-${range.end.line + 1}:${range.end.character + 1}`;
const codeOf = (diagnostic: vscode.Diagnostic) => (typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code);

/** Opens an untitled rollout plan; `<|>` in the content marks the cursor, returned as a position. */
async function openUntitledPlan(contentWithCursor: string): Promise<{ document: vscode.TextDocument; cursor?: vscode.Position }> {
  const cursorOffset = contentWithCursor.indexOf(CURSOR);
  const content = contentWithCursor.replace(CURSOR, '');
  const document = await vscode.workspace.openTextDocument({ language: PLAN_LANGUAGE, content });
  await vscode.window.showTextDocument(document);
  opened.push(document);
  return cursorOffset >= 0 ? { document, cursor: document.positionAt(cursorOffset) } : { document };
}
const opened: vscode.TextDocument[] = [];

async function readWorkspaceText(relativePath: string): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceFile(relativePath)));
}

async function replaceOnce(document: vscode.TextDocument, search: string, replacement: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, rangeAfter(document, '', search), replacement);
  assert.ok(await vscode.workspace.applyEdit(edit), `replaced ${JSON.stringify(search)}`);
}

async function completionLabels(document: vscode.TextDocument, position: vscode.Position): Promise<string[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, position);
  return list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n');
}

const GUARDRAILS = `guardrails:
  - name: error-rate
    query: sum(rate(x[1m]))
    max: 0.02
  - name: p99-latency
    query: histogram_quantile(0.99, y)
    relativeTo: baseline
    maxRatio: 1.2
`;

suite('rollout-plan editor', () => {
  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension(rollgateExtensionId);
    assert.ok(extension, `${rollgateExtensionId} is installed`);
    await extension.activate();
  });

  suiteTeardown(async () => {
    // Untitled plans would otherwise ask to be saved; revert and close each one.
    for (const document of opened) {
      if (document.isClosed) continue;
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  test('a *.rollout.yaml file opens as a rollout plan', async () => {
    const editor = await openFixture('plan-editor-broken.rollout.yaml');
    assert.strictEqual(editor.document.languageId, PLAN_LANGUAGE);
  });

  test('suggestions pop up while typing in a plan, where YAML makes most text a string token', () => {
    const quickSuggestions = vscode.workspace.getConfiguration('editor', { languageId: PLAN_LANGUAGE }).get<Record<string, string>>('quickSuggestions');
    assert.strictEqual(quickSuggestions?.strings, 'on');
  });

  test('a broken plan gets diagnostics with the right ranges, codes and source', async () => {
    const { document } = await openFixture('plan-editor-broken.rollout.yaml');
    const expected = [
      // A missing key marks the key of the mapping it is missing from.
      { code: 'schema/missing-key', range: rangeAfter(document, '\n', 'metadata') },
      { code: 'schema/invalid-value', range: rangeAfter(document, '    onNoData: ', 'pause') },
      { code: 'schema/unknown-key', range: rangeAfter(document, '    ', 'trafic') },
    ];
    const diagnostics = await waitForDiagnostics(document.uri, (found) => expected.every(({ code }) => found.some((d) => codeOf(d) === code)));
    for (const { code, range } of expected) {
      const matching = diagnostics.filter((d) => codeOf(d) === code);
      assert.ok(
        matching.some((d) => d.range.isEqual(range)),
        `${code} at ${describeRange(range)}; found ${matching.map((d) => describeRange(d.range)).join(', ')}`,
      );
    }
    assert.ok(
      diagnostics.every((d) => d.source === 'rollgate'),
      'every diagnostic has source "rollgate"',
    );
    const unknownKey = diagnostics.find((d) => codeOf(d) === 'schema/unknown-key')!;
    assert.match(unknownKey.message, /traffic/);
    assert.strictEqual(unknownKey.severity, vscode.DiagnosticSeverity.Error);
  });

  test('completion offers the keys a stage may still have, and not those it has', async () => {
    const { document, cursor } = await openUntitledPlan(`stages:\n  - name: canary\n    ${CURSOR}\n`);
    const labels = await completionLabels(document, cursor!);
    for (const key of ['kind', 'traffic', 'bake', 'guardrails', 'approval']) assert.ok(labels.includes(key), `offers '${key}' among ${labels.join(', ')}`);
    assert.ok(!labels.includes('name'), "does not offer 'name', already present");
  });

  test('completion offers top-level keys and enum values', async () => {
    const top = await openUntitledPlan(`apiVersion: rollgate/v1\n${CURSOR}`);
    const topLabels = await completionLabels(top.document, top.cursor!);
    for (const key of ['kind', 'metadata', 'stages', 'guardrails', 'rollback']) assert.ok(topLabels.includes(key), `offers '${key}' among ${topLabels.join(', ')}`);
    assert.ok(!topLabels.includes('apiVersion'), "does not offer 'apiVersion', already present");

    const value = await openUntitledPlan(`metadata:\n  environment: ${CURSOR}\n`);
    const valueLabels = await completionLabels(value.document, value.cursor!);
    for (const environment of ['dev', 'test', 'staging', 'prod']) assert.ok(valueLabels.includes(environment), `offers '${environment}' among ${valueLabels.join(', ')}`);
  });

  test("completion offers the plan's guardrail names in a stage's guardrails list", async () => {
    const { document, cursor } = await openUntitledPlan(`${GUARDRAILS}stages:\n  - name: canary\n    guardrails: [error-rate, ${CURSOR}]\n`);
    const labels = await completionLabels(document, cursor!);
    assert.ok(labels.includes('p99-latency'), `offers 'p99-latency' among ${labels.join(', ')}`);
    assert.ok(!labels.includes('error-rate'), "does not offer 'error-rate', already listed");
  });

  test('hover shows the field description, type and allowed values', async () => {
    const { document } = await openFixture('plan-editor-broken.rollout.yaml');
    const key = rangeAfter(document, '  ', 'environment');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, key.start.translate(0, 3));
    const text = hoverText(hovers);
    assert.match(text, /Environment the plan targets\./);
    assert.match(text, /`prod`/);
    const ours = hovers.find((hover) => hover.range?.isEqual(key));
    assert.ok(ours, `a hover covers the key at ${describeRange(key)}`);
  });

  test('the quick fix replaces the typo, and the diagnostic goes away', async () => {
    const valid = await readWorkspaceText('churn-canary.rollout.yaml');
    assert.ok(valid.includes('    traffic: 10\n'), 'the example has a stage with traffic: 10');
    const { document } = await openUntitledPlan(valid.replace('    traffic: 10\n', '    trafic: 10\n'));
    const typo = rangeAfter(document, '    ', 'trafic');
    const found = await waitForDiagnostics(document.uri, (current) => current.some((d) => codeOf(d) === 'schema/unknown-key'));
    const diagnostic = found.find((d) => codeOf(d) === 'schema/unknown-key');
    assert.ok(diagnostic?.range.isEqual(typo), `the unknown key is marked at ${describeRange(typo)}`);

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, typo, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((action) => /traffic/.test(action.title));
    assert.ok(fix?.edit, `a quick fix with an edit among: ${actions.map((action) => action.title).join(', ')}`);
    assert.strictEqual(fix.isPreferred, true);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.strictEqual(document.lineAt(typo.start.line).text, '    traffic: 10', 'the key now reads traffic');
    await waitForDiagnostics(document.uri, (found) => found.length === 0);
  });

  test('diagnostics follow edits: a new error appears, a fixed one disappears', async () => {
    const valid = await readWorkspaceText('churn-canary.rollout.yaml');
    const { document } = await openUntitledPlan(valid);
    await waitForDiagnostics(document.uri, (found) => found.length === 0);

    await replaceOnce(document, 'environment: staging', 'environment: staging-eu');
    const invalid = rangeAfter(document, 'environment: ', 'staging-eu');
    const afterBreak = await waitForDiagnostics(document.uri, (found) => found.some((d) => codeOf(d) === 'schema/invalid-value'));
    assert.ok(
      afterBreak.some((d) => d.range.isEqual(invalid)),
      `the bad value is marked at ${describeRange(invalid)}`,
    );

    await replaceOnce(document, 'environment: staging-eu', 'environment: prod');
    const afterFix = await waitForDiagnostics(document.uri, (found) => !found.some((d) => codeOf(d) === 'schema/invalid-value'));
    assert.ok(afterFix.every((d) => codeOf(d) !== 'schema/invalid-value'));
  });

  test('in a 5,000-line plan (validated incrementally), findings land on the right lines as edits move the text', async () => {
    const { document } = await openUntitledPlan(generatePlan({ stages: 400, guardrails: 400 }));
    assert.ok(document.getText().length > 64 * 1024, 'large enough for the incremental validator');
    await waitForDiagnostics(document.uri, (found) => found.length === 0);

    // A typo in a stage key in the middle of the plan.
    const middle = document.getText().indexOf('  - name: stage-200\n');
    assert.ok(middle > 0, 'the generated plan has a stage-200');
    const keyAt = document.getText().indexOf('traffic:', middle);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, document.positionAt(keyAt), 'x');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const typoLine = document.positionAt(keyAt).line;
    const unknown = (found: readonly vscode.Diagnostic[]) => found.filter((d) => codeOf(d) === 'schema/unknown-key');
    const first = await waitForDiagnostics(document.uri, (found) => unknown(found).length === 1);
    assert.deepStrictEqual(
      unknown(first).map((d) => describeRange(d.range)),
      [`${typoLine + 1}:5-${typoLine + 1}:13`],
      'the typo `xtraffic` is marked',
    );

    // Two lines added near the top move everything below; the finding must move with its text.
    const top = new vscode.WorkspaceEdit();
    top.insert(document.uri, new vscode.Position(2, 0), '# added while typing\n# another line\n');
    assert.ok(await vscode.workspace.applyEdit(top));
    const moved = await waitForDiagnostics(document.uri, (found) => unknown(found).some((d) => d.range.start.line === typoLine + 2));
    assert.deepStrictEqual(
      unknown(moved).map((d) => describeRange(d.range)),
      [`${typoLine + 3}:5-${typoLine + 3}:13`],
    );
    assert.strictEqual(document.lineAt(typoLine + 2).text, '    xtraffic: 50', 'the marked line holds the typo');

    // Fixing it clears the finding.
    const fix = new vscode.WorkspaceEdit();
    fix.delete(document.uri, new vscode.Range(typoLine + 2, 4, typoLine + 2, 5));
    assert.ok(await vscode.workspace.applyEdit(fix));
    await waitForDiagnostics(document.uri, (found) => found.length === 0);
  });
});
