// What a person sees when editing a rollout plan: errors in the Problems panel on the right
// lines, completion offering the plan's keys, hover showing a key's description.
// Fixture: test/fixtures/workspace/e2e-broken.rollout.yaml (errors on lines 8 and 34).
import { ExpectationError, type Workbench } from './workbench';

export interface E2eCheck {
  name: string;
  /** File name (without .png) of the screenshot taken when the check ends (before Escape), pass or fail. */
  screenshot: string;
  run(workbench: Workbench): Promise<void>;
}

const brokenPlan = 'e2e-broken.rollout.yaml';

function expectIncludes(what: string, found: string[], expected: string[]): void {
  const missing = expected.filter((item) => !found.includes(item));
  if (missing.length > 0) throw new ExpectationError(`${what} lacks ${missing.join(', ')}`, expected, found);
}

export const planEditorChecks: E2eCheck[] = [
  {
    name: 'a broken plan shows its errors in the Problems panel on the right lines',
    screenshot: 'plan-problems',
    async run(workbench) {
      await workbench.openFile(brokenPlan);
      // An invalid value marks the value, an unknown key marks the key (docs: plan diagnostics).
      const expected = [
        { line: 8, column: 16, mentions: 'prd' },
        { line: 34, column: 5, mentions: 'trafic' },
      ];
      await workbench.waitForProblems(expected.map((e) => `Ln ${e.line}, Col ${e.column} naming '${e.mentions}'`).join(' and '), (problems) =>
        expected.every((e) => problems.some((p) => p.line === e.line && p.column === e.column && p.message.includes(e.mentions))),
      );
    },
  },
  {
    name: 'hovering a plan key shows its description',
    screenshot: 'plan-hover',
    async run(workbench) {
      await workbench.openFile(brokenPlan);
      await workbench.goTo(8, 4); // inside `environment`
      const text = await workbench.hoverText();
      const expected = 'Environment the plan targets';
      if (!text.includes(expected)) throw new ExpectationError('the hover on `environment` lacks its description', expected, text);
    },
  },
  {
    name: 'completion in metadata offers the missing plan keys',
    screenshot: 'plan-completion',
    async run(workbench) {
      await workbench.openFile(brokenPlan);
      await workbench.goTo(9, 24); // end of `  service: churn-scorer`
      await workbench.page.keyboard.press('Enter'); // new line, indented inside metadata
      const labels = await workbench.suggestions();
      expectIncludes('the completion list', labels, ['owner', 'description', 'labels']);
    },
  },
];
