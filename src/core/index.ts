/**
 * `rollgate/core`: the library entry of Rollgate's core, usable from CI scripts without VS Code.
 * Nothing under src/core imports `vscode`.
 */
export * from './diagnostics';
export * from './text/lineIndex';
export * from './plan/index';
export * from './runbook/index';
export * from './endpoints/index';
export * from './lock/index';
export * from './ledger/index';
export * from './guardrails/index';
export * from './rollout/index';
export * from './cells/index';
export * from './flags/index';
export * from './promql/index';
export { isSecretName, SECRET_NAME_PATTERN, SECRET_NAME_RULE, SecretNotSetError, type SecretResolver } from './secrets';
export { errorMessage } from './errors';
export * from './report/index';
export * from './notify/index';
