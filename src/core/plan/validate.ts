import { MAX_PLAN_BYTES, oversize, tooLargeMessage } from '../files/limits';
import { createHash } from 'node:crypto';
import { isMap, parseDocument, type Document, type Pair } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { CredentialScanner } from './credentials';
import { deploymentDiagnostics } from './deploymentRules';
import { guardrailQueryDiagnostics, planQueryContext, PlanQueryChecker, type PromqlCache } from './queries';
import { deploymentEndpointSchema, planSchema, type Plan } from './schema';
import { schemaDiagnostics } from './schemaIssues';
import { semanticDiagnostics, type PlanSections } from './semantics';
import { keySpan, nodeSpan, PlanLocator, restOfLine, toPlainValue } from './yamlTree';
import { errorMessage } from '../errors';
import { visibleSpan } from '../text/spans';

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
  return validateGuarded(text, parsePlanDocument);
}

/** How a plan's text becomes a YAML document: one full parse, or an incremental one (see `PlanValidator`). */
export type PlanParser = (text: string) => Document;

/** Options of the one full parse; an incremental parse must parse its pieces with the same. */
export const PLAN_PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: false } as const;

// Line/column decoration of errors is left to the caller (it has a LineIndex), and duplicate
// keys are found during the conversion below, more cheaply than the parser's pairwise check.
const parsePlanDocument: PlanParser = (text) => parseDocument(text, PLAN_PARSE_OPTIONS);

/**
 * Validates with the given parser; a bug of ours becomes a finding on the first line, never a
 * throw. `queries` keeps the analyses of guardrail queries between validations of one plan.
 */
export function validateGuarded(text: string, parse: PlanParser, queries?: PromqlCache): PlanValidation {
  const bytes = oversize(text, MAX_PLAN_BYTES);
  if (bytes !== undefined) {
    const span = restOfLine(text, 0);
    return { diagnostics: [{ severity: 'error', code: 'plan/too-large', message: tooLargeMessage('plan', bytes), start: span.start, end: span.end }] };
  }
  try {
    return validateText(text, parse, queries);
  } catch (error) {
    // A bug of ours must not take the editor or CI down: report it on the first line instead.
    const span = restOfLine(text, 0);
    return {
      diagnostics: [
        {
          severity: 'error',
          code: DocumentCodes.internal,
          message: `Rollgate could not validate this file (${errorMessage(error)}). Please report this.`,
          start: span.start,
          end: span.end,
        },
      ],
    };
  }
}

function validateText(text: string, parse: PlanParser, queries?: PromqlCache): PlanValidation {
  // A regex stops at the first non-blank character; trim() would copy the whole text.
  if (!/\S/.test(text)) {
    return { diagnostics: [{ severity: 'error', code: DocumentCodes.empty, message: 'The file is empty. A rollout plan starts with `apiVersion: rollgate/v1` and `kind: RolloutPlan`.', start: 0, end: text.length }] };
  }
  const document = parse(text);
  const diagnostics: Diagnostic[] = yamlDiagnostics(text, document);
  if (document.errors.length > 0) return { diagnostics };

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
  const duplicateKeys: Pair[] = [];
  const value = toPlainValue(document, scanner, duplicateKeys);
  const credentials = scanner.diagnostics;
  for (const pair of duplicateKeys) {
    const span = keySpan(text, pair) ?? restOfLine(text, 0);
    diagnostics.push({ severity: 'error', code: DocumentCodes.duplicateKey, message: DUPLICATE_KEY_MESSAGE, start: span.start, end: span.end });
  }
  const parsed = planSchema.safeParse(value);
  // Cheap to make: it walks the tree only for the findings it is asked to place.
  const locator = new PlanLocator(text, document);
  const queryDiagnostics = guardrailQueryDiagnostics(value, locator, new PlanQueryChecker(text, queries, planQueryContext(value)));
  if (!parsed.success) {
    // A credential finding already explains a value the schema also rejects; say it once.
    const credentialStarts = new Set(credentials.map((diagnostic) => diagnostic.start));
    for (const diagnostic of schemaDiagnostics(parsed.error.issues, value, locator)) {
      if (!credentialStarts.has(diagnostic.start)) diagnostics.push(diagnostic);
    }
    diagnostics.push(...credentials);
    const sections = acceptedSections(value as Record<string, unknown>);
    diagnostics.push(...semanticDiagnostics(sections, locator, text));
    const deployment = deploymentEndpointSchema.safeParse((value as { endpoints?: { deployment?: unknown } }).endpoints?.deployment);
    diagnostics.push(...deploymentDiagnostics({ ...sections, ...(deployment.success ? { deployment: deployment.data } : {}) }, locator));
    diagnostics.push(...queryDiagnostics);
    return { diagnostics: sortBySpan(diagnostics) };
  }
  diagnostics.push(...credentials);
  diagnostics.push(...semanticDiagnostics(parsed.data, locator, text));
  diagnostics.push(...deploymentDiagnostics({ ...parsed.data, deployment: parsed.data.endpoints.deployment }, locator));
  diagnostics.push(...queryDiagnostics);
  return { plan: parsed.data, diagnostics: sortBySpan(diagnostics) };
}

const DUPLICATE_KEY_MESSAGE = 'This key appears twice in the same mapping; the last value would silently win. Remove one.';

/**
 * The sections of a rejected plan that the schema accepts on their own, so their semantic errors
 * still show. A section whose only faults are unknown keys (already reported) counts as accepted
 * without them: one misspelt key in a stage must not hide that its guardrails do not exist.
 */
function acceptedSections(value: Record<string, unknown>): PlanSections {
  const shape = planSchema.shape;
  const sections: PlanSections = {};
  const metadata = parseIgnoringUnknownKeys(shape.metadata, value.metadata);
  if (metadata.success) sections.metadata = metadata.data;
  const model = parseIgnoringUnknownKeys(shape.model, value.model);
  if (model.success) sections.model = model.data;
  const guardrails = parseIgnoringUnknownKeys(shape.guardrails, value.guardrails);
  if (guardrails.success) sections.guardrails = guardrails.data;
  const stages = parseIgnoringUnknownKeys(shape.stages, value.stages);
  if (stages.success) sections.stages = stages.data;
  const rollback = parseIgnoringUnknownKeys(shape.rollback, value.rollback);
  if (rollback.success) sections.rollback = rollback.data;
  const notify = shape.notify.safeParse(value.notify);
  if (notify.success) sections.notify = notify.data;
  const endpoints = shape.endpoints.safeParse(value.endpoints);
  if (endpoints.success) sections.endpoints = endpoints.data;
  const flags = shape.flags.safeParse(value.flags);
  if (flags.success) sections.flags = flags.data;
  return sections;
}

/** Parses `value`; when every issue is an unknown key, parses again without those keys (indices stay put). */
function parseIgnoringUnknownKeys<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { code: string; path: readonly PropertyKey[]; keys?: readonly string[] }[] } } },
  value: unknown,
): { success: true; data: T } | { success: false } {
  const first = schema.safeParse(value);
  if (first.success) return first;
  const issues = first.error.issues;
  if (issues.length === 0 || !issues.every((issue) => issue.code === 'unrecognized_keys' && issue.keys !== undefined)) return { success: false };
  const copy = structuredClone(value) as unknown;
  for (const issue of issues) {
    let node: unknown = copy;
    for (const step of issue.path) node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[step] : undefined;
    if (node && typeof node === 'object') for (const key of issue.keys!) delete (node as Record<string, unknown>)[key];
  }
  const second = schema.safeParse(copy);
  return second.success ? second : { success: false };
}

function yamlDiagnostics(text: string, document: Document): Diagnostic[] {
  // After the first syntax error the parser's further complaints are mostly echoes of it (later
  // lines read as keys of the wrong mapping, and so on): report only where it stopped.
  const [firstError] = document.errors;
  if (firstError) {
    const { start, end } = visibleSpan(text, firstError.pos[0], firstError.pos[1]);
    return [{ severity: 'error', code: DocumentCodes.yamlSyntax, message: `YAML syntax error: ${firstLine(firstError.message)}`, start, end }];
  }
  return document.warnings.map((warning) => {
    const { start, end } = visibleSpan(text, warning.pos[0], warning.pos[1]);
    return { severity: 'warning', code: DocumentCodes.yamlWarning, message: firstLine(warning.message), start, end };
  });
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
