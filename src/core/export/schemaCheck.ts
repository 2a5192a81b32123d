// Checks exported (or imported) objects against the real schemas: Argo Rollouts' (generated from
// its Go types, `@kubernetes-models/argo-rollouts`) and prometheus-operator's. The packages are
// ES modules; a dynamic import works from Node 20 and esbuild bundles it into the CommonJS builds.

import { errorMessage } from '../errors';

/** One object that failed its schema: which object, and what the validator said. */
export interface SchemaProblem {
  kind: string;
  name: string;
  message: string;
  /** JSON pointers (`/spec/strategy/canary/steps/2/setWeight`) of the values at fault. */
  paths: string[];
}

type Validating = new (data: Record<string, unknown>) => { validate(): void };

let validators: Promise<Record<string, Validating>> | undefined;

/** Loaded once, on first use: the schemas are large and most commands never need them. */
function loadValidators(): Promise<Record<string, Validating>> {
  validators ??= (async () => {
    const [{ Rollout }, { AnalysisTemplate }, { ClusterAnalysisTemplate }, { PrometheusRule }] = await Promise.all([
      import('@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout'),
      import('@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate'),
      import('@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/ClusterAnalysisTemplate'),
      import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule'),
    ]);
    return { Rollout, AnalysisTemplate, ClusterAnalysisTemplate, PrometheusRule } as unknown as Record<string, Validating>;
  })();
  return validators;
}

/** Validates each object by its kind; a kind without a schema here is a problem too. */
export async function checkSchemas(objects: readonly Record<string, unknown>[]): Promise<SchemaProblem[]> {
  const byKind = await loadValidators();
  const problems: SchemaProblem[] = [];
  for (const object of objects) {
    const kind = String(object.kind);
    const name = String((object.metadata as { name?: unknown } | undefined)?.name ?? '');
    const Model = byKind[kind];
    if (!Model) {
      problems.push({ kind, name, message: `no schema for kind ${kind}`, paths: [] });
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      const errors = (error as { errors?: { instancePath?: string }[] }).errors ?? [];
      problems.push({ kind, name, message: errorMessage(error), paths: errors.map((entry) => entry.instancePath ?? '') });
    }
  }
  return problems;
}
