"""meanshift_fast.MeanShift as a scikit-learn estimator.

meanshift_fast does not import scikit-learn: it implements the estimator
protocol by duck typing.  These tests check that protocol against
scikit-learn's own machinery (clone, pickling, Pipeline, GridSearchCV,
check_estimator and the clustering checks that check_estimator skips for
classes that do not inherit ClusterMixin) and against sklearn.cluster.MeanShift
where the two share behaviour.
"""

import copy
import inspect
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import cluster as skc
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_clusterer_compute_labels_predict,
    check_clustering,
    check_non_transformer_estimators_n_iter,
    parametrize_with_checks,
)

import meanshift_fast as msf
from meanshift_fast import ConvergenceWarning, MeanShift

X_BLOBS, _ = make_blobs(
    n_samples=120, n_features=2, centers=3, cluster_std=0.6, random_state=0
)

# The parameters MeanShift shares with scikit-learn, and their defaults.
SKLEARN_PARAMS = {
    "bandwidth": None,
    "seeds": None,
    "bin_seeding": False,
    "min_bin_freq": 1,
    "cluster_all": True,
    "n_jobs": None,
    "max_iter": 300,
}
EXTRA_PARAMS = {
    "kernel": "flat",
    "algorithm": "auto",
    "cluster_assignment": "nearest",
    "gaussian_tol": 1e-8,
}


# ---------------------------------------------------------------------------
# importing
# ---------------------------------------------------------------------------


def test_import_does_not_import_sklearn_or_scipy():
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import meanshift_fast as msf
        after_import = sorted(
            m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy")
        )
        rng = np.random.default_rng(0)
        X = rng.normal(size=(50, 2))
        ms = msf.MeanShift(bandwidth=1.0).fit(X)
        ms.predict(X)
        repr(ms), ms.get_params(), ms.set_params(bandwidth=2.0)
        msf.MeanShift(bin_seeding=True, kernel="gaussian").fit(X)
        msf.mean_shift(X, bandwidth=1.0)
        msf.estimate_bandwidth(X, quantile=0.2)
        msf.get_bin_seeds(X, 0.5)
        after_use = sorted(
            m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy")
        )
        print(after_import)
        print(after_use)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    lines = out.stdout.strip().splitlines()
    assert lines == ["[]", "[]"], out.stdout


def test_public_names():
    for name in (
        "MeanShift",
        "mean_shift",
        "estimate_bandwidth",
        "get_bin_seeds",
        "ConvergenceWarning",
        "__version__",
    ):
        assert name in msf.__all__
        assert hasattr(msf, name)
    assert issubclass(ConvergenceWarning, UserWarning)


# ---------------------------------------------------------------------------
# parameters, repr
# ---------------------------------------------------------------------------


def test_constructor_signature_matches_sklearn():
    ours = inspect.signature(MeanShift.__init__).parameters
    ref = inspect.signature(skc.MeanShift.__init__).parameters
    for name, param in ref.items():
        if name == "self":
            continue
        assert name in ours
        assert ours[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert ours[name].default == param.default
    extra = {k: p.default for k, p in ours.items() if k not in ref}
    assert extra == EXTRA_PARAMS


def test_get_params_defaults():
    params = MeanShift().get_params()
    assert params == {**SKLEARN_PARAMS, **EXTRA_PARAMS}
    # The same keys as the constructor's parameters.
    names = set(inspect.signature(MeanShift.__init__).parameters) - {"self"}
    assert set(params) == names
    assert MeanShift().get_params(deep=False) == params


def test_get_params_reflects_constructor_and_set_params():
    seeds = np.zeros((2, 2))
    ms = MeanShift(bandwidth=2.5, seeds=seeds, kernel="gaussian", n_jobs=2)
    params = ms.get_params()
    assert params["bandwidth"] == 2.5
    assert params["seeds"] is seeds  # not copied
    assert params["kernel"] == "gaussian"
    assert params["n_jobs"] == 2
    out = ms.set_params(bandwidth=1.0, cluster_all=False, algorithm="brute")
    assert out is ms
    params = ms.get_params()
    assert params["bandwidth"] == 1.0
    assert params["cluster_all"] is False
    assert params["algorithm"] == "brute"
    assert params["kernel"] == "gaussian"  # untouched
    # set_params with no argument changes nothing.
    assert ms.set_params().get_params() == params


def test_set_params_invalid_name():
    ms = MeanShift()
    with pytest.raises(ValueError, match="Invalid parameter 'bandwith'"):
        ms.set_params(bandwith=1.0)
    # scikit-learn raises ValueError for the same call.
    with pytest.raises(ValueError, match="Invalid parameter"):
        skc.MeanShift().set_params(bandwith=1.0)
    # Nothing was set.
    assert not hasattr(ms, "bandwith")
    assert ms.get_params() == MeanShift().get_params()


def test_set_params_then_fit_uses_new_values():
    ms = MeanShift(bandwidth=0.3)
    ms.set_params(bandwidth=2.0, cluster_all=False)
    ms.fit(X_BLOBS)
    ref = skc.MeanShift(bandwidth=2.0, cluster_all=False).fit(X_BLOBS)
    assert_allclose(ms.cluster_centers_, ref.cluster_centers_, rtol=1e-7)
    assert_array_equal(ms.labels_, ref.labels_)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"bandwidth": 2},
        {"bandwidth": 2.0},
        {"bandwidth": np.float64(2.0)},
        {"cluster_all": False},
        {"bin_seeding": True},
        {"min_bin_freq": 3},
        {"max_iter": 10},
        {"n_jobs": -1},
        {"max_iter": 300.0},  # not the default's type: shown, as in sklearn
        {"seeds": [[1, 2]]},
        {"seeds": np.array([[1.0, 2.0], [3.0, 4.0]])},
        {"bandwidth": 2, "cluster_all": False},
    ],
    ids=repr,
)
def test_repr_matches_sklearn(params):
    assert repr(MeanShift(**params)) == repr(skc.MeanShift(**params))


def _repr_items(text):
    inside = text[text.index("(") + 1 : text.rindex(")")]
    return {item.strip() for item in " ".join(inside.split()).split(",") if item}


@pytest.mark.parametrize("n_seeds", [30, 300])
def test_repr_of_long_parameters_is_cut_as_scikit_learns(n_seeds):
    # scikit-learn keeps about 700 non-blank characters, half from each
    # end: a search's error message does not print every seed.
    seeds = np.random.default_rng(0).normal(size=(n_seeds, 2))
    ours, ref = repr(MeanShift(seeds=seeds)), repr(skc.MeanShift(seeds=seeds))
    assert ours == ref


def test_repr_many_params_shows_the_changed_ones():
    # scikit-learn sorts and wraps long reprs; the changed parameters, not
    # their layout, are what must agree.
    params = {
        "bandwidth": 2.0,
        "bin_seeding": True,
        "cluster_all": False,
        "min_bin_freq": 3,
        "max_iter": 10,
        "n_jobs": 2,
    }
    ours = repr(MeanShift(**params))
    assert ours.startswith("MeanShift(")
    assert _repr_items(ours) == _repr_items(repr(skc.MeanShift(**params)))


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"kernel": "gaussian"}, "MeanShift(kernel='gaussian')"),
        ({"kernel": "flat"}, "MeanShift()"),
        ({"algorithm": "brute"}, "MeanShift(algorithm='brute')"),
        (
            {"cluster_assignment": "attractor"},
            "MeanShift(cluster_assignment='attractor')",
        ),
        ({"gaussian_tol": 0.0}, "MeanShift(gaussian_tol=0.0)"),
        ({"gaussian_tol": 1e-8}, "MeanShift()"),
    ],
    ids=repr,
)
def test_repr_extra_params(params, expected):
    assert repr(MeanShift(**params)) == expected


def test_repr_fitted_unchanged():
    ms = MeanShift(bandwidth=2)
    before = repr(ms)
    ms.fit(X_BLOBS)
    assert repr(ms) == before == "MeanShift(bandwidth=2)"


# ---------------------------------------------------------------------------
# fit / predict protocol
# ---------------------------------------------------------------------------


def test_fit_returns_self_and_sets_attributes():
    ms = MeanShift(bandwidth=1.5)
    assert ms.fit(X_BLOBS) is ms
    assert ms.n_features_in_ == 2
    assert ms.labels_.shape == (len(X_BLOBS),)
    assert np.issubdtype(ms.labels_.dtype, np.integer)
    assert ms.cluster_centers_.ndim == 2
    assert ms.cluster_centers_.shape[1] == 2
    assert isinstance(ms.n_iter_, int)
    assert ms.bandwidth_ == 1.5
    assert not hasattr(ms, "feature_names_in_")


def test_bandwidth_none_estimates_bandwidth():
    ms = MeanShift().fit(X_BLOBS)
    assert ms.bandwidth_ == pytest.approx(skc.estimate_bandwidth(X_BLOBS), rel=1e-12)
    assert ms.bandwidth is None  # the parameter is untouched


def test_fit_predict_equals_fit_labels():
    a = MeanShift(bandwidth=1.0, cluster_all=False).fit_predict(X_BLOBS)
    b = MeanShift(bandwidth=1.0, cluster_all=False).fit(X_BLOBS).labels_
    assert_array_equal(a, b)
    ref = skc.MeanShift(bandwidth=1.0, cluster_all=False).fit_predict(X_BLOBS)
    assert_array_equal(a, ref)


def test_fit_ignores_y():
    y = np.arange(len(X_BLOBS))
    a = MeanShift(bandwidth=1.5).fit(X_BLOBS, y)
    b = MeanShift(bandwidth=1.5).fit(X_BLOBS)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a.labels_, b.labels_)


def test_refit_replaces_state():
    ms = MeanShift(bandwidth=1.5).fit(X_BLOBS)
    X3 = np.random.default_rng(0).normal(size=(40, 3))
    ms.fit(X3)
    ref = MeanShift(bandwidth=1.5).fit(X3)
    assert ms.n_features_in_ == 3
    assert_array_equal(ms.cluster_centers_, ref.cluster_centers_)
    assert_array_equal(ms.labels_, ref.labels_)
    assert_array_equal(ms.predict(X3), ref.predict(X3))


def test_predict_before_fit_raises_sklearn_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    # scikit-learn's code catches sklearn.exceptions.NotFittedError.
    with pytest.raises(NotFittedError):
        MeanShift().predict(X_BLOBS)


def _nearest(X, centers):
    d2 = ((np.asarray(X)[:, None, :] - np.asarray(centers)[None]) ** 2).sum(-1)
    return d2.argmin(axis=1)


def test_predict_reads_cluster_centers_set_after_fit():
    # scikit-learn's predict measures against cluster_centers_ as they are:
    # a caller who reorders or edits them gets labels of those.
    ms = MeanShift(bandwidth=2.0).fit(X_BLOBS)
    fitted = ms.predict(X_BLOBS)
    ms.cluster_centers_ = ms.cluster_centers_[::-1].copy()
    assert_array_equal(ms.predict(X_BLOBS), _nearest(X_BLOBS, ms.cluster_centers_))
    assert_array_equal(ms.predict(X_BLOBS), len(ms.cluster_centers_) - 1 - fitted)
    ms.cluster_centers_[0] += 100.0  # in place
    assert_array_equal(ms.predict(X_BLOBS), _nearest(X_BLOBS, ms.cluster_centers_))
    again = pickle.loads(pickle.dumps(ms))
    assert_array_equal(again.predict(X_BLOBS), ms.predict(X_BLOBS))
    ms.cluster_centers_ = np.zeros((2, X_BLOBS.shape[1] + 1))
    with pytest.raises(ValueError, match="cluster_centers_ must be"):
        ms.predict(X_BLOBS)


def test_predict_with_centers_set_on_an_unfitted_estimator():
    centers = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    X = np.random.default_rng(0).normal(0, 4, (50, 2))
    ms, sk = MeanShift(), skc.MeanShift()
    ms.cluster_centers_ = sk.cluster_centers_ = centers
    assert_array_equal(ms.predict(X), sk.predict(X))
    assert_array_equal(ms.predict(X), _nearest(X, centers))
    with pytest.raises(ValueError, match="not fitted"):
        ms.score_samples(X)


def test_convergence_warning_is_also_scikit_learns():
    # A filter set for scikit-learn's ConvergenceWarning takes it too.
    from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning

    X = np.random.default_rng(0).normal(size=(200, 2))
    for category in (ConvergenceWarning, SkConvergenceWarning):
        with pytest.warns(category, match="max_iter=2"):
            MeanShift(bandwidth=0.5, max_iter=2).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=SkConvergenceWarning)
        MeanShift(bandwidth=0.5, max_iter=2).fit(X)


def test_sklearn_flavoured_error_and_warning_pickle():
    # A worker process (joblib, multiprocessing, dask) sends its exceptions
    # and recorded warnings back pickled, as scikit-learn's own pickle.
    from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError) as raised:
        MeanShift().predict(X_BLOBS)
    X = np.random.default_rng(0).normal(size=(200, 2))
    with pytest.warns(SkConvergenceWarning) as record:
        MeanShift(bandwidth=0.5, max_iter=2).fit(X)
    for obj, sk_class in ((raised.value, NotFittedError),
                          (record[0].message, SkConvergenceWarning)):  # fmt: skip
        again = pickle.loads(pickle.dumps(obj))
        assert type(again) is type(obj)
        assert isinstance(again, sk_class)
        assert again.args == obj.args


def test_predict_before_fit_raises_value_and_attribute_error():
    # What scikit-learn's NotFittedError derives from.
    with pytest.raises(ValueError, match="not fitted"):
        MeanShift().predict(X_BLOBS)
    with pytest.raises(AttributeError, match="not fitted"):
        MeanShift().predict(X_BLOBS)


def test_predict_wrong_number_of_features():
    ms = MeanShift(bandwidth=1.5).fit(X_BLOBS)
    with pytest.raises(
        ValueError, match="X has 3 features, but MeanShift is expecting 2"
    ):
        ms.predict(np.zeros((4, 3)))


# ---------------------------------------------------------------------------
# ConvergenceWarning (meanshift_fast only)
# ---------------------------------------------------------------------------


def _unconverged_after(X, seeds, bandwidth, max_iter):
    """Seeds that a plain flat-kernel mean shift leaves moving (by more than
    1e-3 * bandwidth) after max_iter steps; seeds with empty balls excluded."""
    stuck = 0
    for seed in np.asarray(seeds, dtype=float):
        mean = seed
        for it in range(max_iter + 1):
            inside = np.linalg.norm(X - mean, axis=1) <= bandwidth
            if not inside.any():
                break
            new = X[inside].mean(axis=0)
            moved = np.linalg.norm(new - mean)
            mean = new
            if moved <= 1e-3 * bandwidth:
                break
            if it == max_iter:
                stuck += 1
    return stuck


@pytest.mark.parametrize("max_iter", [1, 2, 300])
def test_convergence_warning_when_seeds_stop_early(max_iter):
    bandwidth = 1.5
    expected = _unconverged_after(X_BLOBS, X_BLOBS, bandwidth, max_iter)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        MeanShift(bandwidth=bandwidth, max_iter=max_iter).fit(X_BLOBS)
    found = [w for w in rec if issubclass(w.category, ConvergenceWarning)]
    if expected:
        assert len(found) == 1
        assert f"{expected} of {len(X_BLOBS)} seeds" in str(found[0].message)
    else:
        assert found == []


def test_no_convergence_warning_at_max_iter_zero():
    # max_iter=0 asks for no iteration at all (scikit-learn's meaning).
    assert _unconverged_after(X_BLOBS, X_BLOBS, 1.5, 0) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MeanShift(bandwidth=1.5, max_iter=0).fit(X_BLOBS)


# ---------------------------------------------------------------------------
# clone, pickle
# ---------------------------------------------------------------------------


def test_clone_unfitted():
    seeds = np.array([[0.0, 0.0], [1.0, 1.0]])
    ms = MeanShift(bandwidth=2.0, seeds=seeds, kernel="epanechnikov", n_jobs=1)
    c = clone(ms)
    assert c is not ms
    assert type(c) is MeanShift
    assert c.get_params().keys() == ms.get_params().keys()
    for key, value in ms.get_params().items():
        if isinstance(value, np.ndarray):
            assert_array_equal(c.get_params()[key], value)
        else:
            assert c.get_params()[key] == value


def test_clone_fitted_is_unfitted():
    ms = MeanShift(bandwidth=2.0).fit(X_BLOBS)
    c = clone(ms)
    assert not hasattr(c, "cluster_centers_")
    assert not hasattr(c, "labels_")
    assert c.get_params() == ms.get_params()


@pytest.mark.parametrize(
    "params",
    [
        {"bandwidth": 1.5},
        {"bandwidth": 1.5, "cluster_all": False, "bin_seeding": True},
        {"bandwidth": 1.0, "kernel": "gaussian"},
        {"bandwidth": 1.0, "kernel": "epanechnikov", "cluster_assignment": "attractor"},
        {"bandwidth": [1.0, 2.0]},
    ],
    ids=repr,
)
def test_pickle_fitted_round_trip(params):
    ms = MeanShift(**params).fit(X_BLOBS)
    probes = np.random.default_rng(1).uniform(-12, 12, size=(50, 2))
    expected = ms.predict(probes)
    clone_ = pickle.loads(pickle.dumps(ms))
    assert_array_equal(clone_.cluster_centers_, ms.cluster_centers_)
    assert_array_equal(clone_.labels_, ms.labels_)
    assert clone_.n_iter_ == ms.n_iter_
    assert clone_.n_features_in_ == ms.n_features_in_
    assert clone_.get_params().keys() == ms.get_params().keys()
    assert_array_equal(clone_.predict(probes), expected)
    assert_array_equal(clone_.predict(X_BLOBS), ms.predict(X_BLOBS))


@pytest.mark.parametrize(
    "params",
    [
        {"kernel": "gaussian", "gaussian_tol": 1e-3},
        {"kernel": "gaussian"},
        {"kernel": "epanechnikov"},
    ],
    ids=repr,
)
def test_copies_of_a_fit_from_few_seeds_score_as_it_does(params):
    # Few seeds over many rows fit on a tree of larger leaves; the tree a
    # copy rebuilds must be the same, or its sums are taken in another
    # grouping (another order; for the Gaussian kernel other nodes taken
    # whole within gaussian_tol).
    X, _ = make_blobs(
        n_samples=1000, n_features=2, centers=3, cluster_std=0.6, random_state=0
    )
    probes = np.random.default_rng(0).uniform(X.min(0) - 1, X.max(0) + 1, (300, 2))
    ms = MeanShift(bandwidth=1.0, seeds=X[:3], **params).fit(X)
    expected = ms.score_samples(probes)
    for again in (pickle.loads(pickle.dumps(ms)), copy.deepcopy(ms)):
        assert_array_equal(again.score_samples(probes), expected)


def test_pickle_unfitted_round_trip():
    ms = MeanShift(bandwidth=2.0, kernel="gaussian")
    clone_ = pickle.loads(pickle.dumps(ms))
    assert clone_.get_params() == ms.get_params()
    assert not hasattr(clone_, "cluster_centers_")
    a = clone_.fit(X_BLOBS)
    b = ms.fit(X_BLOBS)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a.labels_, b.labels_)


# ---------------------------------------------------------------------------
# Pipeline, GridSearchCV
# ---------------------------------------------------------------------------


def test_pipeline_scaler_meanshift():
    X = X_BLOBS * np.array([1.0, 50.0]) + np.array([0.0, 1000.0])
    pipe = Pipeline([("scale", StandardScaler()), ("ms", MeanShift(bandwidth=0.5))])
    labels = pipe.fit_predict(X)
    Xs = StandardScaler().fit_transform(X)
    direct = MeanShift(bandwidth=0.5).fit(Xs)
    assert_array_equal(labels, direct.labels_)
    assert_array_equal(pipe.named_steps["ms"].cluster_centers_, direct.cluster_centers_)
    probes = X[::7] + 0.1
    assert_array_equal(
        pipe.predict(probes), direct.predict(StandardScaler().fit(X).transform(probes))
    )
    # ... and scikit-learn's MeanShift in the same pipeline.
    ref = make_pipeline(StandardScaler(), skc.MeanShift(bandwidth=0.5)).fit(X)
    assert_array_equal(labels, ref[-1].labels_)
    assert_array_equal(pipe.predict(probes), ref.predict(probes))
    # Pipeline parameters reach the estimator.
    pipe.set_params(ms__bandwidth=1.0)
    assert pipe.named_steps["ms"].bandwidth == 1.0


def _silhouette(estimator, X, y=None):
    labels = estimator.predict(X)
    if len(np.unique(labels)) < 2:
        return -1.0
    return silhouette_score(X, labels)


def test_grid_search_over_bandwidth():
    X, _ = make_blobs(
        n_samples=150, n_features=2, centers=3, cluster_std=0.8, random_state=3
    )
    grid = [0.5, 1.5, 3.0, 10.0]
    cv = KFold(n_splits=3)
    gs = GridSearchCV(
        MeanShift(bin_seeding=True),
        {"bandwidth": grid},
        scoring=_silhouette,
        cv=cv,
    ).fit(X)
    # The same scores by hand.
    expected = []
    for bandwidth in grid:
        scores = []
        for train, test in cv.split(X):
            ms = MeanShift(bandwidth=bandwidth, bin_seeding=True).fit(X[train])
            scores.append(_silhouette(ms, X[test]))
        expected.append(np.mean(scores))
    assert_allclose(gs.cv_results_["mean_test_score"], expected, rtol=1e-12)
    best = grid[int(np.argmax(expected))]
    assert gs.best_params_ == {"bandwidth": best}
    assert isinstance(gs.best_estimator_, MeanShift)
    refit = MeanShift(bandwidth=best, bin_seeding=True).fit(X)
    assert_array_equal(gs.best_estimator_.labels_, refit.labels_)
    assert_array_equal(gs.predict(X), refit.predict(X))


# ---------------------------------------------------------------------------
# scikit-learn's estimator checks
# ---------------------------------------------------------------------------


# The default estimator, and the other kernels, neighbourhood search and
# label rule (with a given bandwidth: the estimate is 0 on some of the
# checks' data, and the smooth kernels refuse a zero bandwidth).
CHECKED_ESTIMATORS = [
    MeanShift(),
    MeanShift(kernel="gaussian", bandwidth=1.0, cluster_assignment="attractor"),
    MeanShift(
        kernel="epanechnikov", bandwidth=2.0, algorithm="brute", cluster_all=False
    ),
]

with warnings.catch_warnings():
    # scikit-learn warns that MeanShift does not inherit BaseEstimator: by
    # design (meanshift_fast does not import scikit-learn).
    warnings.filterwarnings("ignore", message=".*does not inherit from")
    _ESTIMATOR_CHECKS = parametrize_with_checks(CHECKED_ESTIMATORS)


@_ESTIMATOR_CHECKS
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not inherit from")
        check(estimator)


# check_estimator runs these only for ClusterMixin subclasses.
@pytest.mark.parametrize("estimator", CHECKED_ESTIMATORS, ids=repr)
@pytest.mark.parametrize("readonly_memmap", [False, True], ids=["array", "memmap"])
def test_check_clustering(estimator, readonly_memmap):
    check_clustering("MeanShift", estimator, readonly_memmap=readonly_memmap)


@pytest.mark.parametrize("estimator", CHECKED_ESTIMATORS, ids=repr)
def test_check_clusterer_compute_labels_predict(estimator):
    check_clusterer_compute_labels_predict("MeanShift", estimator)


@pytest.mark.parametrize("estimator", CHECKED_ESTIMATORS, ids=repr)
def test_check_non_transformer_estimators_n_iter(estimator):
    check_non_transformer_estimators_n_iter("MeanShift", estimator)


def test_sklearn_tags():
    from sklearn.base import is_clusterer
    from sklearn.utils import get_tags

    tags = get_tags(MeanShift())
    assert tags.estimator_type == "clusterer"
    # The same tags as scikit-learn's MeanShift.
    assert tags == get_tags(skc.MeanShift())
    assert is_clusterer(MeanShift())


# ---------------------------------------------------------------------------
# feature names
# ---------------------------------------------------------------------------


def test_feature_names_from_dataframe():
    import pandas as pd  # in the test extras: no skip

    df = pd.DataFrame(X_BLOBS, columns=["width", "height"])
    ms = MeanShift(bandwidth=1.5).fit(df)
    ref = skc.MeanShift(bandwidth=1.5).fit(df)
    assert_array_equal(ms.feature_names_in_, ref.feature_names_in_)
    assert ms.feature_names_in_.dtype == object
    assert_array_equal(ms.labels_, ref.labels_)
    assert_array_equal(ms.predict(df), ref.predict(df))
    # Non-string column names: no feature_names_in_, as in scikit-learn.
    ms_int = MeanShift(bandwidth=1.5).fit(pd.DataFrame(X_BLOBS))
    assert not hasattr(ms_int, "feature_names_in_")
    # Refitting on an array forgets the names.
    ms.fit(X_BLOBS)
    assert not hasattr(ms, "feature_names_in_")


def _outcome(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            fn()
        except ValueError as exc:
            return ("error", str(exc).splitlines()[0])
    return ("ok", sorted({str(w.message) for w in rec if w.category is UserWarning}))


@pytest.mark.parametrize(
    "fit_on, predict_on",
    [
        ("df", "array"),
        ("df", "renamed df"),
        ("df", "reordered df"),
        ("array", "df"),
        ("df", "df"),
    ],
    ids=lambda v: v.replace(" ", "_"),
)
def test_feature_names_consistency_in_predict(fit_on, predict_on):
    # scikit-learn warns when names appear or disappear between fit and
    # predict, and raises when they differ.
    import pandas as pd  # in the test extras: no skip

    df = pd.DataFrame(X_BLOBS, columns=["a", "b"])
    data = {
        "df": df,
        "array": X_BLOBS,
        "renamed df": df.rename(columns={"a": "c"}),
        "reordered df": df[["b", "a"]],
    }
    ours = MeanShift(bandwidth=1.5).fit(data[fit_on])
    ref = skc.MeanShift(bandwidth=1.5).fit(data[fit_on])
    X = data[predict_on]
    assert _outcome(lambda: ours.predict(X)) == _outcome(lambda: ref.predict(X))


@pytest.mark.parametrize(
    "fit_columns, predict_columns",
    [
        ("ab", "cb"),
        ("ab", "abc"),
        ("ab", "a"),
        ("abcdefg", "hijklmn"),
        ("abcdefg", "gfedcba"),
    ],
    ids=["renamed", "extra", "missing", "many_renamed", "reordered"],
)
def test_feature_names_mismatch_message_is_scikit_learns(fit_columns, predict_columns):
    # The whole message: the names listed one per line, five at most.
    import pandas as pd  # in the test extras: no skip

    X = np.repeat(np.eye(2), 2, axis=0)
    X = np.tile(X, (1, len(fit_columns)))[:, : len(fit_columns)]
    df = pd.DataFrame(X, columns=list(fit_columns))
    other = pd.DataFrame(
        np.zeros((2, len(predict_columns))), columns=list(predict_columns)
    )
    ours = MeanShift(bandwidth=1.5).fit(df)
    ref = skc.MeanShift(bandwidth=1.5).fit(df)
    with pytest.raises(ValueError) as ref_error:
        ref.predict(other)
    with pytest.raises(ValueError) as our_error:
        ours.predict(other)
    assert str(our_error.value) == str(ref_error.value)


@pytest.mark.parametrize("given", ["column", "row", "pandas array"])
def test_one_dimensional_pandas_input_refused_in_scikit_learns_words(given):
    # A column or a row (df.iloc[0]) taken out of a frame: scikit-learn
    # asks for a frame of one column or one row.
    import pandas as pd  # in the test extras: no skip

    df = pd.DataFrame(X_BLOBS, columns=["a", "b"])
    X = {
        "column": df["a"],
        "row": df.iloc[0],
        "pandas array": pd.array(X_BLOBS[:, 0], dtype="Float64"),
    }[given]
    for method in ("fit", "predict"):
        errors = []
        for est in (MeanShift(bandwidth=1.5), skc.MeanShift(bandwidth=1.5)):
            if method == "predict":
                est.fit(X_BLOBS)
            with pytest.raises(ValueError) as error:
                getattr(est, method)(X)
            errors.append(str(error.value))
        assert errors[0] == errors[1]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kernel", ["flat", "gaussian"])
def test_fit_keeps_no_view_of_x_and_pickles_its_rows(dtype, kernel):
    # The fitted estimator reads its rows from its tree; a caller who
    # overwrites X after fit changes nothing, and a pickle carries the rows.
    X = X_BLOBS.astype(dtype)
    probes = np.random.default_rng(2).uniform(-12, 12, size=(40, 2)).astype(dtype)
    reference = MeanShift(bandwidth=1.5, kernel=kernel).fit(X.copy())
    ms = MeanShift(bandwidth=1.5, kernel=kernel).fit(X)
    X[:] = 0
    expected = reference.score_samples(probes)
    assert_array_equal(ms.score_samples(probes), expected)
    clone_ = pickle.loads(pickle.dumps(ms))
    assert_allclose(clone_.score_samples(probes), expected, rtol=1e-12)
    assert_array_equal(clone_.predict(probes), reference.predict(probes))
    assert_array_equal(clone_._fit_data, X_BLOBS.astype(dtype))


@pytest.mark.parametrize("kernel", ["flat", "gaussian"])
@pytest.mark.parametrize("as_series", [False, True], ids=["ndarray", "series"])
def test_fit_keeps_no_view_of_sample_weight(kernel, as_series):
    # float64 weights need no conversion: the fit must copy them, or a
    # caller who overwrites them after fit changes score_samples (the
    # total weight), and a pickle (whose tree is rebuilt from them).
    pd = pytest.importorskip("pandas") if as_series else None
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=len(X_BLOBS))
    probes = np.random.default_rng(2).uniform(-12, 12, size=(40, 2))
    reference = MeanShift(bandwidth=1.5, kernel=kernel).fit(
        X_BLOBS, sample_weight=w.copy()
    )
    given = pd.Series(w) if as_series else w
    ms = MeanShift(bandwidth=1.5, kernel=kernel).fit(X_BLOBS, sample_weight=given)
    given[:] = 100.0
    expected = reference.score_samples(probes)
    assert_array_equal(ms.score_samples(probes), expected)
    clone_ = pickle.loads(pickle.dumps(ms))
    assert_allclose(clone_.score_samples(probes), expected, rtol=1e-12)


def test_tree_points_are_the_rows_it_was_built_from():
    from meanshift_fast import _core

    rng = np.random.default_rng(3)
    for dtype in (np.float64, np.float32):
        X = rng.normal(size=(1000, 3)).astype(dtype)
        X[::7] = X[0]  # ties, which the median splits move around
        points = _core.Tree(X, leaf_size=8).points()
        assert points.dtype == dtype
        assert_array_equal(points, X)


def test_metadata_routing_passes_sample_weight_once_requested():
    import sklearn
    from sklearn.base import clone
    from sklearn.exceptions import UnsetMetadataPassedError
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(8, 1, (100, 2))]
    w = rng.uniform(0.5, 2.0, len(X))
    expected = msf.MeanShift(bandwidth=1.0).fit(
        StandardScaler().fit_transform(X), sample_weight=w
    )
    # as scikit-learn's estimators, only while routing is on
    for other in (msf.MeanShift(), StandardScaler()):
        with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
            other.set_fit_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        est = msf.MeanShift(bandwidth=1.0)
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            Pipeline([("m", est)]).fit(X, sample_weight=w)  # not requested
        est.set_fit_request(sample_weight=True)
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = Pipeline([("s", scaler), ("m", est)]).fit(X, sample_weight=w)
        np.testing.assert_array_equal(pipe[-1].labels_, expected.labels_)
        for copy in (clone(est), pickle.loads(pickle.dumps(est))):
            routing = copy.get_metadata_routing()
            assert routing.fit.requests == {"sample_weight": True}


def test_a_subclass_with_parameters_of_its_own_clones_whole():
    """A subclass that adds an __init__ parameter keeps it through
    get_params, set_params, repr and clone, as scikit-learn's estimators
    do (the parameters are read from the signature)."""
    from sklearn.base import clone

    class Labelled(MeanShift):
        def __init__(self, *, bandwidth=None, label="x"):
            super().__init__(bandwidth=bandwidth)
            self.label = label

    est = Labelled(bandwidth=2.0, label="y")
    assert est.get_params() == {"bandwidth": 2.0, "label": "y"}
    assert clone(est).label == "y"
    assert repr(est) == "Labelled(bandwidth=2.0, label='y')"
    assert est.set_params(label="z").label == "z"
    with pytest.raises(ValueError, match="Invalid parameter 'kernel'"):
        est.set_params(kernel="flat")
    np.testing.assert_array_equal(
        clone(est).fit(X_BLOBS).labels_, MeanShift(bandwidth=2.0).fit(X_BLOBS).labels_
    )


def test_notebooks_show_scikit_learns_diagram(monkeypatch):
    import re

    import sklearn
    from sklearn.utils import estimator_html_repr

    def same_ids(html):  # each call numbers its elements afresh
        return re.sub(r"-id-\d+", "-id-N", html)

    est = MeanShift(bandwidth=2.0, kernel="gaussian")
    for shown in (est, clone_fit(est)):
        html = shown._repr_html_()
        assert same_ids(html) == same_ids(estimator_html_repr(shown))
        assert "MeanShift" in html and "gaussian" in html
    with sklearn.config_context(display="text"):
        assert est._repr_html_() is None  # the plain repr, as scikit-learn's
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert est._repr_html_() is None  # without scikit-learn: the plain repr


def clone_fit(est):
    from sklearn.base import clone

    return clone(est).fit(X_BLOBS)


_WARNING_CALLS = {
    "fit, max_iter": lambda X: MeanShift(bandwidth=0.3, max_iter=1).fit(X),
    "fit_predict, max_iter": lambda X: MeanShift(bandwidth=0.3, max_iter=1).fit_predict(
        X
    ),
    "fit, bins": lambda X: MeanShift(bandwidth=1e-6, bin_seeding=True).fit(X),
    "mean_shift, max_iter": lambda X: msf.mean_shift(X, bandwidth=0.3, max_iter=1),
    "get_bin_seeds": lambda X: msf.get_bin_seeds(X, 1e-6),
    "predict, names": lambda X: _fitted_with_names(X).predict(X),
}


def _fitted_with_names(X):
    pd = pytest.importorskip("pandas")
    return MeanShift(bandwidth=1.0).fit(pd.DataFrame(X, columns=["a", "b"]))


@pytest.mark.parametrize("call", list(_WARNING_CALLS))
def test_warnings_name_the_callers_line(call):
    # Whatever the depth of the package's call, a warning points at the
    # line that called it, as scikit-learn's do: filters by module match,
    # and the default filter shows it once per calling line.
    X = np.random.default_rng(0).normal(size=(200, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _WARNING_CALLS[call](X)
    assert caught, "no warning"
    assert {w.filename for w in caught} == {__file__}
