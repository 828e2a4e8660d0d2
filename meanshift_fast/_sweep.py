"""Mean shift at many bandwidths over one k-d tree: bandwidth_sweep."""

import numpy as np

from meanshift_fast import _core
from meanshift_fast._bandwidth import _check_random_state
from meanshift_fast._estimator import MeanShift, _NoClusterError
from meanshift_fast._params import KERNELS
from meanshift_fast._threads import effective_n_threads
from meanshift_fast._units import pow2_exponent
from meanshift_fast._validation import (
    c_array,
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_n_jobs,
    check_sample_weight,
    is_real,
    param_error,
)

# The default range's bounds come from this many rows at most.
_BOUND_SAMPLES = 1000
# The small bound: the mean radius of the balls holding this share of the
# distinct rows (about 1%, and at least two rows); the large bound: the largest
# distance from the rows' median, where a single cluster remains.  Both
# leave out far outliers (beyond _FENCE interquartile ranges above the
# upper quartile of the radii, or of the distances): one point far away
# would otherwise stretch the range past every useful bandwidth.
_SMALL_SHARE = 0.01
_FENCE = 3.0
# Integer weights count as copies of their rows, up to this many in all.
_REPEAT_MAX = _BOUND_SAMPLES * 10


class BandwidthSweep:
    """Mean shift clusterings of one data set at several bandwidths.

    Row ``i`` is the fit ``MeanShift(bandwidth=bandwidths[i], ...).fit(X)``
    of :func:`bandwidth_sweep`.  ``print(sweep)`` shows a table.

    Attributes
    ----------
    bandwidths : ndarray of shape (n_bandwidths,)
        Ascending.
    n_clusters : ndarray of shape (n_bandwidths,)
        Number of clusters at each bandwidth.
    sizes : list of ndarray
        Per bandwidth, the number of samples labelled with each cluster (in
        the order of the centres; summed sample weights when weighted).
    centers : list of ndarray of shape (n_clusters, n_features)
        Per bandwidth, the fit's ``cluster_centers_``.
    labels : list of ndarray of shape (n_samples,) or None
        Per bandwidth, the fit's ``labels_``, when requested.
    n_iter : ndarray of shape (n_bandwidths,)
        Per bandwidth, the fit's ``n_iter_``.
    rows : ndarray of int or None
        For a sweep of a dask array, the indices of the rows it clustered
        (the sample the labels are for: every row, in order, for an array
        of at most 10,000 rows); None for an in-memory array, whose rows
        it clusters all.
    """

    def __init__(self, bandwidths, n_clusters, sizes, centers, labels, n_iter):
        self.bandwidths = bandwidths
        self.n_clusters = n_clusters
        self.sizes = sizes
        self.centers = centers
        self.rows = None
        self.labels = labels
        self.n_iter = n_iter

    def __len__(self):
        return len(self.bandwidths)

    def largest_shares(self, k=3):
        """Shares of the samples in the ``k`` largest clusters, per bandwidth
        (ndarray of shape (n_bandwidths, k), zero-padded)."""
        check_int("largest_shares", "k", k, 0)
        out = np.zeros((len(self), k))
        for i, s in enumerate(self.sizes):
            top = np.sort(s)[::-1][:k]
            total = s.sum()
            out[i, : len(top)] = top / total if total > 0 else 0.0
        return out

    def table(self, marked=None):
        """The sweep as a text table; the row of bandwidth ``marked``, or the
        row nearest to it on the log scale, gets an arrow."""
        lines = [
            f"{'bandwidth':>12} {'clusters':>8}  largest clusters (share of samples)"
        ]
        near = None
        if marked is not None and len(self) > 0 and 0 < marked < np.inf:
            # the logs' difference, not the log of the ratio, which can
            # overflow or underflow (every row then as far as the first)
            far = np.abs(np.log(self.bandwidths) - np.log(marked))
            near = int(np.argmin(far))
        for i, h in enumerate(self.bandwidths):
            shares = np.sort(self.sizes[i])[::-1]
            total = shares.sum()
            top = ", ".join(
                f"{s / total:.1%}" if total > 0 else "0" for s in shares[:4]
            )
            if len(shares) > 4:
                top += ", ..."
            mark = ""
            if i == near:
                mark = "  <-" if h == marked else f"  <- nearest to {marked:.6g}"
            lines.append(f"{h:12.6g} {self.n_clusters[i]:8d}  {top}{mark}")
        return "\n".join(lines)

    def plot(self, marked=None, fig=None):
        """Draw clusters against bandwidth (log scale) above the largest
        clusters' shares, stacked; ``marked`` (a bandwidth) gets a dashed
        line.  ``fig``: a matplotlib figure or subfigure to draw in (a new
        one by default).  Needs matplotlib (the ``plot`` extra).  Returns
        the figure."""
        from meanshift_fast._plot import plot_sweep

        return plot_sweep(self, marked, fig)

    def __str__(self):
        return self.table()

    def __repr__(self):
        return (
            f"BandwidthSweep({len(self)} bandwidths from "
            f"{self.bandwidths[0]:.6g} to {self.bandwidths[-1]:.6g})"
        )


def default_bandwidths(X, n_bandwidths, sample_weight=None, random_state=0):
    """Geometric bandwidths from about the radius of a ball holding 1% of
    the samples to the largest distance from their median, far outliers
    left out."""
    lo, hi, _ = _bounds(*bound_rows(X, sample_weight, random_state))
    if n_bandwidths == 1:
        return np.array([np.sqrt(lo * hi)])
    return np.geomspace(lo, hi, n_bandwidths)


def bound_rows(X, w, random_state):
    """(rows in float64, their weights): what the default range is measured
    on.  Beyond _BOUND_SAMPLES rows, that many drawn with random_state among
    those of positive weight, which alone weigh in a fit (a draw among all
    could miss the few that count, or all of them).  Integer weights count
    as that many copies of their row (up to _REPEAT_MAX copies in all): the
    draw is then among the copies, the very draw of the repeated rows, so
    that integer weights give the range of repeated rows."""
    n = X.shape[0]
    if _repeats(w) and w.sum() > _BOUND_SAMPLES:
        counts = w.astype(np.int64)
        copies = np.arange(int(counts.sum()))
        drawn = draw_rows(copies, _BOUND_SAMPLES, random_state)
        rows = np.searchsorted(np.cumsum(counts), drawn, side="right")
        return c_array(X[rows], dtype=np.float64), None
    rows = np.arange(n) if w is None else np.flatnonzero(w > 0)
    rows = draw_rows(rows, _BOUND_SAMPLES, random_state)
    if len(rows) < n:
        X = X[rows]
        w = None if w is None else w[rows]
    return c_array(X, dtype=np.float64), w


def draw_rows(rows, n_samples, random_state):
    """rows (ascending indices), or beyond n_samples of them n_samples drawn
    with random_state, ascending: the one draw of the default range's rows,
    select_bandwidth's sample and a dask array's sample
    (meanshift_fast.dask.bandwidth_sample)."""
    if len(rows) > n_samples:
        rng = _check_random_state(random_state)
        rows = np.sort(rows[rng.choice(len(rows), n_samples, replace=False)])
    return rows


def _bounds(S, w):
    """(small bound, large bound, resolution) of the default range, measured
    on the rows S: the resolution, on quantised data (a tenth of the rows or
    more repeat another), is the smallest distance between distinct rows,
    below which every bandwidth clusters alike; 0 for other data."""
    # Rows so large or small that their squares overflow or underflow are
    # measured scaled by a power of two (which changes no digit), so that
    # the range follows the data at every scale.  The scale follows the
    # rows' typical spread, not their largest value: a far row then squares
    # to infinity (an outlier, left out) rather than the others to zero.
    spread = float(np.median(np.abs(S - np.median(S, axis=0)))) if len(S) else 0.0
    k = pow2_exponent(S, spread if spread > 0 else None)
    if k:
        return tuple(float(np.ldexp(v, -k)) for v in _bounds(np.ldexp(S, k), w))
    S = _as_rows(S, w)
    with np.errstate(over="ignore"):  # a far row's distance: infinite
        dist = np.sqrt(((S - np.median(S, axis=0)) ** 2).sum(axis=1))
    hi = float(_inliers(dist).max())
    # The radii among distinct rows: on quantised data, bandwidths below the
    # grid's step find no neighbour but copies, and cluster alike.
    D = np.unique(S, axis=0)
    share = max(2, int(np.ceil(_SMALL_SHARE * len(D))))
    lo = resolution = 0.0
    if len(D) >= 2:
        tree = _core.Tree(D)
        if len(D) >= share:
            # sorted, so that the mean does not depend on the rows' order
            lo = float(_inliers(np.sort(tree.kth_neighbor_distance(share, 1))).mean())
        if len(D) <= 0.9 * len(S):
            resolution = float(tree.kth_neighbor_distance(2, 1).min())
    if not hi > 0:
        hi = 1.0  # every row is the same point: any bandwidth finds it
    if not 0 < lo < hi:
        lo = hi / 100.0
    return lo, hi, resolution


def _as_rows(S, w):
    """The rows the bounds measure: integer weights as that many copies of
    each row (so that weights give the bounds of repeated rows), other
    weights by the rows of positive weight."""
    if w is None or not (w > 0).any():
        return S
    if _repeats(w):
        return c_array(np.repeat(S, w.astype(np.int64), axis=0))
    return c_array(S[w > 0])


def _repeats(w):
    """Whether the weights w count as copies of their rows: integers, some
    positive, at most _REPEAT_MAX in all."""
    return (
        w is not None
        and (w > 0).any()
        and np.array_equal(w, np.round(w))
        and w.sum() <= _REPEAT_MAX
    )


def _inliers(x):
    """x without its far outliers: values beyond the upper quartile plus
    _FENCE interquartile ranges."""
    q1, q3 = np.percentile(x, [25, 75])
    return x[x <= q3 + _FENCE * (q3 - q1)]


def check_bandwidths(owner, bandwidths):
    """The bandwidths as an ascending float64 array, or a ValueError."""
    if isinstance(bandwidths, str) or (
        not np.iterable(bandwidths) and not is_real(bandwidths)
    ):
        raise param_error(
            owner, "bandwidths", bandwidths, "an array-like of positive floats or None"
        )
    arr = np.atleast_1d(np.asarray(bandwidths))
    if arr.ndim != 1 or arr.dtype.kind not in "iuf":
        raise param_error(
            owner,
            "bandwidths",
            bandwidths,
            "a 1-D array-like of positive floats or None",
        )
    if arr.size == 0:
        raise ValueError(
            f"The 'bandwidths' parameter of {owner} must hold at least one "
            "bandwidth; got an empty list."
        )
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all() or not (arr > 0).all():
        raise ValueError(
            f"The 'bandwidths' parameter of {owner} must hold floats in the "
            f"range (0, inf); got {bandwidths!r}."
        )
    return np.sort(arr)


def bandwidth_sweep(
    X,
    bandwidths=None,
    *,
    n_bandwidths=24,
    kernel="flat",
    bin_seeding=True,
    min_bin_freq=1,
    sample_weight=None,
    n_jobs=None,
    return_labels=False,
    random_state=0,
):
    """Cluster X at several bandwidths, sharing one k-d tree.

    Every row is exactly ``MeanShift(bandwidth=h, kernel=kernel,
    bin_seeding=bin_seeding, min_bin_freq=min_bin_freq,
    n_jobs=n_jobs).fit(X, sample_weight=sample_weight)`` with ``h`` the
    row's ``sweep.bandwidths[i]`` (a numpy float64: with bin seeding, a
    Python float gives float32 bin seeds instead, as in scikit-learn): the
    same centres in the same order and the same labels.  The tree over X is built once
    for the whole sweep instead of once per fit, and the fits run side by
    side.  Where the fit raises because no seed finds a point (no bin holds
    ``min_bin_freq`` samples, or bin centres lie farther than a tiny
    bandwidth from every sample), the row has no clusters and every label
    is -1.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples to cluster; a dask array is clustered on at most 10,000 of
        its rows, drawn with ``random_state`` (as
        :class:`meanshift_fast.dask.MeanShift` draws them).
    bandwidths : array-like of float, default=None
        The bandwidths, each > 0 and finite; they are sorted.  None takes
        ``n_bandwidths`` geometrically spaced ones between the mean radius
        of the balls holding about 1% of the distinct samples and the largest
        distance of a sample from the samples' median (both measured on at
        most 1000 rows of positive weight drawn with ``random_state``,
        integer weights counting as copies of their rows, far outliers left
        out: radii or distances beyond the upper quartile plus three
        interquartile ranges).
    n_bandwidths : int, default=24
        How many default bandwidths.
    kernel : {"flat", "gaussian", "epanechnikov"}, default="flat"
    bin_seeding : bool, default=True
    min_bin_freq : int, default=1
    sample_weight : array-like of shape (n_samples,), default=None
    n_jobs : int, default=None
        Threads.  Results do not depend on it.
    return_labels : bool, default=False
        Keep every fit's labels (n_bandwidths x n_samples integers).
    random_state : int, RandomState instance or None, default=0
        The draw of the rows that set the default bandwidths (and of the
        rows of a dask array).

    Returns
    -------
    sweep : BandwidthSweep
        Bandwidths ascending, with each fit's cluster count, sizes, centres
        and (on request) labels.

    Examples
    --------
    >>> import numpy as np
    >>> from meanshift_fast import bandwidth_sweep
    >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
    >>> bandwidth_sweep(X, [1.0, 2.0, 10.0], bin_seeding=False).n_clusters
    array([3, 2, 1])
    """
    owner = "bandwidth_sweep"
    if bandwidths is not None:
        bandwidths = check_bandwidths(owner, bandwidths)
    check_int(owner, "n_bandwidths", n_bandwidths, 1)
    check_choice(owner, "kernel", kernel, KERNELS)
    check_bool(owner, "bin_seeding", bin_seeding)
    check_int(owner, "min_bin_freq", min_bin_freq, 1)
    check_n_jobs(owner, n_jobs)
    check_bool(owner, "return_labels", return_labels)
    _check_random_state(random_state, owner)  # refused whether or not rows are drawn
    # The parameters first: a dask array's draw computes its rows.
    rows = None
    if _is_dask(X):
        from meanshift_fast.dask import bandwidth_sample

        X, sample_weight, rows = bandwidth_sample(
            X,
            sample_weight,
            random_state,
            return_rows=True,
            positive_weights=True,
            owner=owner,
        )
    X = check_array(X, owner=owner)
    w = check_sample_weight(sample_weight, X.shape[0])
    if bandwidths is None:
        bandwidths = default_bandwidths(X, n_bandwidths, w, random_state)
    sweep = _sweep(
        X, bandwidths, kernel, bin_seeding, min_bin_freq, w, n_jobs, return_labels
    )
    sweep.rows = rows
    return sweep


def _sweep(
    X,
    bandwidths,
    kernel,
    bin_seeding,
    min_bin_freq,
    w,
    n_jobs,
    return_labels,
    quiet=False,
):
    # Bandwidths run side by side, each fit on its share of the threads:
    # a fit's seeds finish unevenly (a few slow ones walk long flat
    # stretches), so a thread team inside one fit idles more than
    # independent fits do.  The small bandwidths, the slow ones, start first.
    n_threads = effective_n_threads(n_jobs)
    workers = max(1, min(n_threads, len(bandwidths)))
    per_fit = max(1, n_threads // workers)
    trees = _TreeCache()

    def fit(h, progress=None):
        # h as given: a numpy float makes float64 bin seeds where a Python
        # float makes float32 ones, as in scikit-learn (and MeanShift).
        ms = MeanShift(
            bandwidth=h,
            kernel=kernel,
            bin_seeding=bin_seeding,
            min_bin_freq=min_bin_freq,
            n_jobs=per_fit,
        )
        try:
            ms._fit(X, w, progress, trees, no_cluster_ok=True, quiet=quiet)
        except _NoClusterError:
            # The fit raises: a row without clusters, every label -1.
            ms.cluster_centers_ = np.empty((0, X.shape[1]), dtype=X.dtype)
            ms.labels_ = np.full(X.shape[0], -1, dtype=np.int64)
            ms.n_iter_ = 0
            return ms, np.zeros(0, dtype=np.int64 if w is None else np.float64)
        k = len(ms.cluster_centers_)
        sizes = np.bincount(ms.labels_, weights=w, minlength=k)[:k]
        if w is None:
            sizes = sizes.astype(np.int64)
        return ms, sizes

    if workers == 1:
        fits = [fit(h) for h in bandwidths]
    else:
        fits = _interruptible_map(fit, bandwidths, workers)
    return BandwidthSweep(
        np.asarray(bandwidths, dtype=np.float64),
        np.array([len(ms.cluster_centers_) for ms, _ in fits], dtype=np.int64),
        [sizes for _, sizes in fits],
        [ms.cluster_centers_ for ms, _ in fits],
        [ms.labels_ for ms, _ in fits] if return_labels else None,
        np.array([ms.n_iter_ for ms, _ in fits], dtype=np.int64),
    )


class _Stopped(Exception):
    """A worker's fit, stopped because the caller was interrupted."""


def _interruptible_map(fn, items, workers):
    """[fn(item, progress) for item in items] on a pool of worker threads.
    Ctrl-C reaches only the main thread (the core's own check for signals
    sees nothing on the workers), so this thread waits in short slices and,
    when interrupted, sets a stop that every worker's progress callback
    raises at the core's next poll; then it raises the interrupt."""
    import threading
    from concurrent.futures import ThreadPoolExecutor, TimeoutError

    stop = threading.Event()

    def progress(done, total):
        if stop.is_set():
            raise _Stopped

    pool = ThreadPoolExecutor(workers)
    try:
        futures = [pool.submit(fn, item, progress) for item in items]
        results = []
        for f in futures:
            while True:
                try:
                    results.append(f.result(timeout=0.1))
                    break
                except TimeoutError:
                    continue
        return results
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _TreeCache:
    """The fits' shared trees: the first fit that needs one builds it while
    the others wait for it instead of building their own."""

    def __init__(self):
        import threading

        self._lock = threading.Lock()
        self._trees = {}

    def __call__(self, key, build):
        with self._lock:
            tree = self._trees.get(key)
            if tree is None:
                tree = self._trees[key] = build()
            return tree


def _is_dask(X):
    # Without importing dask: a dask array's class lives in dask.array.
    return type(X).__module__.startswith("dask.")
