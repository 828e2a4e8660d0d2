"""Time bandwidth_sweep against the independent fits it replaces.

On ``make_blobs(n, centers=5, n_features=2, cluster_std=1, center_box=(-10,
10), random_state=0)`` (the ``binseed2d`` case of run.py), with the default
24 bandwidths and ``bin_seeding=True``, in one process:

- the sweep: ``bandwidth_sweep(X)``;
- the independent fits: ``MeanShift(bandwidth=h, bin_seeding=True).fit(X)``
  for each of the sweep's bandwidths, one after the other;
- the middle fit: one such fit at the geometric middle of the range.

Prints the medians of the repeats and the ratios sweep / middle fit and
independent fits / sweep, and checks that the sweep's rows are the fits::

    python benchmarks/bandwidth_sweep.py
    python benchmarks/bandwidth_sweep.py --n 200000 --repeats 5 --per-bandwidth
"""

from __future__ import annotations

import argparse

import numpy as np
from runner import median_timed as timed
from sklearn.datasets import make_blobs

from meanshift_fast import MeanShift, bandwidth_sweep
from meanshift_fast._threads import effective_n_threads


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--n-bandwidths", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n-jobs", type=int, default=None)
    ap.add_argument(
        "--per-bandwidth", action="store_true", help="time each bandwidth's fit"
    )
    args = ap.parse_args(argv)
    X, _ = make_blobs(
        n_samples=args.n,
        centers=5,
        n_features=2,
        cluster_std=1.0,
        center_box=(-10, 10),
        random_state=0,
    )
    jobs = args.n_jobs
    print(f"n={args.n}, d=2, threads={effective_n_threads(jobs)}")

    t_sweep, sweep = timed(
        lambda: bandwidth_sweep(X, n_bandwidths=args.n_bandwidths, n_jobs=jobs),
        args.repeats,
    )
    hs = sweep.bandwidths
    mid = float(np.sqrt(hs[0] * hs[-1]))

    def fit(h):
        return MeanShift(bandwidth=h, bin_seeding=True, n_jobs=jobs).fit(X)

    t_mid, _ = timed(lambda: fit(mid), max(args.repeats, 5))
    t_all, fits = timed(lambda: [fit(h) for h in hs], args.repeats)
    same = all(
        np.array_equal(f.cluster_centers_, c)
        for f, c in zip(fits, sweep.centers, strict=True)
    )
    print(f"bandwidths {hs[0]:.4g} .. {hs[-1]:.4g} (middle {mid:.4g})")
    print(f"sweep of {len(hs)} bandwidths     {t_sweep:8.3f} s")
    print(f"{len(hs)} independent fits         {t_all:8.3f} s")
    print(f"one fit at the middle bandwidth {t_mid:8.3f} s")
    print(f"sweep / middle fit              {t_sweep / t_mid:8.1f}")
    print(f"independent fits / sweep        {t_all / t_sweep:8.2f}")
    print(f"rows equal the fits: {same}")
    if args.per_bandwidth:
        print(f"\n{'bandwidth':>10} {'clusters':>8} {'fit s':>8}")
        for h, k in zip(hs, sweep.n_clusters, strict=True):
            t, _ = timed(lambda h=h: fit(h), args.repeats)
            print(f"{h:10.4g} {k:8d} {t:8.3f}")


if __name__ == "__main__":
    main()
