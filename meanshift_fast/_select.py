"""Choosing the bandwidth from the data: select_bandwidth.

The "stability" method.  A clustering worth having persists over a range
of scales (the idea behind Comaniciu's data-driven scale selection, 2003):
as the bandwidth grows, mean shift first splits the data into many small
modes, then settles on the clusters that are really there, keeps them over
a stretch of bandwidths while the kernel grows from a cluster's core to
its whole extent, and finally merges neighbours until one cluster is left.
So the method sweeps a geometric range of bandwidths, counts at each one
the clusters that hold a real share of the samples (2%: the modes of the
background noise and of a cluster's ragged tail hold less), and finds the
longest run of consecutive bandwidths over which that count stays the same
and is at least two.  It returns the bandwidth 70% of the way up that run
(on the log scale): inside the plateau, where the clusters are those of the
whole run, but past its middle, because along the run the tiny modes that
seeds in the noise find keep fading while the real clusters stay whole.
The run of a single cluster competes too, but must be three times longer
than the longest run of several: data of one cluster show a few brief runs
of two or three clusters at small bandwidths and then one cluster over most
of the range, while mixtures keep their one-cluster run short.
"""

import numpy as np

from meanshift_fast._bandwidth import _check_random_state
from meanshift_fast._sweep import (
    _bounds,
    _is_dask,
    _sweep,
    bound_rows,
    draw_rows,
)
from meanshift_fast._units import BinRangeError
from meanshift_fast._validation import (
    c_array,
    check_array,
    check_choice,
    check_n_jobs,
    check_sample_weight,
)

METHODS = ("stability",)
# The sweep runs on at most this many rows (drawn with random_state).
_SAMPLES = 5000
# Its bandwidths: geometric, from half the small bound of the default sweep
# range (the radius of balls holding about 1% of the rows) to the large one
# (the largest distance from the rows' median), far outliers left out.
_N_BANDWIDTHS = 48
# A cluster counts when it holds at least this share of the (weighted) rows.
_MIN_SHARE = 0.02
# Data of one cluster: at small bandwidths their ragged density has brief
# runs of a few clusters, and the one cluster then holds for most of the
# range.  The run of one cluster wins when it is this many times longer than
# the longest run of several (on mixtures of two or more clusters it was at
# most twice as long).
_ONE_CLUSTER_FACTOR = 3
# Where in the longest run the chosen bandwidth lies (0: its start, 1: its
# end, on the log scale).
_POSITION = 0.7


def select_bandwidth(
    X, *, method="stability", sample_weight=None, n_jobs=None, random_state=0
):
    """Choose a flat-kernel mean shift bandwidth for X from the data alone.

    The "stability" method sweeps 48 geometrically spaced bandwidths with
    ``bin_seeding=True`` on at most 5000 rows of X, finds the longest run
    of bandwidths over which the number of clusters that hold at least 2%
    of the samples stays the same (and is at least two), and returns the
    bandwidth 70% of the way up that run, on the log scale.  The run of a
    single cluster takes its place where it is more than three times longer
    (data of one cluster); data with neither run get the largest bandwidth
    of the sweep.  ``MeanShift(bandwidth="auto")`` uses it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data; a dask array is handled on a sample of its rows (drawn
        as the rows of an in-memory X are, among those of positive weight).
    method : {"stability"}, default="stability"
        The selection method (see above).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples: cluster shares count weight.
    n_jobs : int, default=None
        Threads.  The result does not depend on it.
    random_state : int, RandomState instance or None, default=0
        The draw of the rows the sweep runs on, when X has more than 5000.

    Returns
    -------
    bandwidth : float
        The chosen bandwidth, > 0.

    See Also
    --------
    bandwidth_sweep : the clusterings across bandwidths, to look at.

    Examples
    --------
    >>> import numpy as np
    >>> from meanshift_fast import MeanShift, select_bandwidth
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (200, 2)), rng.normal(8, 1, (200, 2))])
    >>> h = select_bandwidth(X)
    >>> len(MeanShift(bandwidth=h, bin_seeding=True).fit(X).cluster_centers_)
    2
    """
    owner = "select_bandwidth"
    check_choice(owner, "method", method, METHODS)
    check_n_jobs(owner, n_jobs)
    _check_random_state(random_state, owner)  # refused whether or not rows are drawn
    if _is_dask(X):
        from meanshift_fast.dask import bandwidth_sample

        X, sample_weight = bandwidth_sample(
            X, sample_weight, random_state, _SAMPLES, positive_weights=True, owner=owner
        )
    X = check_array(X, owner=owner)
    w = check_sample_weight(sample_weight, X.shape[0])
    return stability_bandwidth(X, w, n_jobs, random_state)


def stability_bandwidth(X, w, n_jobs, random_state):
    """select_bandwidth's "stability" method on validated X and weights."""
    if w is not None and not (w > 0).any():
        raise ValueError("sample_weight must have a positive entry.")
    X, w = _draw(X, w, _SAMPLES, random_state, dtype=None)
    lo, hi, resolution = _bounds(*bound_rows(X, w, random_state))
    # Not below the data's resolution (quantised data): there every
    # bandwidth gives the same clusters, a run that would look stable.
    bandwidths = np.geomspace(min(max(lo / 2, resolution), lo), hi, _N_BANDWIDTHS)
    # Python floats, as MeanShift(bandwidth="auto") will fit the choice.
    grid = [float(h) for h in bandwidths]
    # The sweep's fits are the method's own business: bins that hold one row
    # each at the smallest bandwidths, or slow seeds, are no news to the
    # caller (quiet, not a warnings filter, which every thread shares).
    try:
        sweep = _sweep(X, grid, "flat", True, 1, w, n_jobs, False, quiet=True)
    except BinRangeError:
        # a row beyond what float32 bins can number at these bandwidths:
        # every row a seed instead (at most _SAMPLES of them)
        sweep = _sweep(X, grid, "flat", False, 1, w, n_jobs, False, quiet=True)
    counts = np.array(
        [np.count_nonzero(s >= _MIN_SHARE * s.sum()) for s in sweep.sizes]
    )
    start, stop = _longest_run(counts, lambda k: k >= 2)
    one_start, one_stop = _longest_run(counts, lambda k: k == 1)
    if one_start is not None and (
        start is None or one_stop - one_start > _ONE_CLUSTER_FACTOR * (stop - start)
    ):
        start, stop = one_start, one_stop
    elif start is None:
        return float(bandwidths[-1])
    pos = start + _POSITION * (stop - start)
    grid = np.arange(len(bandwidths))
    return float(np.exp(np.interp(pos, grid, np.log(bandwidths))))


def _draw(X, w, n_samples, random_state, dtype):
    """X and w, in X's dtype or dtype; beyond n_samples rows, n_samples of
    them drawn with random_state among those of positive weight, which
    alone weigh in a fit (a draw among all could miss the few that count).
    Up to n_samples rows, every row stays (those of weight 0 weigh in no
    fit: they are neither mass nor seeds, nor counted by bin seeding)."""
    if X.shape[0] <= n_samples:
        return c_array(X, dtype=dtype), w
    rows = np.arange(X.shape[0]) if w is None else np.flatnonzero(w > 0)
    rows = draw_rows(rows, n_samples, random_state)
    return c_array(X[rows], dtype=dtype), None if w is None else w[rows]


def _longest_run(counts, wanted):
    """(first, last) index of the longest run of equal counts for which
    ``wanted(count)`` holds, the earliest of the longest; (None, None) when
    there is none."""
    best = (None, None)
    best_len = -1
    i = 0
    while i < len(counts):
        j = i
        while j + 1 < len(counts) and counts[j + 1] == counts[i]:
            j += 1
        if wanted(counts[i]) and j - i > best_len:
            best, best_len = (i, j), j - i
        i = j + 1
    return best
