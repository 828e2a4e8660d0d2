"""Thread scaling of the every-point-a-seed fit (the seed example's 3-D
blobs), for machines with many cores.

    python benchmarks/thread_scaling.py --n 100000 --threads 1 2 4 8 16 \
        --big 1000000 --json scaling.json

Prints median wall times per thread count and the speed-up over one thread,
then (with --big) one fit of a larger case at the most threads, with peak
RSS, and (with --sklearn N) scikit-learn on N points for a ratio measured on
the same machine.
"""

import argparse
import hashlib
import json
import os
import platform
import resource
import sys

import numpy as np
from runner import median_timed as timed

import meanshift_fast as mf

CENTRES = np.array([[2.0, 2.0, 2.0], [7.0, 7.0, 7.0], [5.0, 13.0, 13.0]])
BANDWIDTH = 1.9864  # estimate_bandwidth of the 150-point seed example


def blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [n // 3 + (i < n % 3) for i in range(3)]
    return np.concatenate(
        [rng.normal(c, 0.6, size=(m, 3)) for c, m in zip(CENTRES, sizes, strict=True)]
    )


def result_digest(ms):
    """One hash of centres, labels and n_iter_, to compare fits bit for bit."""
    h = hashlib.sha256(np.ascontiguousarray(ms.cluster_centers_).tobytes())
    h.update(np.ascontiguousarray(ms.labels_).tobytes())
    h.update(str(ms.n_iter_).encode())
    return h.hexdigest()[:16]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--big", type=int, default=0, help="one fit at this n, most threads")
    p.add_argument("--sklearn", type=int, default=0, help="scikit-learn at this n")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)

    info = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "openmp": mf.openmp_enabled(),
    }
    print(info)
    X = blobs(args.n)
    rows = []
    base = None
    for t in args.threads:
        sec, ms = timed(
            lambda t=t: mf.MeanShift(bandwidth=BANDWIDTH, n_jobs=t).fit(X), args.repeats
        )
        base = base or sec
        rows.append(
            {
                "n": args.n,
                "threads": t,
                "seconds": sec,
                "speedup": base / sec,
                "n_clusters": len(ms.cluster_centers_),
                "n_iter": ms.n_iter_,
                "digest": result_digest(ms),
            }
        )
        print(
            f"n={args.n} threads={t:3d} {sec:8.3f} s  speed-up x{base / sec:5.2f}"
            f"  result {rows[-1]['digest']}",
            flush=True,
        )
    same_bits = len({r["digest"] for r in rows}) == 1
    print(f"bitwise equal across thread counts: {same_bits}", flush=True)
    result = {"info": info, "scaling": rows, "bitwise_equal": same_bits}

    if args.big:
        Xb = blobs(args.big)
        t = max(args.threads)
        sec, ms = timed(lambda: mf.MeanShift(bandwidth=BANDWIDTH, n_jobs=t).fit(Xb), 1)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["big"] = {
            "n": args.big,
            "threads": t,
            "seconds": sec,
            "peak_rss_mib": rss,
            "n_clusters": len(ms.cluster_centers_),
        }
        print(
            f"n={args.big} threads={t} {sec:.2f} s, peak RSS {rss:.0f} MiB", flush=True
        )

    if args.sklearn:
        from sklearn.cluster import MeanShift as SkMeanShift

        Xs = blobs(args.sklearn)
        sk_sec, sk = timed(lambda: SkMeanShift(bandwidth=BANDWIDTH).fit(Xs), 1)
        t = max(args.threads)
        mf_sec, ours = timed(
            lambda: mf.MeanShift(bandwidth=BANDWIDTH, n_jobs=t).fit(Xs), 3
        )
        same = (
            sk.cluster_centers_.shape == ours.cluster_centers_.shape
            and np.allclose(sk.cluster_centers_, ours.cluster_centers_, rtol=1e-7)
            and (sk.labels_ == ours.labels_).all()
            and sk.n_iter_ == ours.n_iter_
        )
        result["sklearn"] = {
            "n": args.sklearn,
            "sklearn_s": sk_sec,
            "ours_s": mf_sec,
            "threads": t,
            "ratio": sk_sec / mf_sec,
            "identical": bool(same),
        }
        print(
            f"sklearn n={args.sklearn}: {sk_sec:.2f} s vs {mf_sec:.4f} s "
            f"({t} threads): x{sk_sec / mf_sec:.0f}, identical={same}",
            flush=True,
        )

    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
