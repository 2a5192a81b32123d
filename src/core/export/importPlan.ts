// `rollgate import`: Argo objects (YAML files) → a plan's text, with what it cannot express listed
// at the top and the values Argo does not know left as placeholders that fail validation.
import { Document, parseAllDocuments } from 'yaml';
import { importRollout } from './importRollout';
import { checkSchemas } from './schemaCheck';

export interface ImportSource {
  /** As shown in messages. */
  name: string;
  text: string;
}

export interface ArgoImport {
  /** The plan's YAML; absent when the input could not be read as one Argo Rollout. */
  planText?: string;
  /** What the plan does not express (also written at the top of `planText`). */
  notes: string[];
  /** Why nothing was written. */
  errors: string[];
}

const ARGO = 'argoproj.io/v1alpha1';

export async function importArgo(sources: readonly ImportSource[], options: { rollout?: string } = {}): Promise<ArgoImport> {
  const errors: string[] = [];
  const rollouts: Record<string, unknown>[] = [];
  const templates = new Map<string, Record<string, unknown>>();
  const checked: Record<string, unknown>[] = [];
  for (const source of sources) {
    for (const document of parseAllDocuments(source.text, { prettyErrors: false })) {
      if ('errors' in document && document.errors.length > 0) {
        errors.push(`${source.name}: YAML error: ${document.errors[0]!.message.split('\n')[0]}`);
        continue;
      }
      const object = document.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null;
      if (!object || typeof object !== 'object' || object.apiVersion !== ARGO) continue;
      const name = String((object.metadata as { name?: unknown } | undefined)?.name ?? '');
      if (object.kind === 'Rollout') rollouts.push(object);
      else if (object.kind === 'AnalysisTemplate' || object.kind === 'ClusterAnalysisTemplate') templates.set(`${object.kind}/${name}`, object);
      else continue;
      checked.push(object);
    }
  }
  const chosen = options.rollout ? rollouts.filter((rollout) => (rollout.metadata as { name?: unknown }).name === options.rollout) : rollouts;
  if (chosen.length === 0) errors.push(options.rollout ? `no Rollout named '${options.rollout}' in the input` : `no Argo Rollout (apiVersion ${ARGO}, kind Rollout) in the input`);
  else if (chosen.length > 1) errors.push(`several Rollouts in the input (${chosen.map((rollout) => String((rollout.metadata as { name?: unknown }).name)).join(', ')}): choose one with --rollout <name>`);
  if (errors.length > 0) return { notes: [], errors };

  for (const problem of await checkSchemas(checked)) errors.push(`${problem.kind} '${problem.name}' does not match Argo Rollouts' schema: ${problem.message}`);
  if (errors.length > 0) return { notes: [], errors };

  const rollout = chosen[0]!;
  const { plan, notes, fillIn } = importRollout(rollout, templates);
  const document = new Document(plan, { aliasDuplicateObjects: false });
  const header = [
    `Imported by rollgate import from Rollout ${String((rollout.metadata as { name?: unknown }).name)}.`,
    'Values marked FILL IN are not known to Argo: the plan fails validation until they are set.',
    ...(notes.length > 0 ? ['Not expressed in this plan (left out, not approximated):', ...notes.map((note) => `- ${note}`)] : ['Every step and metric of the Rollout is expressed in this plan.']),
  ];
  document.commentBefore = header.map((line) => ` ${line}`).join('\n');
  for (const { path, what } of fillIn) {
    const node = document.getIn(path, true) as { comment?: string } | undefined;
    if (node && typeof node === 'object') node.comment = ` FILL IN: ${what}`;
  }
  return { planText: document.toString({ lineWidth: 0 }), notes, errors: [] };
}
