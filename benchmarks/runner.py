"""Timing for run.py: the tools' calls, repeats, time estimates and skips.

Each tool (meanshift_fast, and the peers scikit-learn and mlpack) is called
through a thunk that does exactly the timed work. A peer whose estimated
time exceeds the time cap is skipped; the estimate scales the same tool's
time at a smaller n (an earlier size of the same series, or a small probe
run) by its expected complexity.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
import math
import os
import re
import statistics
import time
import traceback
from dataclasses import dataclass, field, replace

import numpy as np
from cases import FAMILIES, SEED, blobs3d

MF = "meanshift_fast"
SK = "sklearn"
ML = "mlpack"
PEERS = (SK, ML)

MAX_ITER = 300
LONG_RUN_S = 10.0  # a run longer than this is not repeated
PROBE_ABOVE_N = 20_000  # with no smaller-n timing, probe before running above this
REFINE_FACTOR = 20  # re-estimate sklearn every-point seeding by a seed probe if
# the n^2 estimate is above the cap by no more than this factor

# --------------------------------------------------------------------------
# optional imports


def _try_import(name):
    try:
        return __import__(name), None
    except Exception as exc:  # noqa: BLE001 - ImportError or a broken extension
        return None, f"{type(exc).__name__}: {exc}"


def _version(mod, dist):
    v = getattr(mod, "__version__", None) if mod is not None else None
    if v:
        return str(v)
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


# --------------------------------------------------------------------------
# jobs and results


@dataclass(frozen=True)
class Job:
    task: str  # "allseeds" | "binseed" | "estbw"
    family: str
    n: int
    tool: str
    dtype: str = "float64"
    n_jobs: int | None = None
    ctx: str = ""  # set for runs timed on their own (interleaved) in one case

    @property
    def d(self):
        # blobs families carry their feature count in their name; digits has 64
        m = re.fullmatch(r"blobs(\d+)d", self.family)
        return int(m.group(1)) if m else 64

    def label(self):
        extra = []
        if self.dtype != "float64":
            extra.append(self.dtype)
        if self.n_jobs is not None:
            extra.append(f"n_jobs={self.n_jobs}")
        return self.tool + (f"[{','.join(extra)}]" if extra else "")

    def reference(self, tool=SK):
        """The default-settings float64 job of `tool` on the same data."""
        return replace(self, tool=tool, dtype="float64", n_jobs=None, ctx="")

    def series(self):
        return replace(self, n=0)


@dataclass
class Out:
    centers: np.ndarray | None = None
    labels: np.ndarray | None = None
    n_iter: int | None = None
    value: float | None = None

    @property
    def n_clusters(self):
        return None if self.centers is None else len(self.centers)


@dataclass
class Result:
    job: Job
    case: str  # case that measured it
    times: list = field(default_factory=list)
    out: Out | None = None
    est_s: float | None = None
    est_basis: str | None = None
    skipped: bool = False
    error: str | None = None
    error_tb: str | None = None
    load1: float | None = None  # 1-minute load average before the run

    @property
    def median(self):
        return statistics.median(self.times) if self.times else None


def load1():
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def complexity(job):
    """Exponent of n in a tool's expected running time."""
    if job.tool == SK:
        return 1.0 if job.task == "binseed" else 2.0
    if job.tool == ML:
        # mlpack's binding always uses bin seeding; each shift is a range search.
        return 1.0
    # meanshift_fast: only used for --self-time-cap; quadratic is the worst
    # case of every-point seeding and of estimate_bandwidth on all samples.
    return 1.0 if job.task == "binseed" else 2.0


# --------------------------------------------------------------------------
# tool calls (each returns a thunk that does exactly the timed work)


def make_call(job, X, h, mods):
    if job.task == "estbw":
        if job.tool == SK:
            from sklearn.cluster import estimate_bandwidth as est
        else:
            est = mods[MF].estimate_bandwidth
        kw = {"quantile": 0.3, "n_samples": None, "random_state": SEED}
        if job.n_jobs is not None:
            kw["n_jobs"] = job.n_jobs

        def call():
            return Out(value=float(est(X, **kw)))

        return call

    bin_seeding = job.task == "binseed"
    if job.tool == ML:
        mlpack = mods[ML]

        def call():
            r = mlpack.mean_shift(
                input_=X, radius=h, max_iterations=MAX_ITER, labels_only=True
            )
            return Out(
                centers=np.asarray(r["centroid"]),
                labels=np.asarray(r["output"]).ravel().astype(np.intp),
            )

        return call

    if job.tool == SK:
        from sklearn.cluster import MeanShift
    else:
        MeanShift = mods[MF].MeanShift

    def call():
        m = MeanShift(
            bandwidth=h, bin_seeding=bin_seeding, max_iter=MAX_ITER, n_jobs=job.n_jobs
        ).fit(X)
        return Out(
            centers=np.asarray(m.cluster_centers_),
            labels=np.asarray(m.labels_),
            n_iter=int(m.n_iter_),
        )

    return call


def timed(call, repeats):
    times, out = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = call()
        dt = time.perf_counter() - t0
        times.append(dt)
        if dt > LONG_RUN_S:
            break
    return times, out


def median_timed(fn, repeats):
    """(median seconds, last result) of `repeats` calls of fn."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def warm_up(mods, log):
    """Run each tool once on tiny data so lazy imports are not timed."""
    X = blobs3d(60)
    for tool in (SK, ML, MF):
        if mods.get(tool) is None:
            continue
        for task in ("allseeds", "binseed"):
            try:
                make_call(Job(task, "blobs3d", 60, tool), X, 1.5, mods)()
            except Exception as exc:  # noqa: BLE001
                log(f"  warm-up {tool} {task} failed: {type(exc).__name__}: {exc}")
    try:
        make_call(Job("estbw", "blobs3d", 60, SK), X, None, mods)()
        if mods.get(MF) is not None:
            make_call(Job("estbw", "blobs3d", 60, MF), X, None, mods)()
    except Exception as exc:  # noqa: BLE001
        log(f"  warm-up estimate_bandwidth failed: {type(exc).__name__}: {exc}")


class Runner:
    def __init__(self, args, mods, data, log):
        self.args = args
        self.mods = mods
        self.data = data
        self.log = log
        self.cache = {}  # Job -> Result
        self.series = {}  # Job.series() -> [(n, seconds, how)]
        self.probes = []

    def available(self, tool):
        return self.mods.get(tool) is not None

    def limits(self, job):
        """Context limiting scikit-learn's OpenMP threads (--sklearn-threads)."""
        n = self.args.sklearn_threads
        if job.tool != SK or not n:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=n, user_api="openmp")

    def _run(self, job, repeats):
        X = self.data.get(job.family, job.n, job.dtype)
        h = None if job.task == "estbw" else self.data.bandwidth(job.family)
        call = make_call(job, X, h, self.mods)
        with self.limits(job):
            return timed(call, repeats)

    def estimate(self, job, probe=True):
        """(seconds, basis) for a job, or (None, None) when it is cheap."""
        p = complexity(job)
        prior = sorted(s for s in self.series.get(job.series(), []) if s[0] < job.n)
        if prior and job.tool == MF and len(prior) >= 2:
            # meanshift_fast's complexity is not known in advance: use the
            # exponent between its last two sizes, kept within [1, 2].
            (n1, t1, _), (n0, t0, _) = prior[-2], prior[-1]
            if t1 > 0 and t0 > 0 and n0 > n1:
                p = min(2.0, max(1.0, math.log(t0 / t1) / math.log(n0 / n1)))
        if prior:
            n0, t0, how = prior[-1]
            est = t0 * (job.n / n0) ** p
            basis = f"n={n0} {how} {t0:.3g}s x (n ratio)^{p:.3g}"
            refine = (
                probe
                and job.tool == SK
                and job.task == "allseeds"
                and self.args.time_cap < est <= REFINE_FACTOR * self.args.time_cap
            )
            if refine:
                # n^2 from a small, overhead-dominated n overestimates: measure.
                est2, basis2 = self._seed_probe(job)
                if est2 is not None:
                    return est2, f"{basis2} (n^2 scaling gave {est:.0f}s)"
            return est, basis
        if not probe:
            return None, None
        if not FAMILIES[job.family][1]:
            if job.tool == SK and job.task == "allseeds":
                return self._seed_probe(job)
            return None, None
        if job.n <= PROBE_ABOVE_N:
            return None, None
        n0 = max(2_000, job.n // 50)
        try:
            times, _ = self._run(replace(job, n=n0), 1)
        except Exception as exc:  # noqa: BLE001
            return None, f"probe failed: {type(exc).__name__}: {exc}"
        t0 = times[0]
        self.probes.append({"job": job_dict(replace(job, n=n0)), "seconds": t0})
        self.log(f"  probe {job.label()} n={n0}: {t0:.3g}s")
        self.series.setdefault(job.series(), []).append((n0, t0, "probe"))
        return t0 * (job.n / n0) ** p, f"probe n={n0} {t0:.3g}s x (n ratio)^{p:g}"

    def _seed_probe(self, job):
        """Estimate sklearn with every point a seed from a run on a few seeds.

        For data sets of fixed size: the cost is linear in the number of seeds
        (each seed climbs independently), so time(m seeds) * n / m.
        """
        from sklearn.cluster import MeanShift

        X = self.data.get(job.family, job.n, job.dtype)
        h = self.data.bandwidth(job.family)
        m = min(job.n, max(100, job.n // 50))
        seeds = X[np.random.default_rng(SEED).choice(job.n, m, replace=False)]
        try:
            with self.limits(job):
                times, _ = timed(
                    lambda: MeanShift(bandwidth=h, seeds=seeds, max_iter=MAX_ITER).fit(
                        X
                    ),
                    1,
                )
        except Exception as exc:  # noqa: BLE001
            return None, f"seed probe failed: {type(exc).__name__}: {exc}"
        t0 = times[0]
        self.probes.append({"job": job_dict(job), "seeds": m, "seconds": t0})
        self.log(f"  probe {job.label()} with {m} seeds: {t0:.3g}s")
        return t0 * job.n / m, f"probe with {m} of {job.n} seeds {t0:.3g}s x n/m"

    def ensure_pair(self, job_a, job_b, case):
        """Fresh interleaved timings (a, b, a, b, ...) of two related runs.

        Used where the ratio of the two is the point (float32 vs float64,
        n_jobs=1 vs all cores), so that slow drifts in machine load hit both.
        """
        job_a, job_b = replace(job_a, ctx=case), replace(job_b, ctx=case)
        res = {j: Result(job=j, case=case, load1=load1()) for j in (job_a, job_b)}
        calls = {}
        for j in res:
            X = self.data.get(j.family, j.n, j.dtype)
            h = None if j.task == "estbw" else self.data.bandwidth(j.family)
            calls[j] = make_call(j, X, h, self.mods)
        for _ in range(self.args.repeats):
            longest = 0.0
            for j, r in res.items():
                if r.error:
                    continue
                gc.collect()
                try:
                    t0 = time.perf_counter()
                    r.out = calls[j]()
                    dt = time.perf_counter() - t0
                except Exception as exc:  # noqa: BLE001
                    r.error = f"{type(exc).__name__}: {exc}"
                    r.error_tb = traceback.format_exc()
                    self.log(f"[{case} n={j.n} d={j.d}] {j.label()}: ERROR {r.error}")
                    continue
                r.times.append(dt)
                longest = max(longest, dt)
            if longest > LONG_RUN_S:
                break
        for j, r in res.items():
            self.cache[j] = r
            if r.times:
                times = ", ".join(f"{t:.3g}" for t in r.times)
                self.log(
                    f"[{case} n={j.n} d={j.d}] {j.label()}: "
                    f"median {r.median:.4g}s  ({times})"
                )
        return res[job_a], res[job_b]

    def ensure(self, job, case):
        """Result of `job`, measuring it unless cached or over the time cap."""
        if job in self.cache:
            return self.cache[job]
        res = Result(job=job, case=case, load1=load1())
        tag = f"[{case} n={job.n} d={job.d}] {job.label()}"
        cap = self.args.time_cap if job.tool in PEERS else self.args.self_time_cap
        if cap is not None and cap > 0:
            res.est_s, res.est_basis = self.estimate(job, probe=job.tool in PEERS)
            if res.est_s is not None and res.est_s > cap:
                res.skipped = True
                self.log(f"{tag}: {skip_text(res)}")
                self.cache[job] = res
                return res
        try:
            res.times, res.out = self._run(job, self.args.repeats)
            self.series.setdefault(job.series(), []).append(
                (job.n, res.median, "measured")
            )
            times = ", ".join(f"{t:.3g}" for t in res.times)
            self.log(f"{tag}: median {res.median:.4g}s  ({times})")
        except Exception as exc:  # noqa: BLE001
            res.error = f"{type(exc).__name__}: {exc}"
            res.error_tb = traceback.format_exc()
            self.log(f"{tag}: ERROR {res.error}")
        self.cache[job] = res
        return res


def skip_text(res):
    which = "cap" if res.job.tool in PEERS else "self cap"
    return f"skipped (est. {res.est_s:.0f}s > {which})"


def job_dict(job):
    return {
        "task": job.task,
        "family": job.family,
        "n": job.n,
        "tool": job.tool,
        "dtype": job.dtype,
        "n_jobs": job.n_jobs,
    }


# --------------------------------------------------------------------------
# floor


def core_floor_call(X, centers):
    """Thunk building meanshift_fast's own k-d tree over X and assigning X.

    ``tree.nearest_center(centers, -1)``, the fit's own assignment (through
    the tree's leaves; the tree's own leaf size); r2 = -1 is no distance
    cut-off, the assignment of a fit with cluster_all=True.  A build without
    it (an older revision) assigns with the plain ``nearest_center``.
    """
    from meanshift_fast import _core

    C = np.ascontiguousarray(centers, dtype=np.float64)

    def call():
        tree = _core.Tree(X)
        if hasattr(tree, "nearest_center"):
            tree.nearest_center(C, -1.0)
        else:
            _core.nearest_center(X, C, -1.0)

    return call


def measure_floor(runner, X, centers):
    """Floor = k-d tree build on X + one nearest-centre pass over X.

    Returns (seconds, times, how, reference). The floor is meanshift_fast's
    own tree and assignment when meanshift_fast is timed, else scipy's;
    `reference` is the scipy floor as (seconds, times, how) when the
    meanshift_fast floor was measured.
    """
    reps = runner.args.repeats
    scipy_floor = None
    try:
        from scipy.spatial import cKDTree

        def scipy_call():
            cKDTree(X)
            cKDTree(centers).query(X, k=1, workers=1)

        t, _ = timed(scipy_call, reps)
        scipy_floor = (
            statistics.median(t),
            t,
            "scipy cKDTree(X) build + cKDTree(centers).query(X), 1 thread",
        )
    except ImportError:
        pass
    if runner.mods.get(MF) is not None:
        try:
            times, _ = timed(core_floor_call(X, centers), reps)
            how = "meanshift_fast._core Tree(X) + its nearest_center(centers), 1 thread"
            return statistics.median(times), times, how, scipy_floor
        except Exception as exc:  # noqa: BLE001
            runner.log(
                f"  _core floor failed ({type(exc).__name__}: {exc}); using scipy"
            )
    if scipy_floor is None:
        return None, [], "n/a (no scipy, no meanshift_fast floor)", None
    return (*scipy_floor, None)
