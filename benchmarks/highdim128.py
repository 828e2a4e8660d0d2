"""128 features: 5,000 points of make_blobs(centers=6, n_features=128),
every point a seed, at scikit-learn's estimate_bandwidth for a quantile
(default 0.3), against scikit-learn in the same process.

    python benchmarks/highdim128.py [--quantile 0.3] [--repeats 5]
"""

import argparse
import time

import numpy as np
import sklearn.cluster as skc
from sklearn.datasets import make_blobs

import meanshift_fast as msf


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quantile", type=float, default=0.3)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    X, _ = make_blobs(n_samples=5000, n_features=128, centers=6, random_state=0)
    h = skc.estimate_bandwidth(X, quantile=args.quantile)
    ours = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        m = msf.MeanShift(bandwidth=h).fit(X)
        ours.append(time.perf_counter() - t)
    t = time.perf_counter()
    s = skc.MeanShift(bandwidth=h).fit(X)
    theirs = time.perf_counter() - t
    mf = float(np.median(ours))
    same = (
        np.array_equal(m.labels_, s.labels_)
        and m.cluster_centers_.shape == s.cluster_centers_.shape
        and np.allclose(m.cluster_centers_, s.cluster_centers_, rtol=1e-7)
        and m.n_iter_ == s.n_iter_
    )
    print(
        f"d=128 n=5000 quantile={args.quantile} h={h:.4g} clusters="
        f"{len(m.cluster_centers_)}: meanshift_fast {mf:.4f} s (median of "
        f"{args.repeats}), scikit-learn {theirs:.2f} s, {theirs / mf:.0f}x, "
        f"same {same}"
    )


if __name__ == "__main__":
    main()
