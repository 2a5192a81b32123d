export { exportPlan, argoExportDiagnostics, EXPORT_TARGETS, type ExportTarget, type PlanExport } from './exportPlan';
export { ExportCodes } from './findings';
export { renderJson, renderYaml } from './render';
export { checkSchemas, type SchemaProblem } from './schemaCheck';
export type { ExportedObject } from './rollout';
export { importArgo, type ArgoImport, type ImportSource } from './importPlan';
