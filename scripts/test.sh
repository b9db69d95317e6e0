#!/usr/bin/env bash
# The README's test command (and CI's): set up, then run the whole test suite.
# pytest's exit code 5 (no tests collected) is a failure here, not a pass.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/setup.sh)
status=0
"$python" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "phasegrad tests: pytest collected no tests" >&2
fi
exit "$status"
