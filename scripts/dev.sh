#!/usr/bin/env bash
# The whole system on this machine: installs what is missing, then scripts/dev.ts brings up
# Temporal (Web UI), MinIO, stripe-mock, the LINE/LLM stand-ins, migrations, workers and API.
set -euo pipefail
cd "$(dirname "$0")/.."
# The AWS SDK warns on every start that it will need Node 22 from 2027; Node 20 works today.
# Its warning is emitted as a plain "Warning" (the name is only in the text), so Node's
# --disable-warning=NodeVersionSupportWarning never matched it; the SDK's own switch does, and
# every process dev starts inherits it (scripts/dev.ts sets it too, for direct runs).
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
bash scripts/ensure-deps.sh
exec node --import tsx scripts/dev.ts "$@"
