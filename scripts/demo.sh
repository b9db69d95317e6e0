#!/usr/bin/env bash
# The README's main-job command: set up, then run the built-in phase-retrieval demo.
# --force: the demo's own outputs (phasegrad-out/demo/demo.png, demo.json) are remade on every
# run, so the command can be repeated; arguments after it are passed on (--out, --noise, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/setup.sh)
exec "$python" -m phasegrad demo --force "$@"
