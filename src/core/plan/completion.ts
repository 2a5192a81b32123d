import { isMap, isScalar, isSeq, type Document } from 'yaml';
import {
  containsCursorMarker,
  describeSchemaField,
  findCursorContext,
  isMappingSchema,
  schemaObjectFields,
  planSchemaAtPath,
  type FieldSchemaInfo,
  type PlanCursorContext,
} from './yamlPath';

/** What a completion proposes: a mapping key, a value of a closed set, or a guardrail name. */
export type PlanCompletionKind = 'key' | 'value' | 'guardrail';

/** One completion proposal, as plain data; the editor layer turns offsets into ranges. */
export interface PlanCompletionItem {
  label: string;
  kind: PlanCompletionKind;
  /** One line shown beside the label: the type, whether it is required, the default. */
  detail: string;
  /** Markdown: the field's description from the schema. */
  documentation?: string;
  /** Text that replaces [replaceStart, replaceEnd) in the original text. */
  insertText: string;
  replaceStart: number;
  replaceEnd: number;
  /** Keeps the schema's order (required keys first) instead of alphabetical order. */
  sortText: string;
}

/**
 * Completion proposals at `offset` in a rollout plan's text, which may be half typed: the keys
 * the schema allows in the mapping at the cursor minus those already present; the values of an
 * enum, literal or boolean field; the plan's guardrail names inside a stage's `guardrails` list.
 * Never throws; returns an empty list where nothing fits.
 */
export function completePlan(text: string, offset: number): PlanCompletionItem[] {
  try {
    const context = findCursorContext(text, offset);
    if (!context) return [];
    return context.position === 'key' ? completeKeys(context) : completeValues(context);
  } catch {
    return [];
  }
}

function completeKeys(context: PlanCursorContext): PlanCompletionItem[] {
  const present = new Set(context.existingKeys);
  const fields = schemaObjectFields(planSchemaAtPath(context.path)).filter(([key]) => !present.has(key));
  const ordered = [...fields.filter(([, schema]) => describeSchemaField(schema).required), ...fields.filter(([, schema]) => !describeSchemaField(schema).required)];
  return ordered.map(([key, schema], index) => {
    const info = describeSchemaField(schema);
    const item: PlanCompletionItem = {
      label: key,
      kind: 'key',
      detail: fieldDetail(info),
      insertText: keyInsertText(key, info, context),
      replaceStart: context.replaceStart,
      replaceEnd: context.replaceEnd,
      sortText: String(index).padStart(3, '0'),
    };
    if (info.description !== undefined) item.documentation = info.description;
    return item;
  });
}

function keyInsertText(key: string, info: FieldSchemaInfo, context: PlanCursorContext): string {
  if (context.keyHasColon) return key;
  if (context.inFlow) return `${key}: `;
  const childIndent = ' '.repeat(context.column + 2);
  if (isMappingSchema(info.schema)) return `${key}:\n${childIndent}`;
  if (info.typeLabel === 'list of mapping') return `${key}:\n${childIndent}- `;
  return `${key}: `;
}

/** `string, required` / `number, default 1` / `'manual' | 'auto', default 'auto'`. */
export function fieldDetail(info: FieldSchemaInfo): string {
  const parts = [info.typeLabel];
  if (info.required) parts.push('required');
  if (info.hasDefault) parts.push(`default ${formatYamlValue(info.defaultValue)}`);
  return parts.join(', ');
}

/** A default or allowed value as it would be written in YAML flow style. */
export function formatYamlValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatYamlValue).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{ ${Object.entries(value)
      .map(([key, inner]) => `${key}: ${formatYamlValue(inner)}`)
      .join(', ')} }`;
  }
  return String(value);
}

function completeValues(context: PlanCursorContext): PlanCompletionItem[] {
  const [first, stageIndex, listName, itemIndex] = context.path;
  if (context.path.length === 4 && first === 'stages' && typeof stageIndex === 'number' && listName === 'guardrails' && typeof itemIndex === 'number') {
    return completeGuardrailNames(context, stageIndex);
  }
  const schema = planSchemaAtPath(context.path);
  if (!schema) return [];
  const info = describeSchemaField(schema);
  const values = [...(info.allowedValues ?? [])];
  // A defaulted free-text field (rollback `to: baseline`) still has one well-known value.
  if (values.length === 0 && typeof info.defaultValue === 'string') values.push(info.defaultValue);
  const prefix = context.needsLeadingSpace ? ' ' : '';
  return values.map((value, index) => {
    const item: PlanCompletionItem = {
      label: value,
      kind: 'value',
      detail: fieldDetail(info),
      insertText: prefix + value,
      replaceStart: context.replaceStart,
      replaceEnd: context.replaceEnd,
      sortText: String(index).padStart(3, '0'),
    };
    if (info.description !== undefined) item.documentation = info.description;
    return item;
  });
}

/** A guardrail defined in the plan's top-level `guardrails` list. */
export interface DefinedGuardrail {
  name: string;
  query?: string;
  /** The kind and bound keys present (`kind: drift`, `max: 0.02`, `maxRatio: 1.2`, ...) as written. */
  bounds: string[];
}

/** The guardrails the plan defines, read leniently from a parsed (possibly broken) document. */
export function definedGuardrails(document: Document.Parsed): DefinedGuardrail[] {
  const list = document.get('guardrails', true);
  if (!isSeq(list)) return [];
  const found: DefinedGuardrail[] = [];
  for (const entry of list.items) {
    if (!isMap(entry)) continue;
    const name = entry.get('name');
    if (typeof name !== 'string' || name === '' || containsCursorMarker(name)) continue;
    const guardrail: DefinedGuardrail = { name, bounds: [] };
    const query = entry.get('query');
    if (typeof query === 'string') guardrail.query = query;
    for (const bound of ['kind', 'histogram', 'counter', 'method', 'window', 'min', 'max', 'relativeTo', 'minRatio', 'maxRatio', 'confidence', 'direction', 'tolerance', 'critical']) {
      const value = entry.get(bound, true);
      if (isScalar(value) && value.value !== null) guardrail.bounds.push(`${bound}: ${String(value.value)}`);
    }
    found.push(guardrail);
  }
  return found;
}

/** Markdown describing a defined guardrail: its bounds and query. */
export function guardrailMarkdown(guardrail: DefinedGuardrail): string {
  const lines = [`**Guardrail \`${guardrail.name}\`**`];
  if (guardrail.bounds.length > 0) lines.push('', guardrail.bounds.map((bound) => `\`${bound}\``).join(' · '));
  if (guardrail.query !== undefined) lines.push('', '```promql', guardrail.query, '```');
  return lines.join('\n');
}

function completeGuardrailNames(context: PlanCursorContext, stageIndex: number): PlanCompletionItem[] {
  const listed = context.document.getIn(['stages', stageIndex, 'guardrails'], true);
  const alreadyListed = new Set<string>();
  if (isSeq(listed)) {
    for (const item of listed.items) {
      if (isScalar(item) && typeof item.value === 'string' && !containsCursorMarker(item.value)) alreadyListed.add(item.value);
    }
  }
  const prefix = context.needsLeadingSpace ? ' ' : '';
  return definedGuardrails(context.document)
    .filter((guardrail) => !alreadyListed.has(guardrail.name))
    .map((guardrail, index) => ({
      label: guardrail.name,
      kind: 'guardrail' as const,
      detail: guardrail.bounds.length > 0 ? `guardrail (${guardrail.bounds.join(', ')})` : 'guardrail',
      documentation: guardrailMarkdown(guardrail),
      insertText: prefix + guardrail.name,
      replaceStart: context.replaceStart,
      replaceEnd: context.replaceEnd,
      sortText: String(index).padStart(3, '0'),
    }));
}
