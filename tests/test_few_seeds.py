"""Few seeds (bin seeding's case): the core sums each seed's leaves by column
on SIMD lanes (flat kernel, up to four features) over a tree with large
leaves.  Checked against the brute-force reference in tests/reference.py:
bit for bit on dyadic data, whose sums are exact in any order, and to
rounding on continuous data."""

import numpy as np
import pytest
import reference as R
from numpy.testing import assert_allclose, assert_array_equal

from meanshift_fast import MeanShift


def _blobs(n, d, seed, dyadic):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-6.0, 6.0, size=(4, d))
    X = centres[rng.integers(0, 4, n)] + rng.normal(scale=1.0, size=(n, d))
    if dyadic:
        X = np.round(X * 8.0) / 8.0  # eighths: every sum below is exact
    return X


def _weights(n, seed, dyadic):
    rng = np.random.default_rng(seed + 100)
    if dyadic:
        return rng.integers(0, 4, n).astype(np.float64)
    return rng.uniform(0.0, 2.0, n)


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weighted"])
@pytest.mark.parametrize("dyadic", [True, False], ids=["dyadic", "continuous"])
def test_bin_seeded_fit_matches_brute_force(d, weighted, dyadic):
    # 4,000 samples and a handful of bins: the fit takes its few-seeds tree
    # (leaves of thousands of points) and, up to four features, the
    # column-wise leaf sums; five features check the row-wise path beside.
    n = 4000
    X = _blobs(n, d, seed=d, dyadic=dyadic)
    w = _weights(n, d, dyadic) if weighted else None
    h = 3.0
    ours = MeanShift(bandwidth=h, bin_seeding=True, min_bin_freq=30).fit(
        X, sample_weight=w
    )
    ref = R.mean_shift(X, h, bin_seeding=True, min_bin_freq=30, sample_weight=w)
    assert 0 < len(ref["seeds"]) * 64 <= n
    assert_array_equal(ours.labels_, ref["labels"])
    assert ours.n_iter_ == ref["n_iter"]
    if dyadic:
        assert_array_equal(ours.cluster_centers_, ref["centers"])
    else:
        assert_allclose(ours.cluster_centers_, ref["centers"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_float32_few_seeds_match_brute_force(d):
    # float32 rows: the column copy widens them to float64 exactly, and the
    # means are kept in float32 as the reference keeps them.
    X = _blobs(3000, d, seed=10 + d, dyadic=False).astype(np.float32)
    seeds = X[::500].astype(np.float64)
    ours = MeanShift(bandwidth=2.0, seeds=seeds).fit(X)
    ref = R.mean_shift(X, 2.0, seeds=seeds)
    assert_array_equal(ours.labels_, ref["labels"])
    assert ours.n_iter_ == ref["n_iter"]
    assert_allclose(ours.cluster_centers_, ref["centers"], rtol=1e-6, atol=1e-6)


def test_threads_give_identical_few_seed_fits():
    X = _blobs(20_000, 2, seed=3, dyadic=False)
    fits = [
        MeanShift(bandwidth=2.0, bin_seeding=True, n_jobs=k).fit(X) for k in (1, 2, 3)
    ]
    for other in fits[1:]:
        assert_array_equal(other.cluster_centers_, fits[0].cluster_centers_)
        assert_array_equal(other.labels_, fits[0].labels_)


def _cells_reference(X, bin_size, min_freq):
    """The grid cells holding at least min_freq rows, in order of first
    occurrence, and the first row of each, by numpy alone."""
    cells = np.round(X / bin_size) + 0.0
    _, first, counts = np.unique(cells, axis=0, return_index=True, return_counts=True)
    order = np.argsort(first)
    first, counts = first[order], counts[order]
    kept = counts >= min_freq
    return cells[first[kept]], first[kept]


@pytest.mark.parametrize("bin_size, min_freq", [(0.05, 1), (0.5, 3), (4.0, 1)])
def test_bin_cells_in_parts_match_one_pass(bin_size, min_freq):
    # Large unweighted inputs are binned in parts, one per thread, whose
    # cells join in order: the same cells, order and first rows as one
    # pass, whatever the thread count.
    from meanshift_fast import _core

    X = _blobs(300_000, 2, 11, dyadic=False)
    X[::97] = -0.0  # negative zeros share the cell of zero
    want_cells, want_first = _cells_reference(X, bin_size, min_freq)
    for n_threads in (1, 2, 3, 4):
        cells, first, _ = _core.bin_cells(X, None, bin_size, float(min_freq), n_threads)
        assert_array_equal(cells, want_cells)
        assert_array_equal(first, want_first)
