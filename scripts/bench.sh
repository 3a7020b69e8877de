#!/usr/bin/env bash
# `npm run bench:<name>`: one command from a fresh clone — installs the npm packages (Node 24 comes
# from the `node` devDependency), starts the local stack if it is not running (and stops it again
# afterwards unless HOOKLINE_KEEP_STACK=1), applies topics and schemas, then runs bench/<name>.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/bench.sh ingress|validator|sequencer|dispatcher|pipeline}"
shift
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
export PATH="$PWD/node_modules/.bin:$PATH"
if ! bash deploy/local/stack.sh status >/dev/null 2>&1; then
  bash deploy/local/stack.sh up
  if [ "${HOOKLINE_KEEP_STACK:-0}" != 1 ]; then
    trap 'bash deploy/local/stack.sh down >/dev/null 2>&1 || true' EXIT
  fi
fi
node scripts/setup.ts >/dev/null
node "bench/$name.ts" "$@"
