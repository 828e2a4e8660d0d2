"""estimate_bandwidth against a brute-force numpy reference.

The reference computes every pairwise distance, sorts each row and averages
the k-th smallest (the point itself counting as the first, at distance 0),
with ``k = max(1, int(n * quantile))`` -- the definition scikit-learn
documents and implements with NearestNeighbors.
"""

import functools

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_blobs

from meanshift_fast import estimate_bandwidth


def sorted_distances(X):
    """Every row of the full distance matrix, sorted (built in blocks of
    rows)."""
    X = np.asarray(X, dtype=np.float64)
    rows = []
    for start in range(0, len(X), 256):
        block = X[start : start + 256]
        D = np.sqrt(((block[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1))
        rows.append(np.sort(D, axis=1))
    return np.concatenate(rows)


@functools.cache
def _sorted_distances_of(name):
    return sorted_distances(DATA[name]())


def kth_distances(X, k):
    """Distance from each row of X to its k-th nearest row (itself first)."""
    return sorted_distances(X)[:, k - 1]


def reference_bandwidth(X, quantile=0.3, n_samples=None, random_state=0):
    X = np.asarray(X, dtype=np.float64)
    if n_samples is not None:
        idx = np.random.RandomState(random_state).permutation(len(X))[:n_samples]
        X = X[idx]
    k = max(1, int(len(X) * quantile))
    return float(kth_distances(X, k).mean())


def _blobs(n, d, seed):
    X, _ = make_blobs(n_samples=n, n_features=d, centers=4, random_state=seed)
    return X


def _grid(d):
    # Integer lattice points plus repeated points: many equal distances.
    axes = [np.arange(5.0)] * d
    g = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    return np.concatenate([g, g[::7], g[::7], g[:3]])


def _duplicates(seed):
    X = _blobs(120, 3, seed)
    reps = np.random.default_rng(seed).integers(1, 6, size=len(X))
    return np.repeat(X, reps, axis=0)


DATA = {
    "blobs2d_300": lambda: _blobs(300, 2, 0),
    "blobs3d_700": lambda: _blobs(700, 3, 1),
    "blobs5d_400": lambda: _blobs(400, 5, 2),
    "blobs8d_300": lambda: _blobs(300, 8, 3),
    "blobs20d_250": lambda: _blobs(250, 20, 4),
    "uniform2d_1200": lambda: np.random.default_rng(5).uniform(size=(1200, 2)),
    "grid2d": lambda: _grid(2),
    "grid3d": lambda: _grid(3),
    "duplicates": lambda: _duplicates(6),
    "all_same": lambda: np.full((40, 3), 2.5),
    "line1d": lambda: np.random.default_rng(7).normal(size=(500, 1)),
    "integers1d": lambda: np.random.default_rng(8).integers(0, 10, (300, 1)) * 1.0,
    "offset": lambda: _blobs(300, 2, 9) + 1e6,
    "two_points": lambda: np.array([[0.0, 0.0], [3.0, 4.0]]),
}

QUANTILES = [0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9, 0.999, 1.0]


@pytest.mark.parametrize("quantile", QUANTILES, ids=lambda q: f"q{q}")
@pytest.mark.parametrize("name", list(DATA))
def test_estimate_bandwidth_reference(name, quantile):
    X = DATA[name]()
    ours = estimate_bandwidth(X, quantile=quantile)
    k = max(1, int(len(X) * quantile))
    ref = _sorted_distances_of(name)[:, k - 1].mean()
    assert_allclose(ours, ref, rtol=1e-12, atol=0)
    assert ours >= 0


@pytest.mark.parametrize("k", [1, 2, 3, 5, 17, 99, 150, 299, 300])
def test_every_k(k):
    # quantile = (k + 1/2) / n gives exactly k.
    X = DATA["blobs2d_300"]()
    n = len(X)
    quantile = min(1.0, (k + 0.5) / n)
    assert max(1, int(n * quantile)) == k
    ref = _sorted_distances_of("blobs2d_300")[:, k - 1].mean()
    assert_allclose(estimate_bandwidth(X, quantile=quantile), ref, rtol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 4, 5, 6, 9, 10, 30, 31])
def test_every_k_with_ties(k):
    # Integer points in 1-D with many duplicates: the k-th distance is often
    # shared by several neighbours, and is 0 while k is within the
    # duplicates.
    X = DATA["integers1d"]()
    n = len(X)
    quantile = (k + 0.5) / n
    assert max(1, int(n * quantile)) == k
    ref = _sorted_distances_of("integers1d")[:, k - 1].mean()
    assert_allclose(estimate_bandwidth(X, quantile=quantile), ref, rtol=1e-12)


def test_single_point():
    X = np.array([[1.0, 2.0, 3.0]])
    for quantile in (0.0, 0.3, 1.0):
        assert estimate_bandwidth(X, quantile=quantile) == 0.0


def test_quantile_one_is_mean_farthest_distance():
    X = DATA["blobs3d_700"]()
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1))
    assert_allclose(
        estimate_bandwidth(X, quantile=1.0), D.max(axis=1).mean(), rtol=1e-12
    )


def test_quantile_zero_is_zero():
    # k = 1: the point itself.
    for name in ("blobs2d_300", "line1d", "blobs20d_250"):
        assert estimate_bandwidth(DATA[name](), quantile=0.0) == 0.0


@pytest.mark.parametrize("quantile", [0.01, 0.3, 0.6, 1.0], ids=lambda q: f"q{q}")
@pytest.mark.parametrize(
    "name", ["blobs2d_300", "blobs20d_250", "line1d", "duplicates"]
)
def test_float32(name, quantile):
    X = DATA[name]().astype(np.float32)
    ours = estimate_bandwidth(X, quantile=quantile)
    # The reference on the same float32 values, in float64.
    ref = reference_bandwidth(X.astype(np.float64), quantile=quantile)
    assert_allclose(ours, ref, rtol=1e-6, atol=0)


@pytest.mark.parametrize(
    "n_samples, random_state",
    [(1, 0), (2, 0), (7, 1), (50, 0), (50, 3), (299, 11), (300, 0), (5000, 0)],
    ids=str,
)
@pytest.mark.parametrize("quantile", [0.0, 0.2, 0.5, 1.0], ids=lambda q: f"q{q}")
def test_subsample(n_samples, random_state, quantile):
    X = DATA["blobs2d_300"]()
    ours = estimate_bandwidth(
        X, quantile=quantile, n_samples=n_samples, random_state=random_state
    )
    ref = reference_bandwidth(X, quantile, n_samples, random_state)
    assert_allclose(ours, ref, rtol=1e-12, atol=0)


def test_subsample_random_state_instance():
    X = DATA["blobs3d_700"]()
    ours = estimate_bandwidth(X, n_samples=80, random_state=np.random.RandomState(4))
    assert_allclose(ours, reference_bandwidth(X, 0.3, 80, 4), rtol=1e-12)


@pytest.mark.parametrize("power", [-700, -450, 450, 700])
def test_extreme_magnitudes(power):
    # Beyond about 2**+-500 squared distances overflow or underflow;
    # scaling by a power of two is exact, so the estimate scales exactly.
    X = DATA["blobs3d_700"]()
    f = 2.0**power
    for quantile in (0.1, 0.3, 0.9):
        k = max(1, int(len(X) * quantile))
        ref = _sorted_distances_of("blobs3d_700")[:, k - 1].mean() * f
        assert_allclose(estimate_bandwidth(X * f, quantile=quantile), ref, rtol=1e-12)


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_n_jobs_same_value(n_jobs):
    X = DATA["uniform2d_1200"]()
    ref = _sorted_distances_of("uniform2d_1200")[:, 239].mean()  # k = 240
    assert_allclose(estimate_bandwidth(X, quantile=0.2, n_jobs=n_jobs), ref, rtol=1e-12)


def test_list_input_and_int_dtype():
    X = DATA["integers1d"]().astype(np.int64)
    assert_allclose(
        estimate_bandwidth(X.tolist(), quantile=0.4),
        reference_bandwidth(X, quantile=0.4),
        rtol=1e-12,
    )
