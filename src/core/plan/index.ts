export * from './schema';
export * from './validate';
export * from './jsonSchema';
export { SemanticCodes, QUERY_PLACEHOLDERS, candidateTrafficPercent } from './semantics';
export { SchemaCodes, knownKeysAt } from './schemaIssues';
export * from './yamlPath';
export * from './completion';
export * from './hover';
export { planRuleDescriptions } from './rules';
