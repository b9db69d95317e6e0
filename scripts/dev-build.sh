#!/usr/bin/env bash
# Developer build: compile the C++ core into build/dev and copy _core*.so next to the Python
# sources, so that `PYTHONPATH=python python -m pytest` runs against the working tree without
# a pip install. Needs the build requirements installed (pip install scikit-build-core pybind11).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
pybind11_dir=$("$PYTHON" -c "import pybind11; print(pybind11.get_cmake_dir())")
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -Dpybind11_DIR="$pybind11_dir" \
  -DPython_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
cmake --build build/dev
cp build/dev/_core*.so python/phasegrad/
