#!/usr/bin/env bash
# `npm start`: the whole platform on this machine — the local stack (Kafka, Apicurio, Redis),
# topics and schemas, every service as its own process, and the demo that sends signed webhooks
# through it to a local receiver. Ctrl-C stops the services (the stack keeps running: npm run stack:down).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
export PATH="$PWD/node_modules/.bin:$PATH"
bash deploy/local/stack.sh up
node scripts/setup.ts
exec node scripts/platform.ts "$@"
