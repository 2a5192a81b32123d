// In an untrusted folder the side panel shows plans but no rollout action runs, and says why.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

import type { PanelState } from '../../src/core/panel/protocol';
import { rollgateExtensionId, workspaceFile } from './hostSupport';

suite('side panel in an untrusted folder', () => {
  suiteSetup(async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'this suite runs in an untrusted folder');
    await vscode.extensions.getExtension(rollgateExtensionId)?.activate();
  });

  test('every rollout command refuses and says the folder must be trusted', async () => {
    for (const command of ['rollgate.rollout.start', 'rollgate.rollout.startDrill', 'rollgate.rollout.pause', 'rollgate.rollout.rollback']) {
      const result = await vscode.commands.executeCommand<{ ok: boolean; message: string }>(command, { plan: workspaceFile('churn-canary.rollout.yaml'), confirmed: true });
      assert.equal(result.ok, false, command);
      assert.match(result.message, /untrusted folder/, command);
    }
  });

  test('the panel state disables every action and explains why', async () => {
    const reply = await vscode.commands.executeCommand<{ panel: PanelState }>('rollgate.rollout.state');
    assert.equal(reply.panel.trusted, false);
    assert.deepEqual(Object.values(reply.panel.enabled), [false, false, false, false, false, false]);
    assert.match(reply.panel.notice?.text ?? '', /not trusted/);
  });
});
