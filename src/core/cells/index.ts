/**
 * Runbook cells: parse each kind (`http`, `promql`, `rollout`, `check`), resolve variables and
 * secrets, execute against the endpoints, redact, record. See docs/cells.md.
 */
export * from './types';
export * from './variables';
export { Redactor, REDACTED, maskCredentialHeaders } from './redact';
export { renderTableMarkdown, renderTableText, renderSeriesSvg, renderOutputText, renderResultText, formatLabels } from './render';
export type { CellPorts, PrepareContext, PrepareResult, PreparedCell, ExecuteRuntime, ExecuteOutcome } from './prepared';
export { parseHttpCell, prepareHttpCell, isMutatingMethod, basicAuthorization, HTTP_METHODS, type HttpRequestTemplate, type TextPiece } from './http';
export { wireRequest, summarizeWire, type WireRequest } from './httpWire';
export { encodeFormText, MAX_BODY_FILE_BYTES, type BodyFiles } from './httpBody';
export { parseExpectation, satisfies, instantTable, rangeTable, preparePromqlCell, type Comparison, type Expectation } from './promql';
export { parseRolloutCell, prepareRolloutCell, isMutatingRolloutAction, tokenize, ROLLOUT_ACTIONS, type RolloutAction, type Token } from './rollout';
export { parseCheckCell, prepareCheckCell, scalarSource, type GuardrailReference } from './check';
export { nodeHttpSender } from './httpSender';
export { planMetricQuery, planDeploymentActions, type SecretLookup } from './ports';
export { RunbookSession, isMutating, describeTarget, dryRunText, isProductionEnvironment, MissingSecretError, type RunbookSessionOptions, type RunCellOptions } from './session';
export { secretEnvironmentVariable, environmentSecretResolver } from '../secrets';
export { cellChangeEntry, cellRunEntry, ledgerRecorder, type LedgerAppender } from './ledger';
export { changeSummary, httpDeploymentChange, serviceTraffic, trafficLine } from './deploymentChange';
export { cellEffect, cellEffectBadge } from './effect';
