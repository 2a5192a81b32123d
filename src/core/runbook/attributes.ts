import type { Diagnostic } from '../diagnostics';

/** Attributes documented in docs/runbook-format.md; others are kept but flagged. */
export const KNOWN_ATTRIBUTES = ['name', 'effect', 'expect', 'range', 'step'] as const;

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
 */
export function parseAttributes(raw: string, offset: number): ParsedAttributes {
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
          message: `Cell attributes must be a JSON object such as {"name":"status"}: ${error instanceof Error ? error.message : String(error)}`,
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
  return { attributes, diagnostics: checkAttributes(attributes, start, end) };
}

function checkAttributes(attributes: Record<string, unknown>, start: number, end: number): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const problem = (severity: Diagnostic['severity'], code: string, message: string): void => {
    diagnostics.push({ severity, code, message, start, end });
  };
  for (const key of Object.keys(attributes)) {
    if (!(KNOWN_ATTRIBUTES as readonly string[]).includes(key)) {
      problem('warning', 'runbook/attribute-unknown', `Unknown cell attribute "${key}"; known: ${KNOWN_ATTRIBUTES.join(', ')}.`);
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
  for (const [key, value] of [['expect', expect], ['range', range], ['step', step]] as const) {
    if (value !== undefined && typeof value !== 'string') {
      problem('error', 'runbook/attribute-type', `Cell "${key}" must be a string, e.g. ${key === 'expect' ? '"< 0.02"' : '"5m"'}.`);
    }
  }
  if (step !== undefined && range === undefined) {
    problem('warning', 'runbook/attribute-step-without-range', '"step" only applies to a range query; add "range", e.g. "range":"15m".');
  }
  return diagnostics;
}
