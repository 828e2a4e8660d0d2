"""The shipped type stubs agree with the installed package (mypy.stubtest),
and accept the calls the documentation shows."""

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


def _mypy(args, cwd):
    """python -m <args> (mypy or its stubtest) run in cwd; its output on
    failure."""
    # Where the package does not sit in site-packages (an editable install,
    # whose import hook hides it from mypy's own search, or a tree on
    # PYTHONPATH), MYPYPATH names the directory holding it; mypy refuses
    # site-packages there, and finds an installed package by itself.
    env = dict(os.environ)
    if PKG_DIR.parent.name not in ("site-packages", "dist-packages"):
        env["MYPYPATH"] = str(PKG_DIR.parent)
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Calls the docstrings and README document, each accepted at run time: the
# stubs must accept them too, or a typed caller is told they are wrong.
DOCUMENTED_CALLS = """
import numpy as np
from meanshift_fast import MeanShift, get_bin_seeds, mean_shift

X = np.random.default_rng(0).normal(size=(60, 2))
for bandwidth in (1.0, None, "scott", "silverman", "auto", [0.5, 1.0]):
    mean_shift(X, bandwidth=bandwidth)
    MeanShift(bandwidth=bandwidth).fit(X)
get_bin_seeds(X, 1.0)
get_bin_seeds(X, [0.5, 1.0])
get_bin_seeds(X, np.array([0.5, 1.0]), min_bin_freq=2)
"""


def test_documented_calls_type_check(tmp_path):
    script = tmp_path / "calls.py"
    script.write_text(DOCUMENTED_CALLS)
    ran = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    _mypy(["mypy", "--no-incremental", str(script)], tmp_path)


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
    # not a source tree on the current path.
    _mypy(
        [
            "mypy.stubtest",
            "meanshift_fast",
            "--allowlist",
            str(allow),
            "--ignore-unused-allowlist",
        ],
        tmp_path,
    )
