import { createHash } from 'node:crypto';
import { isMap, parseDocument, type Document } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { CredentialScanner } from './credentials';
import { planSchema, type Plan } from './schema';
import { schemaDiagnostics } from './schemaIssues';
import { semanticDiagnostics } from './semantics';
import { nodeSpan, PlanLocator, restOfLine, toPlainValue } from './yamlTree';

export interface PlanValidation {
  /** The plan with defaults applied; present only when the schema accepted it. */
  plan?: Plan;
  diagnostics: Diagnostic[];
}

/** Stable codes of findings about the file as a whole and its YAML syntax. */
export const DocumentCodes = {
  empty: 'plan/empty',
  notAMapping: 'plan/not-a-mapping',
  yamlSyntax: 'yaml/syntax',
  duplicateKey: 'yaml/duplicate-key',
  yamlWarning: 'yaml/warning',
  internal: 'plan/internal-error',
} as const;

/**
 * Validates a rollout plan's text: YAML syntax, then the `rollgate/v1` schema, then the semantic
 * rules (see `SemanticCodes`). Every finding carries the exact span of the text it is about.
 * Never throws on user content; `plan` is present only when the schema accepted the plan (semantic
 * errors may still be reported alongside it).
 */
export function validatePlan(text: string): PlanValidation {
  try {
    return validateText(text);
  } catch (error) {
    // A bug of ours must not take the editor or CI down: report it on the first line instead.
    const span = restOfLine(text, 0);
    return {
      diagnostics: [
        {
          severity: 'error',
          code: DocumentCodes.internal,
          message: `Rollgate could not validate this file (${error instanceof Error ? error.message : String(error)}). Please report this.`,
          start: span.start,
          end: span.end,
        },
      ],
    };
  }
}

function validateText(text: string): PlanValidation {
  // A regex stops at the first non-blank character; trim() would copy the whole text.
  if (!/\S/.test(text)) {
    return { diagnostics: [{ severity: 'error', code: DocumentCodes.empty, message: 'The file is empty. A rollout plan starts with `apiVersion: rollgate/v1` and `kind: RolloutPlan`.', start: 0, end: text.length }] };
  }
  // Line/column decoration of errors is left to the caller (it has a LineIndex); skipping it saves time.
  const document = parseDocument(text, { prettyErrors: false });
  const diagnostics: Diagnostic[] = yamlDiagnostics(text, document);
  // Duplicate keys leave a usable tree (the last one wins); real syntax errors do not.
  if (diagnostics.some((diagnostic) => diagnostic.severity === 'error' && diagnostic.code !== DocumentCodes.duplicateKey)) return { diagnostics };

  if (!isMap(document.contents)) {
    const span = nodeSpan(text, document.contents) ?? restOfLine(text, 0);
    diagnostics.push({
      severity: 'error',
      code: DocumentCodes.notAMapping,
      message: 'A rollout plan is a mapping of keys (apiVersion, kind, metadata, model, endpoints, guardrails, stages, ...), not a single value or a list.',
      start: span.start,
      end: Math.max(span.end, span.start),
    });
    return { diagnostics };
  }

  const scanner = new CredentialScanner(text);
  const value = toPlainValue(document, scanner);
  const credentials = scanner.diagnostics;
  const parsed = planSchema.safeParse(value);
  let locator: PlanLocator | undefined;
  if (!parsed.success) {
    locator = new PlanLocator(text, document);
    // A credential finding already explains a value the schema also rejects; say it once.
    const credentialStarts = new Set(credentials.map((diagnostic) => diagnostic.start));
    for (const diagnostic of schemaDiagnostics(parsed.error.issues, value, locator)) {
      if (!credentialStarts.has(diagnostic.start)) diagnostics.push(diagnostic);
    }
    diagnostics.push(...credentials);
    return { diagnostics: sortBySpan(diagnostics) };
  }
  diagnostics.push(...credentials);
  diagnostics.push(...semanticDiagnostics(parsed.data, new PlanLocator(text, document), text));
  return { plan: parsed.data, diagnostics: sortBySpan(diagnostics) };
}

/** A plain or quoted mapping key at the start of the text, up to (not including) its colon. */
const KEY_AT_START = /^(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\s:#,{}[\]][^:\n#]*?)(?=[ \t]*:)/;

function yamlDiagnostics(text: string, document: Document): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  let syntaxReported = false;
  for (const error of document.errors) {
    const duplicate = error.code === 'DUPLICATE_KEY';
    // After the first real syntax error the parser's further complaints are mostly echoes of
    // it; report only where it stopped.
    if (!duplicate && syntaxReported) continue;
    syntaxReported ||= !duplicate;
    let [start, end] = clampSpan(text, error.pos);
    // The parser points at the first character of a repeated key; mark the whole key.
    if (duplicate) end = Math.max(end, start + (KEY_AT_START.exec(text.slice(start, start + 1100))?.[0].length ?? 0));
    const message = duplicate ? 'This key appears twice in the same mapping; the last value would silently win. Remove one.' : `YAML syntax error: ${firstLine(error.message)}`;
    diagnostics.push({ severity: 'error', code: duplicate ? DocumentCodes.duplicateKey : DocumentCodes.yamlSyntax, message, start, end });
  }
  // A syntax error can make later lines parse as keys of the wrong mapping; duplicates found
  // then are echoes of it too.
  if (syntaxReported) return diagnostics.filter((diagnostic) => diagnostic.code === DocumentCodes.yamlSyntax);
  for (const warning of document.warnings) {
    const [start, end] = clampSpan(text, warning.pos);
    diagnostics.push({ severity: 'warning', code: DocumentCodes.yamlWarning, message: firstLine(warning.message), start, end });
  }
  return diagnostics;
}

/** Keeps a parser position inside the text and at least one character wide, so editors can show it. */
function clampSpan(text: string, pos: [number, number]): [number, number] {
  let start = Math.max(0, Math.min(pos[0], text.length));
  let end = Math.max(start, Math.min(pos[1], text.length));
  if (start === end) {
    if (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
    else if (start > 0) start--;
  }
  return [start, end];
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

function sortBySpan(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** `sha256:<hex>` of the plan's exact text (UTF-8): the digest the ledger records for a plan. */
export function planDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
