"""Threads: results that do not depend on the thread count, concurrent use
from Python threads, the GIL released during C work, and thread counts
resolved like scikit-learn and joblib resolve them."""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from gil_probe import count_while, gil_holding_call
from threadpoolctl import threadpool_info, threadpool_limits

from meanshift_fast import MeanShift, _core, _threads, estimate_bandwidth

needs_openmp = pytest.mark.skipif(
    not _core.openmp_enabled(), reason="serial build: one thread whatever n_jobs says"
)

N_JOBS = [1, 2, 3, -1, None]


def blobs3d(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    c = np.array([[2.0, 2, 2], [7, 7, 7], [5, 13, 13]])
    return c[rng.integers(0, 3, n)] + rng.normal(scale=0.6, size=(n, 3))


X = blobs3d(2500)
W = np.random.default_rng(1).integers(0, 4, len(X)).astype(float)

CONFIGS = {
    "flat": ({"bandwidth": 1.5}, {}),
    "flat-small-bandwidth": ({"bandwidth": 0.4}, {}),
    "gaussian": ({"bandwidth": 1.5, "kernel": "gaussian"}, {}),
    "gaussian-exact": (
        {"bandwidth": 1.5, "kernel": "gaussian", "gaussian_tol": 0.0},
        {},
    ),
    "epanechnikov": ({"bandwidth": 1.5, "kernel": "epanechnikov"}, {}),
    "bin_seeding": ({"bandwidth": 1.5, "bin_seeding": True}, {}),
    "estimated-bandwidth": ({}, {}),
    "weights": ({"bandwidth": 1.5}, {"sample_weight": W}),
    "float32": ({"bandwidth": 1.5}, {"as_float32": True}),
    "cluster_all-false": ({"bandwidth": 0.4, "cluster_all": False}, {}),
    "attractor": ({"bandwidth": 1.5, "cluster_assignment": "attractor"}, {}),
    "brute": ({"bandwidth": 1.5, "algorithm": "brute"}, {}),
}


def run(params, extra, n_jobs, data=X):
    extra = dict(extra)
    if extra.pop("as_float32", False):
        data = data.astype(np.float32)
    model = MeanShift(n_jobs=n_jobs, **params).fit(data, **extra)
    return model, model.predict(data[::7] + 0.25)


def assert_same(a, b):
    (ma, pa), (mb, pb) = a, b
    assert ma.cluster_centers_.dtype == mb.cluster_centers_.dtype
    assert np.array_equal(ma.cluster_centers_, mb.cluster_centers_)
    assert np.array_equal(ma.labels_, mb.labels_)
    assert ma.n_iter_ == mb.n_iter_
    assert np.array_equal(pa, pb)


@needs_openmp
@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_bitwise_identical_for_every_n_jobs(config):
    params, extra = config
    base = run(params, extra, 1)
    assert len(base[0].cluster_centers_) >= 3
    for n_jobs in N_JOBS[1:] + [7]:
        assert_same(run(params, extra, n_jobs), base)


@needs_openmp
def test_estimate_bandwidth_identical_for_every_n_jobs():
    base = estimate_bandwidth(X, n_jobs=1)
    for n_jobs in N_JOBS[1:]:
        assert estimate_bandwidth(X, n_jobs=n_jobs) == base
        assert estimate_bandwidth(
            X, quantile=0.05, n_jobs=n_jobs
        ) == estimate_bandwidth(X, quantile=0.05, n_jobs=1)


def _openmp_controlled():
    return any(i["user_api"] == "openmp" for i in threadpool_info())


@needs_openmp
def test_threadpoolctl_limit_gives_one_thread_and_the_same_results():
    if not _openmp_controlled():
        pytest.fail("threadpoolctl does not see the OpenMP runtime the core uses")
    some = ["flat", "gaussian", "bin_seeding", "estimated-bandwidth", "float32"]
    outside = {k: run(*CONFIGS[k], None) for k in some}
    with threadpool_limits(limits=1, user_api="openmp"):
        assert _core.default_num_threads() == 1
        assert _threads.effective_n_threads(None) == 1
        for k in some:
            assert_same(run(*CONFIGS[k], None), outside[k])


def _datasets():
    out = []
    for i in range(8):
        data = blobs3d(1500 + 100 * i, seed=10 + i)
        params = [
            {"bandwidth": 1.5},
            {"bandwidth": 1.2, "kernel": "gaussian"},
            {"bandwidth": 1.5, "kernel": "epanechnikov"},
            {"bandwidth": 1.0, "bin_seeding": True},
        ][i % 4]
        out.append((data, params))
    return out


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_python_threads_fitting_at_once_match_serial_fits(n_jobs):
    jobs = _datasets()

    def fit(job):
        data, params = job
        m = MeanShift(n_jobs=n_jobs, **params).fit(data)
        return m.cluster_centers_, m.labels_, m.n_iter_, m.predict(data[:50] + 0.1)

    serial = [fit(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(fit, jobs * 2))
    for got, want in zip(parallel, serial * 2, strict=True):
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)


def test_selections_and_sweeps_from_many_threads_match_serial_ones():
    # select_bandwidth and the sweep run fits of their own, quietly: from
    # several Python threads at once they must give the serial results
    # (and leave each other's warnings alone).
    from meanshift_fast import bandwidth_sweep, select_bandwidth

    rng = np.random.default_rng(5)
    sets = [
        np.concatenate([rng.normal(c, 1.0, (300, d)) for c in (0.0, 7.0)])
        for d in (2, 3, 5)
    ]

    def job(X):
        sweep = bandwidth_sweep(X, n_bandwidths=6, n_jobs=1)
        return select_bandwidth(X, n_jobs=1), sweep.n_clusters, sweep.centers[2]

    serial = [job(X) for X in sets]
    with ThreadPoolExecutor(max_workers=3) as pool:
        parallel = list(pool.map(job, sets * 2))
    for got, want in zip(parallel, serial * 2, strict=True):
        assert got[0] == want[0]
        assert np.array_equal(got[1], want[1]) and np.array_equal(got[2], want[2])


def test_shared_fitted_estimator_predicts_from_many_threads():
    import pickle

    models = [
        MeanShift(bandwidth=1.5).fit(X),
        # Unpickled: the attractor tree is rebuilt lazily, possibly by
        # several threads at once.
        pickle.loads(
            pickle.dumps(
                MeanShift(bandwidth=1.5, cluster_assignment="attractor").fit(X)
            )
        ),
    ]
    queries = [blobs3d(700, seed=s) for s in range(12)]
    for model in models:
        want = [model.predict(q) for q in queries]
        if model.cluster_assignment == "attractor":
            model = pickle.loads(pickle.dumps(model))
        with ThreadPoolExecutor(max_workers=4) as pool:
            got = list(pool.map(model.predict, queries))
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)


def test_gil_released_during_c_work():
    """A pure-Python counter keeps running while another thread fits.

    With the GIL held across the C call the counter would stand still for
    the whole fit, as it does during a long builtin call (the control);
    released, it advances at a good share of its solo rate (the fit uses one
    thread, leaving a core for the counter).  Both jobs run for a set time,
    and only rates from this run are compared."""
    data = np.random.default_rng(5).normal(size=(3000, 3))

    def fits():
        # Fits back to back for long enough to measure, however fast one is.
        start, model = time.perf_counter(), None
        while time.perf_counter() - start < 0.6:
            model = MeanShift(bandwidth=1.0, n_jobs=1).fit(data)
        return model

    rate, solo_rate, took, model = count_while(fits)
    assert model is not None
    assert rate > 0.3 * solo_rate, (rate, solo_rate, took)

    rate, solo_rate, took, _ = count_while(gil_holding_call(1.0))
    assert rate < 0.2 * solo_rate, ("the control should starve the counter", took)


CHILD = """
import json, os
from meanshift_fast import _core, _threads
print(json.dumps({
    "default": _core.default_num_threads(),
    "none": _threads.effective_n_threads(None),
    "minus1": _threads.effective_n_threads(-1),
    "two": _threads.effective_n_threads(2),
    "cpus": _threads.available_cpus(),
}))
"""


def _child(env_update):
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    env.update(env_update)
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@needs_openmp
def test_omp_num_threads_env_is_respected():
    one = _child({"OMP_NUM_THREADS": "1"})
    assert one["default"] == 1 and one["none"] == 1
    # An explicit n_jobs wins over the environment, as in scikit-learn.
    assert one["two"] == 2
    assert one["minus1"] == one["cpus"]
    three = _child({"OMP_NUM_THREADS": "3"})
    assert three["default"] == 3
    assert three["none"] == min(3, three["cpus"])


def test_negative_n_jobs_count_back_like_joblib():
    import joblib

    cpus = _threads.available_cpus()
    assert cpus == joblib.cpu_count()
    expected_max = cpus if _core.openmp_enabled() else 1
    for k in range(1, cpus + 4):
        want = joblib.effective_n_jobs(-k) if _core.openmp_enabled() else 1
        assert _threads.effective_n_threads(-k) == want
        assert 1 <= _threads.effective_n_threads(-k) <= expected_max
    if _core.openmp_enabled():
        assert _threads.effective_n_threads(-1) == cpus
        assert _threads.effective_n_threads(-2) == max(1, cpus - 1)
        assert _threads.effective_n_threads(5) == 5


THREAD_COUNT_CHILD = """
import json, os, sys
import numpy as np
from meanshift_fast import MeanShift

def n_threads():
    return len(os.listdir("/proc/self/task"))

rng = np.random.default_rng(0)
X = rng.normal(size=(3000, 2))
before = n_threads()
seen = {}
for n_jobs in [1, 2]:
    counts = []
    MeanShift(bandwidth=0.3, n_jobs=n_jobs).fit(
        X, progress=lambda done, total: counts.append(n_threads()))
    seen[n_jobs] = max(counts)
print(json.dumps({"before": before, "seen": seen}))
"""


@needs_openmp
@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
def test_n_jobs_1_runs_on_the_calling_thread_only():
    """scikit-learn #20037: n_jobs=1 must not start threads."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="4")
    out = subprocess.run(
        [sys.executable, "-c", THREAD_COUNT_CHILD],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["seen"]["1"] == res["before"]
    assert res["seen"]["2"] == res["before"] + 1  # the control: one more thread


def test_cgroup_quota_read_once_per_process(monkeypatch):
    """The quota files are read on the first call, not on every fit."""
    import builtins

    from meanshift_fast import _threads

    _threads.available_cpus()  # the first read, wherever it happens
    opened = []
    real_open = builtins.open

    def spy_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    X = np.random.default_rng(0).normal(size=(300, 2))
    for n_jobs in (None, -1, 2):
        MeanShift(bandwidth=1.0, n_jobs=n_jobs).fit(X)
    assert [f for f in opened if "cgroup" in f] == []


FORK_AFTER_TEAM = """
import multiprocessing as mp
import numpy as np
import meanshift_fast as mf

rng = np.random.RandomState(0)
X = np.vstack([rng.randn(3000, 2) + c for c in ([0, 0], [6, 6], [0, 7])])
# a thread team in the parent, then children forked from it
want = mf.MeanShift(bandwidth=1.0, n_jobs=2).fit(X).cluster_centers_


def child(i):
    return mf.MeanShift(bandwidth=1.0, n_jobs=2).fit(X).cluster_centers_


if __name__ == "__main__":
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map_async(child, range(2)).get(timeout=120)
    assert all(np.array_equal(g, want) for g in got)
    print("children agree")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="forks an OpenMP process")
def test_children_forked_after_a_thread_team_do_not_hang():
    # OpenMP runtimes leave a forked child a broken team: a child's
    # parallel region waited for ever; such a child now runs on one thread.
    res = subprocess.run(
        [sys.executable, "-c", FORK_AFTER_TEAM],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "children agree" in res.stdout
