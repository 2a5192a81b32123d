import { parseDocument, type Document } from 'yaml';
import { definedGuardrails, formatYamlValue, guardrailMarkdown } from './completion';
import { parseDuration, planSchema } from './schema';
import { describeSchemaField, discriminatorChoices, formatPlanPath, planSchemaAtPath } from './schemaFields';
import { documentLookup, findScalarAt, type YamlPathSegment } from './yamlPath';

/** Hover content for one span of a plan: Markdown and the offsets it describes. */
export interface PlanHover {
  markdown: string;
  start: number;
  end: number;
}

/**
 * Hover at `offset` in a rollout plan's text: for a key or its value, the field's description,
 * type, whether it is required, its default and its allowed values; for a guardrail name in a
 * stage's `guardrails` list, that guardrail's bounds and query. Undefined for unknown keys,
 * comments and whitespace. Never throws.
 */
export function hoverPlan(text: string, offset: number): PlanHover | undefined {
  try {
    const document = parsedForHover(text);
    const located = findScalarAt(document, offset);
    if (!located || !located.scalar.range || located.role === 'root') return undefined;
    const [start, end] = located.scalar.range;
    const { path } = located;

    if (located.role !== 'key' && isStageGuardrailReference(path)) {
      const name = String(located.scalar.value);
      const guardrail = definedGuardrails(document).find((candidate) => candidate.name === name);
      const markdown = guardrail ? guardrailMarkdown(guardrail) : `**Guardrail \`${name}\`** is not defined in this plan's \`guardrails\` list.`;
      return { markdown, start, end };
    }

    const lookup = documentLookup(document);
    const schema = planSchemaAtPath(path, planSchema, lookup);
    if (!schema) return undefined;
    const value = located.role !== 'key' && typeof located.scalar.value === 'string' ? located.scalar.value : undefined;
    return { markdown: fieldMarkdown(path, schema, discriminatorChoices(path, lookup), value), start, end };
  } catch {
    return undefined;
  }
}

// The pointer rests on one unchanged text for many hover requests: keep its last parse.
let lastParse: { text: string; document: Document.Parsed } | undefined;

function parsedForHover(text: string): Document.Parsed {
  if (lastParse?.text !== text) lastParse = { text, document: parseDocument(text, { uniqueKeys: false, prettyErrors: false }) };
  return lastParse.document;
}

function isStageGuardrailReference(path: readonly YamlPathSegment[]): boolean {
  return path.length === 4 && path[0] === 'stages' && path[2] === 'guardrails' && typeof path[3] === 'number';
}

/** A duration field (`bake`, `interval`, `timeout`…), told by what it accepts: `1h30m` yes, `30` and words no. */
function isDurationSchema(schema: unknown): boolean {
  const parser = schema as { safeParse?: (value: unknown) => { success: boolean } };
  if (typeof parser.safeParse !== 'function') return false;
  return parser.safeParse('1h30m').success && parser.safeParse('250ms').success && !parser.safeParse('30').success && !parser.safeParse('soon').success;
}

/** `1h30m` → "1 hour 30 minutes". */
export function durationWords(text: string): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) return undefined;
  const parts: string[] = [];
  const units: [number, string][] = [
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
    [1, 'millisecond'],
  ];
  let rest = ms;
  for (const [size, unit] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? '' : 's'}`);
  }
  return parts.join(' ') || '0 seconds';
}

function fieldMarkdown(path: readonly YamlPathSegment[], schema: Parameters<typeof describeSchemaField>[0], choices?: string[], value?: string): string {
  const info = describeSchemaField(schema);
  // A union's discriminator (`type`) may take the value of any option, not only this one's.
  if (choices) {
    info.allowedValues = choices;
    info.typeLabel = choices.map((value) => `'${value}'`).join(' | ');
  }
  const fieldName = [...path].reverse().find((segment): segment is string => typeof segment === 'string') ?? 'plan';
  const isDuration = isDurationSchema(info.schema);
  const qualifiers = [`\`${isDuration ? 'duration' : info.typeLabel}\``, info.required ? 'required' : 'optional'];
  const lines = [`**${fieldName}** · ${qualifiers.join(' · ')}`];
  if (isDuration && value !== undefined) {
    const words = durationWords(value);
    lines.push('', words ? `\`${value}\` = ${words}` : `\`${value}\` is not a duration: write e.g. \`30s\`, \`10m\`, \`1h30m\` or \`250ms\`.`);
  }
  if (info.description !== undefined) lines.push('', info.description);
  if (info.allowedValues && info.allowedValues.length > 0) {
    lines.push('', `Allowed values: ${info.allowedValues.map((value) => `\`${value}\``).join(', ')}`);
  }
  if (info.hasDefault) lines.push('', `Default: \`${formatYamlValue(info.defaultValue)}\``);
  lines.push('', `Path: \`${formatPlanPath(path)}\``);
  return lines.join('\n');
}
