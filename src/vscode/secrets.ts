import * as vscode from 'vscode';

import { secretEnvironmentVariable, type SecretResolver } from '../core/cells/index';

/** Command ids, contributed in package.json. */
export const SET_SECRET_COMMAND = 'rollgate.setSecret';
export const DELETE_SECRET_COMMAND = 'rollgate.deleteSecret';

const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function storageKey(name: string): string {
  return `rollgate.secret.${name}`;
}

/**
 * Secrets for runbook cells in the editor: VS Code SecretStorage (the OS keychain) first, then
 * the CLI's environment variable `ROLLGATE_SECRET_<NAME>`, so a team's CI setup works in the
 * editor too. Values are read only when a request is sent and never written anywhere else.
 */
export function editorSecretResolver(storage: vscode.SecretStorage, env: NodeJS.ProcessEnv = process.env): SecretResolver {
  return {
    async get(name) {
      const stored = await storage.get(storageKey(name));
      if (stored) return stored;
      const fromEnvironment = env[secretEnvironmentVariable(name)];
      return fromEnvironment ? fromEnvironment : undefined;
    },
  };
}

/** What to tell the user when a secret is missing in the editor. */
export function missingSecretHint(name: string): string {
  return vscode.l10n.t('Run "Rollgate: Set Secret for Runbooks and Plans" and enter the name "{0}" (or set the environment variable {1} before starting VS Code).', name, secretEnvironmentVariable(name));
}

/**
 * Registers "Rollgate: Set Secret for Runbooks and Plans" and "Rollgate: Delete Secret". Both ask for the name; Set asks
 * for the value in a password box. Arguments `(name, value)` skip the prompts (automation, tests).
 */
export function registerSecretCommands(storage: vscode.SecretStorage, log?: vscode.LogOutputChannel): vscode.Disposable {
  const askName = async (given: unknown): Promise<string | undefined> => {
    if (typeof given === 'string' && SECRET_NAME.test(given)) return given;
    return vscode.window.showInputBox({
      title: vscode.l10n.t('Rollgate secret name'),
      prompt: vscode.l10n.t('The name used in runbooks as {{secret:name}} or in plans as token: { secret: name }'),
      placeHolder: 'deploy-token',
      ignoreFocusOut: true,
      validateInput: (value) => (SECRET_NAME.test(value) ? undefined : vscode.l10n.t("Letters, digits, '.', '_' and '-', starting with a letter or digit.")),
    });
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand(SET_SECRET_COMMAND, async (nameArgument?: unknown, valueArgument?: unknown) => {
      const name = await askName(nameArgument);
      if (!name) return false;
      const value =
        typeof valueArgument === 'string'
          ? valueArgument
          : await vscode.window.showInputBox({
              title: vscode.l10n.t('Value of secret "{0}"', name),
              prompt: vscode.l10n.t('Stored in VS Code secret storage (the OS keychain); never written to files, outputs or the ledger.'),
              password: true,
              ignoreFocusOut: true,
            });
      if (!value) return false;
      await storage.store(storageKey(name), value);
      log?.info(`Secret "${name}" stored.`);
      if (typeof valueArgument !== 'string') void vscode.window.showInformationMessage(vscode.l10n.t('Secret "{0}" stored.', name));
      return true;
    }),
    vscode.commands.registerCommand(DELETE_SECRET_COMMAND, async (nameArgument?: unknown) => {
      const name = await askName(nameArgument);
      if (!name) return false;
      await storage.delete(storageKey(name));
      log?.info(`Secret "${name}" deleted.`);
      return true;
    }),
  );
}
