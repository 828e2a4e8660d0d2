"""Data whose rows repeat many times over (quantised colours, integer
features): the fit runs on each distinct row once, weighted by its count.
Checked against numpy's unique rows, the brute-force reference in
tests/reference.py (bit for bit on dyadic data, whose sums are exact in any
order), a brute-force density and scikit-learn."""

import numpy as np
import pytest
import reference as R
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import MeanShift as SkMeanShift
from test_density import brute_log_density

from meanshift_fast import ConvergenceWarning, MeanShift, _core, bandwidth_sweep


def _quantised(n, d, seed, step=0.5, std=1.0):
    """Blobs rounded to multiples of step: few distinct rows, many
    repeats, and (for dyadic steps) sums exact in any order."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5.0, 5.0, size=(4, d))
    X = centres[rng.integers(0, 4, n)] + rng.normal(scale=std, size=(n, d))
    return np.round(X / step) * step


def _numpy_distinct(X, w=None):
    """numpy's unique rows in order of first occurrence."""
    rows, first, inverse = np.unique(
        X + 0.0, axis=0, return_index=True, return_inverse=True
    )
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    inverse = rank[inverse.ravel()]
    weight = np.bincount(inverse, weights=w, minlength=len(order))
    return first[order], inverse, weight


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True], ids=["counts", "weights"])
@pytest.mark.parametrize("d", [1, 3, 7])
def test_distinct_rows_are_numpys(dtype, weighted, d):
    X = _quantised(3000, d, seed=d, step=1.0 if d < 7 else 3.0).astype(dtype)
    w = np.random.default_rng(d).uniform(0.0, 2.0, len(X)) if weighted else None
    found = _core.distinct_rows(X, w)
    assert found is not None
    first, inverse, weight = found
    ref_first, ref_inverse, ref_weight = _numpy_distinct(X.astype(np.float64), w)
    assert len(first) * 4 <= len(X)
    assert_array_equal(first, ref_first)
    assert_array_equal(inverse, ref_inverse)
    assert_allclose(weight, ref_weight, rtol=1e-13)
    assert_array_equal(X[first][inverse], X)


def test_signed_zeros_are_one_row():
    X = np.zeros((400, 2))
    X[1::2, 0] = -0.0
    X[::3, 1] = 1.0
    first, inverse, weight = _core.distinct_rows(X, None)
    assert_array_equal(first, [0, 1])
    assert_array_equal(weight, [134, 266])  # row 0 is (0, 1)
    assert_array_equal(X[first][inverse] == X, np.ones_like(X, dtype=bool))


@pytest.mark.parametrize(
    "X",
    [
        np.random.default_rng(0).normal(size=(5000, 3)),  # no repeats
        np.repeat(np.random.default_rng(1).normal(size=(2500, 2)), 2, axis=0),
        np.arange(10.0).reshape(-1, 1),
        np.zeros((1, 3)),
    ],
    ids=["continuous", "each-twice", "small", "one-row"],
)
def test_rows_that_seldom_repeat_are_fitted_as_they_are(X):
    # more than one distinct row in four: not worth a weighted fit
    assert _core.distinct_rows(X, None) is None


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("kernel", ["flat", "gaussian", "epanechnikov"])
@pytest.mark.parametrize("bin_seeding", [False, True], ids=["every", "bins"])
def test_fit_on_repeated_rows_matches_brute_force(d, kernel, bin_seeding):
    X = _quantised(2000, d, seed=10 + d, step={1: 0.5, 2: 0.5, 3: 1.0, 5: 2.0}[d])
    assert _core.distinct_rows(X, None) is not None
    h = 2.0
    X.setflags(write=False)  # the caller's array stays as it was
    ours = MeanShift(bandwidth=h, kernel=kernel, bin_seeding=bin_seeding).fit(X)
    ref = R.mean_shift(X, h, kernel=kernel, bin_seeding=bin_seeding)
    assert_array_equal(ours.labels_, ref["labels"])
    assert ours.n_iter_ == ref["n_iter"]
    if kernel == "flat":  # multiples of 1/2 times counts: sums exact in any order
        assert_array_equal(ours.cluster_centers_, ref["centers"])
    else:  # kernel weights of moving means: rounding, not bits
        assert_allclose(ours.cluster_centers_, ref["centers"], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("assignment", ["nearest", "attractor"])
def test_weighted_repeated_rows_match_brute_force(assignment):
    X = _quantised(2500, 2, seed=4)
    w = np.random.default_rng(4).integers(0, 4, len(X)).astype(np.float64)
    ours = MeanShift(
        bandwidth=1.5, bin_seeding=True, cluster_assignment=assignment, n_jobs=2
    ).fit(X, sample_weight=w)
    ref = R.mean_shift(X, 1.5, bin_seeding=True, sample_weight=w)
    assert_array_equal(ours.cluster_centers_, ref["centers"])
    if assignment == "nearest":
        assert_array_equal(ours.labels_, ref["labels"])
    else:  # each sample's own mode: brute force, sample by sample
        ends = R.mean_shift(X, 1.5, seeds=X, sample_weight=w)["means"]
        assert_array_equal(ours.labels_, R.nearest_labels(ends, ours.cluster_centers_))


@pytest.mark.parametrize("levels", [8, 16])
def test_quantised_colours_match_scikit_learn(levels):
    # The case that motivates the path: pixel colours, 0..255 per channel
    # in `levels` steps, continuous (not dyadic) coordinates.
    rng = np.random.default_rng(levels)
    tones = rng.uniform(30.0, 225.0, size=(5, 3))
    X = np.clip(tones[rng.integers(0, 5, 4000)] + rng.normal(0, 18, (4000, 3)), 0, 255)
    step = 255.0 / (levels - 1)
    X = np.round(X / step) * step
    assert _core.distinct_rows(X, None) is not None
    for params in ({}, {"cluster_all": False, "min_bin_freq": 5}):
        ours = MeanShift(bandwidth=20.0, bin_seeding=True, **params).fit(X)
        ref = SkMeanShift(bandwidth=20.0, bin_seeding=True, **params).fit(X)
        assert_array_equal(ours.labels_, ref.labels_)
        assert ours.n_iter_ == ref.n_iter_
        assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-9)


def test_repeated_rows_score_and_predict_as_the_samples_do():
    X = _quantised(3000, 3, seed=7)
    ms = MeanShift(bandwidth=2.0, cluster_assignment="attractor").fit(X)
    Q = np.concatenate([X[:50], X[:50] + 0.3])
    # KernelDensity's tophat leaves out the points at exactly the bandwidth,
    # which on a lattice are many: brute force includes them, as fit does.
    assert_allclose(
        ms.score_samples(Q), brute_log_density(X, None, Q, 2.0, "flat"), rtol=1e-12
    )
    assert_array_equal(ms.predict(X), ms.labels_)


def test_repeated_rows_same_bits_on_any_thread_count_and_in_a_sweep():
    rng = np.random.default_rng(5)
    X = np.round(rng.normal(size=(20_000, 3)) * 3.0) / 3.0  # thirds: rounding
    assert _core.distinct_rows(X, None) is not None
    fits = [MeanShift(bandwidth=1.0, bin_seeding=True, n_jobs=k).fit(X) for k in (1, 2)]
    assert_array_equal(fits[0].cluster_centers_, fits[1].cluster_centers_)
    assert_array_equal(fits[0].labels_, fits[1].labels_)
    sweep = bandwidth_sweep(X, [0.5, 1.0, 2.0], return_labels=True, n_jobs=2)
    assert_array_equal(sweep.centers[1], fits[0].cluster_centers_)
    assert_array_equal(sweep.labels[1], fits[0].labels_)


@pytest.mark.parametrize("weighted", [False, True], ids=["counts", "weights"])
def test_max_iter_warning_counts_samples_not_distinct_rows(weighted):
    X = _quantised(2000, 2, seed=3)
    w = (
        np.random.default_rng(3).integers(0, 3, len(X)).astype(float)
        if weighted
        else None
    )
    ref = R.mean_shift(X, 1.0, max_iter=1, sample_weight=w)
    capped = int(np.count_nonzero(~ref["converged"] & (ref["intensity"] > 0)))
    n_seeds = len(X) if w is None else int(np.count_nonzero(w))
    assert 0 < capped < n_seeds
    with pytest.warns(ConvergenceWarning, match=f"^{capped} of {n_seeds} seeds"):
        MeanShift(bandwidth=1.0, max_iter=1).fit(X, sample_weight=w)
