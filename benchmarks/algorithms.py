"""Time algorithm="brute" against algorithm="kd_tree" across dimensions.

Every point is a seed; the bandwidth is estimate_bandwidth's with the given
quantile. Prints the median of the repeats for each search and their ratio,
so that the "auto" choice can be checked on this machine::

    python benchmarks/algorithms.py
    python benchmarks/algorithms.py --dims 16 64 256 --n 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from meanshift_fast import MeanShift, estimate_bandwidth


def datasets(n, d, seed):
    rng = np.random.default_rng(seed)
    yield "uniform", rng.uniform(size=(n, d))
    centers = rng.uniform(-10, 10, size=(5, d))
    yield "blobs", centers[rng.integers(0, 5, size=n)] + rng.normal(size=(n, d))


def median_time(X, h, algorithm, kernel, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        MeanShift(bandwidth=h, algorithm=algorithm, kernel=kernel).fit(X)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 8, 16, 32, 64, 128, 512])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--quantile", type=float, nargs="+", default=[0.3, 0.05])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--kernel", choices=["flat", "gaussian", "epanechnikov"], default="flat"
    )
    args = ap.parse_args(argv)
    head = ("data", "d", "quantile", "brute", "kd_tree", "brute/kd")
    print("{:>8} {:>5} {:>8} {:>9} {:>9} {:>8}".format(*head))
    for d in args.dims:
        for name, X in datasets(args.n, d, args.seed):
            for q in args.quantile:
                h = float(estimate_bandwidth(X, quantile=q))
                tb = median_time(X, h, "brute", args.kernel, args.repeats)
                tk = median_time(X, h, "kd_tree", args.kernel, args.repeats)
                print(
                    f"{name:>8} {d:>5} {q:>8} {tb:>8.3f}s {tk:>8.3f}s {tb / tk:>8.2f}"
                )


if __name__ == "__main__":
    main()
