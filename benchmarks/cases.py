"""Data and sizes of the cases of run.py.

Every data family has a fixed seed and one bandwidth, chosen once per family
with scikit-learn's estimate_bandwidth and passed to every tool, so that all
tools fit the same arrays at the same bandwidth.
"""

from __future__ import annotations

import numpy as np

SEED = 0

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

# --------------------------------------------------------------------------
# data


BLOBS3D_CENTERS = np.array([[2.0, 2.0, 2.0], [7.0, 7.0, 7.0], [5.0, 13.0, 13.0]])
BLOBS3D_SPREAD = 0.6


def blobs3d(n):
    """Three equal 3-D Gaussian blobs, std 0.6, shuffled, fixed seed."""
    rng = np.random.default_rng(SEED)
    k = len(BLOBS3D_CENTERS)
    sizes = [n // k + (i < n % k) for i in range(k)]
    X = np.concatenate(
        [
            rng.normal(c, BLOBS3D_SPREAD, size=(s, 3))
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
    "blobs16d": (lambda n: blobs_hd(n, 16), False),
    "blobs32d": (lambda n: blobs_hd(n, 32), False),
    "blobs128d": (lambda n: blobs_hd(n, 128), False),
    "digits": (digits, False),
}
FIXED_N = {
    "blobs8d": 5_000,
    "blobs16d": 5_000,
    "blobs32d": 5_000,
    "blobs128d": 5_000,
    "digits": 1_797,
}


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
