// Golden files: what `rollgate export --to argo-rollouts --to prometheus-rule` gives for each
// sample plan in examples/ (the YAML, or the findings that refuse it, one per line).
// ROLLGATE_UPDATE_GOLDEN=1 rewrites them; review the diff like any other change.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportPlan, renderYaml } from '../../../src/core/export/index';
import { LineIndex } from '../../../src/core/text/lineIndex';

const root = join(__dirname, '../../..');
const goldenDir = join(root, 'test/fixtures/export');
const examples = readdirSync(join(root, 'examples')).filter((name) => name.endsWith('.rollout.yaml'));

describe('golden exports of the sample plans', () => {
  for (const name of examples) {
    it(name, async () => {
      const text = readFileSync(join(root, 'examples', name), 'utf8');
      const result = await exportPlan(text, ['argo-rollouts', 'prometheus-rule']);
      const lines = new LineIndex(text);
      const findings = result.diagnostics.map((diagnostic) => {
        const at = lines.positionAt(diagnostic.start);
        return `# ${at.line + 1}:${at.character + 1} ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
      });
      const actual = `${findings.join('\n')}${findings.length > 0 ? '\n' : ''}${result.objects ? renderYaml(result.objects) : '# nothing exported\n'}`;
      const file = join(goldenDir, name.replace(/\.rollout\.yaml$/, '.argo.yaml'));
      if (process.env.ROLLGATE_UPDATE_GOLDEN === '1') {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(file, actual);
      }
      expect(existsSync(file), `${file} is missing: run with ROLLGATE_UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });
  }
});
