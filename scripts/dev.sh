#!/usr/bin/env bash
# The whole system on this machine: installs what is missing, then scripts/dev.ts brings up
# Temporal (Web UI), MinIO, stripe-mock, the LINE/LLM stand-ins, migrations, workers and API.
set -euo pipefail
cd "$(dirname "$0")/.."
# The AWS SDK warns on every start that it will need Node 22 from 2027; Node 20 works today.
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=NodeVersionSupportWarning"
bash scripts/ensure-deps.sh
exec node --import tsx scripts/dev.ts "$@"
