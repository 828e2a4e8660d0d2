"""Progress reporting: the fit's callback and the CLI's bar."""

import io

import numpy as np
import pytest

import meanshift_fast as mf
from meanshift_fast.cli import _ProgressBar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _data(n=3000):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 2))


# The flat kernel shifts its seeds in groups, the others one by one: each
# path reports the total at its end (fewer points for the slower kernels).
@pytest.mark.parametrize("kernel", ["flat", "gaussian", "epanechnikov"])
def test_fit_reports_progress_up_to_the_total(kernel):
    X = _data(3000 if kernel == "flat" else 500)
    calls = []
    ms = mf.MeanShift(bandwidth=0.5, kernel=kernel, n_jobs=1).fit(
        X, progress=lambda done, total: calls.append((done, total))
    )
    assert calls, "no progress reported"
    assert all(total == len(X) for _, total in calls)
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and dones[-1] == len(X)
    # reporting does not change the result
    ref = mf.MeanShift(bandwidth=0.5, kernel=kernel, n_jobs=1).fit(X)
    np.testing.assert_array_equal(ms.labels_, ref.labels_)


@pytest.mark.parametrize("bin_seeding", [False, True])
def test_two_passes_report_one_count(bin_seeding):
    # With cluster_assignment="attractor" the labels shift every row after
    # the seeds (unless the seeds were the rows): one count, one total.
    X = _data(2000)
    kw = dict(bandwidth=0.5, bin_seeding=bin_seeding, n_jobs=1)
    calls = []
    ms = mf.MeanShift(cluster_assignment="attractor", **kw).fit(
        X, progress=lambda done, total: calls.append((done, total))
    )
    from sklearn.cluster import get_bin_seeds

    # the seeds (scikit-learn's bin seeds), then every row; every-point
    # seeds are the rows, whose ends the labels take without a second pass
    n_seeds = len(get_bin_seeds(X, 0.5, 1)) if bin_seeding else 0
    assert {total for _, total in calls} == {n_seeds + len(X)}
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and dones[-1] == calls[-1][1]
    ref = mf.MeanShift(cluster_assignment="attractor", **kw).fit(X)
    np.testing.assert_array_equal(ms.labels_, ref.labels_)


def test_bar_draws_on_a_terminal_only():
    X = _data()
    term = _Terminal()
    bar = _ProgressBar("mean shift", stream=term, delay=0.0)
    mf.MeanShift(bandwidth=0.5, n_jobs=1).fit(X, progress=bar)
    bar.close()
    out = term.getvalue()
    assert "mean shift [" in out and f"{len(X)}/{len(X)}" in out

    pipe = io.StringIO()  # not a terminal: stays silent
    bar = _ProgressBar("mean shift", stream=pipe, delay=0.0)
    mf.MeanShift(bandwidth=0.5, n_jobs=1).fit(X, progress=bar)
    bar.close()
    assert pipe.getvalue() == ""


def test_bar_waits_before_drawing():
    term = _Terminal()
    bar = _ProgressBar("mean shift", stream=term, delay=3600.0)
    bar(1, 10)
    bar.close()
    assert term.getvalue() == ""


def test_progress_exception_stops_the_fit():
    X = _data()

    class Stop(Exception):
        pass

    def boom(done, total):
        raise Stop

    try:
        mf.MeanShift(bandwidth=0.5, n_jobs=1).fit(X, progress=boom)
    except Stop:
        pass
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("the callback's exception did not propagate")


def test_progress_that_is_not_callable_is_refused_up_front():
    with pytest.raises(TypeError, match="progress must be a callable"):
        mf.MeanShift(bandwidth=0.5).fit(_data(), progress=3)
