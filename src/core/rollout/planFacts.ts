// What the engine and a manual rollback both read off a plan.
import type { Plan } from '../plan/schema';

/** Where the candidate came from, as every ledger entry about the plan records it. */
export function planLineage(plan: Plan) {
  return {
    candidate: { ...plan.model.candidate },
    baseline: { ...plan.model.baseline },
    ...(plan.lineage?.data ? { data: plan.lineage.data } : {}),
    ...(plan.lineage?.features ? { features: plan.lineage.features } : {}),
    ...(plan.lineage?.training ? { training: plan.lineage.training } : {}),
  };
}

/** The version a plan rolls back to: `rollback.to`, where `baseline` names the baseline's version. */
export function rollbackTarget(plan: Plan): string {
  return plan.rollback.to === 'baseline' ? plan.model.baseline.version : plan.rollback.to;
}
