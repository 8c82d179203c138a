#!/usr/bin/env bash
# The whole test suite from a fresh clone: install what is missing, typecheck, lint, then jest
# (its global setup builds/starts Temporal, MinIO and stripe-mock on free ports and migrates a
# fresh PostgreSQL database). Jest's results are also written to .test-results/jest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
# The AWS SDK warns on every start that it will need Node 22 from 2027; Node 20 works today.
# It is a plain Warning (no type --disable-warning could match): the SDK's own switch.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
bash scripts/ensure-deps.sh
echo "== typecheck" && npm run --silent typecheck
echo "== lint" && npm run --silent lint
echo "== jest"
mkdir -p .test-results
npx jest --ci --json --outputFile=.test-results/jest.json "$@"
