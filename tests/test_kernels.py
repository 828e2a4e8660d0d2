"""Kernels, sample weights, per-feature bandwidths, attractor labels and the
neighbourhood-search algorithms, against a plain numpy reference.

The reference below is the whole mean-shift algorithm written directly in
numpy, with every distance computed and every kernel weight summed; it
follows the definitions in meanshift_fast.MeanShift's docstring and
scikit-learn's post-processing, nothing from meanshift_fast.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs

from meanshift_fast import ConvergenceWarning, MeanShift

pytestmark = pytest.mark.filterwarnings("ignore::meanshift_fast.ConvergenceWarning")

KERNELS = ["flat", "gaussian", "epanechnikov"]


# ---------------------------------------------------------------------------
# the numpy reference
# ---------------------------------------------------------------------------


def kernel_weights(d2, h, kernel):
    """Kernel weight of squared distances d2 for bandwidth h."""
    h2 = h * h
    if kernel == "flat":
        return (d2 <= h2).astype(np.float64)
    if kernel == "gaussian":
        return np.exp(-d2 / (2.0 * h2))
    if kernel == "epanechnikov":
        return np.maximum(0.0, 1.0 - d2 / h2)
    raise ValueError(kernel)


def ref_shift(X, w, seeds, h, kernel, max_iter):
    """Move every seed; all seeds at once, one step per loop.

    Returns (means, intensity, n_iter, alive): a seed whose neighbourhood
    mass is 0 stops and is dropped (alive False); its iteration count is
    where it stopped, as scikit-learn counts it.
    """
    X = np.asarray(X, dtype=np.float64)
    means = np.array(seeds, dtype=np.float64, copy=True)
    m = len(means)
    intensity = np.zeros(m)
    n_iter = np.zeros(m, dtype=np.int64)
    alive = np.ones(m, dtype=bool)
    active = np.ones(m, dtype=bool)
    stop_thresh = 1e-3 * h
    for it in range(max_iter + 1):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        d2 = ((means[idx, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
        base = np.zeros(len(idx))
        if kernel == "gaussian":  # relative to the nearest weighted point's
            base = d2[:, w > 0].min(axis=1)
            d2 = d2 - base[:, None]
        k = kernel_weights(d2, h, kernel) * w
        mass = k.sum(axis=1)
        empty = mass == 0
        n_iter[idx] = it
        alive[idx[empty]] = False
        active[idx[empty]] = False
        ok = idx[~empty]
        new = (k[~empty] @ X) / mass[~empty, None]
        moved = np.linalg.norm(new - means[ok], axis=1)
        means[ok] = new
        with np.errstate(under="ignore"):
            true_mass = mass[~empty] * np.exp(-base[~empty] / (2.0 * h * h))
        intensity[ok] = np.maximum(true_mass, np.nextafter(0.0, 1.0))
        done = (moved <= stop_thresh) | (it == max_iter)
        active[ok[done]] = False
    return means, intensity, n_iter, alive


def ref_merge(means, intensity, alive, h):
    """scikit-learn's post-processing: identical means merge, sort by
    (intensity, coordinates) descending, suppress centres within h."""
    table = {}
    for i in np.flatnonzero(alive):
        table[tuple(means[i])] = intensity[i]
    ranked = sorted(table.items(), key=lambda t: (t[1], t[0]), reverse=True)
    centers = np.array([c for c, _ in ranked])
    unique = np.ones(len(centers), dtype=bool)
    for i in range(len(centers)):
        if unique[i]:
            near = np.linalg.norm(centers - centers[i], axis=1) <= h
            unique[near] = False
            unique[i] = True
    return centers[unique]


def ref_nearest(X, centers):
    d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=-1)
    return d2.argmin(axis=1), d2.min(axis=1)


def ref_bin_seeds(X, h, min_bin_freq, w):
    """Grid cells of side h (by np.round) holding >= min_bin_freq weight,
    in order of first occurrence; all samples of positive weight when the
    cells are as many as the samples the weights count (their sum: integer
    weights are repeated rows)."""
    cells = {}
    for x, wi in zip(X, w, strict=True):
        key = tuple(np.round(x / h))
        cells[key] = cells.get(key, 0.0) + wi
    seeds = np.array(
        [k for k, f in cells.items() if f >= min_bin_freq], dtype=np.float32
    ).reshape(-1, X.shape[1])
    if len(seeds) == w.sum():
        return X[w > 0]
    return seeds * h


def reference(
    X,
    h,
    kernel="flat",
    sample_weight=None,
    seeds=None,
    bin_seeding=False,
    min_bin_freq=1,
    max_iter=300,
    cluster_all=True,
    assignment="nearest",
):
    """The whole algorithm: (centers, labels, n_iter, ends).

    A per-feature bandwidth (array h) runs on X / h with bandwidth 1 and
    scales the centres back.
    """
    X = np.asarray(X, dtype=np.float64)
    if np.ndim(h) == 1:
        scale = np.asarray(h, dtype=np.float64)
        sc_seeds = None if seeds is None else np.asarray(seeds) / scale
        centers, labels, n_iter, ends = reference(
            X / scale,
            1.0,
            kernel,
            sample_weight,
            sc_seeds,
            bin_seeding,
            min_bin_freq,
            max_iter,
            cluster_all,
            assignment,
        )
        return centers * scale, labels, n_iter, None if ends is None else ends * scale
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    if seeds is None:
        if bin_seeding:
            seeds = ref_bin_seeds(X, h, min_bin_freq, w)
        else:
            seeds = X[w > 0]
    means, intensity, n_iter, alive = ref_shift(X, w, seeds, h, kernel, max_iter)
    centers = ref_merge(means, intensity, alive, h)
    near, d2 = ref_nearest(X, centers)
    ends = None
    if assignment == "attractor":
        ends = ref_shift(X, w, X, h, kernel, max_iter)[0]
        labels, _ = ref_nearest(ends, centers)
    else:
        labels = near
    if not cluster_all:
        labels = np.where(d2 <= h * h, labels, -1)
    return centers, labels, int(n_iter.max()), ends


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------


def _data(name):
    rng = np.random.default_rng(7)
    if name == "blobs2d":
        X, _ = make_blobs(
            n_samples=150, n_features=2, centers=3, cluster_std=0.6, random_state=0
        )
    elif name == "blobs3d":
        X, _ = make_blobs(
            n_samples=120, n_features=3, centers=3, cluster_std=0.8, random_state=1
        )
    elif name == "aniso":
        X, _ = make_blobs(
            n_samples=140, n_features=2, centers=4, cluster_std=0.5, random_state=2
        )
        X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])
    elif name == "line1d":
        X = np.concatenate(
            [rng.normal(0, 0.4, 60), rng.normal(4, 0.6, 50), rng.normal(9, 0.3, 30)]
        ).reshape(-1, 1)
    elif name == "offset":
        X, _ = make_blobs(
            n_samples=120, n_features=2, centers=3, cluster_std=0.5, random_state=4
        )
        X = X + 1e6
    elif name == "blobs5d":
        X, _ = make_blobs(
            n_samples=100, n_features=5, centers=3, cluster_std=1.0, random_state=5
        )
    elif name == "blobs20d":
        X, _ = make_blobs(
            n_samples=100, n_features=20, centers=3, cluster_std=1.0, random_state=6
        )
    elif name == "blobs40d":  # Epanechnikov trees take leaves of d points
        X, _ = make_blobs(
            n_samples=300, n_features=40, centers=3, cluster_std=1.0, random_state=8
        )
    else:  # pragma: no cover
        raise KeyError(name)
    return np.ascontiguousarray(X, dtype=np.float64)


# Bandwidths per kernel: the Gaussian's is a standard deviation, so smaller.
BANDWIDTH = {
    "blobs2d": {"flat": 1.2, "gaussian": 0.6, "epanechnikov": 1.5},
    "blobs3d": {"flat": 1.5, "gaussian": 0.8, "epanechnikov": 2.0},
    "aniso": {"flat": 0.8, "gaussian": 0.4, "epanechnikov": 1.0},
    "line1d": {"flat": 0.8, "gaussian": 0.4, "epanechnikov": 1.0},
    "offset": {"flat": 1.0, "gaussian": 0.5, "epanechnikov": 1.2},
    "blobs5d": {"flat": 2.5, "gaussian": 1.2, "epanechnikov": 3.0},
    "blobs20d": {"flat": 5.0, "gaussian": 2.5, "epanechnikov": 6.0},
    "blobs40d": {"flat": 9.0, "gaussian": 4.5, "epanechnikov": 10.0},
}
DATA = list(BANDWIDTH)


def _fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MeanShift(**params).fit(X)


def _atol(X, rtol):
    """Absolute tolerance for centres compared after subtracting the data
    mean: rtol of the data's spread (coordinates near 0), and no less than
    the rounding of sums of coordinates as large as the data's (offsets of
    1e6 carry about 1e-10 of rounding whatever the order of summation)."""
    spread = float(np.ptp(X, axis=0).max())
    return max(rtol * spread, 1e-14 * float(np.abs(X).max()))


def assert_matches_reference(ours, ref, X, rtol, check_n_iter=True):
    centers, labels, n_iter, _ = ref
    assert ours.cluster_centers_.shape == centers.shape
    origin = X.mean(axis=0)
    assert_allclose(
        ours.cluster_centers_ - origin,
        centers - origin,
        rtol=rtol,
        atol=_atol(X, rtol),
    )
    assert_array_equal(ours.labels_, labels)
    if check_n_iter:
        assert ours.n_iter_ == n_iter


# ---------------------------------------------------------------------------
# kernels against the reference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cluster_all", [True, False], ids=["all", "orphans"])
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", DATA)
def test_kernel_exact(name, kernel, cluster_all):
    X = _data(name)
    h = BANDWIDTH[name][kernel]
    ours = _fit(X, bandwidth=h, kernel=kernel, cluster_all=cluster_all, gaussian_tol=0)
    ref = reference(X, h, kernel, cluster_all=cluster_all)
    assert_matches_reference(ours, ref, X, rtol=1e-9)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
@pytest.mark.parametrize("name", DATA)
def test_kernel_default_tolerance(name, kernel):
    # gaussian_tol=1e-8 lets distant tree nodes be summed approximately.
    X = _data(name)
    h = BANDWIDTH[name][kernel]
    ours = _fit(X, bandwidth=h, kernel=kernel)
    ref = reference(X, h, kernel)
    assert_matches_reference(ours, ref, X, rtol=1e-6, check_n_iter=False)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("max_iter", [0, 1, 3])
def test_kernel_max_iter(kernel, max_iter):
    X = _data("blobs2d")
    h = BANDWIDTH["blobs2d"][kernel]
    ours = _fit(X, bandwidth=h, kernel=kernel, max_iter=max_iter, gaussian_tol=0)
    ref = reference(X, h, kernel, max_iter=max_iter)
    assert_matches_reference(ours, ref, X, rtol=1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_bin_seeding(kernel):
    X = _data("blobs3d")
    h = BANDWIDTH["blobs3d"][kernel]
    for min_bin_freq in (1, 3):
        ours = _fit(
            X,
            bandwidth=h,
            kernel=kernel,
            bin_seeding=True,
            min_bin_freq=min_bin_freq,
            gaussian_tol=0,
        )
        ref = reference(X, h, kernel, bin_seeding=True, min_bin_freq=min_bin_freq)
        assert_matches_reference(ours, ref, X, rtol=1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_explicit_seeds_with_orphans(kernel):
    X = _data("blobs2d")
    h = BANDWIDTH["blobs2d"][kernel]
    seeds = np.array([[-8.0, 7.0], [1.0, 4.0], [2.0, 1.0], [500.0, 500.0]])
    ours = _fit(X, bandwidth=h, kernel=kernel, seeds=seeds, gaussian_tol=0)
    ref = reference(X, h, kernel, seeds=seeds)
    assert_matches_reference(ours, ref, X, rtol=1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_float32(kernel):
    X = _data("blobs2d").astype(np.float32)
    h = BANDWIDTH["blobs2d"][kernel]
    ours = _fit(X, bandwidth=h, kernel=kernel, gaussian_tol=0)
    assert ours.cluster_centers_.dtype == np.float32
    # The reference on the same (float32-valued) points, in float64;
    # meanshift_fast rounds the centres to float32 at the end.
    ref = reference(X.astype(np.float64), h, kernel)
    ref = (ref[0].astype(np.float32), *ref[1:])
    assert_matches_reference(ours, ref, X.astype(np.float64), rtol=1e-6)


def test_epanechnikov_weight_zero_on_boundary():
    # A point at exactly the bandwidth has weight 0 in the Epanechnikov
    # kernel and 1 in the flat kernel.  Integer data: exact distances.
    X = np.array([[0.0], [0.0], [1.0], [3.0]])
    for kernel in ("flat", "epanechnikov"):
        ours = _fit(X, bandwidth=3, kernel=kernel, seeds=[[0.0]], gaussian_tol=0)
        ref = reference(X, 3, kernel, seeds=[[0.0]])
        assert_matches_reference(ours, ref, X, rtol=1e-12)
    # Epanechnikov from 0: weights 1, 1, 8/9, 0 -> mean 8/26, not 1.
    ours = _fit(X, bandwidth=3, kernel="epanechnikov", seeds=[[0.0]], max_iter=0)
    assert_allclose(ours.cluster_centers_, [[8.0 / 26.0]], rtol=1e-12)


def test_gaussian_no_orphans():
    # Every seed has positive Gaussian mass, however far it starts.
    X = _data("blobs2d")
    seeds = np.array([[-8.0, 7.0], [20.0, 20.0]])
    ours = _fit(X, bandwidth=5.0, kernel="gaussian", seeds=seeds, gaussian_tol=0)
    ref = reference(X, 5.0, "gaussian", seeds=seeds)
    assert_matches_reference(ours, ref, X, rtol=1e-9)


# ---------------------------------------------------------------------------
# algorithms: identical results
# ---------------------------------------------------------------------------


ALGO_DATA = ["blobs2d", "line1d", "blobs5d", "blobs20d", "blobs40d", "offset"]


def _fit_algorithms(X, **params):
    return {
        algorithm: _fit(X, algorithm=algorithm, **params)
        for algorithm in ("auto", "kd_tree", "brute")
    }


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", ALGO_DATA)
def test_algorithms_agree_with_exact_sums(name, kernel):
    # "Results do not depend on it": with exact Gaussian sums the searches
    # add the same weights in another order, so centres agree to rounding
    # and everything discrete is identical.
    X = _data(name)
    h = BANDWIDTH[name][kernel]
    fits = _fit_algorithms(X, bandwidth=h, kernel=kernel, gaussian_tol=0)
    base = fits["brute"]
    probes = X[::5] + 0.05
    origin = X.mean(axis=0)
    for algorithm, ms in fits.items():
        assert_allclose(
            ms.cluster_centers_ - origin,
            base.cluster_centers_ - origin,
            rtol=1e-12,
            atol=_atol(X, 1e-12),
            err_msg=algorithm,
        )
        assert np.array_equal(ms.labels_, base.labels_), algorithm
        assert ms.n_iter_ == base.n_iter_, algorithm
        assert np.array_equal(ms.predict(probes), base.predict(probes)), algorithm


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", ALGO_DATA)
def test_algorithms_same_clustering(name, kernel):
    # The same clustering whatever the search, at the default tolerance:
    # labels and n_iter_ identical, centres to rounding (Gaussian: to the
    # tolerance the tree may use).
    X = _data(name)
    h = BANDWIDTH[name][kernel]
    fits = _fit_algorithms(X, bandwidth=h, kernel=kernel)
    base = fits["brute"]
    rtol = 1e-6 if kernel == "gaussian" else 1e-12
    origin = X.mean(axis=0)
    for algorithm, ms in fits.items():
        assert_allclose(
            ms.cluster_centers_ - origin,
            base.cluster_centers_ - origin,
            rtol=rtol,
            atol=_atol(X, rtol),
            err_msg=algorithm,
        )
        assert_array_equal(ms.labels_, base.labels_, err_msg=algorithm)
        assert ms.n_iter_ == base.n_iter_, algorithm


@pytest.mark.parametrize("kernel", KERNELS)
def test_algorithms_agree_weighted_float32(kernel):
    X = _data("blobs3d").astype(np.float32)
    w = np.random.default_rng(0).uniform(0.0, 3.0, size=len(X))
    h = BANDWIDTH["blobs3d"][kernel]
    fits = [
        _fit(X, bandwidth=h, kernel=kernel, algorithm=a, gaussian_tol=0).fit(
            X, sample_weight=w
        )
        for a in ("auto", "kd_tree", "brute")
    ]
    for ms in fits[1:]:
        assert ms.cluster_centers_.dtype == np.float32
        assert_allclose(ms.cluster_centers_, fits[0].cluster_centers_, rtol=1e-6)
        assert np.array_equal(ms.labels_, fits[0].labels_)
        assert ms.n_iter_ == fits[0].n_iter_


# ---------------------------------------------------------------------------
# sample weights
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", ["blobs2d", "line1d", "blobs20d"])
def test_sample_weight_reference(name, kernel):
    X = _data(name)
    h = BANDWIDTH[name][kernel]
    w = np.random.default_rng(1).uniform(0.1, 4.0, size=len(X))
    ours = _fit(X, bandwidth=h, kernel=kernel, gaussian_tol=0)
    ours.fit(X, sample_weight=w)
    ref = reference(X, h, kernel, sample_weight=w)
    assert_matches_reference(ours, ref, X, rtol=1e-9)


@pytest.mark.parametrize("bin_seeding", [False, True], ids=["all_seeds", "bins"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_integer_weights_equal_repeated_rows(kernel, bin_seeding):
    X = _data("blobs2d")
    h = BANDWIDTH["blobs2d"][kernel]
    w = np.random.default_rng(2).integers(0, 4, size=len(X))  # zeros included
    params = {
        "bandwidth": h,
        "kernel": kernel,
        "bin_seeding": bin_seeding,
        "min_bin_freq": 3,
        "gaussian_tol": 0,
    }
    weighted = _fit(X, **params).fit(X, sample_weight=w)
    repeated = _fit(np.repeat(X, w, axis=0), **params)
    origin = X.mean(axis=0)
    assert_allclose(
        weighted.cluster_centers_ - origin,
        repeated.cluster_centers_ - origin,
        rtol=1e-9,
        atol=_atol(X, 1e-9),
    )
    assert_array_equal(np.repeat(weighted.labels_, w), repeated.labels_)
    assert weighted.n_iter_ == repeated.n_iter_
    # Zero-weight rows are labelled too: by their nearest centre.
    zero = w == 0
    assert zero.any()
    assert_array_equal(weighted.labels_[zero], repeated.predict(X[zero]))


@pytest.mark.parametrize(
    "X, w",
    [
        # two bins for two rows, three samples: scikit-learn bins them
        ([[2.87], [3.9]], [2, 1]),
        # three bins for three samples among four rows: the samples are
        # the seeds, the zero-weight row not among them
        ([[3.79], [2.51], [1.46], [1.34]], [1, 1, 0, 1]),
        ([[0.2, 0.1], [1.6, 0.7], [-1.6, 0.7], [-0.9, -0.8]], [3, 2, 2, 2]),
    ],
    ids=["more-samples-than-rows", "zero-weight-row", "2d"],
)
def test_bin_seeding_integer_weights_equal_scikit_learn_on_repeated_rows(X, w):
    # Whether every sample has a bin of its own (and the samples are the
    # seeds, with a warning) counts the samples the weights stand for.
    from sklearn.cluster import MeanShift as SkMeanShift

    X, w = np.array(X), np.array(w)
    repeated = np.repeat(X, w, axis=0)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = MeanShift(bandwidth=1.0, bin_seeding=True).fit(X, sample_weight=w)
    with warnings.catch_warnings(record=True) as ref_warned:
        warnings.simplefilter("always")
        ref = SkMeanShift(bandwidth=1.0, bin_seeding=True).fit(repeated)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-12)
    assert_array_equal(np.repeat(ours.labels_, w), ref.labels_)
    assert [str(m.message) for m in ours_warned] == [str(m.message) for m in ref_warned]


@pytest.mark.parametrize("kernel", KERNELS)
def test_weight_scale_invariance(kernel):
    # Multiplying every weight by a constant changes nothing but intensity.
    X = _data("aniso")
    h = BANDWIDTH["aniso"][kernel]
    w = np.random.default_rng(3).uniform(0.5, 2.0, size=len(X))
    a = _fit(X, bandwidth=h, kernel=kernel, gaussian_tol=0).fit(X, sample_weight=w)
    b = _fit(X, bandwidth=h, kernel=kernel, gaussian_tol=0).fit(
        X, sample_weight=8.0 * w
    )
    assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)
    assert_array_equal(a.labels_, b.labels_)


def test_unit_weights_equal_no_weights():
    X = _data("blobs3d")
    for kernel in KERNELS:
        h = BANDWIDTH["blobs3d"][kernel]
        a = _fit(X, bandwidth=h, kernel=kernel).fit(X, sample_weight=np.ones(len(X)))
        b = _fit(X, bandwidth=h, kernel=kernel)
        assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)
        assert_array_equal(a.labels_, b.labels_)
        assert a.n_iter_ == b.n_iter_


def test_zero_weight_points_are_not_seeds_and_not_mass():
    # A far cluster with zero weight: no centre there, but its points are
    # labelled by the nearest centre (or -1 when cluster_all=False).
    X = _data("blobs2d")
    far = X[:20] + 100.0
    Xa = np.concatenate([X, far])
    w = np.concatenate([np.ones(len(X)), np.zeros(len(far))])
    h = BANDWIDTH["blobs2d"]["flat"]
    for cluster_all in (True, False):
        ours = _fit(Xa, bandwidth=h, cluster_all=cluster_all).fit(Xa, sample_weight=w)
        ref = reference(Xa, h, "flat", sample_weight=w, cluster_all=cluster_all)
        assert_matches_reference(ours, ref, Xa, rtol=1e-9)
        plain = _fit(X, bandwidth=h)
        assert_allclose(ours.cluster_centers_, plain.cluster_centers_, rtol=1e-12)
        if not cluster_all:
            assert (ours.labels_[len(X) :] == -1).all()


# ---------------------------------------------------------------------------
# attractor labels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cluster_all", [True, False], ids=["all", "orphans"])
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", ["blobs2d", "aniso", "line1d"])
def test_attractor_labels(name, kernel, cluster_all):
    X = _data(name)
    h = BANDWIDTH[name][kernel]
    ours = _fit(
        X,
        bandwidth=h,
        kernel=kernel,
        cluster_assignment="attractor",
        cluster_all=cluster_all,
        gaussian_tol=0,
    )
    ref = reference(X, h, kernel, cluster_all=cluster_all, assignment="attractor")
    assert_matches_reference(ours, ref, X, rtol=1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
def test_attractor_labels_bin_seeding_and_weights(kernel):
    X = _data("aniso")
    h = BANDWIDTH["aniso"][kernel]
    w = np.random.default_rng(4).uniform(0.5, 3.0, size=len(X))
    ours = _fit(
        X,
        bandwidth=h,
        kernel=kernel,
        cluster_assignment="attractor",
        bin_seeding=True,
        gaussian_tol=0,
    ).fit(X, sample_weight=w)
    ref = reference(
        X, h, kernel, sample_weight=w, bin_seeding=True, assignment="attractor"
    )
    assert_matches_reference(ours, ref, X, rtol=1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
def test_attractor_predict(kernel):
    X = _data("blobs2d")
    h = BANDWIDTH["blobs2d"][kernel]
    ours = _fit(
        X, bandwidth=h, kernel=kernel, cluster_assignment="attractor", gaussian_tol=0
    )
    rng = np.random.default_rng(5)
    probes = np.concatenate(
        [X[::3] + rng.normal(0, 0.3, size=X[::3].shape), rng.uniform(-12, 12, (40, 2))]
    )
    ends = ref_shift(X, np.ones(len(X)), probes, h, kernel, 300)[0]
    expected, _ = ref_nearest(ends, ours.cluster_centers_)
    assert_array_equal(ours.predict(probes), expected)
    # On the training points: the fitted labels.
    assert_array_equal(ours.predict(X), ours.labels_)


@pytest.mark.parametrize("kernel", KERNELS)
def test_attractor_differs_from_nearest_somewhere(kernel):
    # A long cluster next to a small tight one: the tip of the long cluster
    # is nearer the small cluster's centre than its own, yet climbs to its
    # own mode.
    rng = np.random.default_rng(0)
    X = np.concatenate(
        [
            rng.normal(0, 1, size=(200, 2)) * [3.0, 0.3],
            rng.normal(0, 0.2, size=(30, 2)) + [9.0, 1.5],
        ]
    )
    h = {"flat": 3.0, "gaussian": 1.0, "epanechnikov": 2.5}[kernel]
    nearest = _fit(X, bandwidth=h, kernel=kernel, gaussian_tol=0)
    attractor = _fit(
        X, bandwidth=h, kernel=kernel, cluster_assignment="attractor", gaussian_tol=0
    )
    assert_array_equal(nearest.cluster_centers_, attractor.cluster_centers_)
    ref = reference(X, h, kernel, assignment="attractor")
    assert_array_equal(attractor.labels_, ref[1])
    assert (nearest.labels_ != attractor.labels_).any()
    assert_array_equal(nearest.labels_, reference(X, h, kernel)[1])


# ---------------------------------------------------------------------------
# per-feature bandwidths, rules of thumb
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", ["blobs2d", "blobs3d", "aniso"])
def test_per_feature_bandwidth(name, kernel):
    X = _data(name)
    base = BANDWIDTH[name][kernel]
    h = base * np.linspace(0.7, 1.4, X.shape[1])
    ours = _fit(X, bandwidth=h, kernel=kernel, gaussian_tol=0)
    ref = reference(X, h, kernel)
    assert_matches_reference(ours, ref, X, rtol=1e-9)
    assert_array_equal(ours.bandwidth_, h)


@pytest.mark.parametrize("kernel", KERNELS)
def test_per_feature_bandwidth_orphans_and_bins(kernel):
    X = _data("blobs3d")
    h = BANDWIDTH["blobs3d"][kernel] * np.array([0.8, 1.0, 1.3])
    ours = _fit(
        X,
        bandwidth=h,
        kernel=kernel,
        cluster_all=False,
        bin_seeding=True,
        gaussian_tol=0,
    )
    ref = reference(X, h, kernel, cluster_all=False, bin_seeding=True)
    assert_matches_reference(ours, ref, X, rtol=1e-9)


def test_per_feature_bandwidth_equal_values_is_scalar():
    X = _data("blobs3d")
    a = _fit(X, bandwidth=np.full(3, 1.5))
    b = _fit(X, bandwidth=1.5)
    assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)
    assert_array_equal(a.labels_, b.labels_)
    assert a.n_iter_ == b.n_iter_


def test_per_feature_bandwidth_wrong_length():
    with pytest.raises(ValueError, match="bandwidth has 3 values"):
        MeanShift(bandwidth=[1.0, 2.0, 3.0]).fit(_data("blobs2d"))


@pytest.mark.parametrize("rule", ["scott", "silverman"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_rule_of_thumb_bandwidths(rule, kernel):
    X = _data("aniso")
    ours = _fit(X, bandwidth=rule, kernel=kernel, gaussian_tol=0)
    n, d = X.shape
    h = np.asarray(ours.bandwidth_)
    assert h.shape == (d,)
    assert (h > 0).all() and np.isfinite(h).all()
    # The normal reference rules, per feature.
    std = X.std(axis=0, ddof=1)
    factor = (
        n ** (-1 / (d + 4)) if rule == "scott" else (n * (d + 2) / 4) ** (-1 / (d + 4))
    )
    assert_allclose(h, factor * std, rtol=1e-12)
    ref = reference(X, h, kernel)
    assert_matches_reference(ours, ref, X, rtol=1e-9)


@pytest.mark.parametrize("rule", ["scott", "silverman"])
@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e160, 1e300])
def test_rule_of_thumb_at_extreme_scales(rule, scale):
    # The rules follow the data's scale: their squares must neither
    # overflow (1e160) nor underflow (1e-300).
    X = _data("aniso")
    h = np.asarray(_fit(X, bandwidth=rule).bandwidth_)
    ours = _fit(X * scale, bandwidth=rule)
    assert_allclose(np.asarray(ours.bandwidth_) / scale, h, rtol=1e-12)
    base = _fit(X, bandwidth=rule)
    assert_allclose(ours.cluster_centers_ / scale, base.cluster_centers_, rtol=1e-9)
    assert np.array_equal(ours.labels_, base.labels_)


def test_rule_of_thumb_constant_feature():
    X = _data("blobs2d")
    X = np.column_stack([X, np.full(len(X), 3.0)])
    h = np.asarray(_fit(X, bandwidth="scott").bandwidth_)
    assert (h > 0).all() and np.isfinite(h).all()


@pytest.mark.parametrize("algorithm", ["kd_tree", "brute"])
def test_gaussian_seed_where_plain_weights_underflow(algorithm):
    # From (400, 400) every plain Gaussian weight exp(-d^2 / 2h^2) is 0 in
    # double precision; the step is still the weighted mean, taken with the
    # weights relative to the nearest point's.
    X = _data("blobs2d")
    h = 1.0
    seed = np.array([[400.0, 400.0]])
    d2 = ((X - seed) ** 2).sum(axis=1)
    assert not np.exp(-d2 / (2 * h * h)).any()
    w = np.exp(-(d2 - d2.min()) / (2 * h * h))
    step = (w[:, None] * X).sum(axis=0) / w.sum()
    ours = _fit(
        X,
        bandwidth=h,
        kernel="gaussian",
        seeds=seed,
        max_iter=0,
        gaussian_tol=0,
        algorithm=algorithm,
    )
    assert_allclose(ours.cluster_centers_, step[None], rtol=1e-12)
    # Far and near seeds together: the far one ranks last, by its density.
    seeds = np.vstack([X[:1], seed])
    ours = _fit(
        X,
        bandwidth=h,
        kernel="gaussian",
        seeds=seeds,
        gaussian_tol=0,
        algorithm=algorithm,
    )
    ref = reference(X, h, "gaussian", seeds=seeds)
    assert_matches_reference(ours, ref, X, rtol=1e-9)
    lo, hi = X.min(axis=0), X.max(axis=0)
    assert ((ours.cluster_centers_ >= lo) & (ours.cluster_centers_ <= hi)).all()


@pytest.mark.parametrize("d", [1, 2, 3, 4, 6, 16, 40])
@pytest.mark.parametrize("max_iter", [0, 300])
def test_seed_groups_same_bits_with_unit_weights(d, max_iter):
    # Many seeds go through the grouped flat sums.  Beyond 4 features,
    # without weights they may take the float32 dot-product screen, with
    # unit weights the portable test; up to 4, the AVX2 block steps add
    # points without weights, and with weights their products.  Both decide
    # the same pairs and add the same sums in the same order: every mean is
    # the same double.  (test_portable_bits.py compares every form with
    # the portable build.)
    from meanshift_fast import _core
    from meanshift_fast._estimator import _shift

    rng = np.random.default_rng(d)
    X = np.concatenate([rng.normal(c, 0.7, (700, d)) for c in (0.0, 2.5, 5.0)])
    h = {1: 1.3, 2: 1.3, 3: 1.3, 4: 2.2, 6: 2.2, 16: 4.0, 40: 6.0}[d]
    plain = _core.Tree(X, weights=None, leaf_size=0, kernel="flat", n_threads=2)
    unit = _core.Tree(
        X, weights=np.ones(len(X)), leaf_size=0, kernel="flat", n_threads=2
    )
    a = _shift(plain, X, "flat", h, max_iter, 0.0, 2)
    b = _shift(unit, X, "flat", h, max_iter, 0.0, 2)
    for x, y in zip(a, b, strict=True):
        assert_array_equal(x, y)
    # and the sums are those of every point within h (numpy brute force)
    if max_iter == 0:
        d2 = ((X[:300, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
        inside = d2 <= h * h
        ref = (inside @ X) / inside.sum(axis=1)[:, None]
        assert_allclose(a[0][:300], ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", [2, 3, 4, 6, 8])
@pytest.mark.parametrize("scale", [1.0, 1e35, 1e-40])
def test_seed_groups_exact_at_the_radius(d, scale):
    # Lattice points: many pairs lie exactly at the bandwidth, where the
    # AVX2 variant's float32 screen must defer to the exact test; at the
    # extreme scales it cannot screen at all.  Each variant must give every
    # point's exact neighbourhood sum, and the same bits as the other.
    from meanshift_fast import _core
    from meanshift_fast._estimator import _shift

    rng = np.random.default_rng(d)
    side = {2: 40, 3: 12, 4: 6, 6: 4, 8: 3}[d]
    grid = np.stack(np.meshgrid(*[np.arange(side)] * d), axis=-1).reshape(-1, d)
    X = grid[rng.permutation(len(grid))].astype(float) * scale
    h = 2.0 * scale
    plain = _core.Tree(X, weights=None, leaf_size=0, kernel="flat", n_threads=2)
    unit = _core.Tree(
        X, weights=np.ones(len(X)), leaf_size=0, kernel="flat", n_threads=2
    )
    a = _shift(plain, X, "flat", h, 0, 0.0, 2)
    b = _shift(unit, X, "flat", h, 0, 0.0, 2)
    for x, y in zip(a, b, strict=True):
        assert_array_equal(x, y)
    # the library's distance expression: differences squared, summed in
    # feature order
    d2 = ((X[:400, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
    inside = d2 <= h * h
    ref = (inside @ X) / inside.sum(axis=1)[:, None]
    assert_allclose(a[0][:400], ref, rtol=1e-13, atol=0)


def test_gaussian_far_seed_nearest_sample_weightless():
    # The nearest sample has weight 0: weights are taken relative to the
    # nearest sample that counts, or every weight would underflow again.
    X = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 1.0], [11.0, 0.0]])
    w = np.array([0.0, 1.0, 1.0, 1.0])
    seeds = np.array([[-1000.0, 0.0]])
    ours = MeanShift(
        bandwidth=1.0, kernel="gaussian", gaussian_tol=0, seeds=seeds, max_iter=0
    ).fit(X, sample_weight=w)
    d2 = ((X - seeds) ** 2).sum(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        k = np.where(w > 0, w * np.exp(-(d2 - d2[w > 0].min()) / 2.0), 0.0)
    step = (k[:, None] * X).sum(axis=0) / k.sum()
    assert_allclose(ours.cluster_centers_, step[None], rtol=1e-12)


@pytest.mark.parametrize("kernel", ["flat", "gaussian", "epanechnikov"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_core_step_driven_by_hand_retraces_the_shift_loop(kernel, dtype):
    """ms_step, fed kernel sums one round at a time (as the Dask estimator
    feeds it), gives the positions, intensities, iteration counts and stops
    of the core's own loop, bit for bit."""
    from meanshift_fast import _core

    rng = np.random.default_rng(4)
    # Five features and fewer seeds than the grouped loop takes: the loop
    # sums each seed's neighbourhood in the order of a single query.
    X = np.concatenate([rng.normal(0, 1, (300, 5)), rng.normal(6, 1, (300, 5))])
    X = X.astype(dtype)
    seeds = np.concatenate([X[::15].astype(np.float64), np.full((1, 5), 40.0)])
    h = 2.0
    max_iter = {"flat": 8, "gaussian": 4, "epanechnikov": 14}[kernel]
    tree = _core.Tree(X, kernel=kernel)
    want = tree.shift(seeds, kernel, h, 1e-3 * h, max_iter, 0.0, 1)

    means = seeds.copy()
    intensity = np.zeros(len(seeds))
    iters = np.zeros(len(seeds), dtype=np.int64)
    converged = np.zeros(len(seeds), dtype=bool)
    active = np.arange(len(seeds))
    while len(active):
        pos = means[active].copy()
        base, w, wx = tree.kernel_sum(pos, kernel, h, 0.0)
        inten, it = intensity[active], iters[active]
        state = _core.step(
            pos,
            base,
            w,
            wx,
            kernel,
            h,
            1e-3 * h,
            max_iter,
            inten,
            it,
            dtype == np.float32,
        )
        means[active], intensity[active], iters[active] = pos, inten, it
        converged[active[state == 1]] = True
        active = active[state == 0]
    for got, ref in zip((means, intensity, iters, converged), want, strict=True):
        np.testing.assert_array_equal(got, ref)
    # Seeds that converged, stopped at max_iter and (flat) were dropped.
    assert converged.any() and (~converged & (intensity > 0)).any()
    assert kernel != "flat" or intensity[-1] == 0


def _first_steps_everywhere_alike(X, seeds, h):
    """Each seed's first flat step over X, with the same bits on 2 and 1
    threads and over unit weights; returns the 2-thread result and which
    points lie within h of which seed (numpy, the library's expression)."""
    from meanshift_fast import _core
    from meanshift_fast._estimator import _shift

    plain = _core.Tree(X, weights=None, leaf_size=0, kernel="flat", n_threads=2)
    unit = _core.Tree(
        X, weights=np.ones(len(X)), leaf_size=0, kernel="flat", n_threads=2
    )
    a = _shift(plain, seeds, "flat", h, 0, 0.0, 2)
    one = _shift(plain, seeds, "flat", h, 0, 0.0, 1)
    b = _shift(unit, seeds, "flat", h, 0, 0.0, 2)
    for x, y, z in zip(a, one, b, strict=True):
        assert_array_equal(x, y)
        assert_array_equal(x, z)
    d2 = ((seeds[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
    return a, d2 <= h * h


@pytest.mark.parametrize("d", [5, 6, 9, 16])
@pytest.mark.parametrize("data", ["lattice", "clusters"])
def test_seed_groups_beyond_four_features_take_exact_neighbourhoods(d, data):
    # Beyond four features a group settles its undecided points only against
    # the seeds whose balls reach the points' box.  Lattice points put many
    # pairs exactly at the bandwidth; separated clusters with seeds spread
    # over both make groups whose far seeds reach nothing.  Each seed's first
    # step must be the mean of every point within h (numpy brute force), the
    # same bits whatever the thread count, and with unit weights the same
    # bits as without weights.
    rng = np.random.default_rng(d)
    if data == "lattice":
        side = {5: 4, 6: 3, 9: 2, 16: 2}[d]
        grid = np.stack(np.meshgrid(*[np.arange(side)] * d), axis=-1).reshape(-1, d)
        X = grid[rng.permutation(len(grid))].astype(float)[:3000]
        h = 2.0
        lo, hi = -1.0, float(side)
    else:
        X = np.concatenate(
            [rng.normal(0.0, 1.0, (800, d)), rng.normal(4.0, 1.0, (800, d))]
        )
        h = 0.6 * np.sqrt(d)
        lo, hi = -2.0, 6.0
    seeds = np.concatenate([X[::3], rng.uniform(lo, hi, (200, d))])
    a, inside = _first_steps_everywhere_alike(X, seeds, h)
    found = inside.any(axis=1)
    assert found.sum() > len(seeds) // 2
    ref = (inside[found] @ X) / inside[found].sum(axis=1)[:, None]
    assert_allclose(a[0][found], ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", [8, 16, 40])
@pytest.mark.parametrize("gap", [0.5, 1.0, 1.5])
def test_seed_groups_decide_tight_clusters_whole(d, gap):
    # Beyond four features a node is taken whole, or skipped, where the
    # ball about its points' mean lies inside every seed's ball, or outside
    # all of them, with a margin for rounding.  Tight clusters at distances
    # below, near and beyond the bandwidth (gap, in bandwidths, between
    # cluster centres) put whole nodes on each side of it, and seeds among
    # them group tightly.  Each seed's first step must be the mean of every
    # point within h (numpy brute force), with the same bits at 1 and 2
    # threads and with unit weights.
    rng = np.random.default_rng(d)
    h = 3.0
    centres = np.zeros((4, d))
    centres[1:, 0] = gap * h * np.arange(1, 4)
    X = np.concatenate([c + rng.normal(0.0, 0.02, (500, d)) for c in centres])
    # and a few points at exactly h from the first cluster's first point
    shell = X[0] + h * np.eye(d)[: min(d, 8)]
    X = np.concatenate([X, shell, X[0] - h * np.eye(d)[: min(d, 8)]])
    seeds = np.concatenate([X[:2000:7], X[:1]])
    a, inside = _first_steps_everywhere_alike(X, seeds, h)
    assert_array_equal(a[1], inside.sum(axis=1))
    ref = (inside @ X) / inside.sum(axis=1)[:, None]
    assert_allclose(a[0], ref, rtol=1e-12, atol=1e-12)
