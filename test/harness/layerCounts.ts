// Each test layer writes its counts to test/.results/counts/<layer>.json; scripts/test.sh sums them.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface LayerCounts {
  layer: string;
  passed: number;
  failed: number;
  seconds: number;
}

export function writeLayerCounts(repoRoot: string, counts: LayerCounts): void {
  const dir = path.join(repoRoot, 'test/.results/counts');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${counts.layer}.json`), JSON.stringify(counts) + '\n');
  console.log(`${counts.layer}: ${counts.passed} passed, ${counts.failed} failed (${counts.seconds.toFixed(1)} s)`);
}
