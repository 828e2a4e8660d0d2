"""The C core built with a test program (tests/c/test_tree.c, the
embedding example) by the system C compiler as a C99 program."""

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted(str(p) for p in (REPO / "src_c").glob("*.c"))
CC = next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)


def compile_program(out, main_source, flags, timeout=300):
    """Compile the core's sources and main_source with flags, one object
    per source on every core (the tests run one after another, and each
    build would otherwise leave all cores but one idle), then link them
    into out.  Returns (returncode, the failing command and its stderr)."""
    objdir = Path(str(out) + ".o.d")
    objdir.mkdir(parents=True, exist_ok=True)
    sources = [*SOURCES, str(main_source)]
    objects = [objdir / f"{i:02d}_{Path(src).stem}.o" for i, src in enumerate(sources)]

    def run(cmd):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return proc.returncode, " ".join(cmd) + "\n" + proc.stderr[-3000:]

    commands = [
        [CC, *flags, "-c", src, "-o", str(obj)]
        for src, obj in zip(sources, objects, strict=True)
    ]
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        compiled = list(pool.map(run, commands))
    for code, err in compiled:
        if code != 0:
            return code, err
    return run([CC, *flags, *map(str, objects), "-lm", "-o", str(out)])


def build(out, main_source, *, openmp=True, defines=(), opt="-O1"):
    """Compile the core plus main_source; returns (path, openmp_used)."""
    base = [opt, "-g", "-std=c99", f"-I{REPO / 'src_c'}"]
    base += [f"-D{d}" for d in defines]
    attempts = [base + ["-fopenmp"]] if openmp else []
    attempts.append(base + ["-Wno-unknown-pragmas"])
    errors = []
    for flags in attempts:
        code, err = compile_program(out, main_source, flags)
        if code == 0:
            return out, "-fopenmp" in flags
        errors.append(err)
    pytest.fail("could not compile:\n" + "\n".join(errors))
