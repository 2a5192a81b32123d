import type { Diagnostic } from '../diagnostics';
import { errorMessage } from '../errors';

/** Attributes documented in docs/runbook-format.md and docs/cells.md; others are kept but flagged. */
export const KNOWN_ATTRIBUTES = ['name', 'effect', 'expect', 'range', 'step', 'timeout', 'wait'] as const;

/**
 * The cell languages an attribute means something for; attributes not listed apply to every
 * cell. Using one elsewhere is harmless (the cell ignores it) but almost always a slip.
 */
const ATTRIBUTE_LANGUAGES: Readonly<Record<string, readonly string[]>> = {
  expect: ['promql'],
  range: ['promql'],
  step: ['promql'],
  timeout: ['http'],
  wait: ['promql', 'check'],
};

/**
 * The plan format's duration grammar (`DURATION_PATTERN` in plan/schema.ts, which the cells use
 * at run time), repeated here so opening a runbook does not load zod and the whole plan schema;
 * a unit test keeps the two in step.
 */
export const RUNBOOK_DURATION_PATTERN = /^(?=\d)(?:\d+h)?(?:\d+m(?!s))?(?:\d+s)?(?:\d+ms)?$/;

/** A duration the cells accept: the grammar above and longer than zero. */
function isPositiveDuration(text: string): boolean {
  return RUNBOOK_DURATION_PATTERN.test(text) && /[1-9]/.test(text);
}

/** Attributes whose value is a duration such as "30s", with an example for the message. */
const DURATION_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ['range', '"15m"'],
  ['step', '"30s"'],
  ['timeout', '"10s"'],
  ['wait', '"60s"'],
];

const CELL_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Names that are already variable roots; a cell with one of them would shadow it. */
const RESERVED_NAMES = new Set(['candidate', 'baseline', 'service', 'environment', 'endpoints', 'metadata', 'model', 'secret']);

export interface ParsedAttributes {
  attributes: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

/**
 * Reads the JSON object that follows a cell's language word. `raw` is the text after the
 * language word and `offset` is where it starts in the file, so diagnostics point at it.
 * With the cell's `language`, attributes meant for another cell kind are flagged too.
 */
export function parseAttributes(raw: string, offset: number, language?: string): ParsedAttributes {
  const leading = raw.length - raw.trimStart().length;
  const trimmed = raw.trim();
  if (trimmed === '') return { attributes: {}, diagnostics: [] };
  const start = offset + leading;
  const end = start + trimmed.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    return {
      attributes: {},
      diagnostics: [
        {
          severity: 'error',
          code: 'runbook/attributes-invalid',
          message: `Cell attributes must be a JSON object such as {"name":"status"}: ${errorMessage(error)}`,
          start,
          end,
        },
      ],
    };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {
      attributes: {},
      diagnostics: [
        {
          severity: 'error',
          code: 'runbook/attributes-not-object',
          message: 'Cell attributes must be a JSON object such as {"name":"status"}.',
          start,
          end,
        },
      ],
    };
  }
  const attributes = parsed as Record<string, unknown>;
  return { attributes, diagnostics: checkAttributes(attributes, language, start, end) };
}

function checkAttributes(attributes: Record<string, unknown>, language: string | undefined, start: number, end: number): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const problem = (severity: Diagnostic['severity'], code: string, message: string): void => {
    diagnostics.push({ severity, code, message, start, end });
  };
  for (const key of Object.keys(attributes)) {
    if (!(KNOWN_ATTRIBUTES as readonly string[]).includes(key)) {
      problem('warning', 'runbook/attribute-unknown', `Unknown cell attribute "${key}"; known: ${KNOWN_ATTRIBUTES.join(', ')}.`);
      continue;
    }
    const languages = ATTRIBUTE_LANGUAGES[key];
    if (language !== undefined && languages && !languages.includes(language)) {
      problem('warning', 'runbook/attribute-not-for-language', `"${key}" applies to ${languages.join(' and ')} cells only; a ${language} cell ignores it.`);
    }
  }
  const { name, effect, expect, range, step } = attributes;
  if (name !== undefined) {
    if (typeof name !== 'string' || !CELL_NAME.test(name)) {
      problem('error', 'runbook/attribute-name-invalid', 'Cell "name" must be a word of letters, digits, "_" or "-" starting with a letter, e.g. "status".');
    } else if (RESERVED_NAMES.has(name)) {
      problem('error', 'runbook/attribute-name-reserved', `Cell name "${name}" is a built-in variable root; choose another name.`);
    }
  }
  if (effect !== undefined && effect !== 'read' && effect !== 'mutate') {
    problem('error', 'runbook/attribute-effect-invalid', 'Cell "effect" must be "read" or "mutate".');
  }
  if (expect !== undefined && typeof expect !== 'string') {
    problem('error', 'runbook/attribute-type', 'Cell "expect" must be a string, e.g. "< 0.02".');
  }
  for (const [key, example] of DURATION_ATTRIBUTES) {
    const value = attributes[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      problem('error', 'runbook/attribute-type', `Cell "${key}" must be a string, e.g. ${example}.`);
    } else if (!isPositiveDuration(value)) {
      // The cells refuse such a value when they run; saying so while editing saves a failed run.
      problem('error', 'runbook/attribute-duration-invalid', `Cell "${key}" must be a duration such as ${example}, "5m" or "1h30m"; got ${JSON.stringify(value)}.`);
    }
  }
  if (step !== undefined && range === undefined) {
    problem('warning', 'runbook/attribute-step-without-range', '"step" only applies to a range query; add "range", e.g. "range":"15m".');
  }
  return diagnostics;
}
