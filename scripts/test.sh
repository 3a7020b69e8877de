#!/usr/bin/env bash
# `npm test`: everything CI runs, from a fresh clone on a fresh machine.
#   1. npm ci (Node 24 comes from the `node` devDependency), 2. the local stack (Kafka, Apicurio,
#   Redis; installs what is missing), 3. type-check and lint, 4. unit tests, 5. integration and
#   end-to-end tests against the real stack.
# Set HOOKLINE_KEEP_STACK=1 to leave a stack this script started running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
export PATH="$PWD/node_modules/.bin:$PATH"
step "node $(node --version)"

started_stack=0
if ! bash deploy/local/stack.sh status >/dev/null 2>&1; then
  step "starting the local stack"
  bash deploy/local/stack.sh up
  started_stack=1
fi
if [ "$started_stack" = 1 ] && [ "${HOOKLINE_KEEP_STACK:-0}" != 1 ]; then
  trap 'bash deploy/local/stack.sh down >/dev/null 2>&1 || true' EXIT
fi

step "topics and schemas"
node scripts/setup.ts

# The chart checks (test/deploy/helm.test.ts) need helm (built once with `go install`, ~15 min on a
# busy 2-core box, then cached in ~/.cache/hookline) and kubernetes-validate (PyPI, ~15 s).
step "chart tools (helm, kubernetes-validate)"
bash deploy/helm/tools.sh helm
bash deploy/helm/tools.sh validate

step "browser for the console tests (chromium)"
bash deploy/local/stack.sh browser

# Every step runs even if an earlier one failed, so one run reports everything; the exit code is
# non-zero if any step failed.
status=0
step "type-check"
tsc -p tsconfig.json || status=1

step "lint"
eslint . || status=1
prettier --check . --log-level=warn || status=1
node scripts/canonical-table.ts --check README.md || status=1

step "unit tests"
node --test --test-concurrency=2 --test-reporter=spec "services/**/*.test.ts" || status=1

step "integration and end-to-end tests (real Kafka, registry, Redis)"
node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec "test/**/*.test.ts" || status=1

exit $status
