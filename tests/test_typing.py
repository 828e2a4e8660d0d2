"""The shipped type stubs agree with the installed package (mypy.stubtest)."""

import os
import subprocess
import sys
from pathlib import Path

import mypy  # noqa: F401  (in the test extras: no skip)

import meanshift_fast

PKG_DIR = Path(meanshift_fast.__file__).parent


def test_py_typed_and_stubs_ship():
    assert (PKG_DIR / "py.typed").exists()
    for name in ("__init__", "_core", "_estimator", "_bandwidth", "cli", "dask"):
        assert (PKG_DIR / f"{name}.pyi").exists(), name


def test_stubtest(tmp_path):
    # __main__ runs the command line on import, so stubtest must not import it.
    allow = tmp_path / "allow.txt"
    allow.write_text(
        "\n".join(
            [
                "meanshift_fast.__main__",
                # Cython's own module attributes: the exported C function
                # table, pickling helpers of cdef classes, doctest registry.
                "meanshift_fast._core.__pyx_capi__",
                "meanshift_fast._core.__reduce_cython__",
                "meanshift_fast._core.__setstate_cython__",
                "meanshift_fast._core.__test__",
            ]
        )
        + "\n"
    )
    # Run from an empty directory so that the installed package is checked,
    # not a source tree on the current path.  Where the package does not sit
    # in site-packages (an editable install, whose import hook hides it from
    # mypy's own search, or a tree on PYTHONPATH), MYPYPATH names the
    # directory holding it; mypy refuses site-packages there, and finds an
    # installed package by itself.
    env = dict(os.environ)
    if PKG_DIR.parent.name not in ("site-packages", "dist-packages"):
        env["MYPYPATH"] = str(PKG_DIR.parent)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "meanshift_fast",
            "--allowlist",
            str(allow),
            "--ignore-unused-allowlist",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
