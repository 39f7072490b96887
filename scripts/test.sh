#!/usr/bin/env bash
# The whole test suite, as the README's test command (`npm test`) and CI run it.
# Installs what it needs (system packages as root, node_modules from the lockfile), then:
# typecheck, lint, format check, build, unit + end-to-end tests against real systemd-coredump.
# Ends with the totals alone on a line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "npm test needs root: it starts journald and systemd-coredump and sets kernel.core_pattern." >&2
  echo "0 passed, 1 failed"
  exit 1
fi
bash scripts/install-test-deps.sh || { echo "installing system packages failed"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi

passed=0
failed=0
step() { # step NAME COMMAND...: a gate that counts as one test
  local name=$1; shift
  echo "==> $name"
  if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}
step typecheck npx tsc -p tsconfig.json --noEmit
step lint npx eslint . --max-warnings 0
step format npx prettier --check . --log-level warn
step build npm run --silent build
step build-cli npm run --silent build:cli

results=$(mktemp --suffix=.json)
echo "==> jest (unit + e2e)"
npx jest --runInBand --json --outputFile="$results" "$@"
jest_rc=$?
counts=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  // A suite that failed to run (syntax error, hook failure) has no test results: count it.
  const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  console.log(r.numPassedTests, r.numFailedTests + broken);' "$results" 2>/dev/null)
if [ -n "$counts" ]; then
  read -r jp jf <<<"$counts"
  passed=$((passed + jp)); failed=$((failed + jf))
  [ "$jest_rc" != 0 ] && [ "$jf" = 0 ] && failed=$((failed + 1))
else
  echo "jest wrote no readable results"
  failed=$((failed + 1))
fi
rm -f "$results"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
