#!/usr/bin/env bash
# Developer build: compile the C++ core into build/dev and copy _core*.so next to the Python
# sources, so that `PYTHONPATH=python python -m pytest` runs against the working tree without
# a pip install. Incremental: only what changed is compiled again. Needs the build requirements
# in $PYTHON (default python3): pip install scikit-build-core pybind11 (scripts/setup.sh
# installs them into the Python it picks, ./.venv's on Debian's system Python).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! pybind11_dir=$("$PYTHON" -c "import pybind11; print(pybind11.get_cmake_dir())" 2>/dev/null)
then
  echo "dev-build: $PYTHON has no pybind11: $PYTHON -m pip install pybind11 (or run with" \
       "PYTHON=.venv/bin/python after bash scripts/setup.sh)" >&2
  exit 1
fi
generator=()
if [ ! -f build/dev/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)  # a configured build/dev keeps the generator it has
fi
cmake -S . -B build/dev "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -Dpybind11_DIR="$pybind11_dir" -DPython_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
cmake --build build/dev
# Copied beside it and renamed over it: a process that has the old module loaded keeps its
# mapping (copying over the file in place crashed running test processes with a bus error).
for built in build/dev/_core*.so; do
  cp "$built" "python/phasegrad/.$(basename "$built").new"
  mv -f "python/phasegrad/.$(basename "$built").new" "python/phasegrad/$(basename "$built")"
done
echo "dev-build: copied $(cd build/dev && ls _core*.so) into python/phasegrad/" >&2
