import type { Diagnostic } from '../diagnostics';
import { flagProviderCapabilities } from '../flags/capabilities';
import type { Plan, Stage } from './schema';
import type { PlanLocator } from './yamlTree';

/** Stable codes of the flag rules. Tools and tests match on these; never rename one. */
export const FlagCodes = {
  flagsWithoutEndpoint: 'plan/flags-without-endpoint',
  duplicateFlag: 'plan/duplicate-flag',
  unsupportedFlagPercent: 'plan/unsupported-flag-percent',
} as const;

/** What each flag rule checks, for SARIF and the plan format reference. */
export const flagRuleDescriptions: Readonly<Record<string, string>> = {
  [FlagCodes.flagsWithoutEndpoint]: 'The plan lists flags but has no endpoints.flags saying where they live.',
  [FlagCodes.duplicateFlag]: 'Two flags have the same name.',
  [FlagCodes.unsupportedFlagPercent]: "A flag follows traffic, and a stage's traffic is a percentage the flag service cannot set (Unleash: whole percentages).",
};

/** The parts of a plan the flag rules read; each rule runs only when what it reads is present. */
export interface FlagRuleSections {
  endpoints?: Plan['endpoints'];
  flags?: Plan['flags'];
  stages?: Plan['stages'];
}

/**
 * Checks a plan's flags against its flag endpoint and stages. `trafficOf` is the semantic rules'
 * reading of a stage's candidate traffic (passed in, so this file and semantics.ts do not import
 * each other).
 */
export function flagDiagnostics(plan: FlagRuleSections, locator: PlanLocator, trafficOf: (stage: Stage) => number | undefined): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const flags = plan.flags ?? [];
  if (flags.length === 0) return diagnostics;
  const report = (code: string, message: string, span: { start: number; end: number }): void => {
    diagnostics.push({ severity: 'error', code, message, start: span.start, end: span.end });
  };

  if (plan.endpoints && !plan.endpoints.flags) {
    report(
      FlagCodes.flagsWithoutEndpoint,
      `The plan lists ${flags.length === 1 ? 'a flag' : `${flags.length} flags`}, but endpoints.flags does not say where ${flags.length === 1 ? 'it lives' : 'they live'}. Add endpoints.flags: { type: unleash, url, token: { secret: <name> }, environment }, or remove the flags.`,
      locator.key(['flags']),
    );
  }

  const seen = new Map<string, number>();
  flags.forEach((flag, index) => {
    const earlier = seen.get(flag.name);
    if (earlier === undefined) seen.set(flag.name, index);
    else report(FlagCodes.duplicateFlag, `Flag '${flag.name}' is already listed as flags[${earlier}]; a rollout would switch it twice.`, locator.value(['flags', index, 'name']));
  });

  const type = plan.endpoints?.flags?.type;
  const following = flags.findIndex((flag) => flag.followTraffic);
  if (type === undefined || following < 0 || !plan.stages) return diagnostics;
  const capabilities = flagProviderCapabilities[type];
  const flagName = flags[following]!.name;
  if (!capabilities.percentageRollout) {
    report(FlagCodes.unsupportedFlagPercent, `Flag '${flagName}' follows traffic, but the ${type} flag service has no percentage rollout.`, locator.value(['flags', following, 'followTraffic']));
    return diagnostics;
  }
  plan.stages.forEach((stage, index) => {
    const traffic = trafficOf(stage);
    if (traffic === undefined || Number.isInteger(traffic / capabilities.percentStep)) return;
    report(
      FlagCodes.unsupportedFlagPercent,
      `Flag '${flagName}' follows traffic, and ${type} takes percentages in steps of ${capabilities.percentStep}; stage '${stage.name}' sends ${traffic}%. Use a traffic of ${Math.round(traffic / capabilities.percentStep) * capabilities.percentStep}, or set followTraffic: false.`,
      locator.value(['stages', index, 'traffic']),
    );
  });
  return diagnostics;
}
