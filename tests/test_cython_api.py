"""Another Cython extension can cimport the core from the installed
package and call it without linking against the C sources."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import meanshift_fast

pytest.importorskip("Cython")
pytest.importorskip("setuptools")

PYX = textwrap.dedent(
    """
    # cython: language_level=3
    import numpy as np
    from meanshift_fast._core cimport (
        api_config_default, api_tree_build_f64, api_tree_free_f64,
        api_tree_kernel_sum_f64,
    )
    from meanshift_fast.cmeanshift cimport (
        MS_KERNEL_FLAT, MS_OK, ms_config, ms_tree_f64,
    )

    def flat_sums(double[:, ::1] X, double[::1] q, double h):
        cdef ms_config cfg = api_config_default()
        cdef ms_tree_f64 *tree = NULL
        cdef double w = 0.0
        cdef double[::1] wx = np.zeros(X.shape[1])
        if api_tree_build_f64(&X[0, 0], NULL, X.shape[0], X.shape[1], 0,
                              MS_KERNEL_FLAT, &cfg, &tree) != MS_OK:
            raise MemoryError
        try:
            if api_tree_kernel_sum_f64(tree, &q[0], MS_KERNEL_FLAT, h, 0.0,
                                       &w, &wx[0]) != MS_OK:
                raise ValueError("kernel sum failed")
        finally:
            api_tree_free_f64(tree)
        return w, np.asarray(wx)
    """
)

SETUP = textwrap.dedent(
    """
    import os, numpy, meanshift_fast
    from Cython.Build import cythonize
    # Where meanshift_fast/*.pxd lie (site-packages, or a source checkout).
    pkg_parent = os.path.dirname(os.path.dirname(meanshift_fast.__file__))
    from setuptools import Extension, setup
    setup(
        name="uses_core",
        ext_modules=cythonize(
            [Extension("uses_core", ["uses_core.pyx"],
                       include_dirs=[meanshift_fast.get_include(),
                                     numpy.get_include()])],
            include_path=[pkg_parent],
            quiet=True,
        ),
    )
    """
)


def test_cimport_core_from_another_extension(tmp_path):
    (tmp_path / "uses_core.pyx").write_text(PYX)
    (tmp_path / "setup.py").write_text(SETUP)
    build = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import numpy as np, uses_core\n"
            "rng = np.random.default_rng(0)\n"
            "X = rng.normal(size=(500, 3)); q = X[7].copy(); h = 0.8\n"
            "w, wx = uses_core.flat_sums(X, q, h)\n"
            "inside = np.sqrt(((X - q) ** 2).sum(1)) <= h\n"
            "assert w == inside.sum(), (w, inside.sum())\n"
            "assert np.allclose(wx, X[inside].sum(0), rtol=1e-12)\n"
            "print('ok', int(w))\n",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok")


def test_get_include_has_the_header():
    from pathlib import Path

    assert (Path(meanshift_fast.get_include()) / "meanshift.h").exists()
    assert np.__version__  # numpy is the only runtime dependency in play
