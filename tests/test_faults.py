"""Faults: Ctrl-C during a long fit, allocation failures in the C core, and
seeds stopped by max_iter.

- SIGINT: a child process fits a job that runs for minutes; the parent sends
  SIGINT one second after the fit starts and expects KeyboardInterrupt with
  its traceback within a few seconds.  Another child interrupts itself five
  times, then fits again and checks the answer and its memory.
- Allocation failures: a copy of the package built with
  MEANSHIFT_FAST_FAULT_INJECTION=1 (built once per session unless the
  installed build already has it) makes the n-th allocation of every C call
  fail, for n = 0, 1, 2, ...; every public operation must then either give
  the reference answer or raise MemoryError, never crash, and must succeed
  once n is large enough.
- ConvergenceWarning: warned exactly when some seed stopped at max_iter
  before converging, counted like the brute-force reference counts.
"""

import json
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import reference as R
from build_copy import REPO, build_copy, child_env

from meanshift_fast import ConvergenceWarning, MeanShift, _core

posix_signals = pytest.mark.skipif(
    sys.platform == "win32", reason="sends POSIX signals to a child process"
)


# ---------------------------------------------------------------------------
# SIGINT

LONG_FIT = """
import sys, time
import numpy as np
from meanshift_fast import MeanShift, bandwidth_sweep, estimate_bandwidth
rng = np.random.default_rng(0)
X = rng.normal(size=(400_000, 3))
# Every point a seed with a bandwidth that crosses much of the data: this
# runs for minutes (20k points of it take over 10 s on 2 cores).
print("started", flush=True)
t0 = time.monotonic()
if sys.argv[1] == "fit":
    MeanShift(bandwidth=1.0, n_jobs=2).fit(X)
elif sys.argv[1] == "bandwidth_sweep":
    # two fits side by side on worker threads, where no signal arrives
    bandwidth_sweep(X, [1.0, 1.1], bin_seeding=False, n_jobs=2)
else:
    estimate_bandwidth(X, n_jobs=2)
print(f"finished after {time.monotonic() - t0:.1f} s", flush=True)
"""


@posix_signals
@pytest.mark.parametrize("what", ["fit", "estimate_bandwidth", "bandwidth_sweep"])
def test_sigint_interrupts_a_long_job_promptly(what):
    proc = subprocess.Popen(
        [sys.executable, "-c", LONG_FIT, what],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "started", (line, proc.stderr.read())
        time.sleep(1.0)
        assert proc.poll() is None, "the job ended before it was interrupted"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "finished" not in out
    assert "Traceback (most recent call last)" in err, err
    assert "KeyboardInterrupt" in err, err
    assert proc.returncode != 0
    # Generous: the core polls for signals every few seeds (about 0.2 s).
    assert took < 5.0, f"took {took:.1f} s to stop after SIGINT"


REPEATED_INTERRUPTS = """
import json, os, signal, threading, time
import numpy as np
from meanshift_fast import MeanShift

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")

rng = np.random.default_rng(1)
X = rng.normal(size=(400_000, 3))
interrupted = 0
rss = []
for i in range(6):
    timer = threading.Timer(0.4, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        MeanShift(bandwidth=1.0, n_jobs=2).fit(X)
    except KeyboardInterrupt:
        interrupted += 1
    timer.join()
    rss.append(rss_mb())
small = np.array([[1.0, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
m = MeanShift(bandwidth=2.0, n_jobs=2).fit(small)
big = MeanShift(bandwidth=1.0, n_jobs=2, bin_seeding=True).fit(X[:20000])
print(json.dumps({
    "interrupted": interrupted,
    "rss": rss,
    "centers": m.cluster_centers_.tolist(),
    "labels": m.labels_.tolist(),
    "big_centers": big.cluster_centers_.tolist(),
    "big_labels": big.labels_.tolist(),
}))
"""


@posix_signals
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_repeated_interrupts_leave_a_working_estimator_and_no_leak():
    proc = subprocess.run(
        [sys.executable, "-c", REPEATED_INTERRUPTS],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(),
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["interrupted"] == 6
    # Memory after the first interrupted fit versus after five more: a
    # leaked tree or seed buffer of this job is tens of MB per fit.
    growth = res["rss"][-1] - res["rss"][0]
    assert growth < 40.0, f"RSS grew by {growth:.0f} MB over 5 interrupted fits"

    from sklearn.cluster import MeanShift as SkMeanShift

    small = np.array([[1.0, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
    sk = SkMeanShift(bandwidth=2.0).fit(small)
    np.testing.assert_allclose(res["centers"], sk.cluster_centers_, rtol=1e-12)
    np.testing.assert_array_equal(res["labels"], sk.labels_)
    X = np.random.default_rng(1).normal(size=(400_000, 3))[:20000]
    ref = MeanShift(bandwidth=1.0, n_jobs=1, bin_seeding=True).fit(X)
    np.testing.assert_array_equal(res["big_centers"], ref.cluster_centers_)
    np.testing.assert_array_equal(res["big_labels"], ref.labels_)


class Stop(Exception):
    pass


def test_progress_callback_exception_propagates_and_fit_recovers():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 2))
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if len(calls) == 2:
            raise Stop("from the callback")

    model = MeanShift(bandwidth=0.5, n_jobs=2)
    with pytest.raises(Stop, match="from the callback"):
        model.fit(X, progress=progress)
    assert not hasattr(model, "cluster_centers_")
    assert all(0 <= d <= t for d, t in calls)
    model.fit(X)
    ref = MeanShift(bandwidth=0.5, n_jobs=1).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(model.labels_, ref.labels_)


# ---------------------------------------------------------------------------
# allocation failures


@pytest.fixture(scope="session")
def fault_build(tmp_path_factory):
    """A directory to put first on PYTHONPATH for a fault-injection build."""
    if _core.fault_injection_enabled():
        return None  # the installed build already has it
    return build_copy(
        tmp_path_factory.mktemp("fault_build"),
        {"MEANSHIFT_FAST_FAULT_INJECTION": "1"},
    )


FAULT_LOOP = """
import json, sys, warnings
import numpy as np
import meanshift_fast
from meanshift_fast import MeanShift, estimate_bandwidth, _core
from meanshift_fast._validation import NotFittedError
from meanshift_fast.image import mean_shift_filter, segment

assert _core.fault_injection_enabled(), meanshift_fast.__file__
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = np.vstack([rng.normal(size=(80, 2)), rng.normal(size=(80, 2)) + 6])
X32 = X.astype(np.float32)
W = rng.integers(0, 3, len(X)).astype(float)
P = rng.normal(size=(50, 2)) * 4
XR = np.repeat(np.round(X), 5, axis=0)  # rows that repeat: distinct rows
IMG = rng.integers(0, 256, size=(14, 16, 3)).astype(np.uint8)
XB = rng.normal(size=(140_000, 2))  # binned in parts, one per thread
n_jobs = int(sys.argv[1])

def fitted(**kw):
    return MeanShift(n_jobs=n_jobs, **kw)

def result(m):
    return [m.cluster_centers_.tolist(), m.labels_.tolist(), m.n_iter_]

ops = {
    "fit-flat": lambda: result(fitted(bandwidth=1.5).fit(X)),
    "fit-bin-seeding": lambda: result(fitted(bandwidth=1.5, bin_seeding=True).fit(X)),
    "fit-estimated-bandwidth": lambda: result(fitted().fit(X)),
    "fit-gaussian": lambda: result(fitted(bandwidth=1.5, kernel="gaussian").fit(X)),
    "fit-epanechnikov-weights": lambda: result(
        fitted(bandwidth=1.5, kernel="epanechnikov").fit(X, sample_weight=W)),
    "fit-float32": lambda: result(fitted(bandwidth=1.5).fit(X32)),
    "fit-attractor": lambda: result(
        fitted(bandwidth=1.5, cluster_assignment="attractor").fit(X)),
    "fit-repeated-rows": lambda: result(
        fitted(bandwidth=1.5, cluster_assignment="attractor").fit(XR)),
    "fit-brute": lambda: result(fitted(bandwidth=1.5, algorithm="brute").fit(X)),
    "estimate_bandwidth": lambda: float(estimate_bandwidth(X, n_jobs=n_jobs)),
    "bin-cells": lambda: [a.tolist() if hasattr(a, "tolist") else a
                          for a in _core.bin_cells(XB, None, 0.5, 2.0, n_jobs)],
    "image-filter": lambda: mean_shift_filter(IMG, 2, 30, n_jobs=n_jobs).tolist(),
    "image-segment": lambda: segment(IMG, 2, 30, 6, n_jobs=n_jobs).labels.tolist(),
}
_core.set_fail_alloc_after(-1)
pre = {
    "predict": fitted(bandwidth=1.5).fit(X),
    "predict-attractor": fitted(bandwidth=1.5, cluster_assignment="attractor").fit(X),
}
for name, model in pre.items():
    ops[name] = (lambda m: lambda: m.predict(P).tolist())(model)
ref = {name: op() for name, op in ops.items()}

stats = {name: {"memory_errors": 0, "ok": 0, "wrong": [], "first_ok": None,
                "half_fitted": 0} for name in ops}
for n in range(0, 600):
    _core.set_fail_alloc_after(n)
    all_ok = True
    for name, op in ops.items():
        s = stats[name]
        try:
            got = op()
        except MemoryError:
            s["memory_errors"] += 1
            all_ok = False
            continue
        if got != ref[name]:
            s["wrong"].append(n)
        s["ok"] += 1
        if s["first_ok"] is None:
            s["first_ok"] = n
    # A fresh estimator whose fit failed stays unfitted.
    m = fitted(bandwidth=1.5)
    try:
        m.fit(X)
    except MemoryError:
        try:
            m.predict(P)
            stats["fit-flat"]["half_fitted"] += 1
        except NotFittedError:
            pass
    _core.set_fail_alloc_after(-1)
    if all_ok:
        break
_core.set_fail_alloc_after(-1)
after = {name: op() for name, op in ops.items()}
print(json.dumps({"last_n": n, "stats": stats,
                  "after_ok": all(after[k] == ref[k] for k in ops)}))
"""


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_allocation_failures_give_memoryerror_or_the_reference(fault_build, n_jobs):
    proc = subprocess.run(
        [sys.executable, "-c", FAULT_LOOP, str(n_jobs)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=fault_build or REPO,
        env=child_env(fault_build),
    )
    # A crash (SIGSEGV, abort) shows as a negative return code.
    assert proc.returncode == 0, proc.stderr[-5000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    stats = res["stats"]
    for name, s in stats.items():
        assert s["wrong"] == [], f"{name}: wrong answer at n = {s['wrong']}"
        assert s["memory_errors"] >= 1, f"{name}: never hit an injected failure"
        assert s["first_ok"] is not None, f"{name}: never succeeded ({s})"
    assert stats["fit-flat"]["half_fitted"] == 0
    assert res["after_ok"]


def test_set_fail_alloc_after_is_inert_without_fault_injection():
    """In a normal build the switch must change nothing."""
    if _core.fault_injection_enabled():
        pytest.skip("the installed build is a fault-injection build")
    X = np.random.default_rng(3).normal(size=(200, 2))
    ref = MeanShift(bandwidth=1.0).fit(X)
    try:
        _core.set_fail_alloc_after(0)
        got = MeanShift(bandwidth=1.0).fit(X)
    finally:
        _core.set_fail_alloc_after(-1)
    np.testing.assert_array_equal(got.cluster_centers_, ref.cluster_centers_)


# ---------------------------------------------------------------------------
# ConvergenceWarning


def _blobs():
    rng = np.random.default_rng(4)
    c = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 6.0]])
    return c[rng.integers(0, 3, 150)] + rng.normal(scale=0.7, size=(150, 2))


def _capped(**params):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MeanShift(**params).fit(_blobs())
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("kernel", ["flat", "gaussian", "epanechnikov"])
def test_convergence_warning_at_max_iter_1(kernel):
    got = _capped(bandwidth=1.5, max_iter=1, kernel=kernel)
    ref = R.mean_shift(_blobs(), 1.5, max_iter=1, kernel=kernel)
    n_capped = int(np.count_nonzero(~ref["converged"] & (ref["intensity"] > 0)))
    assert n_capped > 0
    assert len(got) == 1
    msg = str(got[0].message)
    assert msg.startswith(f"{n_capped} of 150 seeds stopped at max_iter=1"), msg
    assert issubclass(ConvergenceWarning, UserWarning)


@pytest.mark.parametrize("kernel", ["flat", "gaussian", "epanechnikov"])
def test_no_convergence_warning_at_default_max_iter(kernel):
    ref = R.mean_shift(_blobs(), 1.5, kernel=kernel)
    assert ref["converged"][ref["intensity"] > 0].all()
    assert _capped(bandwidth=1.5, kernel=kernel) == []


@pytest.mark.parametrize("kernel", ["flat", "epanechnikov"])
def test_convergence_warning_leaves_out_seeds_with_no_point_in_reach(kernel):
    # Seeds with an empty neighbourhood are dropped, not capped: the count
    # is the reference's, which tells the two apart (the default seeds, the
    # samples themselves, always have a neighbour and cannot).
    X = _blobs()
    seeds = np.vstack([X[:20] + 0.3, [[100.0, 100.0], [-50.0, 3.0]]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MeanShift(bandwidth=1.5, seeds=seeds, max_iter=1, kernel=kernel).fit(X)
    got = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    ref = R.mean_shift(X, 1.5, seeds=seeds, max_iter=1, kernel=kernel)
    orphans = ref["intensity"] == 0
    n_capped = int(np.count_nonzero(~ref["converged"] & ~orphans))
    assert orphans.sum() == 2 and 0 < n_capped
    assert len(got) == 1
    msg = str(got[0].message)
    assert msg.startswith(f"{n_capped} of {len(seeds)} seeds stopped"), msg
