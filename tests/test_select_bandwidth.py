"""select_bandwidth and MeanShift(bandwidth="auto")."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import check_estimator

from meanshift_fast import MeanShift, bandwidth_sweep, select_bandwidth


def mixture(seed, k, d, n=1500, sep=3.0, noise=0.03):
    """k anisotropic Gaussian clusters of unequal size and spread whose
    centres are sep (sum of the two largest standard deviations) apart, plus
    uniform background noise labelled -1."""
    rng = np.random.default_rng(seed)
    scales = rng.uniform(0.6, 1.4, size=k)
    centres = []
    side = 3 * sep * k ** (1 / d)
    while len(centres) < k:
        c = rng.uniform(0, side, size=d)
        i = len(centres)
        if all(
            np.linalg.norm(c - centres[j]) >= sep * (scales[i] + scales[j])
            for j in range(i)
        ):
            centres.append(c)
    shares = rng.dirichlet(np.full(k, 5.0))
    sizes = (shares * n).astype(int) + 20
    parts, labels = [], []
    for i in range(k):
        axes = scales[i] * rng.uniform(0.5, 1.0, size=d)
        axes /= axes.max() / scales[i]
        rot = np.linalg.qr(rng.normal(size=(d, d)))[0]
        parts.append(centres[i] + (rng.normal(size=(sizes[i], d)) * axes) @ rot.T)
        labels.append(np.full(sizes[i], i))
    X = np.concatenate(parts)
    m = int(noise * len(X))
    lo, hi = X.min(0), X.max(0)
    X = np.concatenate([X, rng.uniform(lo, hi, size=(m, d))])
    y = np.concatenate(labels + [np.full(m, -1)])
    return X, y


@pytest.mark.parametrize("seed, k, d", [(0, 3, 2), (1, 5, 3), (2, 4, 6), (3, 7, 4)])
def test_selected_bandwidth_recovers_clear_mixtures(seed, k, d):
    X, y = mixture(seed, k, d)
    h = select_bandwidth(X)
    labels = MeanShift(bandwidth=h, bin_seeding=True).fit(X).labels_
    keep = y >= 0
    assert adjusted_rand_score(y[keep], labels[keep]) > 0.9
    # The default estimate fails on some of them: the test can tell.
    if (seed, k) == (3, 7):
        labels = MeanShift(bin_seeding=True).fit(X).labels_
        assert adjusted_rand_score(y[keep], labels[keep]) < 0.9


def test_one_cluster_gets_one_big_cluster():
    X = np.random.default_rng(0).normal(size=(800, 2))
    h = select_bandwidth(X)
    labels = MeanShift(bandwidth=h, bin_seeding=True).fit(X).labels_
    assert np.bincount(labels).max() >= 0.95 * len(X)


def test_selected_bandwidth_is_on_the_longest_stable_run():
    X, _ = mixture(4, 4, 2)
    h = select_bandwidth(X)
    # Clusters holding 2% of the points just below and above the choice
    # are the same number: it lies inside a plateau of the sweep.
    sweep = bandwidth_sweep(X, [h / 1.05, h, h * 1.05])
    big = [int((s >= 0.02 * s.sum()).sum()) for s in sweep.sizes]
    assert big[0] == big[1] == big[2] == 4


def test_deterministic_whatever_the_thread_count():
    X, _ = mixture(5, 5, 3, n=6000)  # more rows than the sweep's sample
    hs = {select_bandwidth(X, n_jobs=j) for j in (1, 2, 3, None)}
    assert len(hs) == 1
    h = hs.pop()
    assert isinstance(h, float) and h > 0
    assert select_bandwidth(X, random_state=0) == h
    # another draw of the 5000 rows: another float, close by
    assert select_bandwidth(X, random_state=1) == pytest.approx(h, rel=0.3)


@pytest.mark.parametrize(
    "scale", [1e-300, 1e-160, 1e-35, 2.0**-110, 2.0**110, 1e40, 1e160, 1e300]
)
def test_selection_and_sweep_follow_the_scale(scale):
    # Scaling the data scales the choice and the default range: squares of
    # the rows must neither overflow nor underflow on the way.
    X, _ = mixture(5, 3, 2, n=600)
    h = select_bandwidth(X)
    assert select_bandwidth(X * scale) / scale == pytest.approx(h, rel=1e-12)
    sweep, scaled = bandwidth_sweep(X), bandwidth_sweep(X * scale)
    np.testing.assert_allclose(scaled.bandwidths / scale, sweep.bandwidths, rtol=1e-12)
    assert np.array_equal(scaled.n_clusters, sweep.n_clusters)
    # float32 bin seeds overflow from 3.4e38 and lose digits below 1.2e-38:
    # the fit with bin seeding must not care.
    auto = MeanShift(bandwidth="auto", bin_seeding=True)
    np.testing.assert_array_equal(auto.fit(X * scale).labels_, auto.fit(X).labels_)


@pytest.mark.parametrize("seed", range(3))
def test_quantised_data_are_not_one_cluster_per_value(seed):
    # Below the grid's step every bandwidth gives one cluster per distinct
    # value: a run of constant counts that must not pass for stability.
    rng = np.random.default_rng(seed)
    one = np.round(rng.normal(0, 2, (200, 2)))
    assert len(MeanShift(bandwidth="auto").fit(one).cluster_centers_) == 1
    centres = np.repeat([[0, 0], [8, 8], [0, 8]], 100, axis=0)
    three = np.round(centres + rng.normal(0, 1.5, (300, 2)))
    labels = MeanShift(bandwidth="auto").fit(three).labels_
    truth = np.repeat([0, 1, 2], 100)
    assert adjusted_rand_score(truth, labels) > 0.9


def test_huge_bandwidths_give_one_cluster():
    X, _ = mixture(6, 3, 2, n=400)
    sweep = bandwidth_sweep(X, [1e38, 1e39, 1e60, 1e76, 1e77])
    assert sweep.n_clusters.tolist() == [1, 1, 1, 1, 1]


def test_weights_count_as_repeated_rows():
    X, _ = mixture(6, 3, 2, n=600)
    w = np.random.default_rng(0).integers(1, 3, size=len(X))
    assert select_bandwidth(X, sample_weight=w.astype(float)) == select_bandwidth(
        np.repeat(X, w, axis=0)
    )


@pytest.mark.parametrize("seed", [3, 5])
def test_integer_weights_give_the_choice_of_repeated_rows(seed):
    # More than the 1000 rows the range is measured on, fewer than the 5000
    # the sweep runs on: nothing is sampled that the weights could not
    # repeat, so integer weights must give the choice (and the default sweep
    # range) of the repeated rows exactly.
    X, _ = mixture(seed, 3, 2, n=700)
    w = np.random.default_rng(seed).integers(1, 3, size=len(X))
    assert 1000 < w.sum() < 5000
    repeated = np.repeat(X, w, axis=0)
    h = select_bandwidth(repeated)
    assert select_bandwidth(X, sample_weight=w.astype(float)) == h
    fitted = MeanShift(bandwidth="auto").fit(X, sample_weight=w.astype(float))
    assert fitted.bandwidth_ == h
    want = bandwidth_sweep(repeated, n_bandwidths=4).bandwidths
    got = bandwidth_sweep(X, n_bandwidths=4, sample_weight=w.astype(float))
    assert np.array_equal(got.bandwidths, want)


def test_bad_input():
    X, _ = mixture(0, 3, 2, n=200)
    with pytest.raises(ValueError, match="method"):
        select_bandwidth(X, method="silverman")
    with pytest.raises(ValueError, match="n_jobs"):
        select_bandwidth(X, n_jobs=0)
    for bad in (np.nan, np.inf):
        Y = X.copy()
        Y[0, 0] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            select_bandwidth(Y)
        with pytest.raises(ValueError, match="NaN|infinity"):
            MeanShift(bandwidth="auto").fit(Y)
    with pytest.raises(ValueError, match="non-zero"):
        select_bandwidth(X, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="bandwidth"):
        MeanShift(bandwidth="automatic").fit(X)


def test_auto_fit_uses_select_bandwidth():
    X, _ = mixture(7, 4, 3)
    ms = MeanShift(bandwidth="auto", bin_seeding=True).fit(X)
    h = select_bandwidth(X)
    assert ms.bandwidth_ == h
    ref = MeanShift(bandwidth=h, bin_seeding=True).fit(X)
    assert np.array_equal(ms.cluster_centers_, ref.cluster_centers_)
    assert np.array_equal(ms.labels_, ref.labels_)
    assert ms.bandwidth == "auto"


def test_auto_survives_clone_pickle_and_grid_search():
    X, y = mixture(8, 3, 2, n=400)
    est = MeanShift(bandwidth="auto", bin_seeding=True)
    assert clone(est).get_params()["bandwidth"] == "auto"
    assert pickle.loads(pickle.dumps(est)).bandwidth == "auto"
    fitted = pickle.loads(pickle.dumps(est.fit(X)))
    assert fitted.bandwidth == "auto"
    assert np.array_equal(fitted.predict(X), est.labels_)

    def ari(estimator, X, y):
        return adjusted_rand_score(y, estimator.fit_predict(X))

    search = GridSearchCV(
        MeanShift(bin_seeding=True),
        {"bandwidth": ["auto", 0.05]},
        scoring=ari,
        cv=2,
    ).fit(X, y)
    assert search.best_params_ == {"bandwidth": "auto"}


def test_auto_passes_sklearn_checks():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not inherit from")
        check_estimator(MeanShift(bandwidth="auto"))


def test_dask_array_works_on_a_sample():
    import dask.array as da  # in the test extras: no skip

    from meanshift_fast.dask import bandwidth_sample

    X, _ = mixture(9, 3, 2, n=3000)
    dX = da.from_array(X, chunks=(700, 2))
    sample, _ = bandwidth_sample(dX, None, 0, 5000)
    assert np.array_equal(sample, X)  # fewer rows than the sample: all
    assert select_bandwidth(dX) == select_bandwidth(X)
    n = len(X)
    sample, w = bandwidth_sample(dX, np.arange(float(n)), 3, 1000)
    rows = np.sort(np.random.RandomState(3).permutation(n)[:1000])
    assert np.array_equal(sample, X[rows]) and np.array_equal(w, rows)
    sweep = bandwidth_sweep(dX, [1.0, 2.0], random_state=0, return_labels=True)
    ref = bandwidth_sweep(X, [1.0, 2.0], return_labels=True)
    for a, b in zip(sweep.centers, ref.centers, strict=True):
        assert np.array_equal(a, b)


def test_import_does_not_import_dask():
    import subprocess
    import sys

    code = (
        "import sys, meanshift_fast; "
        "print(any(m.split('.')[0] == 'dask' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_selection_leaves_the_warning_filters_alone(monkeypatch, recwarn):
    # Other threads share the filters: the selection must silence its own
    # fits' warnings (bins of one row each at its smallest bandwidths)
    # without changing them.
    def refuse(*args, **kwargs):
        raise AssertionError("select_bandwidth touched the warnings filters")

    for name in ("catch_warnings", "simplefilter", "filterwarnings", "resetwarnings"):
        monkeypatch.setattr(warnings, name, refuse)
    X, _ = mixture(7, 3, 2, n=300)
    assert select_bandwidth(X) > 0
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_a_row_beyond_float32_bins_does_not_stop_the_choice():
    """One row so far out that float32 bins cannot number it at the
    sweep's bandwidths: the choice is made (every row a seed) and equals
    the choice with that row at 1e50 or 1e300 alike."""
    rng = np.random.default_rng(0)
    base = np.r_[rng.normal(0, 0.3, (60, 2)), rng.normal(4, 0.3, (60, 2))]
    got = [select_bandwidth(np.r_[base, [[far, far]]]) for far in (1e50, 1e300)]
    assert got[0] == got[1]
    assert 0.5 < got[0] < 4  # the two clusters' scale, not the far row's
    model = MeanShift(bandwidth="auto").fit(np.r_[base, [[1e50, 1e50]]])
    assert model.bandwidth_ == got[0] and len(model.cluster_centers_) == 3


def test_few_positive_weights_among_many_rows_are_the_rows_drawn():
    # Beyond 5000 rows the method draws rows; a draw among all of them
    # could take only rows of weight 0 and refuse weights fit accepts.
    rng = np.random.default_rng(4)
    X = np.r_[rng.normal(0, 1, (6000, 2)), rng.normal(9, 1, (6000, 2))]
    w = np.zeros(len(X))
    w[rng.choice(len(X), 40, replace=False)] = rng.integers(1, 4, 40)
    want = select_bandwidth(X[w > 0], sample_weight=w[w > 0])
    assert select_bandwidth(X, sample_weight=w) == want
    fitted = MeanShift(bandwidth="auto").fit(X, sample_weight=w)
    assert fitted.bandwidth_ == want


@pytest.mark.parametrize("n_positive", [2, 40, 4500])
def test_dask_array_draws_among_the_positive_weights_as_in_memory(n_positive):
    # A dask array's rows are drawn as an in-memory X's are: among those of
    # positive weight, which a draw among all rows could miss (or keep too
    # few of).
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(4)
    X = np.r_[rng.normal(0, 1, (3500, 2)), rng.normal(9, 1, (3500, 2))]
    w = np.zeros(len(X))
    w[rng.choice(len(X), n_positive, replace=False)] = rng.integers(1, 4, n_positive)
    dX = da.from_array(X, chunks=(1500, 2))
    for random_state in (0, 1):
        want = select_bandwidth(X, sample_weight=w, random_state=random_state)
        got = select_bandwidth(dX, sample_weight=w, random_state=random_state)
        assert got == want
