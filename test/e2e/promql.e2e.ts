// What a person sees typing a guardrail query: metric names from the plan's live Prometheus (the
// real one of `rollgate dev`, started here) in the suggestion list, with their type and help in
// the details pane.
// Screenshot: promql-metric-completion.png.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDevStack } from '../../src/dev/index';
import { waitFor } from '../harness/vscodeServer';
import type { E2eCheck } from './planEditor.e2e';
import { ExpectationError } from './workbench';

const PLAN_FILE = 'e2e-promql.rollout.yaml';

export const promqlChecks: E2eCheck[] = [
  {
    name: 'typing a guardrail query suggests metric names from the plan’s live Prometheus',
    screenshot: 'promql-metric-completion',
    async run(workbench) {
      const stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin: process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus', requestsPerSecond: 20 });
      try {
        if (!stack.prometheusUrl) throw new Error(`rollgate dev started without Prometheus: ${stack.notices.join(' ')}`);
        const example = fs.readFileSync(path.join(workbench.workspaceFolder(), 'churn-canary.rollout.yaml'), 'utf8');
        // The error-rate query, cut after `rollgate_dev_req` as if being typed.
        const plan = example
          .replace('http://127.0.0.1:8700', stack.deploymentUrl)
          .replace('http://127.0.0.1:9090', stack.prometheusUrl)
          .replace(/query: sum\(rate\(rollgate_dev_requests_total\{version="\{\{version\}\}",code=~"5.."\}.*$/m, 'query: sum(rate(rollgate_dev_req');
        fs.writeFileSync(path.join(workbench.workspaceFolder(), PLAN_FILE), plan);
        const lines = plan.split('\n');
        const line = lines.findIndex((text) => text.endsWith('query: sum(rate(rollgate_dev_req'));
        if (line < 0) throw new Error('the example plan no longer has the error-rate query this check edits');
        await workbench.openFile(PLAN_FILE);
        await workbench.goTo(line + 1, lines[line]!.length + 1);
        // Prometheus needs a scrape or two before the series exist: ask again until they are offered.
        const expected = ['rollgate_dev_requests_total', 'rollgate_dev_request_duration_seconds_bucket'];
        let last: string[] = [];
        try {
          await waitFor(
            'metric names from Prometheus in the suggestions',
            45_000,
            async () => {
              await workbench.escape();
              last = await workbench.suggestions();
              return expected.every((name) => last.includes(name)) ? true : undefined;
            },
            1000,
          );
        } catch {
          throw new ExpectationError('the suggestion list never offered the metrics of rollgate dev', expected, last);
        }
        // The details of the selected suggestion: its type and help from Prometheus's metadata.
        // Beside the list when there is room, else in a floating container: read whichever is there.
        const details = workbench.page.locator('.suggest-details-container, .suggest-widget .suggest-details');
        if (!(await details.first().isVisible())) await workbench.page.keyboard.press(process.platform === 'darwin' ? 'Meta+Space' : 'Control+Space');
        let shown = '';
        try {
          await waitFor(
            'the metric’s type and help in the suggestion details',
            15_000,
            async () => {
              // VS Code may keep more than one details element (beside the list, or floating where there is room).
              shown = (await details.allInnerTexts().catch(() => [] as string[])).join('\n').trim();
              return /histogram|counter/.test(shown) ? true : undefined;
            },
            250,
          );
        } catch {
          throw new ExpectationError('the suggestion details never showed the metric type from Prometheus', 'histogram or counter', shown);
        }
      } finally {
        await stack.stop();
      }
    },
  },
];
