/**
 * Runbook notebooks (`*.runbook.md`): lossless Markdown <-> cells. See docs/runbook-format.md.
 */
export { parseRunbook, skippedFences, type ParsedRunbook, type SkippedFence } from './parse';
export { serializeRunbook } from './serialize';
export { KNOWN_ATTRIBUTES } from './attributes';
export { RUNNABLE_LANGUAGES, type RunnableLanguage, type LineEnding, type RunbookMetadata, type RunbookCell, type RunbookCellSource, type RunbookFenceSource, type RunbookData } from './types';
export { runbookPromqlDiagnostics, linkedPlan, cellFileOffset, RunbookPromqlCodes, type CellDiagnostic, type LinkedPlan, type LinkedGuardrail } from './promqlFindings';
