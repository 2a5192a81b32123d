// The floor of plan validation (issue 15): the work no validator can skip on a plan with PromQL
// guardrails — parsing the YAML, and parsing every guardrail query once with Prometheus's own
// grammar (@prometheus-io/lezer-promql). Nothing is checked: this is what checking starts from.
import { parser } from '@prometheus-io/lezer-promql';
import { isMap, isSeq, parseDocument } from 'yaml';

/** yaml.parseDocument plus one lezer parse of each guardrail query; returns the query count. */
export function planValidationFloor(text: string): number {
  const document = parseDocument(text);
  const guardrails = document.get('guardrails', true);
  let queries = 0;
  if (isSeq(guardrails)) {
    for (const item of guardrails.items) {
      const query = isMap(item) ? item.get('query') : undefined;
      if (typeof query !== 'string') continue;
      parser.parse(query);
      queries++;
    }
  }
  return queries;
}

/** The guardrail queries of a plan (for timing the PromQL work alone). */
export function guardrailQueries(text: string): string[] {
  const guardrails = parseDocument(text).get('guardrails', true);
  if (!isSeq(guardrails)) return [];
  return guardrails.items.flatMap((item) => {
    const query = isMap(item) ? item.get('query') : undefined;
    return typeof query === 'string' ? [query] : [];
  });
}
