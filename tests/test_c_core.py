"""The C core on its own: tests/c/test_tree.c (brute-force checks through the
public header) and the embedding example examples/embed_c/example.c, built
with the system C compiler as a C99 program."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
from c_build import CC, REPO, build
from sklearn.cluster import MeanShift as SkMeanShift

from meanshift_fast import MeanShift

pytestmark = pytest.mark.skipif(
    CC is None or sys.platform == "win32", reason="no C compiler on PATH"
)


def run(cmd, **kw):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)  # the sanitizer runtime is for Python only
    return subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=300, **kw
    )


def passed_count(proc):
    m = re.search(r"^(\d+) passed, (\d+) failed$", proc.stdout, re.M)
    assert m, proc.stdout + proc.stderr
    return int(m.group(1)), int(m.group(2))


@pytest.fixture(scope="module")
def test_tree_binary(tmp_path_factory):
    return build(
        tmp_path_factory.mktemp("ctest") / "test_tree", REPO / "tests/c/test_tree.c"
    )


def test_c_core_against_brute_force(test_tree_binary):
    exe, openmp = test_tree_binary
    proc = run([str(exe)])
    ok, failed = passed_count(proc)
    assert proc.returncode == 0 and failed == 0, proc.stderr[-5000:]
    assert ok > 10_000
    assert f"openmp={int(openmp)}" in proc.stdout


def test_c_core_allocation_failures(fault_injection_test_tree):
    exe, _ = fault_injection_test_tree  # also run under valgrind
    proc = run([str(exe), "quick"])
    ok, failed = passed_count(proc)
    assert proc.returncode == 0 and failed == 0, proc.stderr[-5000:]
    assert "fault_injection=1" in proc.stdout


def test_c_core_serial_build(tmp_path):
    """Without OpenMP the core still builds and passes."""
    exe, openmp = build(
        tmp_path / "test_tree_serial", REPO / "tests/c/test_tree.c", openmp=False
    )
    assert not openmp
    proc = run([str(exe), "quick"])
    ok, failed = passed_count(proc)
    assert proc.returncode == 0 and failed == 0, proc.stderr[-5000:]
    assert "openmp=0" in proc.stdout


EXAMPLE_X = np.array(
    [1, 1, 2, 1, 1, 0, 1.5, 0.5, 8, 8, 9, 8, 8, 9, 9, 9, 8.5, 8.5, 20, 0.0]
).reshape(-1, 2)


def test_embed_c_example(tmp_path):
    exe, _ = build(tmp_path / "example", REPO / "examples/embed_c/example.c", opt="-O2")
    proc = run([str(exe)])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    k = int(lines[0].split()[0])
    centres = np.array(
        [[float(v) for v in line.split(":")[1].split()] for line in lines[1 : 1 + k]]
    )
    labels = np.array([int(v) for v in lines[1 + k].split(":")[1].split()])
    sk = SkMeanShift(bandwidth=2.0).fit(EXAMPLE_X)
    np.testing.assert_array_equal(centres, sk.cluster_centers_)
    np.testing.assert_array_equal(labels, sk.labels_)
    ours = MeanShift(bandwidth=2.0).fit(EXAMPLE_X)
    np.testing.assert_array_equal(centres, ours.cluster_centers_)


@pytest.fixture(scope="module")
def api_edges_binary(tmp_path_factory):
    return build(
        tmp_path_factory.mktemp("cedges") / "test_api_edges",
        REPO / "tests/c/test_api_edges.c",
    )


def test_c_core_argument_edges(api_edges_binary):
    """Entry points at the edges of their arguments (tests/c/test_api_edges.c):
    an error code or a result, never undefined behaviour or an exit."""
    exe, _ = api_edges_binary
    proc = run([str(exe)])
    ok, failed = passed_count(proc)
    assert proc.returncode == 0 and failed == 0, proc.stderr[-5000:]
    assert ok > 0
