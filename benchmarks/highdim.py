"""High dimensions, every point a seed, against scikit-learn, interleaved.

The data: ``blobs`` is 5,000 points of ``make_blobs(n_features=D,
random_state=0)`` with ``--centers`` centres (run.py's ``highdim`` blobs
are ``--centers 5`` at D = 8 and 32); ``digits`` is ``load_digits()``
(1,797 x 64).  The bandwidth is scikit-learn's ``estimate_bandwidth`` at
``--quantile``.  Each of ``--rounds`` rounds fits scikit-learn once and
meanshift_fast ``--repeats`` times (its median counts for the round), so
that a drift of the machine's speed hits both; the ratio printed is the
median of the rounds' ratios, with their range::

    python benchmarks/highdim.py --data blobs --d 128 --centers 6
    python benchmarks/highdim.py --data blobs --d 32 --centers 5 --rounds 3
    python benchmarks/highdim.py --data digits --rounds 3
"""

import argparse
import time

import numpy as np
import sklearn.cluster as skc
from sklearn.datasets import load_digits, make_blobs

import meanshift_fast as msf


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=("blobs", "digits"), default="blobs")
    ap.add_argument("--d", type=int, default=128, help="features of the blobs")
    ap.add_argument("--centers", type=int, default=6, help="centres of the blobs")
    ap.add_argument("--quantile", type=float, default=0.3)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if args.data == "digits":
        X = np.ascontiguousarray(load_digits().data, dtype=np.float64)
        what = "digits"
    else:
        X, _ = make_blobs(
            n_samples=5000, n_features=args.d, centers=args.centers, random_state=0
        )
        what = f"blobs d={args.d} centers={args.centers}"
    h = skc.estimate_bandwidth(X, quantile=args.quantile)
    ours, theirs, ratios = [], [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        s = skc.MeanShift(bandwidth=h).fit(X)
        theirs.append(time.perf_counter() - t)
        runs = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            m = msf.MeanShift(bandwidth=h).fit(X)
            runs.append(time.perf_counter() - t)
        ours.append(float(np.median(runs)))
        ratios.append(theirs[-1] / ours[-1])
    same = (
        np.array_equal(m.labels_, s.labels_)
        and m.cluster_centers_.shape == s.cluster_centers_.shape
        and np.allclose(m.cluster_centers_, s.cluster_centers_, rtol=1e-7)
        and m.n_iter_ == s.n_iter_
    )
    print(
        f"{what} n={len(X)} quantile={args.quantile} h={h:.4g} clusters="
        f"{len(m.cluster_centers_)}, {args.rounds} rounds: meanshift_fast "
        f"{np.median(ours):.4f} s, scikit-learn {np.median(theirs):.2f} s, "
        f"{np.median(ratios):.0f}x (rounds {min(ratios):.0f}x to "
        f"{max(ratios):.0f}x), same {same}"
    )


if __name__ == "__main__":
    main()
