import { guardrailKindRuleDescriptions } from './guardrailKindRules';
import { SchemaCodes } from './schemaIssues';
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
  ...guardrailKindRuleDescriptions,
};
