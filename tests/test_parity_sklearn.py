"""meanshift_fast against scikit-learn 1.9's MeanShift.

Two parts:

* a port of what scikit-learn's own ``sklearn/cluster/tests/test_mean_shift.py``
  asserts, run against meanshift_fast;
* direct parity with ``sklearn.cluster.MeanShift`` / ``mean_shift`` /
  ``estimate_bandwidth`` / ``get_bin_seeds`` over many data sets and
  parameter combinations: the same centres in the same order, identical
  labels and ``n_iter_``, the same dtypes.

scikit-learn's fit costs about 0.35 ms per seed per iteration here, so data
sets seeded from every point stay at a couple of hundred points; every
scikit-learn result is computed once per session and shared by the tests
that compare against it.
"""

import contextlib
import functools
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import cluster as skc
from sklearn.datasets import make_blobs
from sklearn.metrics import v_measure_score
from threadpoolctl import threadpool_limits

import meanshift_fast as msf

# meanshift_fast warns when seeds stop at max_iter; scikit-learn is silent.
pytestmark = pytest.mark.filterwarnings("ignore::meanshift_fast.ConvergenceWarning")

DTYPES = [np.float64, np.float32]
DTYPE_IDS = ["float64", "float32"]


# ---------------------------------------------------------------------------
# data sets
# ---------------------------------------------------------------------------

# The data of scikit-learn's test module.
SK_CENTERS = np.array([[1, 1], [-1, -1], [1, -1]]) + 10
SK_X, _ = make_blobs(
    n_samples=300,
    n_features=2,
    centers=SK_CENTERS,
    cluster_std=0.4,
    shuffle=True,
    random_state=11,
)

SIX = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]], dtype=float)


def _seed_doc_blobs(n=150, seed=0):
    """The seed document's example: 3-D blobs around (2,2,2), (7,7,7),
    (5,13,13) with standard deviation 0.6."""
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 2.0, 2.0], [7.0, 7.0, 7.0], [5.0, 13.0, 13.0]])
    return np.concatenate([rng.normal(c, 0.6, size=(n // 3, 3)) for c in centers])


def _grid():
    # Integer points: many pairwise distances are exactly 1, 2, sqrt(2)...,
    # so an integer bandwidth puts points exactly on the kernel boundary.
    g = np.array([[i, j] for i in range(7) for j in range(6)], dtype=float)
    extra = np.array([[2, 2], [2, 2], [5, 1], [0, 4], [3, 3], [3, 3], [3, 3]], float)
    return np.concatenate([g, extra])


def _line_1d():
    rng = np.random.default_rng(5)
    return np.concatenate(
        [rng.normal(0.0, 0.3, 50), rng.normal(3.0, 0.5, 40), rng.normal(8, 0.2, 30)]
    ).reshape(-1, 1)


def _duplicates():
    X, _ = make_blobs(n_samples=70, n_features=2, centers=3, random_state=8)
    reps = np.random.default_rng(8).integers(1, 4, size=len(X))
    return np.repeat(X, reps, axis=0)


@functools.cache
def dataset(name):
    if name == "blobs2d":
        X, _ = make_blobs(
            n_samples=150, n_features=2, centers=3, cluster_std=0.7, random_state=0
        )
    elif name == "blobs2d_big":  # for bin seeding only
        X, _ = make_blobs(
            n_samples=1500, n_features=2, centers=5, cluster_std=0.8, random_state=1
        )
    elif name == "blobs3d":
        X, _ = make_blobs(
            n_samples=180, n_features=3, centers=4, cluster_std=1.0, random_state=2
        )
    elif name == "blobs5d":
        X, _ = make_blobs(
            n_samples=120, n_features=5, centers=3, cluster_std=1.0, random_state=3
        )
    elif name == "blobs20d":  # scikit-learn searches by brute force here
        X, _ = make_blobs(n_samples=100, n_features=20, centers=3, random_state=6)
    elif name in ("tiny", "huge"):
        # Magnitudes at which meanshift_fast rescales by a power of two to
        # keep squared distances finite (scikit-learn is still exact here).
        X, _ = make_blobs(
            n_samples=120, n_features=2, centers=3, cluster_std=0.5, random_state=4
        )
        X = X * (1e-130 if name == "tiny" else 1e130)
    elif name == "seed_doc":
        X = _seed_doc_blobs()
    elif name == "sk_module":
        X = SK_X
    elif name == "grid":
        X = _grid()
    elif name == "line1d":
        X = _line_1d()
    elif name == "offset":
        X, _ = make_blobs(
            n_samples=120, n_features=2, centers=3, cluster_std=0.5, random_state=4
        )
        X = X + 1e6
    elif name == "duplicates":
        X = _duplicates()
    elif name == "six":
        X = SIX
    elif name == "six_reversed":
        X = np.concatenate([SIX[3:], SIX[:3]])
    else:  # pragma: no cover
        raise KeyError(name)
    X = np.ascontiguousarray(X, dtype=np.float64)
    X.setflags(write=False)
    return X


def get_data(name, dtype):
    X = dataset(name)
    return X if dtype == np.float64 else X.astype(dtype)


# ---------------------------------------------------------------------------
# fitting both and comparing
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def sklearn_serial():
    """scikit-learn on one OpenMP thread.

    Its brute-force neighbour searches (small data, many features) open an
    OpenMP region per query, which costs tens of milliseconds per query on a
    busy two-core machine; one thread gives the same results much faster.
    """
    with threadpool_limits(limits=1, user_api="openmp"):
        with sklearn.config_context(assume_finite=True):
            yield


def _sk_fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # bin seeding fallback
        with sklearn_serial():
            return skc.MeanShift(**params).fit(X)


@functools.cache
def sk_result(name, dtype_name, params_items):
    """scikit-learn's fit, once per (data, dtype, parameters)."""
    X = get_data(name, np.dtype(dtype_name).type)
    params = dict(params_items)
    if "seeds" in params:
        params["seeds"] = np.array(params["seeds"])
    return _sk_fit(X, **params)


def sk_estimate_bandwidth(X, **params):
    with sklearn_serial():
        return skc.estimate_bandwidth(X, **params)


def sk_predict(model, X):
    with sklearn_serial():
        return model.predict(X)


def _ours_fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return msf.MeanShift(**params).fit(X)


def _rtol(X):
    # scikit-learn accumulates a float32 mean in float32 (np.mean of float32
    # rows); meanshift_fast accumulates in float64 and rounds once, so float32
    # centres agree only to about float32 resolution.
    return 1e-6 if X.dtype == np.float32 else 1e-7


def assert_centers_close(ours, ref, X):
    """Same dtype, shape and order; close coordinates.

    Compared after subtracting the data mean, so that a 1e6 offset does not
    turn rtol into a huge absolute tolerance; the absolute floor is relative
    to the spread of the data (coordinates that happen to be near 0).
    """
    assert ours.dtype == ref.dtype
    assert ours.shape == ref.shape
    origin = X.astype(np.float64).mean(axis=0)
    rtol = _rtol(X)
    spread = float(np.ptp(X.astype(np.float64), axis=0).max()) or 1.0
    assert_allclose(
        ours.astype(np.float64) - origin,
        ref.astype(np.float64) - origin,
        rtol=rtol,
        atol=rtol * spread,
    )


def assert_same_fit(ours, ref, X):
    assert_centers_close(ours.cluster_centers_, ref.cluster_centers_, X)
    assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.n_features_in_ == ref.n_features_in_


def _probe_points(X, n=60, seed=0):
    """New points for predict: jittered samples and points in the bounding
    box (a little beyond it)."""
    rng = np.random.default_rng(seed)
    X64 = X.astype(np.float64)
    lo, hi = X64.min(axis=0), X64.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    box = rng.uniform(lo - 0.2 * span, hi + 0.2 * span, size=(n, X.shape[1]))
    jitter = X64[rng.integers(0, len(X), n)] + rng.normal(0, 0.05, (n, X.shape[1]))
    return np.concatenate([box, jitter]).astype(X.dtype)


# ---------------------------------------------------------------------------
# Part 1: scikit-learn's test_mean_shift.py, ported
# ---------------------------------------------------------------------------


def test_convergence_of_1d_constant_data():
    # scikit-learn #28926: constant 1-D data converged only at max_iter.
    model = msf.MeanShift()
    n_iter = model.fit(np.ones(10).reshape(-1, 1)).n_iter_
    assert n_iter < model.max_iter
    ref = _sk_fit(np.ones(10).reshape(-1, 1))
    assert_same_fit(model, ref, np.ones((10, 1)))


def test_estimate_bandwidth():
    bandwidth = msf.estimate_bandwidth(SK_X, n_samples=200)
    assert 0.9 <= bandwidth <= 1.5
    assert bandwidth == pytest.approx(
        sk_estimate_bandwidth(SK_X, n_samples=200), rel=1e-12
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_estimate_bandwidth_1sample(dtype):
    # n_samples=1 with quantile < 1: n_neighbors is raised to 1.
    X = SK_X.astype(dtype, copy=False)
    bandwidth = msf.estimate_bandwidth(X, n_samples=1, quantile=0.3)
    ref = sk_estimate_bandwidth(X, n_samples=1, quantile=0.3)
    # scikit-learn asserts float64 here (the dtype of its module-level X)
    # for both input dtypes.
    assert np.asarray(bandwidth).dtype == np.asarray(ref).dtype == np.float64
    assert bandwidth == pytest.approx(0.0, abs=1e-5)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "bandwidth, cluster_all, expected, first_cluster_label",
    [(1.2, True, 3, 0), (1.2, False, 4, -1)],
    ids=["cluster_all", "orphans"],
)
def test_mean_shift(dtype, bandwidth, cluster_all, expected, first_cluster_label):
    X = SK_X.astype(dtype, copy=False)
    ms = msf.MeanShift(bandwidth=bandwidth, cluster_all=cluster_all)
    labels = ms.fit(X).labels_
    labels_unique = np.unique(labels)
    assert len(labels_unique) == expected
    assert labels_unique[0] == first_cluster_label
    assert ms.cluster_centers_.dtype == dtype

    cluster_centers, labels_mean_shift = msf.mean_shift(X, cluster_all=cluster_all)
    labels_mean_shift_unique = np.unique(labels_mean_shift)
    assert len(labels_mean_shift_unique) == expected
    assert labels_mean_shift_unique[0] == first_cluster_label
    assert cluster_centers.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("random_state", [0, 1, 42])
def test_parallel(dtype, random_state):
    X, _ = make_blobs(
        n_samples=50,
        n_features=2,
        centers=SK_CENTERS,
        cluster_std=0.4,
        shuffle=True,
        random_state=random_state,
    )
    X = X.astype(dtype, copy=False)
    ms1 = msf.MeanShift(n_jobs=2).fit(X)
    ms2 = msf.MeanShift().fit(X)
    # scikit-learn asserts allclose; meanshift_fast promises identical results
    # whatever the thread count.
    assert_array_equal(ms1.cluster_centers_, ms2.cluster_centers_)
    assert ms1.cluster_centers_.dtype == ms2.cluster_centers_.dtype
    assert_array_equal(ms1.labels_, ms2.labels_)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_meanshift_predict(dtype):
    ms = msf.MeanShift(bandwidth=1.2)
    X = SK_X.astype(dtype, copy=False)
    labels = ms.fit_predict(X)
    labels2 = ms.predict(X)
    assert_array_equal(labels, labels2)


def test_meanshift_all_orphans():
    # Seeds away from the data: a sensible error.
    ms = msf.MeanShift(bandwidth=0.1, seeds=[[-9, -9], [-10, -10]])
    with pytest.raises(ValueError, match="No point was within bandwidth=0.1"):
        ms.fit(SK_X)
    # scikit-learn's message, word for word.
    with pytest.raises(ValueError) as ref, sklearn_serial():
        skc.MeanShift(bandwidth=0.1, seeds=[[-9, -9], [-10, -10]]).fit(SK_X)
    with pytest.raises(ValueError) as ours:
        ms.fit(SK_X)
    assert str(ours.value) == str(ref.value)


def test_unfitted():
    ms = msf.MeanShift()
    assert not hasattr(ms, "cluster_centers_")
    assert not hasattr(ms, "labels_")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_cluster_intensity_tie(dtype):
    X = SIX.astype(dtype)
    c1 = msf.MeanShift(bandwidth=2).fit(X)
    X = np.concatenate([SIX[3:], SIX[:3]]).astype(dtype)
    c2 = msf.MeanShift(bandwidth=2).fit(X)
    assert_array_equal(c1.labels_, [1, 1, 1, 0, 0, 0])
    assert_array_equal(c2.labels_, [0, 0, 0, 1, 1, 1])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_bin_seeds(dtype):
    X = np.array(
        [[1.0, 1.0], [1.4, 1.4], [1.8, 1.2], [2.0, 1.0], [2.1, 1.1], [0.0, 0.0]],
        dtype=dtype,
    )
    # bin size 1, min_bin_freq 1: three bins.
    test_result = {tuple(p) for p in msf.get_bin_seeds(X, 1, 1)}
    assert test_result == {(1.0, 1.0), (2.0, 1.0), (0.0, 0.0)}
    # bin size 1, min_bin_freq 2: two bins.
    test_result = {tuple(p) for p in msf.get_bin_seeds(X, 1, 2)}
    assert test_result == {(1.0, 1.0), (2.0, 1.0)}
    # bin size 0.01: six bins for six points; falls back to the data.
    with pytest.warns(UserWarning, match="Binning data failed"):
        test_bins = msf.get_bin_seeds(X, 0.01, 1)
    assert_allclose(test_bins, X)
    # Tight clusters around [0, 0] and [1, 1]: two bins.
    X, _ = make_blobs(
        n_samples=100,
        n_features=2,
        centers=[[0, 0], [1, 1]],
        cluster_std=0.1,
        random_state=0,
    )
    X = X.astype(dtype, copy=False)
    assert_array_equal(msf.get_bin_seeds(X, 1), [[0, 0], [1, 1]])


@pytest.mark.parametrize("max_iter", [1, 100])
def test_max_iter(max_iter):
    clusters1, _ = msf.mean_shift(SK_X, max_iter=max_iter)
    ms = msf.MeanShift(max_iter=max_iter).fit(SK_X)
    clusters2 = ms.cluster_centers_
    assert ms.n_iter_ <= ms.max_iter
    assert len(clusters1) == len(clusters2)
    for c1, c2 in zip(clusters1, clusters2, strict=True):
        assert np.allclose(c1, c2)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_mean_shift_zero_bandwidth(dtype):
    # The estimated bandwidth is 0 on this data (scikit-learn #17727).
    X = np.array([1, 1, 1, 2, 2, 2, 3, 3], dtype=dtype).reshape(-1, 1)
    bandwidth = msf.estimate_bandwidth(X)
    assert bandwidth == 0
    # A zero bin size returns the data itself.
    assert msf.get_bin_seeds(X, bin_size=bandwidth) is X
    # Binning with a zero bandwidth is the same as not binning.
    ms_binning = msf.MeanShift(bin_seeding=True, bandwidth=None).fit(X)
    ms_nobinning = msf.MeanShift(bin_seeding=False).fit(X)
    expected_labels = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    assert v_measure_score(ms_binning.labels_, expected_labels) == pytest.approx(1)
    assert v_measure_score(ms_nobinning.labels_, expected_labels) == pytest.approx(1)
    assert_allclose(ms_binning.cluster_centers_, ms_nobinning.cluster_centers_)
    # ... and exactly scikit-learn's result.
    assert_same_fit(ms_binning, _sk_fit(X, bin_seeding=True), X)
    assert_same_fit(ms_nobinning, _sk_fit(X), X)


@pytest.mark.parametrize("n", [3, 6, 12])
@pytest.mark.parametrize("bin_seeding", [False, True])
@pytest.mark.parametrize("cluster_all", [True, False], ids=["all", "orphans"])
def test_zero_bandwidth_on_constant_data_whose_sum_rounds(n, bin_seeding, cluster_all):
    """Constant data: the estimated bandwidth is 0 and every neighbourhood
    holds only copies of one value, whose mean is that value.  n copies of
    0.1 sum to a value that n does not divide back to 0.1 (scikit-learn's
    np.mean moves its seeds one ulp off, and then fails at n = 3 and 12
    with "No point was within bandwidth", where its k-d tree or its
    expanded distances find nothing at distance 0); the fit must keep the
    one cluster at 0.1, with every sample in it.  (float32 data are summed
    in float64, where n copies divide back exactly.)"""
    X = np.full((n, 2), [0.1, 0.7])
    assert (X.sum(axis=0) / n != X[0]).any()
    ours = msf.MeanShift(bin_seeding=bin_seeding, cluster_all=cluster_all).fit(X)
    assert ours.bandwidth_ == 0
    assert_array_equal(ours.cluster_centers_, X[:1])
    assert_array_equal(ours.labels_, np.zeros(n, dtype=np.intp))
    assert ours.n_iter_ == 0
    assert_array_equal(ours.predict(X), ours.labels_)


# ---------------------------------------------------------------------------
# Part 2: parity with scikit-learn over data sets and parameters
# ---------------------------------------------------------------------------

# Seeds: a few samples, a point between clusters and orphans far from all
# data (dropped, but still counted by n_iter_).
SEEDS_2D = ((-8.0, 7.0), (1.0, 4.0), (2.0, 1.0), (100.0, 100.0), (-50.0, 3.0))
SEEDS_3D = ((2.0, 2.0, 2.0), (6.0, 6.0, 8.0), (5.0, 12.0, 13.0), (40.0, 0.0, 0.0))

# (data set, parameters); parameters as a tuple of items (hashable for the
# session cache).
CASES = [
    ("blobs2d", {}),
    ("blobs2d", {"bandwidth": 1.0}),
    ("blobs2d", {"bandwidth": 1.0, "cluster_all": False}),
    ("blobs2d", {"bin_seeding": True}),
    ("blobs2d", {"bin_seeding": True, "min_bin_freq": 3}),
    ("blobs2d", {"bandwidth": 0.6, "bin_seeding": True, "min_bin_freq": 3}),
    ("blobs2d", {"bandwidth": 0.5, "bin_seeding": True, "cluster_all": False}),
    ("blobs2d", {"max_iter": 0}),
    ("blobs2d", {"max_iter": 1}),
    ("blobs2d", {"max_iter": 2, "bandwidth": 1.5}),
    ("blobs2d", {"bandwidth": 2.0, "seeds": SEEDS_2D}),
    ("blobs2d", {"bandwidth": 2.0, "seeds": SEEDS_2D, "max_iter": 1}),
    ("blobs2d", {"bandwidth": 1.0, "seeds": SEEDS_2D, "cluster_all": False}),
    ("blobs2d", {"bandwidth": 2.0, "seeds": SEEDS_2D, "bin_seeding": True}),
    ("blobs2d_big", {"bin_seeding": True}),
    ("blobs2d_big", {"bandwidth": 0.7, "bin_seeding": True, "min_bin_freq": 3}),
    ("blobs2d_big", {"bandwidth": 0.4, "bin_seeding": True, "cluster_all": False}),
    ("blobs3d", {}),
    ("blobs3d", {"bin_seeding": True}),
    ("blobs3d", {"bandwidth": 1.5, "cluster_all": False}),
    ("blobs3d", {"bandwidth": 2.0, "bin_seeding": True, "min_bin_freq": 3}),
    ("blobs3d", {"max_iter": 1, "bin_seeding": True}),
    ("blobs5d", {}),
    ("blobs5d", {"bin_seeding": True, "min_bin_freq": 3}),
    ("blobs5d", {"bandwidth": 2.5, "cluster_all": False}),
    ("blobs20d", {}),
    ("blobs20d", {"bandwidth": 5.0, "cluster_all": False}),
    ("tiny", {}),
    ("tiny", {"bandwidth": 1e-130, "cluster_all": False}),
    ("tiny", {"bin_seeding": True}),
    ("huge", {}),
    ("huge", {"bandwidth": 1e130, "cluster_all": False}),
    ("huge", {"bin_seeding": True}),
    ("seed_doc", {}),
    ("seed_doc", {"bin_seeding": True}),
    ("seed_doc", {"bandwidth": 2.0}),
    ("seed_doc", {"bandwidth": 0.8, "cluster_all": False}),
    ("seed_doc", {"bandwidth": 2.0, "seeds": SEEDS_3D}),
    ("seed_doc", {"max_iter": 2}),
    ("sk_module", {"bandwidth": 1.2, "bin_seeding": True}),
    ("sk_module", {"bin_seeding": True, "cluster_all": False}),
    ("grid", {"bandwidth": 1}),
    ("grid", {"bandwidth": 2}),
    ("grid", {"bandwidth": 3}),
    ("grid", {"bandwidth": 1, "bin_seeding": True}),
    ("grid", {"bandwidth": 2, "bin_seeding": True, "min_bin_freq": 3}),
    ("grid", {"bandwidth": 2, "cluster_all": False}),
    ("grid", {"bandwidth": 1, "max_iter": 1}),
    ("grid", {"bandwidth": 2, "seeds": ((0, 0), (3, 3), (6, 5), (20, 20))}),
    ("line1d", {}),
    ("line1d", {"bandwidth": 0.5, "cluster_all": False}),
    ("line1d", {"bin_seeding": True}),
    ("line1d", {"bandwidth": 0.3, "bin_seeding": True, "min_bin_freq": 3}),
    ("offset", {"bandwidth": 1.0}),
    ("offset", {"bandwidth": 1.0, "bin_seeding": True}),
    ("offset", {}),
    ("duplicates", {}),
    ("duplicates", {"bandwidth": 0.8, "cluster_all": False}),
    ("duplicates", {"bin_seeding": True, "min_bin_freq": 3}),
    ("six", {"bandwidth": 2}),
    ("six", {"bandwidth": 2, "cluster_all": False}),
    ("six", {}),
    ("six", {"bandwidth": 2, "bin_seeding": True}),
    ("six_reversed", {"bandwidth": 2}),
    ("six_reversed", {"bandwidth": 2, "cluster_all": False}),
    ("six_reversed", {"bandwidth": 1.5, "max_iter": 1}),
]

FLOAT32_CASES = [
    ("blobs2d", {}),
    ("blobs20d", {}),
    ("blobs2d", {"bandwidth": 1.0, "cluster_all": False}),
    ("blobs2d_big", {"bin_seeding": True}),
    ("blobs3d", {"bin_seeding": True}),
    ("seed_doc", {}),
    ("seed_doc", {"bandwidth": 2.0, "seeds": SEEDS_3D}),
    ("grid", {"bandwidth": 2}),
    ("grid", {"bandwidth": 1, "bin_seeding": True}),
    ("line1d", {"bin_seeding": True}),
    ("duplicates", {"bandwidth": 0.8}),
    ("six", {"bandwidth": 2}),
    ("six_reversed", {"bandwidth": 2}),
]


def _case_id(case):
    name, params = case
    parts = []
    for key, value in params.items():
        if key == "seeds":
            parts.append(f"seeds{len(value)}")
        elif value is True:
            parts.append(key)
        else:
            parts.append(f"{key}={value}")
    return "-".join([name, *parts]) if parts else f"{name}-default"


PARAMS = [pytest.param(c, np.float64, id=_case_id(c)) for c in CASES] + [
    pytest.param(c, np.float32, id="f32-" + _case_id(c)) for c in FLOAT32_CASES
]


def _fit_both(case, dtype):
    name, params = case
    X = get_data(name, dtype)
    ref = sk_result(name, np.dtype(dtype).name, tuple(params.items()))
    ours_params = dict(params)
    if "seeds" in ours_params:
        ours_params["seeds"] = np.array(ours_params["seeds"])
    ours = _ours_fit(X, **ours_params)
    return X, ours, ref


@pytest.mark.parametrize("case, dtype", PARAMS)
def test_fit_parity(case, dtype):
    X, ours, ref = _fit_both(case, dtype)
    assert_same_fit(ours, ref, X)


@pytest.mark.parametrize("case, dtype", PARAMS)
def test_predict_parity(case, dtype):
    X, ours, ref = _fit_both(case, dtype)
    probes = np.concatenate([_probe_points(X), X])
    expected = sk_predict(ref, probes)
    assert_array_equal(ours.predict(probes), expected)
    # predict on the training data is the cluster_all labelling.
    if case[1].get("cluster_all", True):
        assert_array_equal(ours.labels_, expected[-len(X) :])


@pytest.mark.parametrize(
    "case",
    [
        ("blobs2d", {"bandwidth": 1.0, "cluster_all": False}),
        ("seed_doc", {"bin_seeding": True}),
        ("grid", {"bandwidth": 2, "seeds": ((0, 0), (3, 3), (6, 5), (20, 20))}),
        ("six", {}),
    ],
    ids=_case_id,
)
def test_mean_shift_function_parity(case):
    name, params = case
    X = dataset(name)
    params = dict(params)
    if "seeds" in params:
        params["seeds"] = np.array(params["seeds"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with sklearn_serial():
            ref_centers, ref_labels = skc.mean_shift(X, **params)
        centers, labels = msf.mean_shift(X, **params)
    assert_centers_close(centers, ref_centers, X)
    assert_array_equal(labels, ref_labels)


def test_predict_parity_list_input():
    X = dataset("blobs2d")
    ref = sk_result("blobs2d", "float64", (("bandwidth", 1.0),))
    ours = _ours_fit(X, bandwidth=1.0)
    probes = [[0.0, 0.0], [-8.0, 7.0], [5, 5]]
    assert_array_equal(ours.predict(probes), sk_predict(ref, probes))


@pytest.mark.parametrize("cluster_all", [True, False], ids=["all", "orphans"])
def test_tie_on_bandwidth_boundary(cluster_all):
    """Points exactly at distance ``bandwidth``: inside the kernel (inclusive
    ball), inside for cluster_all=False labelling, and centres exactly
    ``bandwidth`` apart suppress each other."""
    # Two pairs at distance exactly 2 from each other's members.
    X = np.array([[0.0], [0.0], [2.0], [4.0], [4.0], [10.0], [12.0], [14.0]])
    ref = _sk_fit(X, bandwidth=2, cluster_all=cluster_all)
    ours = _ours_fit(X, bandwidth=2, cluster_all=cluster_all)
    assert_same_fit(ours, ref, X)


def test_squared_distance_one_rounding_past_the_bandwidth_is_outside():
    """(1.3, 0.9) and (1.6, 1.3) are 0.5 apart in decimals, but their
    squared distance rounds to 0.25000000000000006, above 0.5 * 0.5:
    scikit-learn's tree leaves it out of the ball, so two clusters."""
    X = np.array([[1.3, 0.9], [1.6, 1.3]] + [[10.0 * i, 50.0] for i in range(10)])
    ref = _sk_fit(X, bandwidth=0.5)
    ours = _ours_fit(X, bandwidth=0.5)
    assert_same_fit(ours, ref, X)
    assert ours.labels_[0] != ours.labels_[1]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("bin_seeding", [False, True])
def test_quantised_data_with_pairs_at_the_bandwidth(seed, bin_seeding):
    """Data rounded to 0.1 with bandwidth 0.5: each set holds pairs whose
    squared distance rounds just above 0.25.  (On such data a mean can
    still land within rounding of the bandwidth from a point, where the
    order of the sums decides; seed 4 is such a case, so it is not here.)"""
    X = np.round(np.random.default_rng(seed).normal(size=(50, 2)), 1)
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    assert ((d2 > 0.25) & (np.sqrt(d2) <= 0.5)).any()
    ref = _sk_fit(X, bandwidth=0.5, bin_seeding=bin_seeding)
    ours = _ours_fit(X, bandwidth=0.5, bin_seeding=bin_seeding)
    assert_same_fit(ours, ref, X)


@pytest.mark.parametrize("shape", [(6, 7), (8, 8), (10, 10), (11, 12)])
@pytest.mark.parametrize("cluster_all", [True, False], ids=["all", "orphans"])
def test_predict_breaks_exact_ties_as_labels_do(shape, cluster_all):
    """The one place where results knowingly differ from scikit-learn's.

    On these lattices some training points lie exactly as far from two
    centres.  scikit-learn's labels_ and its predict break such ties through
    differently rounded distance formulas, and can disagree with each other;
    here both take exact squared differences and the lower centre index,
    so predict(X_train) equals labels_ wherever labels_ names a cluster."""
    X = np.array([(i, j) for i in range(shape[0]) for j in range(shape[1])], float)
    ref = _sk_fit(X, bandwidth=1.5, cluster_all=cluster_all)
    ours = _ours_fit(X, bandwidth=1.5, cluster_all=cluster_all)
    assert_same_fit(ours, ref, X)
    C = ours.cluster_centers_
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
    nearest2 = np.sort(d2, axis=1)[:, :2]
    assert (nearest2[:, 0] == nearest2[:, 1]).any(), "no exact tie to test"
    predicted = ours.predict(X)
    assert_array_equal(predicted, np.argmin(d2, axis=1))  # first of equals
    inside = ours.labels_ >= 0
    assert_array_equal(predicted[inside], ours.labels_[inside])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", ["blobs2d", "blobs20d", "six", "line1d"])
def test_fitted_bandwidth_is_sklearns_estimate(name, dtype):
    # bandwidth=None: the bandwidth used is estimate_bandwidth(X), value and
    # type, as scikit-learn computes it inside fit.
    X = get_data(name, dtype)
    ours = _ours_fit(X)
    ref = sk_estimate_bandwidth(X)
    rtol, atol = _bw_tolerance(X, 0.3, len(X))
    assert_allclose(ours.bandwidth_, ref, rtol=rtol, atol=atol)
    assert np.asarray(ours.bandwidth_).dtype == np.asarray(ref).dtype


def test_no_bin_reaches_min_bin_freq():
    # scikit-learn fails with max() of an empty sequence; an error here too.
    X = dataset("blobs2d")
    with pytest.raises(ValueError), sklearn_serial():
        skc.MeanShift(bandwidth=1.0, bin_seeding=True, min_bin_freq=1000).fit(X)
    with pytest.raises(ValueError, match="min_bin_freq"):
        msf.MeanShift(bandwidth=1.0, bin_seeding=True, min_bin_freq=1000).fit(X)


def test_integer_input_parity():
    # Integer data is clustered as float64, as scikit-learn does.
    X = dataset("grid").astype(np.int64)
    ref = _sk_fit(X, bandwidth=2)
    ours = _ours_fit(X, bandwidth=2)
    assert ours.cluster_centers_.dtype == np.float64
    assert_same_fit(ours, ref, X)
    probes = [[1, 1], [3, 4], [7, 7]]
    assert_array_equal(ours.predict(probes), sk_predict(ref, probes))


def test_dtype_of_seeds_does_not_matter():
    # float32 seeds (as bin seeding produces) on float64 data.
    X = dataset("blobs2d")
    seeds = np.array(SEEDS_2D, dtype=np.float32)
    ref = _sk_fit(X, bandwidth=2.0, seeds=seeds)
    ours = _ours_fit(X, bandwidth=2.0, seeds=seeds)
    assert_same_fit(ours, ref, X)


# ---------------------------------------------------------------------------
# estimate_bandwidth
# ---------------------------------------------------------------------------


@functools.cache
def _bw_data(name):
    rng = np.random.default_rng(11)
    if name == "blobs20d":  # scikit-learn uses brute force from 16 features
        X, _ = make_blobs(n_samples=200, n_features=20, centers=3, random_state=6)
    elif name == "grid":
        X = _grid()
    elif name == "uniform3d":
        X = rng.uniform(-5, 5, size=(400, 3))
    else:
        X = dataset(name)
    return np.ascontiguousarray(X, dtype=np.float64)


BW_DATA = [
    "blobs2d",
    "blobs3d",
    "blobs5d",
    "blobs20d",
    "seed_doc",
    "grid",
    "line1d",
    "duplicates",
    "offset",
    "uniform3d",
]
QUANTILES = [0.0, 0.01, 0.1, 0.3, 0.49, 0.5, 0.8, 1.0]


def _bw_tolerance(X, quantile, n_used):
    """(rtol, atol) for comparing with scikit-learn's estimate_bandwidth.

    scikit-learn's k-th neighbour distances are exact (a k-d tree) for
    float64 data with fewer than 16 features when k < n // 2.  Otherwise it
    computes distances by the expansion |x|^2 - 2 x.y + |y|^2, or works in
    float32, whose rounding errs in a squared distance by a few eps * |x|^2:
    up to sqrt(eps) * |x| in a distance that should be 0 (a point's distance
    to itself or to a duplicate), which meanshift_fast computes exactly.
    """
    k = max(1, int(n_used * quantile))
    tree = X.shape[1] < 16 and k < n_used // 2
    if X.dtype == np.float64 and tree:
        return 1e-12, 0.0
    eps = np.finfo(X.dtype).eps
    scale = float(np.max(np.linalg.norm(X.astype(np.float64), axis=1)))
    return 1e-6, 4 * np.sqrt(eps) * scale


@pytest.mark.parametrize("quantile", QUANTILES, ids=lambda q: f"q{q}")
@pytest.mark.parametrize("name", BW_DATA)
def test_estimate_bandwidth_parity(name, quantile):
    X = _bw_data(name)
    ref = sk_estimate_bandwidth(X, quantile=quantile)
    ours = msf.estimate_bandwidth(X, quantile=quantile)
    rtol, atol = _bw_tolerance(X, quantile, len(X))
    assert_allclose(ours, ref, rtol=rtol, atol=atol)
    assert np.asarray(ours).dtype == np.asarray(ref).dtype


@pytest.mark.parametrize("quantile", [0.05, 0.3, 0.7], ids=lambda q: f"q{q}")
@pytest.mark.parametrize("name", ["blobs2d", "blobs3d", "blobs20d", "line1d"])
def test_estimate_bandwidth_parity_float32(name, quantile):
    X = _bw_data(name).astype(np.float32)
    ref = sk_estimate_bandwidth(X, quantile=quantile)
    ours = msf.estimate_bandwidth(X, quantile=quantile)
    rtol, atol = _bw_tolerance(X, quantile, len(X))
    assert_allclose(ours, ref, rtol=rtol, atol=atol)
    # The type of the result is scikit-learn's too.
    assert np.asarray(ours).dtype == np.asarray(ref).dtype


@pytest.mark.parametrize(
    "n_samples, random_state",
    [
        (1, 0),
        (2, 0),
        (10, 0),
        (50, 0),
        (50, 42),
        (50, None),
        (100, "instance"),
        (149, 7),
        (150, 3),
        (1000, 0),
    ],
    ids=lambda v: str(v),
)
@pytest.mark.parametrize("quantile", [0.1, 0.3, 0.6], ids=lambda q: f"q{q}")
def test_estimate_bandwidth_subsample_parity(n_samples, random_state, quantile):
    X = dataset("blobs2d")
    if random_state == "instance":
        ref_rs, our_rs = np.random.RandomState(5), np.random.RandomState(5)
    elif random_state is None:
        # numpy's global generator: both calls start from the same state.
        state = np.random.get_state()  # noqa: NPY002
        ref_rs = our_rs = None
    else:
        ref_rs = our_rs = random_state
    ref = sk_estimate_bandwidth(
        X, quantile=quantile, n_samples=n_samples, random_state=ref_rs
    )
    if random_state is None:
        np.random.set_state(state)  # noqa: NPY002
    ours = msf.estimate_bandwidth(
        X, quantile=quantile, n_samples=n_samples, random_state=our_rs
    )
    rtol, atol = _bw_tolerance(X, quantile, min(n_samples, len(X)))
    assert_allclose(ours, ref, rtol=rtol, atol=atol)


def test_estimate_bandwidth_random_state_instance_advances():
    # A RandomState instance is consumed as scikit-learn consumes it: two
    # calls in a row give scikit-learn's two values.
    X = dataset("blobs3d")
    ref_rs, our_rs = np.random.RandomState(9), np.random.RandomState(9)
    for _ in range(2):
        ref = sk_estimate_bandwidth(X, n_samples=40, random_state=ref_rs)
        ours = msf.estimate_bandwidth(X, n_samples=40, random_state=our_rs)
        assert_allclose(ours, ref, rtol=1e-12)


def test_estimate_bandwidth_n_jobs_parity():
    X = dataset("seed_doc")
    ref = sk_estimate_bandwidth(X, quantile=0.2)
    for n_jobs in (1, 2, -1):
        ours = msf.estimate_bandwidth(X, quantile=0.2, n_jobs=n_jobs)
        assert_allclose(ours, ref, rtol=1e-12)


# ---------------------------------------------------------------------------
# get_bin_seeds
# ---------------------------------------------------------------------------


@functools.cache
def _bin_data(name):
    rng = np.random.default_rng(21)
    if name == "halves":  # coordinates at .5: np.round's half-to-even
        X = rng.integers(-6, 6, size=(300, 2)) + 0.5
    elif name == "negative":  # values rounding to -0.0
        X = rng.uniform(-0.6, 0.6, size=(200, 3))
    else:
        X = dataset(name)
    return np.ascontiguousarray(X, dtype=np.float64)


BIN_CASES = [
    ("blobs2d", 0.5, 1),
    ("blobs2d", 1.0, 1),
    ("blobs2d", 1.0, 3),
    ("blobs2d", 2.0, 5),
    ("blobs2d_big", 0.3, 2),
    ("blobs3d", 1.0, 1),
    ("blobs5d", 2.0, 2),
    ("seed_doc", 1.3, 1),
    ("grid", 1, 1),
    ("grid", 2, 2),
    ("grid", 0.5, 1),
    ("line1d", 0.25, 1),
    ("line1d", 0.25, 4),
    ("offset", 0.7, 1),
    ("duplicates", 1.0, 2),
    ("halves", 1.0, 1),
    ("halves", 1.0, 3),
    ("negative", 1.0, 1),
    ("negative", 0.3, 1),
]


def _sk_bins(X, bin_size, min_bin_freq):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with sklearn_serial():
            seeds = skc.get_bin_seeds(X, bin_size, min_bin_freq)
    return seeds, [str(w.message) for w in rec]


def _our_bins(X, bin_size, min_bin_freq):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        seeds = msf.get_bin_seeds(X, bin_size, min_bin_freq)
    return seeds, [str(w.message) for w in rec]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "name, bin_size, min_bin_freq",
    BIN_CASES,
    ids=[f"{n}-size{s}-freq{f}" for n, s, f in BIN_CASES],
)
def test_get_bin_seeds_parity(name, bin_size, min_bin_freq, dtype):
    X = _bin_data(name).astype(dtype)
    ref, ref_warn = _sk_bins(X, bin_size, min_bin_freq)
    ours, our_warn = _our_bins(X, bin_size, min_bin_freq)
    assert {tuple(p) for p in ours} == {tuple(p) for p in ref}
    # The same order (first occurrence), values and dtype.
    assert ours.dtype == ref.dtype
    assert ours.shape == ref.shape
    assert_array_equal(ours, ref)
    assert our_warn == ref_warn


@pytest.mark.parametrize("min_bin_freq", [1, 2, 7])
def test_get_bin_seeds_many_cells(min_bin_freq):
    # Tens of thousands of cells on a lattice (coordinates that differ in
    # few bits), in several dimensions: the cell table grows many times.
    rng = np.random.default_rng(5)
    for d in (1, 2, 3, 6):
        X = rng.integers(-40, 40, size=(30_000, d)) * 0.5 + rng.normal(
            0, 0.2, size=(30_000, d)
        )
        ref, ref_warn = _sk_bins(X, 0.5, min_bin_freq)
        ours, our_warn = _our_bins(X, 0.5, min_bin_freq)
        assert_array_equal(ours, ref)
        assert our_warn == ref_warn


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_get_bin_seeds_fallback_warning(dtype):
    X = dataset("blobs2d").astype(dtype)
    ref, ref_warn = _sk_bins(X, 1e-3, 1)
    ours, our_warn = _our_bins(X, 1e-3, 1)
    assert ref is X and ours is X
    assert len(our_warn) == 1
    assert our_warn == ref_warn
    assert "Binning data failed with provided bin_size=0.001000" in our_warn[0]


def test_get_bin_seeds_zero_size_is_identity():
    X = dataset("grid")
    assert msf.get_bin_seeds(X, 0) is X
    assert msf.get_bin_seeds(X, 0.0, min_bin_freq=5) is X


def test_get_bin_seeds_fallback_through_fit():
    # Bin seeding whose bins are all singletons falls back to every sample:
    # the warning and the result are scikit-learn's.
    X = dataset("six")
    with pytest.warns(UserWarning, match="Binning data failed"), sklearn_serial():
        ref = skc.MeanShift(bandwidth=0.1, bin_seeding=True).fit(X)
    with pytest.warns(UserWarning, match="Binning data failed"):
        ours = msf.MeanShift(bandwidth=0.1, bin_seeding=True).fit(X)
    assert_same_fit(ours, ref, X)
