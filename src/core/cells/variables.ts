import type { Diagnostic } from '../diagnostics';

/** A `{{…}}` occurrence in a cell body. Offsets cover the braces. */
export interface Placeholder {
  /** The trimmed text between the braces, e.g. `candidate.version` or `secret:deploy-token`. */
  expression: string;
  start: number;
  end: number;
}

const PLACEHOLDER = /\{\{([^{}\n]*)\}\}/g;
const SECRET_PREFIX = 'secret:';

/** Finds every `{{…}}` in `text`; `base` is added to the offsets (for pieces of a larger body). */
export function findPlaceholders(text: string, base = 0): Placeholder[] {
  const found: Placeholder[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const start = base + match.index;
    found.push({ expression: match[1]!.trim(), start, end: start + match[0].length });
  }
  return found;
}

/** Variables a cell may read: plain data, looked up by dotted path (`status.body.stable`, `stages.0.name`). */
export type VariableScope = Record<string, unknown>;

/** A value in the scope that stands for a secret, e.g. a plan's `token: { secret: deploy-token }`. */
export function isSecretReference(value: unknown): value is { secret: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { secret?: unknown }).secret === 'string' && Object.keys(value).length === 1;
}

/** Looks up a dotted path; `found` is false when any step is missing. */
export function lookupVariable(scope: VariableScope, path: string): { found: boolean; value?: unknown } {
  const steps = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let current: unknown = scope;
  for (const step of steps) {
    if (step === '' || current === null || typeof current !== 'object') return { found: false };
    if (!Object.prototype.hasOwnProperty.call(current, step)) return { found: false };
    current = (current as Record<string, unknown>)[step];
  }
  return current === undefined ? { found: false } : { found: true, value: current };
}

/** Text with its secrets kept apart, so they are filled in only when the request is sent. */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'secret'; name: string };

export interface ResolvedTemplate {
  parts: TemplatePart[];
  /** Placeholders that named nothing; a cell with any fails before anything is sent. */
  unresolved: Placeholder[];
  /** Names of the secrets the text needs. */
  secrets: string[];
  /** Placeholders a cell kind refuses (e.g. `{{$processEnv …}}` in an http cell), each with its reason. */
  refused?: Diagnostic[];
}

/**
 * A cell kind's own variables, looked up before the scope: a template for the expression, a
 * diagnostic refusing it, or undefined to look in the scope.
 */
export type ExtraVariables = (expression: string, placeholder: Placeholder) => ResolvedTemplate | Diagnostic | undefined;

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Replaces the plain variables of `text` from `scope` and keeps secrets (`{{secret:name}}`, or a
 * variable whose value is a secret reference) as separate parts. Offsets of unresolved
 * placeholders are `base` + their position in `text`.
 */
export function resolveTemplate(text: string, scope: VariableScope, base = 0, extra?: ExtraVariables): ResolvedTemplate {
  const parts: TemplatePart[] = [];
  const unresolved: Placeholder[] = [];
  const refused: Diagnostic[] = [];
  const secrets = new Set<string>();
  let cursor = 0;
  const pushText = (piece: string) => {
    if (piece === '') return;
    const last = parts[parts.length - 1];
    if (last?.kind === 'text') last.text += piece;
    else parts.push({ kind: 'text', text: piece });
  };
  for (const placeholder of findPlaceholders(text)) {
    pushText(text.slice(cursor, placeholder.start));
    cursor = placeholder.end;
    const expression = placeholder.expression;
    const own = extra?.(expression, { ...placeholder, start: placeholder.start + base, end: placeholder.end + base });
    if (own && 'severity' in own) {
      refused.push(own);
      continue;
    }
    if (own) {
      for (const part of own.parts) {
        if (part.kind === 'text') pushText(part.text);
        else parts.push(part);
      }
      for (const name of own.secrets) secrets.add(name);
      unresolved.push(...own.unresolved);
      refused.push(...(own.refused ?? []));
      continue;
    }
    if (expression.startsWith(SECRET_PREFIX)) {
      const name = expression.slice(SECRET_PREFIX.length).trim();
      if (name === '') unresolved.push({ ...placeholder, start: placeholder.start + base, end: placeholder.end + base });
      else {
        secrets.add(name);
        parts.push({ kind: 'secret', name });
      }
      continue;
    }
    const lookup = lookupVariable(scope, expression);
    if (!lookup.found || lookup.value === null) {
      unresolved.push({ ...placeholder, start: placeholder.start + base, end: placeholder.end + base });
      pushText(text.slice(placeholder.start, placeholder.end));
    } else if (isSecretReference(lookup.value)) {
      secrets.add(lookup.value.secret);
      parts.push({ kind: 'secret', name: lookup.value.secret });
    } else {
      pushText(stringify(lookup.value));
    }
  }
  pushText(text.slice(cursor));
  return { parts, unresolved, secrets: [...secrets], ...(refused.length > 0 ? { refused } : {}) };
}

/** How to write a secret part: its value at send time, a marker everywhere else. */
export type SecretWriter = (name: string) => string;

/** The marker used for a secret in dry runs, confirmations and the ledger. */
export const secretMarker: SecretWriter = (name) => `{{secret:${name}}}`;

export function renderTemplate(template: ResolvedTemplate, writeSecret: SecretWriter = secretMarker): string {
  let text = '';
  for (const part of template.parts) text += part.kind === 'text' ? part.text : writeSecret(part.name);
  return text;
}

/** Diagnostics naming each unresolved variable, so the cell fails before anything is sent. */
export function unresolvedDiagnostics(unresolved: Placeholder[]): Diagnostic[] {
  return unresolved.map((placeholder) => ({
    severity: 'error' as const,
    code: 'cell/unresolved-variable',
    message:
      placeholder.expression === '' || placeholder.expression === 'secret:'
        ? 'Empty variable {{}}: name a variable or a secret ({{secret:name}}).'
        : `Unresolved variable {{${placeholder.expression}}}: it is not in the front matter, the linked plan, the environment or an earlier named cell's output.`,
    start: placeholder.start,
    end: placeholder.end,
  }));
}

/** Inputs of the variable scope; later sources win over earlier ones. */
export interface ScopeSources {
  /** The runbook's front matter (title, plan, environment, and any other keys). */
  frontMatter?: Record<string, unknown>;
  /** The linked plan after validation. */
  plan?: unknown;
  /** Name of the selected environment (front matter `environment`, or `--env`). */
  environment?: string;
  /** Named outputs of earlier cells in this session. */
  outputs?: Record<string, unknown>;
}

/**
 * Builds the scope cells read. Order (later wins): the plan's fields (`metadata`, `model`,
 * `endpoints`, … plus the shortcuts `candidate`, `baseline`, `service`), the front matter, the
 * selected environment's own variables (front matter `environments.<name>`), `environment` itself,
 * then named outputs of earlier cells.
 */
export function buildVariableScope(sources: ScopeSources): VariableScope {
  const scope: VariableScope = {};
  const plan = sources.plan as { metadata?: { service?: string }; model?: { candidate?: unknown; baseline?: unknown } } | undefined;
  if (plan && typeof plan === 'object') {
    Object.assign(scope, plan);
    if (plan.model?.candidate !== undefined) scope.candidate = plan.model.candidate;
    if (plan.model?.baseline !== undefined) scope.baseline = plan.model.baseline;
    if (plan.metadata?.service !== undefined) scope.service = plan.metadata.service;
  }
  const frontMatter = sources.frontMatter ?? {};
  for (const [key, value] of Object.entries(frontMatter)) {
    // Only the selected environment's variables are spread below, not every environment's.
    if (key === 'environments') continue;
    scope[key] = value;
  }
  const environment = sources.environment ?? (typeof frontMatter.environment === 'string' ? frontMatter.environment : undefined);
  const environments = frontMatter.environments;
  if (environment && environments && typeof environments === 'object') {
    const own = (environments as Record<string, unknown>)[environment];
    if (own && typeof own === 'object') Object.assign(scope, own);
  }
  if (environment !== undefined) scope.environment = environment;
  Object.assign(scope, sources.outputs ?? {});
  return scope;
}
