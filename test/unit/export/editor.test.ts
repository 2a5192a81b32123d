// The export block in the editor: completion and hover from the schema's descriptions, and the
// export's findings for a plan that declares an export target.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argoExportDiagnostics } from '../../../src/core/export/exportPlan';
import { completePlan } from '../../../src/core/plan/completion';
import { hoverPlan } from '../../../src/core/plan/hover';
import { validatePlan } from '../../../src/core/plan/validate';

const example = readFileSync(join(__dirname, '../../../examples/churn-argo-canary.rollout.yaml'), 'utf8');

describe('export block in the editor', () => {
  it('completes the keys of export.argoRollouts, with their descriptions', () => {
    const text = example.replace('    namespace: ml-serving\n', '    namespace: ml-serving\n    \n');
    const offset = text.indexOf('    \n') + 4;
    const items = completePlan(text, offset);
    const labels = items.map((item) => item.label);
    expect(labels).toEqual(expect.arrayContaining(['rolloutName', 'activeService', 'previewService', 'versionValue']));
    expect(labels).not.toContain('namespace');
    expect(items.find((item) => item.label === 'versionValue')?.documentation).toMatch(/pod template hash/);
  });

  it('hovers a key of the block with its description', () => {
    const offset = example.indexOf('canaryService:') + 2;
    expect(hoverPlan(example, offset)?.markdown ?? JSON.stringify(hoverPlan(example, offset))).toContain('Service that selects only candidate pods');
  });

  it('a plan that exports cleanly has no findings; one the export refuses has them at their spans', () => {
    const { plan } = validatePlan(example);
    expect(argoExportDiagnostics(example, plan!)).toEqual([]);
    const refused = example.replace('    trafficRouting:\n      istio:\n        virtualService: { name: churn-scorer, routes: [primary] }\n', '');
    const findings = argoExportDiagnostics(refused, validatePlan(refused).plan!);
    expect(findings.map((finding) => [finding.code, refused.slice(finding.start, finding.end)])).toEqual([
      ['export/mirror-needs-router', '100'],
      ['export/weight-by-replicas', '5'],
    ]);
  });
});
