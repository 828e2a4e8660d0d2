"""Another Cython extension can cimport the core from the installed
package and call it without linking against the C sources."""

import subprocess
import sys
import textwrap

import Cython  # noqa: F401  (both in the test extras: no skip)
import numpy as np
import pytest
import setuptools  # noqa: F401
from build_copy import child_env

import meanshift_fast

PYX = textwrap.dedent(
    """
    # cython: language_level=3
    import numpy as np
    from libc.stdint cimport int64_t
    from meanshift_fast._core cimport (
        api_config_default, api_shift_seeds_f64, api_tree_build_f64,
        api_tree_free_f64, api_tree_kernel_sum_f64,
    )
    from meanshift_fast.cmeanshift cimport (
        MS_KERNEL_FLAT, MS_OK, ms_config, ms_shift_params, ms_tree_f64,
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

    def shift_on_threads(double[:, ::1] X, double h, int n_threads):
        # every point a seed, on n_threads OpenMP threads
        cdef ms_config cfg = api_config_default()
        cdef ms_tree_f64 *tree = NULL
        cdef ms_shift_params p
        cdef int64_t n = X.shape[0]
        cdef double[:, ::1] means = np.empty((n, X.shape[1]))
        cdef double[::1] inten = np.empty(n)
        cdef int64_t[::1] it = np.empty(n, dtype=np.int64)
        cfg.n_threads = n_threads
        p.kernel = MS_KERNEL_FLAT
        p.bandwidth = h
        p.stop_thresh = 1e-3 * h
        p.max_iter = 300
        p.gaussian_tol = 0.0
        if api_tree_build_f64(&X[0, 0], NULL, n, X.shape[1], 0, MS_KERNEL_FLAT,
                              &cfg, &tree) != MS_OK:
            raise MemoryError
        try:
            if api_shift_seeds_f64(tree, &X[0, 0], n, &p, &cfg, &means[0, 0],
                                   &inten[0], &it[0], NULL) != MS_OK:
                raise ValueError("shift failed")
        finally:
            api_tree_free_f64(tree)
        return np.asarray(means)
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


@pytest.fixture(scope="module")
def uses_core_dir(tmp_path_factory):
    """The directory of an extension built against the function table."""
    tmp_path = tmp_path_factory.mktemp("uses_core")
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
    return tmp_path


def test_cimport_core_from_another_extension(uses_core_dir):
    tmp_path = uses_core_dir
    env = child_env(tmp_path)
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


FORK_AFTER_API_TEAM = """
import os, time
import numpy as np
import meanshift_fast as mf
import uses_core

rng = np.random.default_rng(0)
X = np.vstack([rng.normal(size=(3000, 2)) + c for c in ([0, 0], [6, 6])])
# a thread team started through the function table, not through Python
uses_core.shift_on_threads(X, 1.0, 2)
want = mf.MeanShift(bandwidth=1.0, n_jobs=1).fit(X).cluster_centers_
pid = os.fork()
if pid == 0:
    got = mf.MeanShift(bandwidth=1.0, n_jobs=2).fit(X).cluster_centers_
    os._exit(0 if np.array_equal(got, want) else 3)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("child", os.waitstatus_to_exitcode(status))
        break
    time.sleep(0.05)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("child hung")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="forks an OpenMP process")
def test_child_forked_after_an_api_thread_team_does_not_hang(uses_core_dir):
    # A team the function table started leaves a forked child the same
    # broken team as one a fit started: the child must run on one thread.
    if not meanshift_fast.openmp_enabled():
        pytest.skip("serial build: no thread team")
    env = child_env(uses_core_dir)
    res = subprocess.run(
        [sys.executable, "-c", FORK_AFTER_API_TEAM],
        cwd=uses_core_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "child 0", res.stdout


def test_get_include_has_the_header():
    from pathlib import Path

    assert (Path(meanshift_fast.get_include()) / "meanshift.h").exists()
    assert np.__version__  # numpy is the only runtime dependency in play
