#!/usr/bin/env bash
# The README's test command (and CI's): set up, then run the whole test suite.
# pytest's exit code 5 (no tests collected) is a failure here, not a pass.
# The PyTorch and JAX adapter tests run too: set-up installs the torch (torch==2.13.0, the CPU
# build) and jax extras, and PHASEGRAD_REQUIRE_FRAMEWORKS=1 turns "not installed" into a failure
# of those tests rather than a skip. PHASEGRAD_EXTRAS=test bash scripts/test.sh leaves the
# frameworks out (their tests then skip).
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${PHASEGRAD_EXTRAS:-test,torch,jax}
python=$(PHASEGRAD_EXTRAS=$extras bash scripts/setup.sh)
if [ "$extras" = "test,torch,jax" ]; then
  export PHASEGRAD_REQUIRE_FRAMEWORKS=1
fi
status=0
"$python" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "phasegrad tests: pytest collected no tests" >&2
fi
exit "$status"
