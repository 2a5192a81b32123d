// Desktop path for the host suites: @vscode/test-electron downloads a VS Code (needs network)
// and runs the same compiled suites through test/host/index.ts `run()`.
// Usage (after `npm run build` and `node test/harness/buildTests.mjs`):
//   node test/.results/build/host/runWithElectron.mjs [--mode untrusted] [--vscode-version 1.100.0]
import { runTests } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../harness/vscodeServer';
import { errorMessage } from '../../src/core/errors';

const mode = process.argv.includes('untrusted') ? 'untrusted' : 'trusted';
const versionFlag = process.argv.indexOf('--vscode-version');
const version = versionFlag > 0 ? process.argv[versionFlag + 1] : 'stable';

// The same workspace the code-server harness opens: examples/ plus test/fixtures/workspace/.
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), `rollgate-electron-${mode}-`));
for (const source of ['examples', 'test/fixtures/workspace']) {
  const from = path.join(repoRoot, source);
  if (fs.existsSync(from)) fs.cpSync(from, workspace, { recursive: true });
}
const resultsPath = path.join(repoRoot, 'test/.results', `electron-${mode}.json`);

try {
  await runTests({
    version,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(repoRoot, 'test/harness/hostRunner/dist/suites/index.js'),
    extensionTestsEnv: { ROLLGATE_HOST_MODE: mode, ROLLGATE_HOST_TESTS: resultsPath },
    launchArgs: [workspace, '--disable-extensions', ...(mode === 'trusted' ? ['--disable-workspace-trust'] : [])],
  });
  console.log(`host (${mode}, electron): all passed; results in ${resultsPath}`);
} catch (error) {
  console.error(`host (${mode}, electron): failed (${errorMessage(error)}); results in ${resultsPath}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
