import { guardrailDefaults } from '../plan/guardrailKinds';
import type { Guardrail } from '../plan/schema';
import { substitutePlaceholders, type QueryContext } from './placeholders';
import { parseLabelMatchers, vectorSelector } from './selector';

/** The selector a drift or calibration guardrail uses when it names none. */
export const DEFAULT_SELECTOR = '{version="{{version}}"}';

/**
 * `sum by (<by>) (increase(<series><selector>[<window>]))` for one version: the query drift and
 * calibration guardrails send. The selector's placeholders are filled for `version`.
 */
export function increaseQuery(series: string, guardrail: Guardrail, context: Omit<QueryContext, 'version'>, version: string, by: readonly string[]): { query: string } | { problem: string } {
  const selector = substitutePlaceholders(guardrail.selector ?? DEFAULT_SELECTOR, { ...context, version });
  const parsed = parseLabelMatchers(selector);
  if ('problem' in parsed) return { problem: `the selector ${selector} is not a label-matcher list (${parsed.problem})` };
  const window = guardrail.window ?? guardrailDefaults.window;
  return { query: `sum by (${by.join(', ')}) (increase(${vectorSelector(series, parsed.matchers)}[${window}]))` };
}
