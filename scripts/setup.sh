#!/usr/bin/env bash
# Set-up shared by the README's two commands, safe to run again. Prints the Python to use on
# stdout; all else goes to stderr.
#
# 1. Installs from Debian what the build needs and is missing (FFTW 3 with its OpenMP builds,
#    pkg-config, a C++ compiler, the Python headers; apt-get, through sudo when not root).
# 2. Picks the Python: the one given ($PYTHON, default python3), or ./.venv's (created here)
#    when that one cannot take a pip install (Debian's system Python refuses it: PEP 668).
# 3. Builds and installs phasegrad with the extras in $PHASEGRAD_EXTRAS (default: test) -- only
#    when needed: a fingerprint of the sources that go into the build (cpp/, python/,
#    CMakeLists.txt, pyproject.toml) is recorded next to the installed package
#    (site-packages/phasegrad.setup-stamp.json) and compared on each run. Missing extras are
#    installed without a rebuild.
# 4. The frameworks (extras torch and jax, asked for by scripts/test.sh) are optional: torch only
#    from a local CPU wheel (pip install --no-index: pip's find-links, never the index's CUDA
#    build of several GB), jax from the index. When one cannot be installed, set-up says so in
#    one line and goes on (its adapter tests then skip), unless PHASEGRAD_REQUIRE_FRAMEWORKS=1
#    (CI: .ci/run), which makes it an error.
#
# bash scripts/setup.sh --system: step 1 only, plus python3-venv (scripts/build-wheel.sh).
# bash scripts/setup.sh --fingerprint: print the fingerprint of the sources and stop.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
EXTRAS=${PHASEGRAD_EXTRAS:-test}
REQUIRE_FRAMEWORKS=${PHASEGRAD_REQUIRE_FRAMEWORKS:-0}
FRAMEWORKS=(torch jax)
STAMP=phasegrad.setup-stamp.json

log() { echo "phasegrad setup: $*" >&2; }
py() { "$PYTHON" -c "$1" 2>/dev/null; }

mode=install
case "${1:-}" in
  "") ;;
  --system) mode=system ;;
  --fingerprint) mode=fingerprint ;;
  *) log "unknown argument $1 (expected --system, --fingerprint or nothing)"; exit 2 ;;
esac

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  log "$PYTHON not found; install Python >= 3.10 (Debian: apt-get install python3) or set PYTHON"
  exit 1
fi

# The files that go into the build: tracked and untracked-but-not-ignored ones in a git
# checkout (what scikit-build-core packs too), else every file but build products.
source_files() {
  local parts=(cpp python CMakeLists.txt pyproject.toml)
  if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard -- "${parts[@]}"
  else
    find "${parts[@]}" -type f ! -name '*.so' ! -name '*.pyc' ! -path '*/__pycache__/*' -print0
  fi
}
fingerprint() {
  source_files | "$PYTHON" -c '
import hashlib, os, sys
digest = hashlib.sha256()
for name in sorted({name for name in sys.stdin.buffer.read().split(b"\0") if name}):
    if os.path.isfile(name):  # a tracked file deleted in the working tree is not built
        with open(name, "rb") as f:
            digest.update(name + b"\0" + hashlib.sha256(f.read()).digest())
print(digest.hexdigest())'
}
if [ "$mode" = fingerprint ]; then
  fingerprint
  exit 0
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
if [ "$mode" = install ] && needs_venv; then use_venv=true; fi

packages=()
have_fftw || packages+=(libfftw3-dev pkg-config)
have_compiler || packages+=(g++)
have_headers || packages+=(python3-dev)
if { $use_venv && [ ! -x .venv/bin/python ]; } || [ "$mode" = system ]; then
  py 'import ensurepip' || packages+=(python3-venv)
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
if [ "$mode" = system ]; then
  exit 0
fi

if $use_venv; then
  if [ ! -x .venv/bin/python ]; then
    log "$PYTHON does not take pip installs (PEP 668); creating the virtual environment .venv"
    "$PYTHON" -m venv .venv >&2
  fi
  PYTHON="$PWD/.venv/bin/python"
fi
pip() { "$PYTHON" -m pip --disable-pip-version-check "$@"; }

# The requested extras: the frameworks apart (optional, installed on their own below).
build_extras=()
framework_extras=()
IFS=, read -r -a requested <<<"$EXTRAS"
for extra in "${requested[@]}"; do
  extra=${extra// /}
  [ -n "$extra" ] || continue
  case " ${FRAMEWORKS[*]} " in
    *" $extra "*) framework_extras+=("$extra") ;;
    *) build_extras+=("$extra") ;;
  esac
done
build_list=$(IFS=,; echo "${build_extras[*]}")
framework_list=$(IFS=,; echo "${framework_extras[*]}")

# What the installed phasegrad lacks, one line each: "build REASON" (no install matching these
# sources), "need REQUIREMENT" (a dependency of phasegrad or of a requested extra is missing),
# "framework REQUIREMENT" (a requested framework is missing), "unknown EXTRA". Nothing: up to date.
state() {
  "$PYTHON" - "$1" "$PWD" "$build_list" "$framework_list" "$STAMP" <<'EOF'
import hashlib, json, sys
from importlib import metadata

fingerprint, source, build_extras, framework_extras, stamp_name = sys.argv[1:]
build_extras = [e for e in build_extras.split(",") if e]
framework_extras = [e for e in framework_extras.split(",") if e]
try:
    dist = metadata.distribution("phasegrad")
except metadata.PackageNotFoundError:
    sys.exit(print("build phasegrad is not installed in this Python"))
try:
    stamp = json.loads(dist.locate_file(stamp_name).read_text())
except (OSError, ValueError):
    sys.exit(print("build this set-up has no record of the installed phasegrad"))
record = hashlib.sha256((dist.read_text("RECORD") or "").encode()).hexdigest()
if stamp.get("record") != record or stamp.get("source") != source:
    sys.exit(print("build the installed phasegrad does not come from this source tree"))
if stamp.get("fingerprint") != fingerprint:
    sys.exit(print("build the sources changed since the installed phasegrad was built"))

try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement


def missing(requirement):
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return True
    return not requirement.specifier.contains(version, prereleases=True)


def plain(requirement):  # without its marker
    return str(requirement).split(";")[0].strip()


provided = set(dist.metadata.get_all("Provides-Extra") or [])
for extra in build_extras + framework_extras:
    if extra not in provided:
        print("unknown", extra)
for text in dist.requires or []:
    requirement = Requirement(text)
    marker = requirement.marker
    if marker is None or any(marker.evaluate({"extra": e}) for e in [""] + build_extras):
        if missing(requirement):
            print("need", plain(requirement))
    elif any(marker.evaluate({"extra": e}) for e in framework_extras) and missing(requirement):
        print("framework", plain(requirement))
EOF
}

write_stamp() {
  "$PYTHON" - "$1" "$PWD" "$STAMP" <<'EOF'
import hashlib, json, sys
from importlib import metadata

fingerprint, source, stamp_name = sys.argv[1:]
dist = metadata.distribution("phasegrad")
record = hashlib.sha256((dist.read_text("RECORD") or "").encode()).hexdigest()
path = dist.locate_file(stamp_name)
path.write_text(json.dumps({"fingerprint": fingerprint, "source": source, "record": record},
                           indent=1) + "\n")
print(path)
EOF
}

lines_of() { grep "^$1 " <<<"$2" | cut -d' ' -f2- || true; }

# pyproject.toml's [build-system] requires ("static"), or what its backend asks for on top
# ("dynamic": scikit-build-core asks for cmake and ninja from PyPI when the system has none).
build_requirements() {
  "$PYTHON" - "$1" <<'EOF'
import importlib, sys
try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib
with open("pyproject.toml", "rb") as f:
    system = tomllib.load(f)["build-system"]
if sys.argv[1] == "static":
    requires = system.get("requires", [])
else:
    backend = importlib.import_module(system["build-backend"])
    requires = getattr(backend, "get_requires_for_build_wheel", list)()
for requirement in requires:
    print(requirement)
EOF
}

print=$(fingerprint)
# PHASEGRAD_WERROR=1 (CI): compiler warnings fail the build. Part of the fingerprint, so that a
# build made without it is not taken for one that was checked.
build_options=()
if [ "${PHASEGRAD_WERROR:-0}" = 1 ]; then
  build_options=(--config-settings=cmake.define.PHASEGRAD_WERROR=ON)
  print="$print+werror"
fi
current=$(state "$print")
reason=$(lines_of build "$current")
if [ -n "$reason" ]; then
  target=".[${build_list}]"
  [ -n "$build_list" ] || target="."
  log "building and installing phasegrad into $("$PYTHON" -c 'import sys; print(sys.prefix)')" \
      "($reason): pip install -v --no-build-isolation \"$target\". Compiling the C++ core" \
      "takes a few minutes the first time, then only the changed files are compiled again;" \
      "pip's and CMake's output follows"
  start=$SECONDS
  # The build runs in this Python, not in an isolated environment of pip's: scikit-build-core
  # clears its CMake cache in build/ whenever that environment changes (each pip install in
  # isolation), so only this way does a rebuild compile only the C++ files that changed.
  mapfile -t requires < <(build_requirements static)
  log "installing the build requirements: ${requires[*]}"
  pip install --quiet "${requires[@]}" >&2
  mapfile -t requires < <(build_requirements dynamic)
  if [ ${#requires[@]} -gt 0 ]; then
    log "installing the build requirements: ${requires[*]}"
    pip install --quiet "${requires[@]}" >&2
  fi
  # -v: pip shows the build's output (CMake's [n/N] lines) only when verbose; its resolver's
  # debug lines are left out.
  pip install -v --no-build-isolation "${build_options[@]}" "$target" 2>&1 |
    grep -v -e '^ *Link requires a different Python' -e '^ *changing mode of ' >&2
  stamp=$(write_stamp "$print")
  log "built and installed phasegrad in $((SECONDS - start)) s; fingerprint ${print:0:12}" \
      "recorded in $stamp"
  current=$(state "$print")
else
  log "phasegrad in $PYTHON is up to date with the sources (fingerprint ${print:0:12}):" \
      "no rebuild"
fi

for extra in $(lines_of unknown "$current"); do
  log "warning: phasegrad has no extra '$extra' (in PHASEGRAD_EXTRAS=$EXTRAS); ignored"
done
mapfile -t needed < <(lines_of need "$current")
if [ ${#needed[@]} -gt 0 ]; then
  log "installing what the extras [${build_list}] need and is missing: ${needed[*]}"
  pip install "${needed[@]}" >&2
fi

# A framework that cannot be installed: an error with PHASEGRAD_REQUIRE_FRAMEWORKS=1, else a
# one-line notice.
framework_missing() {
  if [ "$REQUIRE_FRAMEWORKS" = 1 ]; then
    log "error: $1 (PHASEGRAD_REQUIRE_FRAMEWORKS=1)"
    exit 1
  fi
  log "$1: skipped, its adapter tests will skip (PHASEGRAD_REQUIRE_FRAMEWORKS=1: an error)"
}
mapfile -t frameworks < <(lines_of framework "$current")
for requirement in "${frameworks[@]}"; do
  case "$requirement" in
    torch*)
      # The local CPU wheel only (find-links, e.g. PIP_FIND_LINKS=/opt/wheels): the index's
      # torch is a CUDA build of several GB. Then torch's own small dependencies (sympy,
      # networkx, ...) from the index; the installed torch satisfies the pin and stays.
      if ! output=$(pip install --no-index --no-deps "$requirement" 2>&1); then
        framework_missing "$requirement: no local wheel in pip's find-links (pip --no-index)"
      else
        installed=$(grep -o '^Successfully installed .*' <<<"$output" | cut -d' ' -f3- || true)
        log "installed ${installed:-$requirement} from a local wheel; its dependencies from the" \
            "index:"
        if ! pip install "$requirement" >&2; then
          pip uninstall -y -q torch >&2 || true
          framework_missing "$requirement: its dependencies could not be installed"
        fi
      fi
      ;;
    *)
      log "installing $requirement from the package index (jax, jaxlib: a ~90 MB download)"
      if ! pip install "$requirement" >&2; then
        framework_missing "$requirement: pip install failed (above)"
      fi
      ;;
  esac
done

# Run directly (stdout a terminal, not captured by the README's commands): the venv hint.
if $use_venv && [ -t 1 ]; then
  log "phasegrad is installed in .venv: run \`source .venv/bin/activate\` to use the" \
      "\`phasegrad\` command and \`import phasegrad\`"
fi
echo "$PYTHON"
