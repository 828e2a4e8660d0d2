"""Scale check: large fits, their time and peak memory.

Cases (3-D blobs: three Gaussian blobs at (2,2,2), (7,7,7), (5,13,13), std
0.6, equal sizes, shuffled with numpy.random.default_rng(0); bandwidth
estimated on the first 1000 points):

- ``binseed``: 2M points, ``bin_seeding=True``;
- ``allseeds``: 1M points, every point a seed;
- ``allseeds-r<R>``: 1M points, every point a seed, at the bandwidth R times
  the blobs' spread (0.6) instead of the estimated one (about 3.4 times):
  the cost of an every-point fit depends on the bandwidth more than on n,
  and is highest where the balls' boundaries cross the densest parts of the
  blobs.  ``--ratios`` adds one such case per ratio.

Each case runs in its own process, so that the peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is that case's alone; the
table also shows the memory right after the data were made, and checks that
the three blob centres were found (within 0.05).

Usage::

    python scripts/scale.py                       # both cases, all cores
    python scripts/scale.py --cases allseeds --n-allseeds 200000 --n-jobs 2
    python scripts/scale.py --timeout 300         # give up on a case after 300 s
    python scripts/scale.py --cases none --ratios 1,2,3,4 --n-jobs 2
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

CENTRES = np.array([[2.0, 2.0, 2.0], [7.0, 7.0, 7.0], [5.0, 13.0, 13.0]])
SPREAD = 0.6


def blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [n // 3 + (i < n % 3) for i in range(3)]
    X = np.concatenate(
        [
            c + rng.normal(scale=SPREAD, size=(s, 3))
            for c, s in zip(CENTRES, sizes, strict=True)
        ]
    )
    rng.shuffle(X)
    return X


def rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def peak_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def cpu_name():
    """The processor's model name where the system says it (platform.processor
    is empty on Linux), else the architecture."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, val = line.partition(":")
                if key.strip() == "model name":
                    return val.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def child(case, n, n_jobs):
    from meanshift_fast import MeanShift, estimate_bandwidth

    X = blobs(n)
    if case.startswith("allseeds-r"):
        bandwidth = float(case[len("allseeds-r") :]) * SPREAD
    else:
        bandwidth = float(estimate_bandwidth(X[:1000]))
    after_data = rss_mb()
    model = MeanShift(bandwidth=bandwidth, bin_seeding=case == "binseed", n_jobs=n_jobs)
    t0 = time.perf_counter()
    model.fit(X)
    took = time.perf_counter() - t0
    found = model.cluster_centers_
    dist = np.sqrt(((found[:, None, :] - CENTRES[None]) ** 2).sum(-1))
    print(
        json.dumps(
            {
                "case": case,
                "n": n,
                "bandwidth": bandwidth,
                "seconds": took,
                "rss_after_data_mb": after_data,
                "peak_rss_mb": peak_mb(),
                "n_clusters": len(found),
                "n_iter": model.n_iter_,
                "centres_found": bool(np.all(dist.min(axis=0) < 0.05)),
            }
        )
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--cases",
        default="binseed,allseeds",
        help="comma-separated, of binseed and allseeds (both), or none",
    )
    p.add_argument(
        "--ratios",
        default="",
        help="comma-separated bandwidth/spread ratios: an allseeds-r<R> case each",
    )
    p.add_argument(
        "--n-binseed", type=int, default=2_000_000, help="points, binseed (2000000)"
    )
    p.add_argument(
        "--n-allseeds",
        type=int,
        default=1_000_000,
        help="points, allseeds and the ratio cases (1000000)",
    )
    p.add_argument("--n-jobs", type=int, default=-1, help="threads (-1: all)")
    p.add_argument("--timeout", type=float, default=None, help="seconds per case")
    p.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), args.n_jobs)
        return 0

    from meanshift_fast import _threads

    print(
        f"{cpu_name()}, {os.cpu_count()} CPUs, "
        f"n_jobs={args.n_jobs} -> {_threads.effective_n_threads(args.n_jobs)} threads"
    )
    cases = [c for c in args.cases.split(",") if c and c != "none"]
    cases += [f"allseeds-r{float(r):g}" for r in args.ratios.split(",") if r]
    failed = False
    for case in cases:
        n = args.n_binseed if case == "binseed" else args.n_allseeds
        cmd = [
            sys.executable,
            __file__,
            "--n-jobs",
            str(args.n_jobs),
            "--child",
            case,
            str(n),
        ]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.timeout
            )
        except subprocess.TimeoutExpired:
            print(f"{case:13s} n={n:>9,d}: stopped after {args.timeout:.0f} s")
            failed = True
            continue
        if proc.returncode != 0:
            print(f"{case:13s} n={n:>9,d}: failed\n{proc.stderr[-3000:]}")
            failed = True
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{case:13s} n={n:>9,d}: fit {r['seconds']:8.2f} s, peak RSS "
            f"{r['peak_rss_mb']:7.0f} MB (data alone {r['rss_after_data_mb']:.0f} MB), "
            f"{r['n_clusters']} clusters, n_iter {r['n_iter']}, bandwidth "
            f"{r['bandwidth']:.4f}, centres found: {r['centres_found']} "
            f"[process {time.perf_counter() - t0:.1f} s]"
        )
        failed |= not r["centres_found"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
