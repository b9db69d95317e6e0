#!/usr/bin/env bash
# The README's test command (and CI's: .ci/run runs exactly this): set up, then lint with ruff
# (ruff check python tests examples) and run pytest; arguments are passed on to pytest. Fails on
# any ruff finding, any failed test and on pytest's exit code 5 (no tests collected). Both run
# even when the first fails.
#
# Set-up builds phasegrad only when its sources changed (scripts/setup.sh) and asks for the
# extras test, distributed (always: the Dask tests must run), torch and jax. torch comes only from a local CPU wheel (never the index's CUDA
# build) and jax from the index; when one cannot be installed, set-up says so and its adapter
# tests skip -- unless PHASEGRAD_REQUIRE_FRAMEWORKS=1 (set by .ci/run), which makes a missing
# framework an error. PHASEGRAD_EXTRAS=test bash scripts/test.sh leaves the frameworks out.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${PHASEGRAD_EXTRAS:-test,distributed,torch,jax}
case ",$extras," in
  *,test,*) ;;
  *) extras="test,$extras" ;;  # pytest and ruff
esac
case ",$extras," in
  *,distributed,*) ;;
  *) extras="$extras,distributed" ;;  # dask[distributed] and zarr: tests/distributed
esac
python=$(PHASEGRAD_EXTRAS=$extras bash scripts/setup.sh)

lint=0
echo "phasegrad tests: ruff check python tests examples" >&2
"$python" -m ruff check python tests examples || lint=$?
status=0
"$python" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "phasegrad tests: pytest collected no tests" >&2
fi
if [ "$lint" -ne 0 ]; then
  echo "phasegrad tests: ruff check python tests examples failed (above)" >&2
  [ "$status" -ne 0 ] || status=$lint
fi
if [ "$python" = "$PWD/.venv/bin/python" ]; then
  echo "phasegrad is installed in .venv: run \`source .venv/bin/activate\` to use the" \
       "\`phasegrad\` command and \`import phasegrad\`" >&2
fi
exit "$status"
