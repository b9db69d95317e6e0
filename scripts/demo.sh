#!/usr/bin/env bash
# The README's main-job command: set up, then run the built-in phase-retrieval demo.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/setup.sh)
exec "$python" -m phasegrad demo "$@"
