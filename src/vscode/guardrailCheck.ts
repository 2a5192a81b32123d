import * as vscode from 'vscode';
import type { SecretResolver } from '../core/cells/index';
import { PrometheusClient } from '../core/endpoints/index';
import { preflightDiagnostics, preflightGuardrails, type PreflightResult } from '../core/guardrails/index';
import { parseDuration, validatePlan } from '../core/plan/index';
import { DIAGNOSTIC_SOURCE, isPlanDocument, PLAN_SELECTOR } from './planLanguage';
import { toRange } from './ranges';
import { missingSecretHint } from './secrets';

/** Command id, contributed in package.json. */
export const CHECK_GUARDRAILS_COMMAND = 'rollgate.plan.checkGuardrails';

const severities = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, info: vscode.DiagnosticSeverity.Information } as const;

/** What the command did: the results, or why it did not run. For tests and automation. */
export type CheckGuardrailsOutcome = { ran: true; results: PreflightResult[] } | { ran: false; reason: string };

/**
 * "Check guardrails now": runs each guardrail query of a plan once against its Prometheus, for the
 * baseline version, and shows what came back at each query (a number, no data, several series, an
 * error) until the plan is edited. A code lens on the plan's `guardrails:` key runs it; trusted
 * workspaces only, since it sends requests (and the metric token) to the URL the plan names.
 */
export function registerGuardrailCheck(secrets: SecretResolver, log: vscode.LogOutputChannel): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection(`${DIAGNOSTIC_SOURCE}-preflight`);
  const lensesChanged = new vscode.EventEmitter<void>();

  const run = async (argument?: unknown): Promise<CheckGuardrailsOutcome> => {
    const uri = argument instanceof vscode.Uri ? argument : vscode.window.activeTextEditor?.document.uri;
    const fail = (reason: string): CheckGuardrailsOutcome => {
      void vscode.window.showWarningMessage(reason);
      return { ran: false, reason };
    };
    if (!vscode.workspace.isTrusted) return fail(vscode.l10n.t("Checking guardrails sends their queries to the plan's Prometheus; it runs only in a trusted workspace."));
    if (!uri) return fail(vscode.l10n.t('Open a rollout plan (*.rollout.yaml) to check its guardrails.'));
    const document = await vscode.workspace.openTextDocument(uri);
    if (!isPlanDocument(document)) return fail(vscode.l10n.t('Open a rollout plan (*.rollout.yaml) to check its guardrails.'));
    const text = document.getText();
    const version = document.version;
    const { plan, diagnostics } = validatePlan(text);
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    if (!plan || errors.length > 0) return fail(vscode.l10n.t('The plan has {0} error(s); fix them first (see the Problems panel). First: {1}', errors.length, errors[0]?.message ?? ''));
    if (plan.guardrails.length === 0) return fail(vscode.l10n.t('The plan defines no guardrails to check.'));
    const endpoint = plan.endpoints.metrics;
    let token: string | undefined;
    if (endpoint.token) {
      token = await secrets.get(endpoint.token.secret);
      if (!token) return fail(missingSecretHint(endpoint.token.secret));
    }
    const timeoutMs = endpoint.timeout ? parseDuration(endpoint.timeout) : undefined;
    const client = new PrometheusClient({ baseUrl: endpoint.url, ...(token ? { token } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    const results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking {0} guardrail(s) against {1}', plan.guardrails.length, endpoint.url), cancellable: true },
      (_progress, cancellation) => {
        const abort = new AbortController();
        cancellation.onCancellationRequested(() => abort.abort());
        return preflightGuardrails(plan, client, { signal: abort.signal });
      },
    );
    log.info(`checked the guardrails of ${uri.fsPath} against ${endpoint.url}: ${results.map((result) => `${result.guardrail} ${result.outcome}`).join(', ')}`);
    if (!document.isClosed && document.version === version) {
      collection.set(
        uri,
        preflightDiagnostics(results, text).map((finding) => {
          const diagnostic = new vscode.Diagnostic(toRange(document, finding.start, finding.end), finding.message, severities[finding.severity]);
          diagnostic.code = finding.code;
          diagnostic.source = DIAGNOSTIC_SOURCE;
          return diagnostic;
        }),
      );
    }
    const count = (outcome: string) => results.filter((result) => result.outcome === outcome).length;
    const problems = results.filter((result) => result.severity !== 'info').length;
    const summary = vscode.l10n.t(
      'Guardrails checked for baseline {0}: {1} returned a number, {2} no data, {3} several series, {4} failed.',
      plan.model.baseline.version,
      count('ok'),
      count('no-data'),
      count('many-series'),
      count('error') + count('not-a-number'),
    );
    if (problems > 0) void vscode.window.showWarningMessage(summary);
    else void vscode.window.showInformationMessage(summary);
    return { ran: true, results };
  };

  const lenses: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: lensesChanged.event,
    provideCodeLenses(document) {
      if (!vscode.workspace.isTrusted) return [];
      const match = /^guardrails:/m.exec(document.getText());
      if (!match) return [];
      const range = toRange(document, match.index, match.index + 'guardrails'.length);
      return [new vscode.CodeLens(range, { title: vscode.l10n.t('Check guardrails now'), command: CHECK_GUARDRAILS_COMMAND, arguments: [document.uri] })];
    },
  };

  return vscode.Disposable.from(
    collection,
    lensesChanged,
    vscode.commands.registerCommand(CHECK_GUARDRAILS_COMMAND, run),
    vscode.languages.registerCodeLensProvider(PLAN_SELECTOR, lenses),
    vscode.workspace.onDidGrantWorkspaceTrust(() => lensesChanged.fire()),
    // The results are about the text they ran on: an edit makes them stale.
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length > 0 && collection.has(event.document.uri)) collection.delete(event.document.uri);
    }),
    vscode.workspace.onDidCloseTextDocument((document) => collection.delete(document.uri)),
  );
}
