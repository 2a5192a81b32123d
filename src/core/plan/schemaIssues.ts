import type { z } from 'zod';
import type { Diagnostic } from '../diagnostics';
import { closestMatch } from './suggest';
import { planSchema } from './schema';
import { describeSchemaField, formatPlanPath, planSchemaAtPath, resolveUnion } from './schemaFields';
import { discriminatorValues } from './unionSchema';
import type { PlanLocator, PlanPath } from './yamlTree';

/** Stable codes of schema findings. */
export const SchemaCodes = {
  unknownKey: 'schema/unknown-key',
  missingKey: 'schema/missing-key',
  invalidType: 'schema/invalid-type',
  invalidValue: 'schema/invalid-value',
  invalidFormat: 'schema/invalid-format',
  outOfRange: 'schema/out-of-range',
  invalid: 'schema/invalid',
} as const;

/**
 * The zod schema that describes the value at `path` (wrappers looked through), if the path follows
 * the schema; a discriminated union on the way resolves to the option the plan's `value` names.
 */
function schemaAtPath(path: PlanPath, value?: unknown): z.ZodType | undefined {
  const field = planSchemaAtPath(path, planSchema, (at) => valueAt(value, at as PlanPath).value);
  return field ? describeSchemaField(field).schema : undefined;
}

interface ObjectDef {
  type: string;
  shape?: Record<string, unknown>;
}

const defOf = (schema: z.ZodType): ObjectDef => (schema as unknown as { _zod: { def: ObjectDef } })._zod.def;

/** The keys an object accepts at `path` (empty when it is not an object in the schema); see {@link schemaAtPath}. */
export function knownKeysAt(path: PlanPath, value?: unknown): string[] {
  const found = schemaAtPath(path, value);
  const schema = found && resolveUnion(found, valueAt(value, path).value);
  return schema && defOf(schema).type === 'object' ? Object.keys(defOf(schema).shape ?? {}) : [];
}

function valueAt(root: unknown, path: PlanPath): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, segment)) return { found: false, value: undefined };
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return { found: true, value: current };
}

function describeKind(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'object':
      return 'a mapping';
    case 'string':
      return `the text ${show(value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `${value}`;
    default:
      return typeof value;
  }
}

const expectedNames: Record<string, string> = {
  object: 'a mapping (key: value lines)',
  array: 'a list',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  int: 'a whole number',
};

function show(value: unknown): string {
  const rendered = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  return rendered.length > 60 ? `${rendered.slice(0, 57)}...` : rendered;
}

function lastKey(path: PlanPath): string {
  for (let index = path.length - 1; index >= 0; index--) if (typeof path[index] === 'string') return String(path[index]);
  return 'value';
}

/** zod's own messages start with "Invalid input"/"Too small"; ours are noun phrases ("a duration such as ..."). */
function isOurPhrase(message: string): boolean {
  return /^(a|an|at least|at most) /.test(message);
}

/**
 * Maps zod issues to diagnostics on the YAML source: an unknown key marks the key (with a "did
 * you mean" and its fix), a missing key marks the key of the object it is missing from, and any
 * other problem marks the value.
 */
export function schemaDiagnostics(issues: readonly z.core.$ZodIssue[], value: unknown, locator: PlanLocator): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const error = (code: string, message: string, span: { start: number; end: number }, fix?: Diagnostic['fix']): void => {
    diagnostics.push({ severity: 'error', code, message, start: span.start, end: span.end, ...(fix ? { fix } : {}) });
  };

  for (const issue of issues) {
    const path = issue.path as PlanPath;
    const label = formatPlanPath(path, 'the plan');
    // Whatever zod calls it (wrong type, wrong literal, ...), an absent key is a missing key.
    if (issue.code !== 'unrecognized_keys' && path.length > 0) {
      const parent = path.slice(0, -1);
      if (!valueAt(value, path).found && valueAt(value, parent).found) {
        const where = parent.length === 0 ? 'the plan' : formatPlanPath(parent, 'the plan');
        error(SchemaCodes.missingKey, `Missing required key '${lastKey(path)}' in ${where}.`, locator.owner(parent));
        continue;
      }
    }
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(path, value);
        for (const key of issue.keys) {
          const span = locator.key([...path, key]);
          const suggestion = closestMatch(
            key,
            known.filter((candidate) => candidate !== key),
          );
          const where = path.length === 0 ? 'at the top level of the plan' : `in ${label}`;
          if (suggestion) {
            error(SchemaCodes.unknownKey, `Unknown key '${key}' ${where}. Did you mean '${suggestion}'?`, span, {
              title: `Change '${key}' to '${suggestion}'`,
              edits: [{ start: span.start, end: span.end, text: suggestion }],
            });
          } else {
            error(SchemaCodes.unknownKey, `Unknown key '${key}' ${where}. Allowed keys: ${known.join(', ')}.`, span);
          }
        }
        break;
      }
      case 'invalid_type': {
        const expected = expectedNames[issue.expected] ?? issue.expected;
        error(SchemaCodes.invalidType, `'${label}' must be ${expected}, not ${describeKind(valueAt(value, path).value)}.`, locator.value(path));
        break;
      }
      case 'invalid_value': {
        const actual = valueAt(value, path).value;
        const allowed = issue.values.map((option) => String(option));
        const suggestion = typeof actual === 'string' ? closestMatch(actual, allowed) : undefined;
        const span = locator.value(path);
        const choices = allowed.length === 1 ? `'${allowed[0]}'` : `one of ${allowed.join(', ')}`;
        const message = `'${label}' must be ${choices}, not ${describeKind(actual)}.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`;
        error(SchemaCodes.invalidValue, message, span, suggestion ? { title: `Change to '${suggestion}'`, edits: [{ start: span.start, end: span.end, text: suggestion }] } : undefined);
        break;
      }
      case 'invalid_format':
      case 'custom': {
        const actual = valueAt(value, path).value;
        const expectation = isOurPhrase(issue.message) ? issue.message : 'in the expected format';
        error(SchemaCodes.invalidFormat, `'${label}' must be ${expectation}, not ${describeKind(actual)}.`, locator.value(path));
        break;
      }
      case 'too_small':
      case 'too_big': {
        const actual = valueAt(value, path).value;
        let expectation = issue.message;
        if (!isOurPhrase(expectation)) {
          const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
          if (issue.origin === 'string' && issue.code === 'too_small' && bound <= 1) expectation = 'non-empty text';
          else if (issue.origin === 'array') expectation = issue.code === 'too_small' ? `a list of at least ${bound}` : `a list of at most ${bound}`;
          else if (issue.code === 'too_small') expectation = issue.inclusive === false ? `above ${bound}` : `at least ${bound}`;
          else expectation = issue.inclusive === false ? `below ${bound}` : `at most ${bound}`;
        }
        error(SchemaCodes.outOfRange, `'${label}' must be ${expectation}, not ${describeKind(actual)}.`, locator.value(path));
        break;
      }
      case 'invalid_union': {
        // A discriminated union's discriminator (`endpoints.deployment.type`) names no option.
        const allowed = discriminatorValues(schemaAtPath(path.slice(0, -1), value));
        if (allowed.length > 0) {
          const actual = valueAt(value, path).value;
          const suggestion = typeof actual === 'string' ? closestMatch(actual, allowed) : undefined;
          const span = locator.value(path);
          error(
            SchemaCodes.invalidValue,
            `'${label}' must be one of ${allowed.join(', ')}, not ${describeKind(actual)}.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`,
            span,
            suggestion ? { title: `Change to '${suggestion}'`, edits: [{ start: span.start, end: span.end, text: suggestion }] } : undefined,
          );
          break;
        }
        error(SchemaCodes.invalid, `'${label}': ${issue.message}.`, locator.value(path));
        break;
      }
      default:
        error(SchemaCodes.invalid, `'${label}': ${issue.message}.`, locator.value(path));
    }
  }
  return diagnostics;
}
