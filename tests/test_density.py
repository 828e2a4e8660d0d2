"""MeanShift.score_samples: the kernel density that mean shift climbs,
against every kernel weight summed in numpy and against scikit-learn's
KernelDensity."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import gammaln, logsumexp
from sklearn.datasets import make_blobs
from sklearn.neighbors import KernelDensity

from meanshift_fast import MeanShift

# scikit-learn's name for the flat kernel is "tophat".
SKLEARN_KERNEL = {
    "flat": "tophat",
    "gaussian": "gaussian",
    "epanechnikov": "epanechnikov",
}


def _data(d, seed=0):
    X, _ = make_blobs(n_samples=400, centers=3, n_features=d, random_state=seed)
    return X


def _queries(X, seed=1):
    rng = np.random.default_rng(seed)
    lo, hi = X.min(axis=0), X.max(axis=0)
    near = rng.uniform(lo - 1, hi + 1, size=(60, X.shape[1]))
    return np.vstack([near, X[:20]])


def brute_log_density(X, w, Q, h, kernel):
    """Log of sum_i w_i K(|q - x_i| / h) / sum_i w_i, K normalised to 1."""
    n, d = X.shape
    w = np.ones(n) if w is None else w
    d2 = ((Q[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
    log_ball = 0.5 * d * np.log(np.pi) + d * np.log(h) - gammaln(0.5 * d + 1)
    with np.errstate(divide="ignore"):
        if kernel == "gaussian":
            log_k = -d2 / (2 * h * h) - 0.5 * d * np.log(2 * np.pi) - d * np.log(h)
        elif kernel == "flat":
            log_k = np.where(d2 <= h * h, 0.0, -np.inf) - log_ball
        else:
            shape = np.maximum(1.0 - d2 / (h * h), 0.0)
            log_k = np.log(shape) + np.log((d + 2) / 2.0) - log_ball
        return logsumexp(log_k, b=w, axis=1) - np.log(w.sum())


@pytest.mark.parametrize("d", [1, 2, 5])
@pytest.mark.parametrize("kernel", ["flat", "gaussian", "epanechnikov"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_score_samples_equals_kernel_density(kernel, d, weighted):
    X = _data(d)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(X)) if weighted else None
    h = 1.5
    ms = MeanShift(bandwidth=h, kernel=kernel, gaussian_tol=0).fit(X, sample_weight=w)
    kde = KernelDensity(bandwidth=h, kernel=SKLEARN_KERNEL[kernel]).fit(
        X, sample_weight=w
    )
    Q = _queries(X)
    ours, ref = ms.score_samples(Q), brute_log_density(X, w, Q, h, kernel)
    finite = np.isfinite(ref)
    assert_array_equal(np.isfinite(ours), finite)
    assert_allclose(ours[finite], ref[finite], rtol=1e-12)
    # KernelDensity approximates even at rtol=0 (to about 1e-6 far out), and
    # its tophat reports about -40 rather than -inf for an empty ball.
    theirs = kde.score_samples(Q)
    meaningful = finite & (theirs > -30)
    assert meaningful.sum() >= 20  # at least the queries on training points
    assert_allclose(ours[meaningful], theirs[meaningful], rtol=1e-5)


def test_gaussian_score_far_from_data_is_finite():
    # So far out that every kernel weight underflows: the log density is
    # still the one KernelDensity computes in log space, not -inf.
    X = _data(3)
    h = 0.5
    ms = MeanShift(bandwidth=h, kernel="gaussian", gaussian_tol=0).fit(X)
    kde = KernelDensity(bandwidth=h, kernel="gaussian").fit(X)
    Q = np.array([[300.0, -200.0, 50.0], [1e4, 0.0, 0.0]])
    ours = ms.score_samples(Q)
    assert np.isfinite(ours).all()
    assert_allclose(ours, brute_log_density(X, None, Q, h, "gaussian"), rtol=1e-12)
    assert_allclose(ours, kde.score_samples(Q), rtol=1e-6)


def test_gaussian_score_far_from_data_weightless_nearest():
    # A weightless sample far from the others, nearest to the query.
    X = np.vstack([_data(2), [[-400.0, 0.0]]])
    w = np.ones(len(X))
    w[-1] = 0.0
    Q = np.array([[-500.0, 0.0]])
    ms = MeanShift(bandwidth=0.5, kernel="gaussian", gaussian_tol=0).fit(
        X, sample_weight=w
    )
    ours = ms.score_samples(Q)
    assert np.isfinite(ours).all()
    assert_allclose(ours, brute_log_density(X, w, Q, 0.5, "gaussian"), rtol=1e-12)


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-8])
@pytest.mark.parametrize("h", [0.2, 0.7])
def test_gaussian_tol_bounds_the_relative_error_of_the_density(tol, d, h):
    """gaussian_tol is the documented bound on the relative error of the
    total weight, so of the density: summed over every approximated part
    of the tree, not per part."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, d))
    ms = MeanShift(bandwidth=h, kernel="gaussian", gaussian_tol=tol, seeds=X[:3])
    ms.fit(X)
    Q = np.vstack([X[:40], rng.normal(scale=1.5, size=(40, d))])
    rel = np.abs(
        np.expm1(ms.score_samples(Q) - brute_log_density(X, None, Q, h, "gaussian"))
    )
    assert rel.max() <= tol * (1 + 1e-9) + 1e-12


def test_gaussian_score_far_out_at_a_huge_bandwidth_is_finite():
    # Queries 1e305 and 1e308 away at bandwidth 1e300: finite log
    # densities, as the formula gives them (no overflow to -inf).
    X = np.random.default_rng(0).normal(size=(40, 1))
    ms = MeanShift(bandwidth=1e300, kernel="gaussian", gaussian_tol=0).fit(X)
    Q = np.array([[1e305], [1e308]])
    u = (Q - X[:, 0]) / 1e300  # distances in bandwidths, which do not overflow
    want = logsumexp(-0.5 * u * u, axis=1) - 0.5 * np.log(2 * np.pi)
    want -= np.log(1e300) + np.log(len(X))
    assert_allclose(ms.score_samples(Q), want, rtol=1e-12)
