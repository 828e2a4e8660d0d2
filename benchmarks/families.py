"""Speed and agreement on a matrix of data families, against scikit-learn and mlpack.

Every family is fitted twice: with ``bin_seeding=True`` on 200,000 points
and with every point a seed on 5,000 points.  scikit-learn, mlpack and
meanshift_fast run in this one process, on the same array with the same
bandwidth, interleaved (one run of each tool in turn), and the table shows
the medians, the ratios of the peers' medians to meanshift_fast's, and
whether meanshift_fast's labels and centres are identical to
scikit-learn's.  The last lines give the worst ratio of each column, over
the tuning families and over the held-out ones separately.

Examples::

    python benchmarks/families.py --quick
    python benchmarks/families.py --json /tmp/families.json
    python benchmarks/families.py --families uniform2d_many --phases

``--phases`` adds meanshift_fast's time per phase of the fit (seeding
grid, tree build, shifting, merging, labelling), which the fit itself
does not expose; it times the same calls the estimator makes.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "families.json"
SEED = 0
MAX_ITER = 300
N_BIN = 200_000
N_EVERY = 5_000


# --------------------------------------------------------------------------
# data families: each generator takes (n, rng) and returns (X, spread); the
# bandwidth is ratio * spread


def blobs(d, centers=5, std=1.0):
    def make(n, rng):
        from sklearn.datasets import make_blobs

        X, _ = make_blobs(
            n_samples=n,
            n_features=d,
            centers=centers,
            cluster_std=std,
            center_box=(-10.0, 10.0),
            random_state=SEED,
        )
        return X, std

    return make


def uniform(d):
    def make(n, rng):
        return rng.uniform(0.0, 1.0, size=(n, d)), 1.0

    return make


def many_modes(d, per_side, std):
    """Small Gaussian modes on a unit-spaced grid, per_side**d of them."""

    def make(n, rng):
        axes = [np.arange(per_side, dtype=np.float64)] * d
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d)
        which = rng.integers(len(grid), size=n)
        return grid[which] + rng.normal(0.0, std, size=(n, d)), std

    return make


def anisotropic(d):
    """scikit-learn's anisotropic example: blobs sheared by a linear map."""

    def make(n, rng):
        from sklearn.datasets import make_blobs

        X, _ = make_blobs(n_samples=n, n_features=d, centers=3, random_state=170)
        A = np.eye(d)
        A[:2, :2] = [[0.6, -0.6], [-0.4, 0.8]]
        # spread: the larger principal standard deviation of one blob
        return X @ A, float(np.linalg.svd(A, compute_uv=False)[0])

    return make


def student(d, dof=3.0, scale=0.5, k=4):
    """k clusters with Student t noise (heavy tails, outliers far out)."""

    def make(n, rng):
        centers = rng.uniform(-8.0, 8.0, size=(k, d))
        which = rng.integers(k, size=n)
        return centers[which] + scale * rng.standard_t(dof, size=(n, d)), scale

    return make


def colours(levels, k=8, std=18.0):
    """Pixel colours of k paint tones in RGB, quantised to `levels` values
    per channel: many exact duplicates."""

    def make(n, rng):
        tones = rng.uniform(30.0, 225.0, size=(k, 3))
        which = rng.integers(k, size=n)
        X = np.clip(tones[which] + rng.normal(0.0, std, size=(n, 3)), 0.0, 255.0)
        step = 255.0 / (levels - 1)
        return np.round(X / step) * step, std

    return make


@dataclass(frozen=True)
class Family:
    name: str
    make: object
    ratio: float  # bandwidth / spread
    held_out: bool = False
    what: str = ""
    # scikit-learn's bin-seeded fit is slow on these (README): only with --all
    heavy: bool = False


FAMILIES = [
    Family("uniform2d_many", uniform(2), 0.08, False, "uniform square, bw 0.08"),
    Family("uniform3d", uniform(3), 0.2, True, "uniform cube, bw 0.2"),
    Family("modes2d_100", many_modes(2, 10, 0.1), 2.0, False, "10x10 grid of modes"),
    Family("modes3d_125", many_modes(3, 5, 0.1), 2.5, True, "5x5x5 grid of modes"),
    Family("aniso2d", anisotropic(2), 1.5, False, "sheared 2-D blobs"),
    Family("aniso3d", anisotropic(3), 1.5, True, "sheared 3-D blobs"),
    Family("student3d", student(3), 2.0, False, "t(3) noise, 4 clusters"),
    Family("student2d", student(2), 1.0, True, "t(3) noise, 4 clusters"),
    Family("colours32", colours(32), 0.8, False, "RGB, 32 levels per channel"),
    Family("colours256", colours(256), 1.0, True, "RGB, 256 levels per channel"),
    Family("blobs2d_r0.3", blobs(2), 0.3, False, "make_blobs, 5 centres", True),
    Family("blobs2d_r0.5", blobs(2), 0.5, False, "make_blobs, 5 centres"),
    Family("blobs2d_r1", blobs(2), 1.0, False, ""),
    Family("blobs2d_r1.7", blobs(2), 1.7, False, ""),
    Family("blobs2d_r3", blobs(2), 3.0, False, ""),
    Family("blobs3d_r1", blobs(3), 1.0, True, ""),
    Family("blobs3d_r2", blobs(3), 2.0, False, ""),
    Family("blobs4d_r1.5", blobs(4), 1.5, False, ""),
    Family("blobs5d_r2", blobs(5), 2.0, True, ""),
    Family("blobs6d_r2.5", blobs(6), 2.5, False, ""),
    Family("blobs8d_r3", blobs(8), 3.0, True, ""),
]
QUICK = [
    "uniform2d_many",
    "aniso2d",
    "student3d",
    "colours32",
    "blobs2d_r1.7",
    "blobs4d_r1.5",
    "uniform3d",
    "blobs8d_r3",
]


def make_data(fam, n):
    rng = np.random.default_rng(SEED)
    X, spread = fam.make(n, rng)
    X = np.ascontiguousarray(X, dtype=np.float64)
    return X, fam.ratio * spread


# --------------------------------------------------------------------------
# tools


@dataclass
class Out:
    labels: np.ndarray
    centers: np.ndarray
    n_iter: int | None = None


def make_call(tool, X, h, bin_seeding, mods):
    if tool == "mlpack":
        mlpack = mods["mlpack"]

        def call():
            r = mlpack.mean_shift(
                input_=X, radius=h, max_iterations=MAX_ITER, labels_only=True
            )
            return Out(
                np.asarray(r["output"]).ravel().astype(np.intp),
                np.asarray(r["centroid"]),
            )

        return call
    cls = mods[tool].MeanShift

    def call():
        m = cls(bandwidth=h, bin_seeding=bin_seeding, max_iter=MAX_ITER).fit(X)
        return Out(np.asarray(m.labels_), np.asarray(m.cluster_centers_), m.n_iter_)

    return call


def timed(call):
    gc.collect()
    t0 = time.perf_counter()
    out = call()
    return time.perf_counter() - t0, out


def identical(out, ref):
    """(same, detail): labels equal, centres allclose, n_iter_ equal."""
    problems = []
    if out.centers.shape != ref.centers.shape:
        problems.append(f"{len(out.centers)} vs {len(ref.centers)} centres")
    elif not np.allclose(out.centers, ref.centers, rtol=1e-7, atol=1e-9):
        problems.append("centres differ")
    if not np.array_equal(out.labels, ref.labels):
        problems.append(
            f"labels differ at {np.count_nonzero(out.labels != ref.labels)}"
        )
    if out.n_iter != ref.n_iter:
        problems.append(f"n_iter_ {out.n_iter} vs {ref.n_iter}")
    return not problems, "; ".join(problems)


@contextlib.contextmanager
def phase_timer(mf):
    """Wrap the calls MeanShift.fit makes, adding their times to a dict."""
    import meanshift_fast._estimator as est

    times = {}

    def wrap(name, fn):
        def inner(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - t0

        return inner

    class CoreProxy:
        def __getattr__(self, attr):
            return getattr(real_core, attr)

    real_core = est._core
    proxy = CoreProxy()
    proxy.Tree = wrap("tree", real_core.Tree)
    proxy.nearest_center = wrap("label", real_core.nearest_center)
    saved = {k: getattr(est, k) for k in ("bin_seeds", "_shift", "_kept_centers")}
    est.bin_seeds = wrap("bins", saved["bin_seeds"])
    est._shift = wrap("shift", saved["_shift"])
    est._kept_centers = wrap("merge", saved["_kept_centers"])
    est._core = proxy
    try:
        yield times
    finally:
        est._core = real_core
        for k, v in saved.items():
            setattr(est, k, v)


PHASES = ("bins", "tree", "shift", "merge", "label")


def phase_times(mf, X, h, bin_seeding, repeats):
    runs = []
    for _ in range(repeats):
        with phase_timer(mf) as t:
            t0 = time.perf_counter()
            mf.MeanShift(bandwidth=h, bin_seeding=bin_seeding, max_iter=MAX_ITER).fit(X)
            t["total"] = time.perf_counter() - t0
        runs.append(t)
    keys = PHASES + ("total",)
    return {k: statistics.median(r.get(k, 0.0) for r in runs) for k in keys}


# --------------------------------------------------------------------------


def run_family(fam, n, bin_seeding, tools, mods, repeats, peer_repeats, phases):
    X, h = make_data(fam, n)
    calls = {t: make_call(t, X, h, bin_seeding, mods) for t in tools}
    times = {t: [] for t in tools}
    outs = {}
    # one untimed meanshift_fast run: page faults and first-touch costs
    calls["meanshift_fast"]()
    for r in range(max(repeats, peer_repeats)):
        for t in tools:
            if r >= (repeats if t == "meanshift_fast" else peer_repeats):
                continue
            dt, outs[t] = timed(calls[t])
            times[t].append(dt)
    med = {t: statistics.median(v) for t, v in times.items()}
    seeds = None
    if bin_seeding:
        seeds = len(mods["meanshift_fast"].get_bin_seeds(X, h))
    row = {
        "family": fam.name,
        "held_out": fam.held_out,
        "fit": "bin-seeded" if bin_seeding else "every point",
        "n": n,
        "d": X.shape[1],
        "bandwidth": h,
        "seeds": seeds if bin_seeding else n,
        "n_clusters": len(outs["meanshift_fast"].centers),
        "median_s": med,
        "times_s": times,
    }
    mf = med["meanshift_fast"]
    for peer in ("sklearn", "mlpack"):
        row[f"{peer}_ratio"] = med[peer] / mf if peer in med else None
    if "sklearn" in outs:
        row["identical"], row["detail"] = identical(
            outs["meanshift_fast"], outs["sklearn"]
        )
    if phases:
        row["phases_s"] = phase_times(
            mods["meanshift_fast"], X, h, bin_seeding, repeats
        )
    return row


def fmt_ratio(x):
    return "—" if x is None else f"{x:.0f}x" if x >= 10 else f"{x:.1f}x"


def render(rows, phases):
    head = [
        "family",
        "fit",
        "d",
        "bw",
        "seeds",
        "k",
        "mf s",
        "sklearn s",
        "mlpack s",
        "sklearn/mf",
        "mlpack/mf",
        "identical",
    ]
    if phases:
        head += [f"{p} ms" for p in PHASES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        m = r["median_s"]
        cells = [
            r["family"] + (" (held out)" if r["held_out"] else ""),
            r["fit"],
            str(r["d"]),
            f"{r['bandwidth']:.3g}",
            str(r["seeds"]),
            str(r["n_clusters"]),
            f"{m['meanshift_fast']:.4f}",
            f"{m['sklearn']:.3f}" if "sklearn" in m else "—",
            f"{m['mlpack']:.3f}" if "mlpack" in m else "—",
            fmt_ratio(r["sklearn_ratio"]),
            fmt_ratio(r["mlpack_ratio"]),
            "—" if "identical" not in r else "yes" if r["identical"] else "NO",
        ]
        if phases:
            cells += [f"{1e3 * r['phases_s'][p]:.1f}" for p in PHASES]
        lines.append("| " + " | ".join(cells) + " |")
    out = ["\n".join(lines), ""]
    for fit in ("bin-seeded", "every point"):
        for held in (False, True):
            sub = [r for r in rows if r["fit"] == fit and r["held_out"] == held]
            if not sub:
                continue
            parts = []
            for peer in ("sklearn", "mlpack"):
                vals = [(r[f"{peer}_ratio"], r["family"]) for r in sub]
                vals = [v for v in vals if v[0] is not None]
                if vals:
                    worst = min(vals)
                    parts.append(
                        f"worst {peer}/mf {fmt_ratio(worst[0])} ({worst[1]}), "
                        f"median {fmt_ratio(statistics.median(v[0] for v in vals))}"
                    )
            which = "held-out" if held else "tuning"
            out.append(f"{fit}, {which} families: " + "; ".join(parts))
    bad = [r for r in rows if r.get("identical") is False]
    out.append(
        "no scikit-learn fits to compare with (--no-sklearn)"
        if not any("identical" in r for r in rows)
        else "labels identical to scikit-learn in every fit"
        if not bad
        else "NOT identical: "
        + "; ".join(f"{r['family']} ({r['fit']}): {r['detail']}" for r in bad)
    )
    return "\n".join(out)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a subset of the families")
    p.add_argument(
        "--all",
        action="store_true",
        help="also the bin-seeded fits of the heavy families (scikit-learn: minutes)",
    )
    p.add_argument("--families", help="comma-separated family names (default: all)")
    p.add_argument(
        "--fits",
        default="bin,every",
        help="bin (bin-seeded, n=200,000), every (every point a seed, n=5,000)",
    )
    p.add_argument("--repeats", type=int, default=5, help="meanshift_fast runs")
    p.add_argument(
        "--peer-repeats", type=int, default=1, help="runs per peer (one by default)"
    )
    p.add_argument("--no-mlpack", action="store_true")
    p.add_argument("--no-sklearn", action="store_true")
    p.add_argument("--phases", action="store_true", help="meanshift_fast per phase")
    p.add_argument("--n-bin", type=int, default=N_BIN)
    p.add_argument("--n-every", type=int, default=N_EVERY)
    p.add_argument("--json", default=str(DEFAULT_JSON))
    p.add_argument("--list", action="store_true", help="list the families and exit")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for f in FAMILIES:
            held = "held out" if f.held_out else "tuning"
            heavy = "heavy" if f.heavy else ""
            print(f"{f.name:16s} bw/spread {f.ratio:<5g} {held:9s} {heavy:6s}{f.what}")
        return 0
    if args.families:
        names = args.families.split(",")
        unknown = set(names) - {f.name for f in FAMILIES}
        if unknown:
            sys.exit(f"unknown families: {sorted(unknown)}")
    else:
        names = QUICK if args.quick else [f.name for f in FAMILIES]
    fams = [f for f in FAMILIES if f.name in names]
    peer_repeats = args.peer_repeats

    import meanshift_fast

    mods = {"meanshift_fast": meanshift_fast}
    tools = ["meanshift_fast"]
    if not args.no_sklearn:
        import sklearn.cluster

        mods["sklearn"] = sklearn.cluster
        tools.append("sklearn")
    if not args.no_mlpack:
        try:
            import mlpack

            mods["mlpack"] = mlpack
            tools.append("mlpack")
        except ImportError as exc:
            print(f"mlpack not available ({exc}); its columns stay empty")

    import sklearn

    print(
        f"sklearn {sklearn.__version__}, mlpack "
        f"{getattr(mods.get('mlpack'), '__version__', '—')}, meanshift_fast "
        f"{meanshift_fast.__version__}, {len(os.sched_getaffinity(0))} CPUs, "
        f"load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    rows = []
    fits = args.fits.split(",")
    for fit in ("bin", "every"):
        if fit not in fits:
            continue
        for fam in fams:
            if fit == "bin" and fam.heavy and not (args.all or args.families):
                continue
            n = args.n_bin if fit == "bin" else args.n_every
            row = run_family(
                fam,
                n,
                fit == "bin",
                tools,
                mods,
                args.repeats,
                peer_repeats,
                args.phases,
            )
            rows.append(row)
            mf_s = row["median_s"]["meanshift_fast"]
            print(
                f"{fam.name:16s} {row['fit']:11s} mf {mf_s:.4f}s"
                f"  sklearn/mf {fmt_ratio(row['sklearn_ratio'])}"
                f"  mlpack/mf {fmt_ratio(row['mlpack_ratio'])}"
                f"  identical {row.get('identical', '—')}",
                flush=True,
            )
    print()
    print(render(rows, args.phases))
    Path(args.json).write_text(json.dumps(rows, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
