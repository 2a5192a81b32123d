import { flagRuleDescriptions } from './flagRules';
import { backendRuleDescriptions } from '../backends/profiles';
import { deploymentRuleDescriptions } from './deploymentRules';
import { PreflightCodes } from '../guardrails/preflight';
import { PromqlCodes } from './queries';
import { guardrailKindRuleDescriptions } from './guardrailKindRules';
import { SchemaCodes } from './schemaIssues';
import { notifyRuleDescriptions } from './notifyRules';
import { SemanticCodes } from './semantics';
import { DocumentCodes } from './validate';

/**
 * One line per finding code: what the rule checks. Used for SARIF rule metadata and the plan
 * format reference, so a code's meaning is written once.
 */
export const planRuleDescriptions: Readonly<Record<string, string>> = {
  [DocumentCodes.empty]: 'The file is empty.',
  [DocumentCodes.notAMapping]: 'The top level of a plan must be a mapping of keys.',
  [DocumentCodes.yamlSyntax]: 'The text is not valid YAML; marked where the parser stopped.',
  [DocumentCodes.duplicateKey]: 'A key appears twice in the same mapping.',
  [DocumentCodes.yamlWarning]: 'A YAML construct that works but is probably not meant.',
  [DocumentCodes.internal]: 'Rollgate failed while validating (a bug; please report it).',
  [SchemaCodes.unknownKey]: 'A key the schema does not know (with a "did you mean" when one is close).',
  [SchemaCodes.missingKey]: 'A required key is missing; marked on the key of the mapping it belongs in.',
  [SchemaCodes.invalidType]: 'A value has the wrong type (text, number, list, mapping, true/false).',
  [SchemaCodes.invalidValue]: 'A value is not one of the allowed values.',
  [SchemaCodes.invalidFormat]: 'A value does not have the required format (duration, sha256 digest, URL, name).',
  [SchemaCodes.outOfRange]: 'A number or list is outside its allowed range (e.g. a percentage above 100).',
  [SchemaCodes.invalid]: 'A value the schema rejects for another reason.',
  [SemanticCodes.trafficDecreases]: 'Traffic falls from one stage to the next.',
  [SemanticCodes.trafficIncomplete]: 'The last traffic stage does not reach 100 percent and no stage is marked final.',
  [SemanticCodes.fullStageTraffic]: 'A full stage declares traffic below 100.',
  [SemanticCodes.unknownGuardrail]: 'A stage names a guardrail the plan does not define.',
  [SemanticCodes.duplicateGuardrail]: 'Two guardrails have the same name.',
  [SemanticCodes.duplicateStage]: 'Two stages have the same name.',
  [SemanticCodes.baselineIsCandidate]: 'The baseline version is the candidate version.',
  [SemanticCodes.rollbackToCandidate]: 'The rollback target is the candidate version.',
  [SemanticCodes.minAboveMax]: 'A guardrail lower bound is above its upper bound.',
  [SemanticCodes.guardrailWithoutBound]: 'A guardrail has neither min/max nor a baseline ratio, so it can never fail.',
  [SemanticCodes.ratioWithoutBaseline]: 'maxRatio/minRatio without relativeTo: baseline.',
  [SemanticCodes.relativeWithoutRatio]: 'relativeTo: baseline without maxRatio/minRatio has no effect.',
  [SemanticCodes.unknownPlaceholder]: 'A guardrail query uses a {{placeholder}} that does not exist.',
  [SemanticCodes.inlineCredential]: 'A credential is written into the plan instead of referenced as { secret: name }.',
  [SemanticCodes.prodNeedsGradualStage]: 'A prod plan reaches 100 percent without a shadow or canary stage first.',
  ...notifyRuleDescriptions,
  ...flagRuleDescriptions,
  ...deploymentRuleDescriptions,
  ...backendRuleDescriptions,
  [PromqlCodes.syntax]: "A guardrail query (or the bucket query a drift or calibration guardrail builds from its selector) is not valid PromQL (parsed with Prometheus's own grammar; Prometheus's wording).",
  [PromqlCodes.invalid]: "A guardrail query parses, but Prometheus's type checks refuse it (argument types and counts, operand types, selectors).",
  [PromqlCodes.experimental]: 'A guardrail query uses a PromQL feature Prometheus refuses unless started with a feature flag.',
  [PromqlCodes['result-type']]: 'A threshold or compare guardrail query returns a range vector or a string instead of a number.',
  [PromqlCodes['many-series']]: 'A guardrail query can return more than one series (no aggregation, or grouping by a label), not one number per version.',
  [PreflightCodes.ok]: '`--preflight`: the guardrail query returned one number for the baseline version.',
  [PreflightCodes['no-data']]: '`--preflight`: the guardrail query returned no data for the baseline version (an error when onNoData is fail).',
  [PreflightCodes['many-series']]: '`--preflight`: the guardrail query returned more than one series for the baseline version.',
  [PreflightCodes['not-a-number']]: '`--preflight`: the guardrail query returned a range vector or a string.',
  [PreflightCodes.error]: '`--preflight`: Prometheus rejected the query, or could not be reached.',
  [PreflightCodes['short-window']]: "`--preflight`: a rate()/increase() window is shorter than twice the scrape interval the plan's Prometheus reports.",
  [PromqlCodes['short-window']]: 'A rate()/increase() window is shorter than twice the scrape interval of the `rollgate dev` Prometheus the plan targets.',
  ...guardrailKindRuleDescriptions,
};
