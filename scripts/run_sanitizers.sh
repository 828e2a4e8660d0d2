#!/usr/bin/env bash
# Memory-checking tier of meanshift-fast (takes several minutes):
#
#   1. builds the extension with -fsanitize=address,undefined in a temporary
#      copy of the working tree and runs the whole test suite (tests/) against
#      it, with the ASan runtime preloaded into the (uninstrumented) Python;
#   2. builds tests/c/test_tree.c (with fault injection) and runs it under
#      valgrind memcheck (leaks included) and as an ASan+UBSan binary (LSan on).
#
# Usage:  scripts/run_sanitizers.sh [extra pytest args]
# Environment:
#   PYTHON                 interpreter with the test dependencies (default: the
#                          one on PATH; e.g. PYTHON=.venv/bin/python)
#   MEANSHIFT_FAST_OPENMP  1 (default) or 0: build the extension with or
#                          without OpenMP
#   KEEP_WORKDIR=1         keep the temporary copy for inspection
#   PYTEST_TIMEOUT         seconds before the pytest run is stopped (default 1800)
#   ASAN_OPTIONS, UBSAN_OPTIONS  override the defaults below
# Exit status: non-zero when any step fails.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-$(command -v python3 || command -v python)}
CC=${CC:-gcc}
OPENMP=${MEANSHIFT_FAST_OPENMP:-1}
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/msf-sanitizers.XXXXXX")
cleanup() { if [ "${KEEP_WORKDIR:-0}" != 1 ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi; }
trap cleanup EXIT

step() { printf '\n==== %s\n' "$*"; }
status=0

step "copy of the working tree in $WORK"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 cp -p --parents -t "$WORK")

step "build the extension with ASan+UBSan (OpenMP=$OPENMP)"
# The flags go in CC as well as CFLAGS/LDFLAGS: setup.py's OpenMP probe links
# its test program with the plain compiler command, without LDFLAGS, and an
# instrumented object does not link without the sanitizer runtimes.
(
    cd "$WORK"
    CC="$CC $SAN" CFLAGS="$SAN -g" LDFLAGS="$SAN" MEANSHIFT_FAST_OPENMP="$OPENMP" \
        "$PYTHON" setup.py -q build_ext --inplace
) >"$WORK/build.log" 2>&1 || { tail -50 "$WORK/build.log"; exit 1; }
nm -D "$WORK"/meanshift_fast/_core*.so >"$WORK/nm.txt"
grep -q __asan "$WORK/nm.txt" || { echo "the extension is not instrumented"; exit 1; }
grep -q GOMP_ "$WORK/nm.txt" && echo "instrumented, with OpenMP" || echo "instrumented, serial"

LIBASAN=$("$CC" -print-file-name=libasan.so)
[ -e "$LIBASAN" ] || { echo "no libasan.so for $CC"; exit 1; }
# libstdc++ is preloaded too: without it ASan's __cxa_throw interceptor finds
# no real function when a C++ extension (matplotlib's ft2font) throws.
LIBSTDCXX=$("$CC" -print-file-name=libstdc++.so)
PRELOAD="$LIBASAN"
[ -e "$LIBSTDCXX" ] && PRELOAD="$LIBASAN $LIBSTDCXX"
# ASan reports also go to files (log_path), subprocesses' included.  UBSan
# (GCC's, next to ASan) writes to stderr whatever its log_path says; pytest's
# -rP below shows the captured stderr of passing tests too.
LOGS="$WORK/sanitizer-logs"
mkdir -p "$LOGS"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:halt_on_error=1:print_summary=1}
# halt_on_error=1 ends the pytest process at the first undefined behaviour;
# UBSAN_OPTIONS=halt_on_error=0:print_stacktrace=1 reports all and goes on.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$LOGS/asan"
export UBSAN_OPTIONS
echo "ASAN_OPTIONS=$ASAN_OPTIONS"
echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"

step "the package under test"
(cd "$WORK" && LD_PRELOAD="$PRELOAD" PYTHONPATH="$WORK" "$PYTHON" -c '
import meanshift_fast, sys
from meanshift_fast import _core
print(meanshift_fast.__file__, "openmp:", _core.openmp_enabled())
sys.exit(0 if meanshift_fast.__file__.startswith(sys.argv[1]) else 1)
' "$WORK")

step "pytest tests/ against the sanitized build"
start=$(date +%s)
set +e
(cd "$WORK" && LD_PRELOAD="$PRELOAD" PYTHONPATH="$WORK" \
    timeout "${PYTEST_TIMEOUT:-1800}" \
    "$PYTHON" -m pytest tests -v -rfEP -p no:cacheprovider "$@") >"$WORK/pytest.log" 2>&1
pytest_status=$?
set -e
grep -E "^(FAILED|ERROR) |^=+ .*(passed|failed|error).* =+$" "$WORK/pytest.log" | tail -60 || true
if [ "$pytest_status" -eq 124 ]; then
    echo "pytest stopped after ${PYTEST_TIMEOUT:-1800} s; the last test it reported:"
    grep -E "::.* (PASSED|FAILED|ERROR|SKIPPED)" "$WORK/pytest.log" | tail -1 || true
fi
echo "pytest exit status $pytest_status after $(( $(date +%s) - start )) s"
if [ -n "$(ls -A "$LOGS")" ] ||
    grep -q -E "ERROR: AddressSanitizer|runtime error:" "$WORK/pytest.log"; then
    echo "sanitizer reports ($(ls "$LOGS" | wc -l) log files in $LOGS):"
    cat "$LOGS"/* "$WORK/pytest.log" 2>/dev/null |
        grep -E "ERROR: AddressSanitizer|runtime error:" |
        sed -E 's/0x[0-9a-f]+/0x.../g' | sort | uniq -c | sort -rn | head -20 || true
    echo "tests whose output holds a report:"
    awk '/^_+ .* _+$/ {t = $0} /runtime error:|ERROR: AddressSanitizer/ {print "   ", t}' \
        "$WORK/pytest.log" | sort | uniq -c | head -40 || true
    for f in $(ls "$LOGS" | head -3 || true); do
        echo "--- $f"
        head -25 "$LOGS/$f"
    done
    status=1
fi
[ "$pytest_status" -eq 0 ] || status=1

SRCS=("$WORK"/src_c/*.c)
TEST_C="$WORK/tests/c/test_tree.c"

if command -v valgrind >/dev/null; then
    step "C test program under valgrind (fault injection on)"
    "$CC" -O1 -g -std=c99 -fopenmp -DMS_FAULT_INJECTION -I"$WORK/src_c" "${SRCS[@]}" \
        "$TEST_C" -lm -o "$WORK/test_tree_vg"
    if env -u LD_PRELOAD OMP_NUM_THREADS=2 valgrind --error-exitcode=1 --leak-check=full \
        --suppressions="$REPO/scripts/valgrind.supp" "$WORK/test_tree_vg" quick \
        >"$WORK/valgrind.out" 2>"$WORK/valgrind.err"; then
        cat "$WORK/valgrind.out"
        grep "ERROR SUMMARY" "$WORK/valgrind.err" | tail -1
    else
        cat "$WORK/valgrind.out"
        tail -60 "$WORK/valgrind.err"
        status=1
    fi
else
    step "valgrind not installed: C program under valgrind skipped"
fi

step "C test program with ASan+UBSan (leak detection on, fault injection on)"
"$CC" -O1 -g -std=c99 -fopenmp -DMS_FAULT_INJECTION $SAN -fno-sanitize-recover=all \
    -I"$WORK/src_c" "${SRCS[@]}" "$TEST_C" -lm -o "$WORK/test_tree_asan"
if ! env -u LD_PRELOAD ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 OMP_NUM_THREADS=2 \
    "$WORK/test_tree_asan"; then
    status=1
fi

step "result"
if [ "$status" -eq 0 ]; then echo "sanitizers: all clean"; else echo "sanitizers: FAILED"; fi
exit "$status"
