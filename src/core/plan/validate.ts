import type { Diagnostic } from '../diagnostics';
import type { Plan } from './schema';

export interface PlanValidation {
  /** The plan with defaults applied; present only when the schema accepted it. */
  plan?: Plan;
  diagnostics: Diagnostic[];
}

/** Validates a rollout plan's text. Never throws on user content. (Stub: being implemented.) */
export function validatePlan(text: string): PlanValidation {
  void text;
  return { diagnostics: [] };
}
