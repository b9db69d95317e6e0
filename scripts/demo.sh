#!/usr/bin/env bash
# The README's main-job command: set up (scripts/setup.sh: builds phasegrad only when its sources
# changed), then run the built-in phase-retrieval demo.
# --force: the demo's own outputs (phasegrad-out/demo/demo.png, demo.json) are remade on every
# run, so the command can be repeated; arguments after it are passed on (--out, --noise, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/setup.sh)
status=0
"$python" -m phasegrad demo --force "$@" || status=$?
if [ "$python" = "$PWD/.venv/bin/python" ]; then
  echo "phasegrad is installed in .venv: run \`source .venv/bin/activate\` to use the" \
       "\`phasegrad\` command and \`import phasegrad\`" >&2
fi
exit "$status"
