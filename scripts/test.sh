#!/usr/bin/env bash
# `npm test`: build (typecheck + bundle) -> lint (eslint) and format (prettier --check) -> unit (vitest) -> package (.vsix) -> host suites in a
# trusted and in an untrusted folder -> e2e in a browser. Every layer prints its counts; the last
# line sums them as "N passed, N failed". Exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
results=test/.results
rm -rf "$results/counts" && mkdir -p "$results/counts"
status=0

layer() { printf '\n== %s ==\n' "$1"; }
elapsed() { echo $(( $(date +%s) - $1 )); }
# A step that is not a test suite (build, packaging) counts as one failed test when it breaks.
record_step_failure() { echo "{\"layer\":\"$1\",\"passed\":0,\"failed\":1,\"seconds\":0}" > "$results/counts/$1.json"; status=1; }

layer "set-up (npm ci when node_modules is missing or stale; Debian packages)"
node scripts/setup.mjs test || { echo "set-up: npm ci FAILED"; record_step_failure setup; echo; echo "0 passed, 1 failed"; exit 1; }

layer "build (typecheck + bundle)"
start=$(date +%s)
if ! npm run --silent build; then
  echo "build: FAILED"
  record_step_failure build
  echo; echo "0 passed, 1 failed"
  exit 1
fi
echo "build: ok ($(elapsed "$start") s)"

layer "lint (eslint) and format (prettier --check)"
start=$(date +%s)
# Like the build, lint is a step, not a suite: it counts as one failed test when it finds problems.
if npm run --silent lint; then
  echo "lint: ok ($(elapsed "$start") s)"
else
  echo "lint: FAILED"
  record_step_failure lint
fi
start=$(date +%s)
if npm run --silent format:check >/dev/null 2>"$results/format.log"; then
  echo "format: ok ($(elapsed "$start") s)"
else
  cat "$results/format.log"
  echo "format: FAILED (run \`npm run format\`)"
  record_step_failure format
fi

layer "unit (vitest)"
start=$(date +%s)
# The *.unleash.test.ts files run a real Unleash from the test cache; without it they fail loudly.
bash test/harness/ensureUnleash.sh >/dev/null || echo "unleash-server is not installed: the flag service tests will fail"
npx vitest run --reporter=default --reporter=json --outputFile="$results/vitest.json" || status=1
node -e '
  const fs = require("node:fs");
  const [file, out, seconds] = process.argv.slice(1);
  let passed = 0, failed = 1;
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    // A test file that failed before running any test (import error) counts as one failure.
    const brokenFiles = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.length === 0).length;
    passed = r.numPassedTests;
    failed = r.numFailedTests + brokenFiles;
  } catch {}
  fs.writeFileSync(out, JSON.stringify({ layer: "unit", passed, failed, seconds: Number(seconds) }) + "\n");
  console.log(`unit: ${passed} passed, ${failed} failed (${seconds} s)`);
' "$results/vitest.json" "$results/counts/unit.json" "$(elapsed "$start")"

layer "package (rollgate.vsix + host-runner .vsix)"
start=$(date +%s)
packaged=1
bash test/harness/ensureCodeServer.sh >/dev/null || { echo "code-server is not installed"; packaged=0; }
if [ "$packaged" = 1 ] && npm run --silent package:vsix >/dev/null && node test/harness/buildTests.mjs; then
  echo "package: ok ($(elapsed "$start") s)"
else
  echo "package: FAILED"
  record_step_failure package
  packaged=0
fi

if [ "$packaged" = 1 ]; then
  layer "host (trusted folder)"
  node "$results/build/harness/runHostTests.mjs" --mode trusted || status=1
  layer "host (untrusted folder, workspace trust on)"
  node "$results/build/harness/runHostTests.mjs" --mode untrusted || status=1
  layer "e2e (Chromium driving VS Code)"
  node "$results/build/e2e/run.mjs" || status=1
fi

layer "summary"
node -e '
  const fs = require("node:fs");
  const dir = process.argv[1];
  let passed = 0, failed = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    const c = JSON.parse(fs.readFileSync(`${dir}/${name}`, "utf8"));
    console.log(`  ${c.layer.padEnd(16)} ${String(c.passed).padStart(4)} passed ${String(c.failed).padStart(4)} failed`);
    passed += c.passed; failed += c.failed;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
' "$results/counts" || status=1
exit $status
