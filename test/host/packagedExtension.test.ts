// The extension as installed from rollgate.vsix: proves the package is complete and that a
// rollout plan is recognised and activates it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openFixture, rollgateExtensionId } from './hostSupport';

suite('packaged extension', () => {
  test('the workspace is trusted in this run', () => {
    assert.equal(vscode.workspace.isTrusted, true);
  });

  test('every file package.json points at is in the package', () => {
    const extension = vscode.extensions.getExtension(rollgateExtensionId);
    assert.ok(extension, `${rollgateExtensionId} is installed`);
    const manifest = extension.packageJSON as {
      main: string;
      contributes: { languages?: { configuration?: string }[]; grammars?: { path: string }[]; yamlValidation?: { url: string }[] };
    };
    const referenced = [
      manifest.main,
      ...(manifest.contributes.languages ?? []).flatMap((language) => (language.configuration ? [language.configuration] : [])),
      ...(manifest.contributes.grammars ?? []).map((grammar) => grammar.path),
      ...(manifest.contributes.yamlValidation ?? []).map((validation) => validation.url),
    ];
    const missing = referenced.filter((file) => !fs.existsSync(path.join(extension.extensionPath, file)));
    assert.deepEqual(missing, []);
  });

  test('a *.rollout.yaml file opens as a rollout plan and activates Rollgate', async () => {
    const editor = await openFixture('e2e-broken.rollout.yaml');
    assert.equal(editor.document.languageId, 'rollout-plan');
    const extension = vscode.extensions.getExtension(rollgateExtensionId)!;
    await extension.activate();
    assert.equal(extension.isActive, true);
  });
});
