#!/usr/bin/env bash
# Set-up shared by the README's two commands, safe to run again: FFTW 3 (with its OpenMP
# builds) and pkg-config from Debian when missing, then phasegrad with its test extra into the
# current Python (a virtual environment's, if one is active).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

have_fftw() {
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists fftw3 fftw3f &&
    ldconfig -p 2>/dev/null | grep -q 'libfftw3_omp\.so' &&
    ldconfig -p 2>/dev/null | grep -q 'libfftw3f_omp\.so'
}

if ! have_fftw; then
  echo "phasegrad setup: installing libfftw3-dev and pkg-config with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libfftw3-dev pkg-config >/dev/null
fi

echo "phasegrad setup: pip install .[test] (builds the C++ core)" >&2
"$PYTHON" -m pip install --quiet --disable-pip-version-check ".[test]"
