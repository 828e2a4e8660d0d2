"""The distributed fit equals the in-memory fit (meanshift_fast.dask)."""

import dask.array as da  # the test extras install dask: no skip
import numpy as np
import pytest
from dask import distributed
from sklearn.datasets import make_blobs

import meanshift_fast as mf
from meanshift_fast.dask import MeanShift as DaskMeanShift


def _blobs(n=1500, d=2, seed=0):
    X, _ = make_blobs(n, n_features=d, centers=4, cluster_std=0.8, random_state=seed)
    return X


def _assert_same(local, dist, rtol=1e-12):
    assert local.cluster_centers_.shape == dist.cluster_centers_.shape
    assert local.cluster_centers_.dtype == dist.cluster_centers_.dtype
    np.testing.assert_allclose(dist.cluster_centers_, local.cluster_centers_, rtol=rtol)
    np.testing.assert_array_equal(np.asarray(dist.labels_), local.labels_)
    assert dist.n_iter_ == local.n_iter_


CASES = [
    dict(bandwidth=1.5),
    dict(bandwidth=1.5, bin_seeding=True),
    dict(bandwidth=1.5, bin_seeding=True, min_bin_freq=5, cluster_all=False),
    dict(bandwidth=1.2, kernel="gaussian", gaussian_tol=0.0),
    dict(bandwidth=2.0, kernel="epanechnikov"),
    dict(),  # bandwidth estimated from all rows (fewer than bandwidth_samples)
    dict(bandwidth=1.5, max_iter=2),
]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.parametrize("kw", CASES, ids=[str(sorted(c.items())) for c in CASES])
def test_local_cluster_equals_in_memory(client, kw):
    X = _blobs()
    Xd = da.from_array(X, chunks=(400, 2))
    with pytest.warns(mf.ConvergenceWarning) if kw.get("max_iter") == 2 else _nothing():
        local = mf.MeanShift(**kw).fit(X)
    with pytest.warns(mf.ConvergenceWarning) if kw.get("max_iter") == 2 else _nothing():
        dist = DaskMeanShift(client=client, **kw).fit(Xd)
    _assert_same(local, dist, rtol=1e-12 if kw.get("kernel") != "gaussian" else 1e-9)
    # predict by blocks equals in-memory predict
    Y = _blobs(300, seed=1)
    np.testing.assert_array_equal(
        DaskMeanShift.predict(dist, da.from_array(Y, chunks=100)).compute(),
        local.predict(Y),
    )


def test_float32_and_3d(client):
    X = _blobs(900, d=3).astype(np.float32)
    local = mf.MeanShift(bandwidth=2.0, bin_seeding=True).fit(X)
    dist = DaskMeanShift(client=client, bandwidth=2.0, bin_seeding=True).fit(
        da.from_array(X, chunks=(250, 3))
    )
    _assert_same(local, dist, rtol=1e-6)


def test_without_a_client_runs_in_process():
    X = _blobs(600)
    local = mf.MeanShift(bandwidth=1.5, bin_seeding=True).fit(X)
    dist = DaskMeanShift(bandwidth=1.5, bin_seeding=True).fit(
        da.from_array(X, chunks=(150, 2))
    )
    _assert_same(local, dist)


@pytest.mark.parametrize("bandwidth", [np.float64(0.7558), np.int64(1), None])
def test_numpy_bandwidth_bins_in_the_in_memory_precision(bandwidth):
    # On integer data the flat kernel's clusters depend on whether the bin
    # seeds are float32 or float64: a numpy bandwidth (the estimate's too)
    # makes float64 ones in memory, as in scikit-learn, and must here.
    rng = np.random.default_rng(0)
    centres = ((0, 0), (5, 5), (9, 0))
    X = np.round(np.concatenate([rng.normal(c, 1, (60, 2)) for c in centres]) * 3)
    kw = dict(bandwidth=bandwidth, bin_seeding=True)
    local = mf.MeanShift(**kw).fit(X)
    dist = DaskMeanShift(**kw).fit(da.from_array(X, chunks=(50, 2)))
    _assert_same(local, dist)


def test_gaussian_seeds_far_from_every_block():
    # Every plain Gaussian weight underflows at these seeds; the blocks'
    # sums, each relative to its own nearest point, still combine into the
    # in-memory result.
    X = _blobs(600)
    seeds = np.array([[300.0, 300.0], [-250.0, 40.0], [0.0, 0.0]])
    kw = dict(bandwidth=0.8, kernel="gaussian", gaussian_tol=0.0, seeds=seeds)
    local = mf.MeanShift(**kw).fit(X)
    dist = DaskMeanShift(**kw).fit(da.from_array(X, chunks=(150, 2)))
    _assert_same(local, dist, rtol=1e-9)


def test_bandwidth_sample_is_documented_draw():
    X = _blobs(2000)
    dist = DaskMeanShift(bandwidth_samples=500, random_state=3, max_iter=1)
    with pytest.warns(mf.ConvergenceWarning):
        dist.fit(da.from_array(X, chunks=(600, 2)))
    rows = np.sort(np.random.RandomState(3).permutation(2000)[:500])
    assert dist.bandwidth_ == pytest.approx(mf.estimate_bandwidth(X[rows]), rel=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rejects_nan_and_infinity_in_the_in_memory_words(bad):
    X = _blobs(200)
    X[5, 1] = bad
    with pytest.raises(ValueError) as local:
        mf.MeanShift(bandwidth=1.0).fit(X)
    with pytest.raises(ValueError) as dist:
        DaskMeanShift(bandwidth=1.0).fit(da.from_array(X, chunks=(50, 2)))
    assert str(dist.value) == str(local.value)
    fitted = DaskMeanShift(bandwidth=1.0).fit(da.from_array(_blobs(200), chunks=50))
    with pytest.raises(ValueError) as predicted:
        fitted.predict(da.from_array(X, chunks=(50, 2))).compute()
    assert str(predicted.value) == str(local.value)


def _first_line(exc):
    return str(exc.value).splitlines()[0]


@pytest.mark.parametrize(
    "shape_or_dtype", ["1-D", "3-D", "0 rows", "0 columns", complex, str]
)
def test_refuses_bad_arrays_in_the_in_memory_words(shape_or_dtype):
    X = _blobs(60)
    X = {
        "1-D": X[:, 0],
        "3-D": X[None],
        "0 rows": X[:0],
        "0 columns": X[:, :0],
    }.get(shape_or_dtype, X)
    if not isinstance(shape_or_dtype, str):
        X = X.astype(shape_or_dtype)
    with pytest.raises(ValueError) as local:
        mf.MeanShift(bandwidth=1.0).fit(X)
    with pytest.raises(ValueError) as dist:
        DaskMeanShift(bandwidth=1.0).fit(da.from_array(X))
    # the first line: a lazy array shows as itself, not as its values
    assert _first_line(dist) == _first_line(local)
    fitted = DaskMeanShift(bandwidth=1.0).fit(da.from_array(_blobs(60)))
    with pytest.raises(ValueError) as local_predict:
        mf.MeanShift(bandwidth=1.0).fit(_blobs(60)).predict(X)
    with pytest.raises(ValueError) as dist_predict:
        fitted.predict(da.from_array(X)).compute()
    assert _first_line(dist_predict) == _first_line(local_predict)


def test_numbers_held_as_objects_fit_as_in_memory():
    X = _blobs(200)
    local = mf.MeanShift(bandwidth=1.5).fit(X.astype(object))
    dist = DaskMeanShift(bandwidth=1.5).fit(da.from_array(X.astype(object), chunks=50))
    _assert_same(local, dist)


def test_float16_is_computed_in_float32_as_in_memory():
    X = _blobs(300).astype(np.float16)
    local = mf.MeanShift(bandwidth=1.5).fit(X)
    dist = DaskMeanShift(bandwidth=1.5).fit(da.from_array(X, chunks=(100, 2)))
    assert dist.cluster_centers_.dtype == local.cluster_centers_.dtype == np.float32
    _assert_same(local, dist, rtol=0)


def test_a_huge_max_iter_is_no_limit():
    X = _blobs(200)
    local = mf.MeanShift(bandwidth=1.5, max_iter=2**63).fit(X)
    dist = DaskMeanShift(bandwidth=1.5, max_iter=2**63)
    _assert_same(local, dist.fit(da.from_array(X, chunks=(50, 2))))


def test_auto_bandwidth_is_the_in_memory_choice():
    X = _blobs(1500)
    local = mf.MeanShift(bandwidth="auto", bin_seeding=True).fit(X)
    dist = DaskMeanShift(bandwidth="auto", bin_seeding=True).fit(
        da.from_array(X, chunks=(400, 2))
    )
    assert dist.bandwidth_ == local.bandwidth_
    _assert_same(local, dist)


SHARED_BAD = [
    ("bandwidth", -1.0),
    ("bandwidth", float("nan")),
    ("bandwidth", float("inf")),
    ("bin_seeding", 1),
    ("min_bin_freq", 0),
    ("cluster_all", "yes"),
    ("n_jobs", 0),
    ("n_jobs", 1.5),
    ("max_iter", -1),
    ("kernel", "tophat"),
    ("gaussian_tol", 1.5),
    ("gaussian_tol", -0.1),
]


@pytest.mark.parametrize(
    "seeds",
    [[[np.nan, 0.0], [0.0, 0.0]], [[np.inf, 0.0]], [[0.0, 0.0, 0.0]], [0.0, 0.0]],
    ids=["nan", "inf", "width", "1-d"],
)
def test_bad_seeds_refused_as_in_memory(seeds):
    """Seeds with NaN, infinity or the wrong shape get the in-memory
    estimator's error, not a fit that drops them."""
    X = _blobs(200)
    with pytest.raises(ValueError) as local:
        mf.MeanShift(bandwidth=1.0, seeds=seeds).fit(X)
    with pytest.raises(ValueError) as dist:
        DaskMeanShift(bandwidth=1.0, seeds=seeds).fit(da.from_array(X, chunks=(50, 2)))
    assert str(dist.value) == str(local.value)


@pytest.mark.parametrize("name, value", SHARED_BAD)
def test_shared_parameters_read_by_one_rule(name, value):
    """A shared parameter is refused by both estimators, with the same
    message (the bandwidth's lists what each estimator accepts)."""
    X = _blobs(200)
    with pytest.raises(ValueError) as local:
        mf.MeanShift(**{name: value}).fit(X)
    with pytest.raises(ValueError) as dist:
        DaskMeanShift(**{name: value}).fit(da.from_array(X, chunks=(50, 2)))
    assert repr(value) in str(dist.value)
    if name != "bandwidth":
        assert str(dist.value) == str(local.value)


class _SpyCore:
    """meanshift_fast._core, recording the thread count of each C call."""

    def __init__(self, core, calls):
        self._core, self._calls = core, calls
        self.radius_sq = core.radius_sq
        self.flat_radius_sq = core.flat_radius_sq
        self.step = core.step

    def Tree(self, block, kernel, n_threads):
        calls, tree = self._calls, self._core.Tree(block, kernel=kernel, n_threads=1)
        calls.append(("build", len(block), n_threads))

        class _Tree:
            def kernel_sum(self, q, kernel, h, tol, n_threads=1):
                calls.append(("sums", len(q) * len(block), n_threads))
                return tree.kernel_sum(q, kernel, h, tol, n_threads)

        return _Tree()

    def nearest_center(self, X, centers, r2, n_threads=1):
        self._calls.append(("labels", len(X) * len(centers), n_threads))
        return self._core.nearest_center(X, centers, r2, n_threads)


@pytest.mark.parametrize("n_jobs", [None, -1, 1, 2])
def test_n_jobs_read_as_the_in_memory_estimator_reads_it(monkeypatch, n_jobs):
    """The per-block C work (tree, sums, labels) runs on the threads that
    meanshift_fast.MeanShift would use for the same amount of work."""
    import meanshift_fast.dask as msd
    from meanshift_fast import _core, _threads

    calls = []
    monkeypatch.setattr(msd, "_core", _SpyCore(_core, calls))
    # In this process, even where another test left a default client.
    monkeypatch.setattr(msd, "_default_client", lambda: None)
    X = _blobs(4000)
    Xd = da.from_array(X, chunks=(2000, 2))
    dist = DaskMeanShift(bandwidth=1.5, n_jobs=n_jobs).fit(Xd)
    dist.labels_.compute(scheduler="sync")
    assert {what for what, _, _ in calls} == {"build", "sums", "labels"}
    for _, work, n_threads in calls:
        assert n_threads == _threads.effective_n_threads(n_jobs, work)
    # The every-point rounds are big enough to use every thread allowed.
    big = [t for what, work, t in calls if what == "sums" and work >= 2_000_000]
    assert big and set(big) == {_threads.effective_n_threads(n_jobs)}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_predict_checks_width_and_values():
    # The core reads every row's width from the centres: rows of another
    # width must be refused before they reach it.
    X = _blobs(200)
    dist = DaskMeanShift(bandwidth=1.5).fit(da.from_array(X, chunks=(50, 2)))
    for bad in (np.zeros((3, 50)), X[:5, :1]):
        with pytest.raises(ValueError, match="features"):
            dist.predict(bad)
        with pytest.raises(ValueError, match="features"):
            dist.predict(da.from_array(bad))
    with pytest.raises(ValueError, match="NaN"):
        dist.predict(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        dist.predict(da.from_array(np.full((2, 2), np.nan))).compute()


@pytest.mark.parametrize("dtype", [complex, str])
def test_predict_refuses_what_fit_refuses(dtype):
    # Complex or string rows are refused, as fit refuses them, not cast
    # (which drops the imaginary part, or parses the strings).
    X = _blobs(200)
    dist = DaskMeanShift(bandwidth=1.5).fit(da.from_array(X, chunks=(50, 2)))
    bad = da.from_array(X.astype(dtype), chunks=(50, 2))
    with pytest.raises(ValueError) as fitting:
        DaskMeanShift(bandwidth=1.5).fit(bad)
    with pytest.raises(ValueError) as predicting:
        dist.predict(bad)
    assert str(predicting.value) == str(fitting.value)


def test_predict_reads_cluster_centers_set_after_fit():
    X = _blobs(300)
    dist = DaskMeanShift(bandwidth=1.5).fit(da.from_array(X, chunks=(100, 2)))
    dist.cluster_centers_ = dist.cluster_centers_[::-1].copy()
    d2 = ((X[:, None, :] - dist.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(dist.predict(X), d2.argmin(axis=1))
    lazy = dist.predict(da.from_array(X, chunks=(100, 2))).compute()
    np.testing.assert_array_equal(lazy, d2.argmin(axis=1))


def test_zero_estimated_bandwidth_as_in_memory():
    # Repeated rows estimate a bandwidth of 0, which the flat kernel takes.
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]]), 50, axis=0)
    local = mf.MeanShift().fit(X)
    dist = DaskMeanShift().fit(da.from_array(X, chunks=(40, 2)))
    assert dist.bandwidth_ == local.bandwidth_ == 0.0
    np.testing.assert_array_equal(dist.cluster_centers_, local.cluster_centers_)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_zero_estimated_bandwidth_refused_in_the_in_memory_words(kernel):
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]]), 50, axis=0)
    with pytest.raises(ValueError) as local:
        mf.MeanShift(kernel=kernel).fit(X)
    with pytest.raises(ValueError) as dist:
        DaskMeanShift(kernel=kernel).fit(da.from_array(X, chunks=(40, 2)))
    assert str(dist.value) == str(local.value)


def test_sample_of_a_dask_array_checks_the_weights_length():
    X = da.from_array(_blobs(200), chunks=(50, 2))
    with pytest.raises(ValueError, match="sample_weight"):
        mf.select_bandwidth(X, sample_weight=np.ones(1000))


@pytest.mark.parametrize("kind", ["scalar", "masked", "2-D"])
def test_sample_of_a_dask_array_reads_the_weights_as_in_memory(kind):
    # A scalar weight is every row's; weights selected by a mask (chunk
    # sizes unknown until computed) are measured first, as the rows are;
    # 2-D weights are refused in the in-memory words.
    X = _blobs(200)
    D = da.from_array(X, chunks=(50, 2))
    w = np.linspace(0.5, 2.0, 200)
    mask = X[:, 0] > 0
    if kind == "scalar":
        lazy, local = (D, 2.0), (X, 2.0)
    elif kind == "masked":
        keep = da.from_array(mask, chunks=50)
        lazy = (D[keep], da.from_array(w, chunks=50)[keep])
        local = (X[mask], w[mask])
    else:
        lazy, local = (D, w[:, None]), (X, w[:, None])
    try:
        expected = mf.select_bandwidth(local[0], sample_weight=local[1])
    except ValueError as exc:
        with pytest.raises(ValueError) as got:
            mf.select_bandwidth(lazy[0], sample_weight=lazy[1])
        assert str(got.value) == str(exc)
    else:
        assert mf.select_bandwidth(lazy[0], sample_weight=lazy[1]) == expected


def _undrawn_row(n, n_samples):
    """The last row the documented draw of n_samples rows of n leaves out."""
    rows = np.random.RandomState(0).permutation(n)[:n_samples]
    return np.setdiff1d(np.arange(n), rows)[-1]


@pytest.mark.parametrize(
    "bad", ["X nan", "X inf", "weight nan", "weight -1", "weight inf"]
)
@pytest.mark.parametrize("func", ["select_bandwidth", "bandwidth_sweep"])
def test_values_the_draw_leaves_out_are_checked_as_in_memory(bad, func):
    # The in-memory call refuses a NaN or an infinity anywhere in X, and a
    # bad weight anywhere; so must the call on a dask array, whose rows are
    # drawn, whether or not the draw takes the bad row.
    n = 10050
    X = np.zeros((n, 2))
    X[:, 0] = np.arange(n) % 7
    w = np.ones(n)
    row = _undrawn_row(n, 5000 if func == "select_bandwidth" else 10000)
    target, value = bad.split()
    (X if target == "X" else w)[row, ...] = float(value)
    call = getattr(mf, func)
    args = () if func == "select_bandwidth" else ([1.0],)
    with pytest.raises(ValueError) as in_memory:
        call(X, *args, sample_weight=w)
    with pytest.raises(ValueError) as lazy:
        call(
            da.from_array(X, chunks=(2000, 2)),
            *args,
            sample_weight=da.from_array(w, chunks=3000),
        )
    assert str(lazy.value) == str(in_memory.value)


@pytest.mark.parametrize("scale", [1e-300, 1e160, 1e300])
@pytest.mark.parametrize(
    "kw",
    [
        dict(bandwidth=1.5),
        dict(bandwidth=1.5, bin_seeding=True),
        dict(),
        dict(bandwidth=1.5, kernel="gaussian", gaussian_tol=0.0),
    ],
)
def test_extreme_scales_as_in_memory(scale, kw):
    # Squares of these rows overflow or underflow: the blocks are clustered
    # scaled by a power of two, as the in-memory estimator does.
    X = _blobs(300) * scale
    if "bandwidth" in kw:
        kw = dict(kw, bandwidth=kw["bandwidth"] * scale)
    local = mf.MeanShift(**kw).fit(X)
    dist = DaskMeanShift(**kw).fit(da.from_array(X, chunks=(100, 2)))
    _assert_same(local, dist, rtol=1e-9)
    np.testing.assert_array_equal(dist.predict(X[:9]), local.predict(X[:9]))


def test_rows_of_unknown_count_are_measured_first():
    # A mask leaves the chunks' sizes unknown until computed.
    X = _blobs(300)
    D = da.from_array(X, chunks=(100, 2))
    masked = D[D[:, 0] > -1e9]
    assert mf.select_bandwidth(masked) == mf.select_bandwidth(X)
    local = mf.MeanShift(bandwidth=1.5).fit(X)
    _assert_same(local, DaskMeanShift(bandwidth=1.5).fit(masked))


@pytest.mark.parametrize(
    "kw", [dict(bandwidth=1.5), dict(bandwidth=1.5, bin_seeding=True)]
)
def test_columns_of_unknown_count_are_measured_first(kw):
    # A mask on the feature axis leaves the width unknown until computed.
    X = _blobs(300, d=3)
    D = da.from_array(X, chunks=(100, 3))
    kept = D[:, da.from_array(np.array([True, False, True]))]
    assert np.isnan(kept.shape[1])
    local = mf.MeanShift(**kw).fit(X[:, [0, 2]])
    dist = DaskMeanShift(**kw).fit(kept)
    assert dist.n_features_in_ == 2
    _assert_same(local, dist)
    np.testing.assert_array_equal(
        dist.predict(kept).compute(), local.predict(X[:, [0, 2]])
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_after_a_scaled_fit_takes_far_queries_as_in_memory(dtype):
    # A fit on tiny values works scaled up by a power of two; a finite
    # query that the scaling takes beyond the dtype's range is far from
    # every centre, not an infinite input.
    X = (_blobs(300) * 1e-31).astype(dtype)
    kw = dict(bandwidth=1.5e-31, bin_seeding=True)
    local = mf.MeanShift(**kw).fit(X)
    dist = DaskMeanShift(**kw).fit(da.from_array(X, chunks=(100, 2)))
    far = np.array([[1e10, 0.0], [-3e30, 1e-31], X[0, :]], dtype=dtype)
    want = local.predict(far)
    np.testing.assert_array_equal(dist.predict(far), want)
    np.testing.assert_array_equal(dist.predict(da.from_array(far)).compute(), want)


@pytest.mark.parametrize("random_state", [0, 1, 2, 3])
def test_sweep_of_a_dask_array_samples_among_positive_weights(random_state):
    # 20,000 rows, one of positive weight: the sample must hold it.
    X = _blobs(20_000)
    w = np.zeros(len(X))
    w[3] = 1.0
    D = da.from_array(X, chunks=(5000, 2))
    dist = mf.bandwidth_sweep(D, [0.5, 1.0], sample_weight=w, random_state=random_state)
    local = mf.bandwidth_sweep(X[3:4], [0.5, 1.0])
    np.testing.assert_array_equal(dist.n_clusters, local.n_clusters)
    np.testing.assert_allclose(dist.centers[0], local.centers[0])


def test_sweep_of_a_dask_array_says_which_rows_it_clustered():
    X = _blobs(400)
    D = da.from_array(X, chunks=(100, 2))
    sweep = mf.bandwidth_sweep(D, [1.0, 2.0], return_labels=True)
    # all 400 rows: every one, in order
    np.testing.assert_array_equal(sweep.rows, np.arange(400))
    from meanshift_fast.dask import bandwidth_sample

    sample, _, rows = bandwidth_sample(D, n_samples=150, return_rows=True)
    np.testing.assert_array_equal(sample, X[rows])
    assert mf.bandwidth_sweep(X, [1.0]).rows is None


@pytest.mark.parametrize(
    "kw", [dict(random_state="seed"), dict(random_state=-1), dict(kernel="tophat")]
)
def test_sweep_of_a_dask_array_checks_its_parameters_as_in_memory(kw):
    # More rows than the sweep draws: the parameters are refused in the
    # in-memory call's words, before any row is drawn.
    X = np.zeros((10001, 2))
    with pytest.raises(ValueError) as in_memory:
        mf.bandwidth_sweep(X, [1.0], **kw)
    with pytest.raises(type(in_memory.value)) as lazy:
        mf.bandwidth_sweep(da.from_array(X, chunks=(5000, 2)), [1.0], **kw)
    assert str(lazy.value) == str(in_memory.value)


def test_parameters_follow_scikit_learns_protocol():
    """clone, get_params, set_params and the repr work as scikit-learn's
    estimators do, and a clone fits as the original does."""
    from sklearn.base import clone

    est = DaskMeanShift(bandwidth=1.5, bin_seeding=True, bandwidth_samples=500)
    params = est.get_params()
    assert params["bandwidth"] == 1.5 and params["bandwidth_samples"] == 500
    assert set(params) == set(mf.MeanShift().get_params()) - {
        "algorithm", "cluster_assignment"
    } | {"bandwidth_samples", "random_state", "client"}  # fmt: skip
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    assert (
        repr(est) == "MeanShift(bandwidth=1.5, bin_seeding=True, bandwidth_samples=500)"
    )
    assert est.set_params(bandwidth=2.0) is est and est.bandwidth == 2.0
    with pytest.raises(ValueError, match="Invalid parameter 'bogus'"):
        est.set_params(bogus=1)
    X = _blobs(300)
    Xd = da.from_array(X, chunks=(100, 2))
    _assert_same(mf.MeanShift(bandwidth=1.5, bin_seeding=True).fit(X), copy.fit(Xd))


def test_fit_predict_gives_the_in_memory_labels():
    X = _blobs(300)
    D = da.from_array(X, chunks=(100, 2))
    labels = DaskMeanShift(bandwidth=1.5).fit_predict(D)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(
        labels.compute(), mf.MeanShift(bandwidth=1.5).fit_predict(X)
    )


def test_predict_before_fit_raises_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted yet"):
        DaskMeanShift(bandwidth=1.0).predict(_blobs(10))


def test_bin_seeding_at_magnitudes_beyond_float32():
    """Bin seeds are float32 (the reference's arithmetic): data near 1e45
    are scaled as the in-memory estimator scales them."""
    X = _blobs(300) * 1e45
    local = mf.MeanShift(bandwidth=2e45, bin_seeding=True).fit(X)
    dist = DaskMeanShift(bandwidth=2e45, bin_seeding=True).fit(
        da.from_array(X, chunks=(100, 2))
    )
    _assert_same(local, dist)


def test_scikit_learn_tools_take_the_distributed_estimator(client):
    """check_is_fitted and clone work, and a clone shares the client (a
    cluster connection is not copied)."""
    from sklearn.base import clone
    from sklearn.utils.validation import check_is_fitted

    est = DaskMeanShift(bandwidth=1.5, client=client)
    copy = clone(est)
    assert copy.client is client and copy is not est
    fitted = est.fit(da.from_array(_blobs(200), chunks=(100, 2)))
    check_is_fitted(fitted)
    assert est.__sklearn_tags__().estimator_type == "clusterer"


def test_missing_dask_is_explained():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['dask'] = None; sys.modules['dask.array'] = None\n"
        "import meanshift_fast.dask"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode != 0
    assert 'pip install "meanshift-fast[dask]"' in res.stderr
