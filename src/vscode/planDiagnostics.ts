import * as vscode from 'vscode';
import type { Diagnostic as CoreDiagnostic } from '../core/diagnostics';
import { argoExportDiagnostics } from '../core/export/exportPlan';
import { PlanValidator } from '../core/plan/incremental';
import { KeyedDebouncer } from './debounce';
import { DIAGNOSTIC_SOURCE, isPlanDocument } from './planLanguage';
import type { PlanFix, PlanFixStore } from './planFixes';
import { toRange } from './ranges';

const DEFAULT_DEBOUNCE_MS = 150;

const severities: Record<CoreDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/**
 * Validates open rollout plans and publishes their diagnostics: at once on open and save; while
 * typing, at once for the first keystroke after a quiet spell and then after
 * `rollgate.validation.debounceMs` of quiet; cleared when a plan closes.
 * Each diagnostic's "did you mean" fix goes to `fixes` for the quick-fix provider.
 */
export function registerPlanDiagnostics(log: vscode.LogOutputChannel, fixes: PlanFixStore): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  const debouncer = new KeyedDebouncer();
  // One incremental validator per open plan: a keystroke re-parses only the piece it changed.
  const validators = new Map<string, PlanValidator>();
  const validatorFor = (document: vscode.TextDocument): PlanValidator => {
    const key = document.uri.toString();
    let validator = validators.get(key);
    if (!validator) validators.set(key, (validator = new PlanValidator()));
    return validator;
  };

  const validate = (document: vscode.TextDocument): void => {
    if (!isPlanDocument(document) || document.isClosed) return;
    const version = document.version;
    try {
      const started = performance.now();
      const validator = validatorFor(document);
      const text = document.getText();
      const result = validator.validate(text);
      // Only the newest text's findings may be shown: a run that finishes after a newer edit
      // (or after the document closed) is dropped; the newer edit has its own run scheduled.
      if (document.isClosed || document.version !== version) return;
      // A plan that declares an export target also shows what that export would refuse.
      const findings = result.plan?.export?.argoRollouts && !result.diagnostics.some((finding) => finding.severity === 'error') ? [...result.diagnostics, ...argoExportDiagnostics(text, result.plan)] : result.diagnostics;
      const published = findings.map((finding) => toEditorDiagnostic(document, finding));
      collection.set(
        document.uri,
        published.map(({ diagnostic }) => diagnostic),
      );
      fixes.set(
        document.uri,
        published.flatMap(({ diagnostic, fix }) => (fix ? [{ diagnostic, fix }] : [])),
      );
      log.trace(`validated ${document.uri.fsPath} v${version}: ${published.length} finding(s) in ${(performance.now() - started).toFixed(1)} ms (${validator.lastParse} parse)`);
    } catch (error) {
      log.error(`validation of ${document.uri.toString()} failed`, error);
      // Say so where the user looks, rather than leaving stale or no findings without a word.
      const notice = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), vscode.l10n.t('Rollgate could not validate this plan. Details are in the "Rollgate" output channel.'), vscode.DiagnosticSeverity.Warning);
      notice.source = DIAGNOSTIC_SOURCE;
      notice.code = 'rollgate/validation-failed';
      collection.set(document.uri, [notice]);
      fixes.delete(document.uri);
    }
  };

  const debounceMs = (document: vscode.TextDocument): number => {
    const configured = vscode.workspace.getConfiguration('rollgate.validation', document).get<number>('debounceMs', DEFAULT_DEBOUNCE_MS);
    return typeof configured === 'number' && Number.isFinite(configured) ? configured : DEFAULT_DEBOUNCE_MS;
  };

  const validateNow = (document: vscode.TextDocument): void => {
    debouncer.cancel(document.uri.toString());
    validate(document);
  };

  const forget = (document: vscode.TextDocument): void => {
    debouncer.cancel(document.uri.toString());
    validators.delete(document.uri.toString());
    collection.delete(document.uri);
    fixes.delete(document.uri);
  };

  const subscriptions = [
    vscode.workspace.onDidOpenTextDocument(validateNow),
    vscode.workspace.onDidSaveTextDocument(validateNow),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (!isPlanDocument(event.document) || event.contentChanges.length === 0) return;
      const document = event.document;
      debouncer.scheduleLeading(document.uri.toString(), debounceMs(document), () => validate(document));
    }),
    // A language change arrives as close + open, so this also clears a file switched away from rollout-plan.
    vscode.workspace.onDidCloseTextDocument(forget),
  ];
  for (const document of vscode.workspace.textDocuments) validateNow(document);

  return new vscode.Disposable(() => {
    debouncer.dispose();
    for (const subscription of subscriptions) subscription.dispose();
    collection.dispose();
    validators.clear();
    fixes.clear();
  });
}

function toEditorDiagnostic(document: vscode.TextDocument, finding: CoreDiagnostic): { diagnostic: vscode.Diagnostic; fix?: PlanFix } {
  const diagnostic = new vscode.Diagnostic(toRange(document, finding.start, finding.end), finding.message, severities[finding.severity]);
  diagnostic.code = finding.code;
  diagnostic.source = DIAGNOSTIC_SOURCE;
  if (!finding.fix) return { diagnostic };
  return {
    diagnostic,
    fix: {
      title: finding.fix.title,
      edits: finding.fix.edits.map((edit) => ({ range: toRange(document, edit.start, edit.end), newText: edit.text })),
      version: document.version,
    },
  };
}
