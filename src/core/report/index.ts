import { renderHtml } from './html';
import { renderJson } from './json';
import { renderMarkdown } from './markdown';
import type { ReportModel } from './types';

export * from './types';
export { collectFromLedger, ReportSelectionError, type CollectOptions } from './collect';
export { buildReport, type BuildReportOptions } from './build';
export { renderMarkdown, recoveryText, trafficCell, verificationWarning } from './markdown';
export { renderHtml } from './html';
export { renderJson } from './json';
export { seriesChart, type ChartOptions } from './svg';
export { describeReportTraffic, formatDuration, formatOffset, formatTime } from './text';

export const REPORT_FORMATS = ['md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The report in one of its formats. */
export function renderReport(model: ReportModel, format: ReportFormat): string {
  switch (format) {
    case 'md':
      return renderMarkdown(model);
    case 'html':
      return renderHtml(model);
    case 'json':
      return renderJson(model);
  }
}
