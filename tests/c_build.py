"""The C core built with a test program (tests/c/test_tree.c, the
embedding example) by the system C compiler as a C99 program."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted(str(p) for p in (REPO / "src_c").glob("*.c"))
CC = next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)


def build(out, main_source, *, openmp=True, defines=(), opt="-O1"):
    """Compile the core plus main_source; returns (path, openmp_used)."""
    base = [CC, opt, "-g", "-std=c99", f"-I{REPO / 'src_c'}"]
    base += [f"-D{d}" for d in defines]
    tail = [*SOURCES, str(main_source), "-lm", "-o", str(out)]
    attempts = [base + ["-fopenmp"] + tail] if openmp else []
    attempts.append(base + ["-Wno-unknown-pragmas"] + tail)
    errors = []
    for cmd in attempts:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode == 0:
            return out, "-fopenmp" in cmd
        errors.append(" ".join(cmd) + "\n" + proc.stderr[-3000:])
    pytest.fail("could not compile:\n" + "\n".join(errors))
