import type { ReportModel } from './types';

/**
 * The report as JSON: the model itself (`format: "rollgate-report/v1"`), for scripts and for
 * archiving next to the ledger. Strings are as recorded; JSON escaping is the only escaping.
 */
export function renderJson(model: ReportModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}
