#!/usr/bin/env bash
# Set-up shared by the README's two commands, safe to run again. Installs from Debian what the
# build needs and is missing (FFTW 3 with its OpenMP builds, pkg-config, a C++ compiler, the
# Python headers), then phasegrad with the extras in $PHASEGRAD_EXTRAS (default: test; the test
# command adds torch and jax). Prints the Python to use on stdout (all
# else goes to stderr): the one given ($PYTHON, default python3), or ./.venv's when that one
# cannot take a pip install (Debian's system Python refuses it: PEP 668).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
EXTRAS=${PHASEGRAD_EXTRAS:-test}

log() { echo "phasegrad setup: $*" >&2; }
py() { "$PYTHON" -c "$1" 2>/dev/null; }

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  log "$PYTHON not found; install Python >= 3.10 (Debian: apt-get install python3) or set PYTHON"
  exit 1
fi

have_fftw() {
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists fftw3 fftw3f || return 1
  # No .pc file for the OpenMP builds: look for them next to the plain ones.
  local libdir
  libdir=$(pkg-config --variable=libdir fftw3)
  [ -e "$libdir/libfftw3_omp.so" ] && [ -e "$libdir/libfftw3f_omp.so" ]
}
have_compiler() { command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1; }
have_headers() {
  py 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("include"), "Python.h")))'
}
# A virtual environment is needed when the Python is outside one and pip cannot install into it.
needs_venv() {
  py 'import importlib.util, os, sys, sysconfig
outside = sys.prefix == sys.base_prefix
managed = os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
sys.exit(0 if outside and (managed or importlib.util.find_spec("pip") is None) else 1)'
}

use_venv=false
if needs_venv; then use_venv=true; fi

packages=()
have_fftw || packages+=(libfftw3-dev pkg-config)
have_compiler || packages+=(g++)
have_headers || packages+=(python3-dev)
if $use_venv && [ ! -x .venv/bin/python ] && ! py 'import ensurepip'; then
  packages+=(python3-venv)
fi

if [ ${#packages[@]} -gt 0 ]; then
  log "installing ${packages[*]} with apt-get"
  if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not found: install ${packages[*]} (or their equivalents) yourself"
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      log "not root and no sudo: run as root, or install ${packages[*]} yourself"
      exit 1
    fi
    SUDO="sudo"
  fi
  # env: sudo drops the caller's environment, DEBIAN_FRONTEND included.
  $SUDO apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >&2
fi

if $use_venv; then
  if [ ! -x .venv/bin/python ]; then
    log "$PYTHON does not take pip installs (PEP 668); creating the virtual environment .venv"
    "$PYTHON" -m venv .venv >&2
  fi
  PYTHON="$PWD/.venv/bin/python"
fi

log "$PYTHON -m pip install .[$EXTRAS] (builds the C++ core)"
# A failed install (a missing wheel for torch or jax included) stops here: set -e.
"$PYTHON" -m pip install --quiet --disable-pip-version-check ".[$EXTRAS]" >&2
echo "$PYTHON"
