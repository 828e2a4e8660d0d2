"""Time meanshift_fast against scikit-learn and mlpack on the same data.

Every tool runs in this one process on the same arrays with the same
bandwidth. The table reports the median of the repeats; the same numbers, with
the raw times and machine details, go to a JSON file.

Examples::

    python benchmarks/run.py --quick
    python benchmarks/run.py --cases allseeds3d,estbw --time-cap 120
    python benchmarks/run.py --json /tmp/results.json --repeats 5

Peers (scikit-learn, mlpack) are skipped when their estimated time is above
``--time-cap``. The estimate scales the same tool's time at a smaller n (an
earlier size of the same series, or a small probe run) by the expected
complexity: quadratic for every-point seeding and for estimate_bandwidth,
linear for bin seeding (mlpack always bin-seeds internally).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results.json"

MF = "meanshift_fast"
SK = "sklearn"
ML = "mlpack"
PEERS = (SK, ML)

CASES = ("allseeds3d", "binseed2d", "estbw", "highdim", "dtype", "threads", "floor")

# Sizes per case, full run and --quick run.
FULL = {
    "allseeds3d": [150, 1_000, 5_000, 10_000, 100_000, 1_000_000],
    "binseed2d": [200_000, 2_000_000],
    "estbw": [20_000, 50_000],
    "highdim": ["blobs8d", "blobs32d", "digits"],
    "dtype": [100_000],
    "threads": [("allseeds", 100_000), ("binseed", 200_000)],
    "floor": [200_000],
}
QUICK = {
    "allseeds3d": [1_000],
    "binseed2d": [200_000],
    "estbw": [5_000],
    "highdim": ["digits"],
    "dtype": [10_000],
    "threads": [("allseeds", 10_000), ("binseed", 200_000)],
    "floor": [200_000],
}

MAX_ITER = 300
LONG_RUN_S = 10.0  # a run longer than this is not repeated
PROBE_ABOVE_N = 20_000  # with no smaller-n timing, probe before running above this
REFINE_FACTOR = 20  # re-estimate sklearn every-point seeding by a seed probe if
# the n^2 estimate is above the cap by no more than this factor
APPROX_RATIO_MAX = 10  # show ~ratios against skipped peers up to est = this x cap
SEED = 0

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
# data


BLOBS3D_CENTERS = np.array([[2.0, 2.0, 2.0], [7.0, 7.0, 7.0], [5.0, 13.0, 13.0]])


def blobs3d(n):
    """Three equal 3-D Gaussian blobs, std 0.6, shuffled, fixed seed."""
    rng = np.random.default_rng(SEED)
    k = len(BLOBS3D_CENTERS)
    sizes = [n // k + (i < n % k) for i in range(k)]
    X = np.concatenate(
        [
            rng.normal(c, 0.6, size=(s, 3))
            for c, s in zip(BLOBS3D_CENTERS, sizes, strict=True)
        ]
    )
    return X[rng.permutation(n)]


def blobs2d(n):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(
        n_samples=n,
        n_features=2,
        centers=5,
        cluster_std=1.0,
        center_box=(-10.0, 10.0),
        random_state=SEED,
    )
    return X


def blobs_hd(n, d):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(
        n_samples=n, n_features=d, centers=5, cluster_std=1.0, random_state=SEED
    )
    return X


def digits(n=None):
    from sklearn.datasets import load_digits

    X = np.ascontiguousarray(load_digits().data, dtype=np.float64)
    return X if n is None else X[:n]


# family -> (generator(n), can it be generated at any n)
FAMILIES = {
    "blobs3d": (blobs3d, True),
    "blobs2d": (blobs2d, True),
    "blobs8d": (lambda n: blobs_hd(n, 8), False),
    "blobs32d": (lambda n: blobs_hd(n, 32), False),
    "digits": (digits, False),
}
FIXED_N = {"blobs8d": 5_000, "blobs32d": 5_000, "digits": 1_797}


class Data:
    """Cache of generated arrays and of the fixed per-family bandwidths."""

    def __init__(self):
        self._arrays = {}
        self._bw = {}

    def get(self, family, n, dtype="float64"):
        key = (family, n, dtype)
        if key not in self._arrays:
            if dtype == "float64":
                self._arrays[key] = np.ascontiguousarray(FAMILIES[family][0](n))
            else:
                self._arrays[key] = self.get(family, n).astype(dtype)
        return self._arrays[key]

    def drop_larger_than(self, n_keep):
        for key in [k for k in self._arrays if k[1] > n_keep]:
            del self._arrays[key]

    @property
    def bandwidths(self):
        return dict(self._bw)

    def bandwidth(self, family):
        """One bandwidth per family (sklearn.cluster.estimate_bandwidth)."""
        if family not in self._bw:
            from sklearn.cluster import estimate_bandwidth

            if family == "blobs3d":
                h = estimate_bandwidth(self.get("blobs3d", 1_000), random_state=SEED)
            elif family == "blobs2d":
                h = estimate_bandwidth(
                    self.get("blobs2d", 200_000), n_samples=2000, random_state=SEED
                )
            else:
                h = estimate_bandwidth(
                    self.get(family, FIXED_N[family]), random_state=SEED
                )
            self._bw[family] = float(h)
        return self._bw[family]


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
        return {"blobs3d": 3, "blobs2d": 2, "blobs8d": 8, "blobs32d": 32}.get(
            self.family, 64
        )

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


# --------------------------------------------------------------------------
# comparisons


def compare_fit(out, ref, rtol):
    """(identical, detail) of a fit result against sklearn's."""
    problems = []
    a = np.asarray(out.centers, dtype=np.float64)
    b = np.asarray(ref.centers, dtype=np.float64)
    if a.shape != b.shape:
        problems.append(f"n_clusters {len(a)} vs sklearn {len(b)}")
    elif not np.allclose(a, b, rtol=rtol, atol=1e-9):
        diff = float(np.max(np.abs(a - b)))
        perm = ""
        if a.shape[0] > 1:
            ia = np.lexsort(a.T[::-1])
            ib = np.lexsort(b.T[::-1])
            if np.allclose(a[ia], b[ib], rtol=rtol, atol=1e-9):
                perm = " (same set, different order)"
        problems.append(f"centers differ, max|diff|={diff:.3g}{perm}")
    if out.labels is None or out.labels.shape != ref.labels.shape:
        problems.append("labels shape differs")
    elif not np.array_equal(out.labels, ref.labels):
        k = int(np.count_nonzero(out.labels != ref.labels))
        problems.append(f"labels differ at {k} points")
    if out.n_iter is not None and out.n_iter != ref.n_iter:
        problems.append(f"n_iter_ {out.n_iter} vs sklearn {ref.n_iter}")
    return not problems, "; ".join(problems)


def compare_value(out, ref, rtol=1e-7):
    a, b = out.value, ref.value
    rel = abs(a - b) / abs(b) if b else abs(a - b)
    return rel <= rtol, f"h={a:.10g} vs sklearn {b:.10g} (rel diff {rel:.2g})"


def ari(a, b):
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


# --------------------------------------------------------------------------
# rows


def skip_text(res):
    which = "cap" if res.job.tool in PEERS else "self cap"
    return f"skipped (est. {res.est_s:.0f}s > {which})"


def fmt_s(t):
    if t is None:
        return "—"
    return f"{t:.4f}" if t < 10 else f"{t:.1f}"


def fmt_ratio(num, den, approx=False):
    if num is None or den is None or den <= 0:
        return "—"
    r = num / den
    if r >= 100:
        s = f"{r:.0f}"
    elif r >= 0.1:
        s = f"{r:.2f}"
    else:
        s = f"{r:.2g}"
    return "~" + s if approx else s


def peer_time(res, cap):
    """(seconds, approximate?) of a peer result, using its estimate if skipped.

    Estimates far above the cap are extrapolations over orders of magnitude;
    no ratio is shown for them.
    """
    if res is None or res.error:
        return None, False
    if res.skipped:
        if res.est_s is None or res.est_s > APPROX_RATIO_MAX * cap:
            return None, True
        return res.est_s, True
    return res.median, False


def make_row(case, res, runner, extra_notes=()):
    job = res.job
    row = {
        "case": case,
        "n": job.n,
        "d": job.d,
        "tool": job.label(),
        "task": job.task,
        "family": job.family,
        "dtype": job.dtype,
        "n_jobs": job.n_jobs,
        "bandwidth": None
        if job.task == "estbw"
        else runner.data.bandwidths.get(job.family),
        "times_s": res.times,
        "median_s": res.median,
        "skipped": res.skipped,
        "est_s": res.est_s,
        "est_basis": res.est_basis,
        "error": res.error,
        "ratio_sklearn": None,
        "ratio_mlpack": None,
        "identical": None,
        "identical_detail": None,
        "ari_vs_sklearn": None,
        "n_clusters": None,
        "n_iter": None,
        "value": None,
        "notes": list(extra_notes),
        "measured_in_case": res.case,
        "load1_before": res.load1,
    }

    if res.case != case and not res.skipped:
        row["notes"].append(f"same measurement as {res.case}")
    if res.error:
        row["median_cell"] = "error"
        row["notes"].insert(0, res.error)
    elif res.skipped:
        row["median_cell"] = skip_text(res)
    else:
        row["median_cell"] = fmt_s(res.median)

    out = res.out
    if out is not None:
        row["n_clusters"] = out.n_clusters
        row["n_iter"] = out.n_iter
        row["value"] = out.value

    cells = {}
    for peer, key in ((SK, "ratio_sklearn"), (ML, "ratio_mlpack")):
        pres = runner.cache.get(job.reference(peer))
        t_peer, approx = peer_time(pres, runner.args.time_cap)
        if res.median is not None and t_peer is not None:
            row[key] = t_peer / res.median
            row[key + "_approx"] = approx
        cells[key] = fmt_ratio(t_peer, res.median, approx)
    row["ratio_sklearn_cell"] = cells["ratio_sklearn"]
    row["ratio_mlpack_cell"] = cells["ratio_mlpack"]

    row["identical_cell"] = "—"
    row["ari_cell"] = "—"
    sk = runner.cache.get(job.reference(SK))
    sk_out = sk.out if sk is not None and not sk.error and not sk.skipped else None
    if out is not None and job.tool != SK:
        if job.task == "estbw":
            if job.tool == MF and sk_out is not None:
                ok, detail = compare_value(out, sk_out)
                row["identical"], row["identical_detail"] = ok, detail
                row["identical_cell"] = "yes" if ok else "no"
                row["notes"].append(detail)
            elif out.value is not None:
                row["notes"].append(f"h={out.value:.10g}")
        elif sk_out is not None:
            if job.tool == MF:
                rtol = 1e-5 if job.dtype == "float32" else 1e-7
                ok, detail = compare_fit(out, sk_out, rtol)
                row["identical"], row["identical_detail"] = ok, detail or None
                row["identical_cell"] = "yes" if ok else "no"
                if detail:
                    row["notes"].append(detail)
            if out.labels is not None and out.labels.shape == sk_out.labels.shape:
                row["ari_vs_sklearn"] = ari(sk_out.labels, out.labels)
                row["ari_cell"] = f"{row['ari_vs_sklearn']:.4f}"
            if job.tool == ML and out.n_clusters != sk_out.n_clusters:
                row["notes"].append(
                    f"n_clusters {out.n_clusters} vs sklearn {sk_out.n_clusters}"
                )
        elif job.tool == MF:
            ml = runner.cache.get(job.reference(ML))
            if ml is not None and ml.out is not None and out.labels is not None:
                row["notes"].append(
                    f"no sklearn reference; ARI vs mlpack "
                    f"{ari(ml.out.labels, out.labels):.4f}, n_clusters mlpack "
                    f"{ml.out.n_clusters}"
                )
            else:
                row["notes"].append("no sklearn reference")
    elif job.tool == SK and out is not None and job.task == "estbw":
        row["notes"].append(f"h={out.value:.10g}")
    return row


# --------------------------------------------------------------------------
# cases


def fit_tools(runner):
    return [t for t in (SK, ML, MF) if runner.available(t)]


def case_fit_series(runner, case, task, family, sizes, tools):
    rows = []
    for n in sizes:
        if runner.args.max_n and n > runner.args.max_n:
            continue
        for tool in tools:
            rows.append(
                make_row(case, runner.ensure(Job(task, family, n, tool), case), runner)
            )
        runner.data.drop_larger_than(n)
    return rows


def case_allseeds3d(runner, sizes):
    return case_fit_series(
        runner, "allseeds3d", "allseeds", "blobs3d", sizes, fit_tools(runner)
    )


def case_binseed2d(runner, sizes):
    return case_fit_series(
        runner, "binseed2d", "binseed", "blobs2d", sizes, fit_tools(runner)
    )


def case_estbw(runner, sizes):
    tools = [t for t in (SK, MF) if runner.available(t)]
    return case_fit_series(runner, "estbw", "estbw", "blobs3d", sizes, tools)


def case_highdim(runner, families):
    rows = []
    for fam in families:
        n = FIXED_N[fam]
        for tool in fit_tools(runner):
            rows.append(
                make_row(
                    "highdim",
                    runner.ensure(Job("allseeds", fam, n, tool), "highdim"),
                    runner,
                )
            )
    return rows


def same_fit(a, b):
    """Bitwise comparison of two meanshift_fast results (for n_jobs checks)."""
    if a is None or b is None:
        return "n/a"
    same = (
        a.n_clusters == b.n_clusters
        and np.array_equal(a.centers, b.centers)
        and np.array_equal(a.labels, b.labels)
        and a.n_iter == b.n_iter
    )
    return "yes" if same else "no"


def case_dtype(runner, sizes):
    if not runner.available(MF):
        return []
    rows = []
    for n in sizes:
        if runner.args.max_n and n > runner.args.max_n:
            continue
        r64, r32 = runner.ensure_pair(
            Job("allseeds", "blobs3d", n, MF),
            Job("allseeds", "blobs3d", n, MF, dtype="float32"),
            "dtype",
        )
        notes = []
        if r64.median and r32.median:
            notes.append(f"float32 time / float64 time = {r32.median / r64.median:.2f}")
        if r64.out is not None and r32.out is not None:
            ok, detail = compare_fit(r32.out, r64.out, 1e-5)
            notes.append(
                "vs meanshift_fast float64 (rtol 1e-5): "
                + ("same" if ok else detail.replace("sklearn", "float64"))
            )
        if r32.out is not None and r32.out.centers is not None:
            notes.append(f"cluster_centers_ dtype {r32.out.centers.dtype}")
        rows.append(make_row("dtype", r64, runner))
        rows.append(make_row("dtype", r32, runner, notes))
        runner.data.drop_larger_than(0)
    return rows


def case_threads(runner, specs):
    if not runner.available(MF):
        return []
    rows = []
    for task, n in specs:
        if runner.args.max_n and n > runner.args.max_n:
            continue
        family = "blobs3d" if task == "allseeds" else "blobs2d"
        r1, rall = runner.ensure_pair(
            Job(task, family, n, MF, n_jobs=1),
            Job(task, family, n, MF, n_jobs=-1),
            "threads",
        )
        notes = []
        if r1.median and rall.median:
            notes.append(f"speed-up over n_jobs=1: {r1.median / rall.median:.2f}x")
        notes.append(
            "result bitwise equal to n_jobs=1: "
            + same_fit(r1.out if r1.out else None, rall.out if rall.out else None)
        )
        rows.append(make_row("threads", r1, runner))
        rows.append(make_row("threads", rall, runner, notes))
        runner.data.drop_larger_than(0)
    return rows


def _core_floor_call(mf, X, centers):
    """Thunk building meanshift_fast's own k-d tree and assigning all points.

    Uses the private ``meanshift_fast._core`` API when it is there:
    ``Tree(X)`` (or ``build_tree(X)``) and ``nearest_center(X, centers, r2)``
    with ``r2=-1`` (no distance cut-off, i.e. cluster_all=True). Returns None
    when the API is missing.
    """
    core = getattr(mf, "_core", None)
    if core is None:
        try:
            core = importlib.import_module("meanshift_fast._core")
        except ImportError:
            return None
    build = getattr(core, "Tree", None) or getattr(core, "build_tree", None)
    nearest = getattr(core, "nearest_center", None)
    if build is None or nearest is None:
        return None
    C = np.ascontiguousarray(centers, dtype=np.float64)

    def call():
        build(X)
        nearest(X, C, -1.0)

    return call


def measure_floor(runner, X, centers):
    """Floor = k-d tree build on X + one nearest-centre pass over X.

    Returns (seconds, times, how, reference) where `reference` is the scipy
    floor as (seconds, how) when the meanshift_fast floor was measured.
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
    mf = runner.mods.get(MF)
    call = _core_floor_call(mf, X, centers) if mf is not None else None
    if call is not None:
        try:
            times, _ = timed(call, reps)
            how = "meanshift_fast._core Tree(X) + nearest_center(X, centers), 1 thread"
            return statistics.median(times), times, how, scipy_floor
        except Exception as exc:  # noqa: BLE001
            runner.log(
                f"  _core floor failed ({type(exc).__name__}: {exc}); using scipy"
            )
    if scipy_floor is None:
        return None, [], "n/a (no scipy, no meanshift_fast._core tree API)", None
    return (*scipy_floor, None)


def case_floor(runner, sizes):
    rows = []
    for n in sizes:
        if runner.args.max_n and n > runner.args.max_n:
            continue
        fits = {
            t: runner.ensure(Job("binseed", "blobs2d", n, t), "floor")
            for t in fit_tools(runner)
        }
        src = next(
            (
                fits[t].out
                for t in (MF, SK, ML)
                if t in fits and fits[t].out is not None
            ),
            None,
        )
        floor_s, times, how, ref = (None, [], "n/a (no centres to assign)", None)
        if src is not None:
            X = runner.data.get("blobs2d", n)
            floor_s, times, how, ref = measure_floor(
                runner, X, np.asarray(src.centers, np.float64)
            )
        runner.log(f"[floor n={n}] floor {fmt_s(floor_s)}s via {how}")
        ratios = {}
        for tool, res in fits.items():
            note = []
            if floor_s and res.median:
                ratios[tool] = res.median / floor_s
                note = [f"fit/floor = {ratios[tool]:.2f}"]
            rows.append(make_row("floor", res, runner, note))
        notes = [how] + [f"{t} fit/floor = {r:.2f}" for t, r in ratios.items()]
        if ref is not None:
            notes.append(f"reference floor {fmt_s(ref[0])}s via {ref[2]}")
        rows.append(
            {
                "case": "floor",
                "n": n,
                "d": 2,
                "tool": "floor",
                "task": "floor",
                "median_s": floor_s,
                "times_s": times,
                "floor_method": how,
                "reference_floor": None
                if ref is None
                else {"median_s": ref[0], "times_s": ref[1], "method": ref[2]},
                "median_cell": fmt_s(floor_s) if floor_s else "n/a",
                "ratio_sklearn_cell": "—",
                "ratio_mlpack_cell": "—",
                "identical_cell": "—",
                "ari_cell": "—",
                "n_clusters": None if src is None else src.n_clusters,
                "fit_over_floor": ratios,
                "notes": notes,
            }
        )
        runner.data.drop_larger_than(0)
    return rows


RUNNERS = {
    "allseeds3d": case_allseeds3d,
    "binseed2d": case_binseed2d,
    "estbw": case_estbw,
    "highdim": case_highdim,
    "dtype": case_dtype,
    "threads": case_threads,
    "floor": case_floor,
}


# --------------------------------------------------------------------------
# output


def usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_info(mods, mf_error):
    cpu_model, phys = None, None
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, val = line.partition(":")
                key, val = key.strip(), val.strip()
                if key == "model name" and cpu_model is None:
                    cpu_model = val
                elif key == "cpu cores" and phys is None:
                    phys = int(val)
    except OSError:
        pass
    affinity = usable_cpus()
    import scipy
    import sklearn

    info = {
        "cpu_model": cpu_model or platform.processor() or None,
        "cpu_cores_per_socket": phys,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": affinity,
        "loadavg_at_start": list(os.getloadavg())
        if hasattr(os, "getloadavg")
        else None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "mlpack": _version(mods.get(ML), "mlpack"),
        "meanshift_fast": _version(mods.get(MF), "meanshift-fast"),
        "meanshift_fast_file": getattr(mods.get(MF), "__file__", None),
        "meanshift_fast_import_error": mf_error,
        "meanshift_fast_openmp_enabled": None,
        "env": {
            k: os.environ.get(k)
            for k in (
                "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS",
                "OPENBLAS_CORETYPE",
                "MKL_NUM_THREADS",
            )
        },
    }
    mf = mods.get(MF)
    if mf is not None and hasattr(mf, "openmp_enabled"):
        try:
            info["meanshift_fast_openmp_enabled"] = bool(mf.openmp_enabled())
        except Exception as exc:  # noqa: BLE001
            info["meanshift_fast_openmp_enabled"] = f"error: {exc}"
    return info


COLUMNS = [
    ("case", "case"),
    ("n", "n"),
    ("d", "d"),
    ("tool", "tool"),
    ("median_cell", "median s"),
    ("ratio_sklearn_cell", "sklearn/tool"),
    ("ratio_mlpack_cell", "mlpack/tool"),
    ("identical_cell", "identical to sklearn"),
    ("ari_cell", "ARI vs sklearn"),
    ("n_clusters", "n_clusters"),
]


def render_table(rows):
    def cell(row, key):
        v = row.get(key)
        return "—" if v is None else str(v)

    body = [[cell(r, k) for k, _ in COLUMNS] for r in rows]
    heads = [h for _, h in COLUMNS]
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(heads)]
    right = {1, 2, 4, 5, 6, 8, 9}

    def line(vals):
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(vals, widths, strict=True))
        ).rstrip()

    out = [line(heads), line(["-" * w for w in widths])]
    prev_case = None
    for r, b in zip(rows, body, strict=True):
        if prev_case is not None and r["case"] != prev_case:
            out.append("")
        prev_case = r["case"]
        out.append(line(b))
    notes = []
    for r in rows:
        if r.get("notes"):
            notes.append(
                f"  [{r['case']} n={r['n']} d={r['d']} {r['tool']}] "
                + "; ".join(r["notes"])
            )
    if notes:
        out += ["", "notes:", *notes]
    if any(r.get("tool") == ML and r.get("task") == "allseeds" for r in rows):
        out += [
            "",
            "mlpack's mean_shift always bin-seeds (bins of width radius), so in the",
            "every-point-seed cases it does far less work; compare it by ARI only.",
        ]
    return "\n".join(out)


def to_jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


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
# main


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Benchmark meanshift_fast against scikit-learn and mlpack.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--cases",
        default=",".join(CASES),
        help="comma-separated subset of: " + ", ".join(CASES),
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="small sizes only (about a minute with all peers)",
    )
    p.add_argument("--repeats", type=int, default=3, help="runs per timing (median)")
    p.add_argument(
        "--time-cap",
        type=float,
        default=None,
        help="skip a peer (sklearn/mlpack) run whose estimated seconds exceed this "
        "(default 60, or 20 with --quick)",
    )
    p.add_argument(
        "--self-time-cap",
        type=float,
        default=600.0,
        help="skip a meanshift_fast run whose estimated seconds (from its own "
        "smaller-n run, n^2 for every-point seeds, n for bin seeds) exceed this; "
        "0 disables",
    )
    p.add_argument("--max-n", type=int, default=None, help="skip sizes above this n")
    p.add_argument(
        "--sklearn-threads",
        type=int,
        default=None,
        help="limit scikit-learn's OpenMP threads (threadpoolctl) during its runs; "
        "default: leave scikit-learn as it is",
    )
    p.add_argument("--no-mlpack", action="store_true", help="do not time mlpack")
    p.add_argument(
        "--no-meanshift-fast",
        action="store_true",
        help="do not time meanshift_fast (peers only)",
    )
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="output JSON path")
    args = p.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    bad = [c for c in cases if c not in CASES]
    if bad:
        p.error(f"unknown case(s) {bad}; choose from {list(CASES)}")
    args.cases = cases
    if args.time_cap is None:
        args.time_cap = 20.0 if args.quick else 60.0
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t_start = time.perf_counter()
    mods = {}
    mods[SK], sk_err = _try_import("sklearn")
    if mods[SK] is None:
        log(f"scikit-learn is required as the reference: {sk_err}")
        return 2
    mf_err = None
    if args.no_meanshift_fast:
        mods[MF], mf_err = None, "disabled with --no-meanshift-fast"
    else:
        mods[MF], mf_err = _try_import(MF)
    if mods[MF] is not None and not hasattr(mods[MF], "MeanShift"):
        where = getattr(mods[MF], "__path__", None) or getattr(
            mods[MF], "__file__", None
        )
        mf_err = f"meanshift_fast at {where} has no MeanShift (not built/installed?)"
        mods[MF] = None
    if mods[MF] is None:
        log(f"NOTE: meanshift_fast not available ({mf_err}); its rows are skipped.")
    if args.no_mlpack:
        mods[ML] = None
    else:
        mods[ML], ml_err = _try_import(ML)
        if mods[ML] is None:
            log(f"NOTE: mlpack not available ({ml_err}); its rows are skipped.")

    info = machine_info(mods, mf_err)
    log(
        f"machine: {info['cpu_model']}, {info['usable_cpus']} usable CPUs; "
        f"python {info['python']}, numpy {info['numpy']}, sklearn {info['sklearn']}, "
        f"mlpack {info['mlpack']}, meanshift_fast {info['meanshift_fast']} "
        f"(openmp: {info['meanshift_fast_openmp_enabled']})"
    )

    data = Data()
    runner = Runner(args, mods, data, log)
    warm_up(mods, log)
    sizes = QUICK if args.quick else FULL
    rows = []
    for case in args.cases:
        log(f"== {case}")
        try:
            rows += RUNNERS[case](runner, sizes[case])
        except Exception as exc:  # noqa: BLE001 - keep the other cases
            log(f"case {case} failed: {type(exc).__name__}: {exc}")
            log(traceback.format_exc())
            rows.append(
                {
                    "case": case,
                    "n": None,
                    "d": None,
                    "tool": "(case failed)",
                    "median_cell": "error",
                    "notes": [f"{type(exc).__name__}: {exc}"],
                }
            )

    elapsed = time.perf_counter() - t_start
    print()
    print(
        f"meanshift_fast {info['meanshift_fast']} | sklearn {info['sklearn']} | "
        f"mlpack {info['mlpack']} | {info['cpu_model']} x{info['usable_cpus']} | "
        f"median of up to {args.repeats} runs (1 if a run > {LONG_RUN_S:g}s) | "
        f"time cap {args.time_cap:g}s"
        + (
            f" | sklearn limited to {args.sklearn_threads} OpenMP thread(s)"
            if args.sklearn_threads
            else ""
        )
    )
    if mods.get(MF) is None:
        print(f"meanshift_fast NOT TIMED: {mf_err}")
    print(
        "bandwidths: " + ", ".join(f"{k}={v:.6g}" for k, v in data.bandwidths.items())
    )
    print(render_table(rows))
    loads = [r.load1 for r in runner.cache.values() if r.times and r.load1 is not None]
    ncpu = usable_cpus()
    busy = [x for x in loads if x > ncpu + 0.5]
    if busy:
        print(
            f"\nWARNING: the 1-minute load average exceeded the {ncpu} usable CPUs "
            f"before {len(busy)} of {len(loads)} timed runs (max {max(busy):.1f}); "
            "timings are noisy (per-run load in the JSON)."
        )
    print(f"\ntotal wall time {elapsed:.1f}s")

    doc = {
        "machine": info,
        "config": {
            "cases": args.cases,
            "quick": args.quick,
            "repeats": args.repeats,
            "time_cap_s": args.time_cap,
            "self_time_cap_s": args.self_time_cap,
            "sklearn_threads": args.sklearn_threads,
            "max_n": args.max_n,
            "max_iter": MAX_ITER,
            "long_run_s": LONG_RUN_S,
            "seed": SEED,
            "argv": sys.argv,
        },
        "bandwidths": data.bandwidths,
        "rows": [{k: v for k, v in r.items() if not k.endswith("_cell")} for r in rows],
        "probes": runner.probes,
        "errors": {
            json.dumps(job_dict(j)): r.error_tb
            for j, r in runner.cache.items()
            if r.error_tb
        },
        "total_wall_s": elapsed,
        "loadavg_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(to_jsonable(doc), indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
