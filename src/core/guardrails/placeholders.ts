/** Values a guardrail query may refer to with `{{...}}` placeholders. */
export interface QueryContext {
  /** The version under test: the candidate, or the baseline in the baseline half of a relative check. */
  version: string;
  candidateVersion: string;
  baselineVersion: string;
  service: string;
  /** `{{metadata.name}}` and `{{model.name}}`, which plan validation accepts; left as written when not given. */
  planName?: string;
  modelName?: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_.]+)\s*\}\}/g;

/** Names a guardrail query may use; anything else is left in place and reported by plan validation. */
export const GUARDRAIL_PLACEHOLDERS = ['version', 'candidate.version', 'baseline.version', 'metadata.service'] as const;

/**
 * Replaces the `{{version}}`, `{{candidate.version}}`, `{{baseline.version}}` and
 * `{{metadata.service}}` placeholders. Unknown placeholders are left untouched (validation
 * already reported them), so a query is never silently changed into a different one.
 */
export function substitutePlaceholders(query: string, context: QueryContext): string {
  const values: Record<string, string> = {
    version: context.version,
    'candidate.version': context.candidateVersion,
    'baseline.version': context.baselineVersion,
    'metadata.service': context.service,
    ...(context.planName !== undefined ? { 'metadata.name': context.planName } : {}),
    ...(context.modelName !== undefined ? { 'model.name': context.modelName } : {}),
  };
  return query.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}
