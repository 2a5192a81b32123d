import type * as vscode from 'vscode';

/** Language id of `*.rollout.yaml` / `*.rollout.yml`, declared in package.json. */
export const PLAN_LANGUAGE_ID = 'rollout-plan';

/** Every editor feature for plans applies to this selector (files and unsaved documents alike). */
export const PLAN_SELECTOR: vscode.DocumentSelector = [{ language: PLAN_LANGUAGE_ID }];

/** Source shown beside every Rollgate diagnostic in the Problems panel. */
export const DIAGNOSTIC_SOURCE = 'rollgate';

export function isPlanDocument(document: vscode.TextDocument): boolean {
  return document.languageId === PLAN_LANGUAGE_ID;
}
