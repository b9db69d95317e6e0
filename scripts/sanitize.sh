#!/usr/bin/env bash
# The compiled core built with AddressSanitizer and UndefinedBehaviorSanitizer, and the test
# suite run against it: bash scripts/sanitize.sh [pytest arguments, default: the whole suite].
#
# The build goes to build/sanitize (incremental) and the Python package is copied, with that
# core, to build/sanitize/python, so the working tree's own core is untouched. Python itself is
# not instrumented: libasan (and libstdc++, which it must precede) are preloaded. Sanitizer
# reports go to build/sanitize/reports/san.<pid>; the script prints their count and exits 1 when
# there is any. Leak checking is off (CPython's own allocations would drown the report);
# allocator_may_return_null lets the tests that ask for impossible sizes see their MemoryError.
# Run it before resolving a change to the C++ core, and say its count in the closing note.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
PYTHON=$("$PYTHON" -c "import sys; print(sys.executable)")  # the interpreter, not a shim
pybind11_dir=$("$PYTHON" -c "import pybind11; print(pybind11.get_cmake_dir())")
generator=()
if [ ! -f build/sanitize/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S . -B build/sanitize "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -Dpybind11_DIR="$pybind11_dir" -DPython_EXECUTABLE="$PYTHON" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  >/dev/null
cmake --build build/sanitize
rm -rf build/sanitize/python build/sanitize/reports
mkdir -p build/sanitize/python build/sanitize/reports
cp -r python/phasegrad build/sanitize/python/
rm -f build/sanitize/python/phasegrad/_core*.so
cp build/sanitize/_core*.so build/sanitize/python/phasegrad/
reports="$PWD/build/sanitize/reports/san"
preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libstdc++.so)"
status=0
LD_PRELOAD="$preload" \
  ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:allocator_may_return_null=1:log_path=$reports" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports" \
  PYTHONPATH="$PWD/build/sanitize/python" \
  "$PYTHON" -m pytest -q -p no:cacheprovider --deselect tests/test_stubs.py "${@:-tests}" \
  || status=$?
# Reports that are only warnings (an impossible allocation refused) are not errors.
count=$( (grep -l -E "ERROR: AddressSanitizer|runtime error" build/sanitize/reports/san.* \
           2>/dev/null || true) | wc -l)
echo "sanitize: $count sanitizer report(s); pytest exit status $status" >&2
[ "$count" -eq 0 ] && [ "$status" -eq 0 ]
