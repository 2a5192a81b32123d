import type { Diagnostic } from '../diagnostics';
import type { Plan } from './schema';
import { closestMatch } from './suggest';
import type { PlanLocator } from './yamlTree';

/** Stable codes of the `notify:` rules. */
export const NotifyCodes = {
  url: 'plan/notify-url',
  fieldForOtherType: 'plan/notify-field-for-other-type',
  unknownStage: 'plan/notify-unknown-stage',
  duplicateName: 'plan/notify-duplicate-name',
} as const;

export const notifyRuleDescriptions: Readonly<Record<string, string>> = {
  [NotifyCodes.url]: 'A notify target needs exactly one of url and urlSecret.',
  [NotifyCodes.fieldForOtherType]: 'A notify target sets a field that only the other type uses (events/format/retries for event targets; stages/interval/maxWait for confirm-promotion gates).',
  [NotifyCodes.unknownStage]: 'A confirm-promotion gate names a stage the plan does not have.',
  [NotifyCodes.duplicateName]: 'Two notify targets have the same name.',
};

const eventOnly = ['events', 'format', 'retries'] as const;
const gateOnly = ['stages', 'interval', 'maxWait'] as const;

/** The rules of the `notify:` block a schema cannot express; spans are looked up for findings only. */
export function notifyDiagnostics(notify: Plan['notify'], stages: Plan['stages'] | undefined, locator: PlanLocator): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = (code: string, message: string, span: { start: number; end: number }) => diagnostics.push({ severity: 'error', code, message, start: span.start, end: span.end });
  const names = new Map<string, number>();
  const stageNames = stages?.map((stage) => stage.name);
  notify?.forEach((target, index) => {
    const label = target.name ?? `notify[${index}]`;
    if (target.url !== undefined && target.urlSecret !== undefined) {
      report(NotifyCodes.url, `Target '${label}' has both 'url' and 'urlSecret'; keep one.`, locator.key(['notify', index, 'urlSecret']));
    } else if (target.url === undefined && target.urlSecret === undefined) {
      report(NotifyCodes.url, `Target '${label}' has no 'url' (or 'urlSecret' when the URL is a secret, as a Slack webhook's is).`, locator.owner(['notify', index]));
    }
    const foreign = target.type === 'confirm-promotion' ? eventOnly : gateOnly;
    for (const field of foreign) {
      if (target[field] === undefined) continue;
      const why =
        target.type === 'confirm-promotion'
          ? `a confirm-promotion gate is asked before every promotion and answers 2xx or not; '${field}' is for event targets`
          : `'${field}' is for confirm-promotion gates; add 'type: confirm-promotion', or remove it`;
      report(NotifyCodes.fieldForOtherType, `Target '${label}': ${why}.`, locator.key(['notify', index, field]));
    }
    if (target.type === 'confirm-promotion' && stageNames) {
      target.stages?.forEach((stage, position) => {
        if (stageNames.includes(stage)) return;
        const suggestion = closestMatch(stage, stageNames);
        report(
          NotifyCodes.unknownStage,
          `Gate '${label}' names stage '${stage}', which the plan does not have.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`,
          locator.value(['notify', index, 'stages', position]),
        );
      });
    }
    if (target.name !== undefined) {
      const earlier = names.get(target.name);
      if (earlier !== undefined) report(NotifyCodes.duplicateName, `Target name '${target.name}' is already used by notify[${earlier}]; the ledger names deliveries by target.`, locator.value(['notify', index, 'name']));
      else names.set(target.name, index);
    }
  });
  return diagnostics;
}
