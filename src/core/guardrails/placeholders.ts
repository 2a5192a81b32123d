/** Values a guardrail query may refer to with `{{...}}` placeholders. */
export interface QueryContext {
  /** The version under test: the candidate, or the baseline in the baseline half of a relative check. */
  version: string;
  candidateVersion: string;
  baselineVersion: string;
  service: string;
  /** The plan's `metadata.name`. */
  planName: string;
  /** The plan's `model.name`. */
  modelName: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_.]+)\s*\}\}/g;

/**
 * Replaces every placeholder plan validation accepts (`QUERY_PLACEHOLDERS` in
 * `plan/semantics.ts`). Unknown placeholders are left untouched (validation already reported
 * them), so a query is never silently changed into a different one.
 */
export function substitutePlaceholders(query: string, context: QueryContext): string {
  const values: Record<string, string> = {
    version: context.version,
    'candidate.version': context.candidateVersion,
    'baseline.version': context.baselineVersion,
    'metadata.service': context.service,
    'metadata.name': context.planName,
    'model.name': context.modelName,
  };
  return query.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}
