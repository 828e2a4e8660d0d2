"""Memory-safety tier: the fuzzer against the brute-force reference, and the
C test program under valgrind and AddressSanitizer.

The full sanitizer run (the extension built with ASan+UBSan and the whole
suite run against it) is scripts/run_sanitizers.sh; it takes minutes and is
not part of the default suite.
"""

import os
import random
import re
import shutil
import subprocess
import sys

import pytest
from c_build import CC, REPO, compile_program

FUZZ_SECONDS = float(os.environ.get("MEANSHIFT_FAST_FUZZ_SECONDS", "20"))


def test_fuzz_against_brute_force_reference():
    seed = random.randrange(1_000_000)
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts/fuzz.py"),
            "--seconds",
            str(FUZZ_SECONDS),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS + 240,
    )
    tail = (proc.stdout + proc.stderr)[-8000:]
    assert proc.returncode == 0, f"fuzz failed (rerun with --seed {seed}):\n{tail}"
    m = re.search(
        r"fuzz: (\d+) executions .*\((\d+) exact, (\d+) within tolerance", proc.stdout
    )
    assert m, tail
    executions, exact, tolerant = map(int, m.groups())
    assert executions >= 50, tail
    # Both kinds of comparison actually happened.
    assert exact >= 5 and tolerant >= 5, tail


def _compile(out, extra):
    flags = [
        "-O1",
        "-g",
        "-std=c99",
        "-fopenmp",
        "-DMS_FAULT_INJECTION",
        f"-I{REPO / 'src_c'}",
        *extra,
    ]
    return compile_program(out, REPO / "tests/c/test_tree.c", flags)


def _env():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env["OMP_NUM_THREADS"] = "2"
    return env


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.skipif(
    shutil.which("valgrind") is None, reason="valgrind is not installed"
)
def test_c_program_under_valgrind(fault_injection_test_tree):
    exe, _ = fault_injection_test_tree  # the binary test_c_core also runs
    proc = subprocess.run(
        [
            "valgrind",
            "--error-exitcode=1",
            "--leak-check=full",
            f"--suppressions={REPO / 'scripts/valgrind.supp'}",
            str(exe),
            "quick",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(),
    )
    assert proc.returncode == 0, proc.stderr[-8000:]
    assert re.search(r"^\d+ passed, 0 failed$", proc.stdout, re.M), proc.stdout
    assert "fault_injection=1" in proc.stdout
    assert re.search(r"ERROR SUMMARY: 0 errors", proc.stderr), proc.stderr[-3000:]


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_c_program_under_address_sanitizer(tmp_path):
    exe = tmp_path / "test_tree_asan"
    flags = [
        "-fsanitize=address,undefined",
        "-fno-omit-frame-pointer",
        "-fno-sanitize-recover=all",
    ]
    code, err = _compile(exe, flags)
    if code != 0 and "sanitize" in err:
        pytest.skip(f"the compiler has no ASan/UBSan runtime: {err[-300:]}")
    assert code == 0, err
    env = _env()
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    proc = subprocess.run(
        [str(exe), "quick"], capture_output=True, text=True, timeout=600, env=env
    )
    assert proc.returncode == 0, proc.stderr[-8000:]
    assert re.search(r"^\d+ passed, 0 failed$", proc.stdout, re.M), proc.stdout
    assert "ERROR: AddressSanitizer" not in proc.stderr
    assert "runtime error" not in proc.stderr, proc.stderr[-3000:]
