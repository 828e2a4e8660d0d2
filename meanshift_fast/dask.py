"""Mean shift on data that live on a Dask cluster.

Every step of every seed is a sum over the data, and sums over row blocks
add up: each worker builds the core's k-d tree over its own blocks once;
each round sends the moving seeds to the workers, which return per-seed
partial kernel sums; the client adds them block by block, moves the seeds
and retires the converged ones.  With bin seeding, or seeds given, the
data never travel after loading; a round moves O(seeds x features) per
block.  With every point a seed (``bin_seeding=False``, or binning that
fails and falls back to the points), the seeds are the data: the client
holds a copy of every row.

Seeding, merging and labelling follow :class:`meanshift_fast.MeanShift`,
so the result is the single-machine result on the same data (centres to
rounding: sums are added in another order).

Usage::

    import dask.array as da
    import numpy as np
    from dask.distributed import Client
    from meanshift_fast.dask import MeanShift

    if __name__ == "__main__":  # a local cluster starts processes
        client = Client("scheduler-address:8786")  # or Client() for a local one
        X = da.from_array(np.load("points.npy", mmap_mode="r"), chunks=(1_000_000, -1))
        ms = MeanShift(bandwidth=2.0, bin_seeding=True).fit(X)
        ms.cluster_centers_, ms.labels_  # labels_ is a dask array

Requires the ``dask`` extra: ``pip install "meanshift-fast[dask]"``.
"""

import warnings

import numpy as np

try:
    import dask.array as da
except ImportError as exc:  # the optional extra: say how to get it
    raise ImportError(
        'meanshift_fast.dask needs dask: pip install "meanshift-fast[dask]"'
    ) from exc

from meanshift_fast import _core
from meanshift_fast._bandwidth import (
    bin_size_like,
    check_bin_range,
    estimate_bandwidth,
    zero_estimate_error,
)
from meanshift_fast._estimator import _INT64_MAX, _kept_centers
from meanshift_fast._params import (
    SHARED_DEFAULTS,
    EstimatorProtocol,
    check_shared_params,
    stop_thresh,
)
from meanshift_fast._threads import effective_n_threads
from meanshift_fast._units import FLOAT32_LIMIT, SQUARE_LIMIT, pow2_exponent
from meanshift_fast._validation import (
    WEIGHTS_NOT_1D,
    c_array,
    check_2d,
    check_array,
    check_counts,
    check_finite,
    check_given_centers,
    check_int,
    check_kind,
    check_seeds,
    is_int,
    non_finite_error,
    not_fitted_error,
    object_to_float,
    param_error,
    user_stacklevel,
    weight_values_error,
)

_STEP_MOVING, _STEP_CONVERGED = 0, 1  # ms_step_state

__all__ = ["MeanShift"]


class _BlockTree:
    """One row block and its k-d tree, kept in a worker's memory.

    Pickles as the block alone (the tree is rebuilt where it lands), so the
    scheduler may still move it if it must.  ``n_jobs`` is read on the
    worker, by the in-memory estimator's rule, so that -1 means all of that
    worker's cores.
    """

    def __init__(self, block, kernel, n_jobs):
        self.block = c_array(block)
        if self.block.dtype not in (np.float32, np.float64):
            self.block = self.block.astype(_work_dtype(self.block.dtype))
        self.kernel = kernel
        self.n_jobs = n_jobs
        self._tree = None

    def threads(self, work=None):
        return effective_n_threads(self.n_jobs, work)

    @property
    def tree(self):
        if self._tree is None and len(self.block):
            self._tree = _core.Tree(
                self.block, kernel=self.kernel, n_threads=self.threads(len(self.block))
            )
        return self._tree

    def __getstate__(self):
        return {"block": self.block, "kernel": self.kernel, "n_jobs": self.n_jobs}

    def __setstate__(self, state):
        self.__init__(state["block"], state["kernel"], state["n_jobs"])


def _build(block, kernel, n_jobs):
    bt = _BlockTree(block, kernel, n_jobs)
    bt.tree  # noqa: B018 - build now, on the worker that holds the block
    return bt


def _partial_sums(bt, seeds, kernel, h, tol):
    # Arrays that arrive over the network may be unaligned views.
    seeds = c_array(seeds, np.float64)
    d = seeds.shape[1]
    if bt.tree is None:
        return (
            np.full(len(seeds), np.inf),
            np.zeros(len(seeds)),
            np.zeros((len(seeds), d)),
        )
    n_threads = bt.threads(len(seeds) * len(bt.block))
    return bt.tree.kernel_sum(seeds, kernel, h, tol, n_threads)


def _block_bins(bt, bin_size, offset):
    binned = np.round(bt.block / bin_size) + 0.0
    uniq, first, counts = np.unique(
        binned, axis=0, return_index=True, return_counts=True
    )
    return uniq, first + offset, counts


def _work_dtype(dtype):
    """The dtype a block is computed in: float32 for float32 and smaller
    floats, float64 for the rest, as in memory."""
    return np.float32 if dtype.kind == "f" and dtype.itemsize <= 4 else np.float64


def _block_finite(block):
    """(every value finite, the largest magnitude, a NaN among them)."""
    finite = bool(np.isfinite(block).all())
    largest = float(np.abs(block).max()) if finite and block.size else 0.0
    return finite, largest, not finite and bool(np.isnan(block).any())


def _label_block(block, centers, r2, n_jobs=None, exponent=0):
    block = c_array(block)
    if block.dtype not in (np.float32, np.float64):
        block = block.astype(_work_dtype(block.dtype))
    check_finite(block, "X", "MeanShift")
    if exponent:
        # far queries may overflow: they lie beyond every kernel, at infinity
        with np.errstate(over="ignore"):
            block = c_array(np.ldexp(block.astype(np.float64), exponent))
    n_threads = effective_n_threads(n_jobs, len(block) * len(centers))
    labels, _ = _core.nearest_center(block, centers, r2, n_threads)
    return labels


def _check_lazy(X, owner="MeanShift", count_rows=True):
    """A dask array X, 2-D and of real numbers with at least a row and a
    column, refused in the words of the in-memory checks; objects (numbers
    held as Python objects) become float64 block by block, as in memory.
    Sizes left unknown by a mask are computed: the columns always, the
    rows with count_rows (else a row count still unknown goes unchecked,
    and no pass over the data is spent on it)."""
    check_kind(X)
    if X.dtype.kind == "O":
        X = X.map_blocks(object_to_float, dtype=np.float64)
    check_2d(X, owner)
    if np.isnan(X.shape[1]) or (count_rows and np.isnan(X.shape[0])):
        X = X.compute_chunk_sizes()
    if not np.isnan(X.shape[0]):
        check_counts(X.shape, owner)
    return X


def _sample_rows(bt, rows):
    return bt.block[rows]


class _Runner:
    """Runs the per-block work on a distributed client or, without one, in
    this process (same arithmetic, so the same result)."""

    def __init__(self, client):
        self.client = client

    def map(self, func, items, *args):
        if self.client is None:
            return [func(item, *args) for item in items]
        shared = [
            self.client.scatter(a, broadcast=True) if isinstance(a, np.ndarray) else a
            for a in args
        ]
        futures = [
            self.client.submit(func, item, *shared, pure=False) for item in items
        ]
        return self.client.gather(futures)

    def map_indexed(self, func, items, extras):
        if self.client is None:
            return [func(item, *e) for item, e in zip(items, extras, strict=True)]
        futures = [
            self.client.submit(func, item, *e, pure=False)
            for item, e in zip(items, extras, strict=True)
        ]
        return self.client.gather(futures)


def _default_client():
    try:
        from dask.distributed import default_client
    except ImportError:  # pragma: no cover - distributed is part of the extra
        return None
    try:
        return default_client()
    except ValueError:
        return None


class MeanShift(EstimatorProtocol):
    """Mean shift clustering of a row-chunked ``dask.array`` (n, d).

    Parameters are those of :class:`meanshift_fast.MeanShift` (the
    bandwidth a float, None or "auto": no per-feature arrays or rules of
    thumb), but for ``algorithm`` and ``cluster_assignment`` (the blocks'
    trees are k-d trees, and labels are the nearest centre's), plus the
    ones below; ``fit`` takes no ``sample_weight``.  With the Gaussian
    kernel each block takes its distant nodes whole within ``gaussian_tol``
    of its own sums, so the fit equals the in-memory one up to that
    tolerance (and, at large tolerances, depends on the chunking);
    ``gaussian_tol=0`` sums every point, and gives it to rounding.

    bandwidth_samples : int, default=10000
        When ``bandwidth=None``, the bandwidth is estimated exactly (as
        :func:`meanshift_fast.estimate_bandwidth`) on this many rows drawn
        at random (``random_state``) — on all rows when there are no more.
    random_state : int, default=0
        Seed of that draw, and of :func:`meanshift_fast.select_bandwidth`'s
        with ``bandwidth="auto"``.
    client : distributed.Client, default=None
        The cluster to run on; None uses the current default client, or
        runs the per-block work in this process when there is none.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : dask.array of shape (n_samples,)
    n_iter_ : int
    n_features_in_ : int
    bandwidth_ : float
    """

    _DEFAULTS = {
        **SHARED_DEFAULTS,
        "bandwidth_samples": 10000,
        "random_state": 0,
        "client": None,
    }
    _SHARED = ("client",)

    def __init__(
        self,
        *,
        bandwidth=None,
        seeds=None,
        bin_seeding=False,
        min_bin_freq=1,
        cluster_all=True,
        n_jobs=None,
        max_iter=300,
        kernel="flat",
        gaussian_tol=1e-8,
        bandwidth_samples=10000,
        random_state=0,
        client=None,
    ):
        self.bandwidth = bandwidth
        self.seeds = seeds
        self.bin_seeding = bin_seeding
        self.min_bin_freq = min_bin_freq
        self.cluster_all = cluster_all
        self.n_jobs = n_jobs
        self.max_iter = max_iter
        self.kernel = kernel
        self.gaussian_tol = gaussian_tol
        self.bandwidth_samples = bandwidth_samples
        self.random_state = random_state
        self.client = client

    def _validate(self):
        # The shared parameters by the in-memory estimator's rules; the
        # bandwidth here is one float (or None): no per-feature arrays and
        # no rules of thumb.
        check_shared_params(self, per_feature_bandwidth=False, rules=("auto",))
        check_int("MeanShift", "bandwidth_samples", self.bandwidth_samples, 1)
        seed = self.random_state
        if not (is_int(seed) and 0 <= seed <= 2**32 - 1):
            raise param_error(
                "MeanShift", "random_state", seed, "an int in the range [0, 4294967295]"
            )

    def fit(self, X, y=None):
        """Cluster the rows of X (a dask array, or anything dask.array
        accepts), chunked along rows only.

        Returns
        -------
        self : object
        """
        self._validate()
        X = _check_lazy(da.asarray(X))
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(_work_dtype(X.dtype))
        if X.numblocks[1] != 1:
            X = X.rechunk({1: X.shape[1]})
        n, d = X.shape
        # the in-memory estimator's checks and messages, before any work
        seeds = None if self.seeds is None else check_seeds(self.seeds, d, "MeanShift")
        client = self.client if self.client is not None else _default_client()
        run = _Runner(client)
        trees, stats = self._trees(client, X)
        if not all(finite for finite, _, _ in stats):
            # the in-memory estimator's messages
            raise non_finite_error(any(nan for _, _, nan in stats), "X", "MeanShift",
                                   X.dtype)  # fmt: skip
        sizes = list(X.chunks[0])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

        bandwidth = self.bandwidth
        if isinstance(bandwidth, str):  # "auto"
            from meanshift_fast._select import select_bandwidth

            bandwidth = select_bandwidth(
                X, n_jobs=self.n_jobs, random_state=self.random_state
            )
        elif bandwidth is None:
            bandwidth = self._estimate(run, trees, sizes, offsets, n)
            if self.kernel != "flat" and not bandwidth > 0:
                raise zero_estimate_error(self.kernel)
        # Data or bandwidths whose squares would overflow or underflow are
        # clustered scaled by a power of two, as in memory (a rare second
        # pass builds the trees over the scaled blocks).
        dtype = X.dtype
        top = max(largest for _, largest, _ in stats)
        k = pow2_exponent(
            np.array([top]),
            float(bandwidth) or None,
            FLOAT32_LIMIT if self.bin_seeding else SQUARE_LIMIT,
        )
        if k:
            X = X.astype(np.float64) * 2.0**k
            trees, _ = self._trees(client, X)
        h = float(np.ldexp(float(bandwidth), k))

        if seeds is not None:
            seeds = np.ldexp(seeds, k) if k else seeds
        elif self.bin_seeding and bandwidth != 0:
            # the bins' precision as in memory (a numpy bandwidth, the
            # estimate's among them, makes float64 bin seeds)
            bin_size = bin_size_like(bandwidth, h)
            seeds = self._bin_seeds(run, trees, offsets, bin_size, n, d, X, bandwidth)
        else:
            seeds = c_array(X.compute(), dtype=np.float64)

        means, intensity, iters, converged = self._shift(run, trees, seeds, h, dtype)
        centers = _kept_centers(
            means, intensity, converged, h, self.max_iter, bandwidth, 1
        )
        r2 = -1.0 if self.cluster_all else _core.radius_sq(h)
        self.labels_ = X.map_blocks(
            _label_block, centers, r2, self.n_jobs, drop_axis=1, dtype=np.int64
        )
        self.cluster_centers_ = np.ldexp(centers, -k).astype(dtype, copy=False)
        self._centers, self._exponent = centers, k
        # what predict compares cluster_centers_ with: a caller may set them
        self._centers_fitted = self.cluster_centers_.copy()
        self.n_iter_ = int(iters.max())
        self.n_features_in_ = d
        self.bandwidth_ = bandwidth
        return self

    def _trees(self, client, X):
        """Each row block's tree (on the workers, with a client), and each
        block's (finite, largest magnitude)."""
        blocks = X.to_delayed().ravel().tolist()
        if client is None:
            trees = [_build(b.compute(), self.kernel, self.n_jobs) for b in blocks]
            return trees, [_block_finite(bt.block) for bt in trees]
        block_futures = client.compute(blocks)
        trees = [
            client.submit(_build, b, self.kernel, self.n_jobs, pure=False)
            for b in block_futures
        ]
        return trees, client.gather(client.map(_block_finite, block_futures))

    def _estimate(self, run, trees, sizes, offsets, n):
        m = min(self.bandwidth_samples, n)
        if m == n:
            rows = np.arange(n)
        else:
            rows = np.sort(np.random.RandomState(self.random_state).permutation(n)[:m])
        which = np.searchsorted(offsets, rows, side="right") - 1
        parts = run.map_indexed(
            _sample_rows,
            trees,
            [(rows[which == b] - offsets[b],) for b in range(len(trees))],
        )
        sample = c_array(np.concatenate(parts))
        return estimate_bandwidth(sample, n_jobs=self.n_jobs)

    def _bin_seeds(self, run, trees, offsets, bin_size, n, d, X, shown_size):
        parts = run.map_indexed(
            _block_bins, trees, [(bin_size, offsets[b]) for b in range(len(trees))]
        )
        uniq = np.concatenate([p[0] for p in parts]).reshape(-1, d)
        first = np.concatenate([p[1] for p in parts])
        counts = np.concatenate([p[2] for p in parts])
        keys, inverse = np.unique(uniq, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        freq = np.bincount(inverse, weights=counts, minlength=len(keys))
        first_seen = np.full(len(keys), np.iinfo(np.int64).max)
        np.minimum.at(first_seen, inverse, first)
        keep = np.flatnonzero(freq >= self.min_bin_freq)
        keep = keep[np.argsort(first_seen[keep], kind="stable")]
        with np.errstate(over="ignore"):
            seeds = np.array(keys[keep], dtype=np.float32).reshape(-1, d)
        check_bin_range(seeds, shown_size)
        if len(seeds) == n:
            warnings.warn(
                "Binning data failed with provided bin_size=%f, using data points "
                "as seeds." % shown_size,
                stacklevel=user_stacklevel(),
            )
            return c_array(X.compute(), dtype=np.float64)
        if len(seeds) == 0:
            raise ValueError(
                f"No bin of size {shown_size:f} holds min_bin_freq={self.min_bin_freq} "
                "samples; lower min_bin_freq."
            )
        return c_array(seeds * bin_size, dtype=np.float64)

    def _shift(self, run, trees, seeds, h, dtype):
        """Rounds of: partial sums on the workers, then the core's step
        (ms_step) on the client."""
        m, d = seeds.shape
        means = seeds.copy()
        intensity = np.zeros(m)
        iters = np.zeros(m, dtype=np.int64)
        converged = np.zeros(m, dtype=bool)
        active = np.arange(m)
        while len(active):
            pos = c_array(means[active])
            parts = run.map(
                _partial_sums, trees, pos, self.kernel, h, self.gaussian_tol
            )
            # Each block's Gaussian sums are relative to its own nearest
            # point; bring them to the nearest point over all blocks.
            base = np.min([b for b, _, _ in parts], axis=0)
            W = np.zeros(len(active))
            WX = np.zeros((len(active), d))
            for b, w, wx in parts:  # block order: deterministic
                if self.kernel == "gaussian":
                    inv = 1.0 / (2.0 * h * h)  # h > 0 for this kernel
                    with np.errstate(invalid="ignore"):
                        f = np.where(b > base, np.exp(-(b - base) * inv), 1.0)
                    w, wx = w * f, wx * f[:, None]
                W += w
                WX += wx
            inten = intensity[active]
            it = iters[active]
            state = _core.step(
                pos,
                base,
                W,
                WX,
                self.kernel,
                h,
                stop_thresh(h),
                min(self.max_iter, _INT64_MAX),  # beyond, it never binds
                inten,
                it,
                dtype == np.float32,
            )
            means[active] = pos
            intensity[active] = inten
            iters[active] = it
            converged[active[state == _STEP_CONVERGED]] = True
            active = active[state == _STEP_MOVING]
        return means, intensity, iters, converged

    def fit_predict(self, X, y=None):
        """Fit, then return ``labels_`` (a dask array), as a clusterer's
        ``fit_predict`` does."""
        return self.fit(X).labels_

    def predict(self, X):
        """Nearest centre of each row; a dask array in, a dask array out."""
        if not hasattr(self, "_centers"):
            raise not_fitted_error(type(self).__name__)
        lazy = isinstance(X, da.Array)
        if not lazy:
            X = check_array(X, owner="MeanShift")
        else:
            X = _check_lazy(X, count_rows=False)
        d = self.n_features_in_
        if X.shape[1] != d:
            raise ValueError(
                f"X has {X.shape[1]} features, but MeanShift is expecting {d} "
                "features as input."
            )
        centers = self._centers
        if not np.array_equal(self.cluster_centers_, self._centers_fitted):
            given = check_given_centers(self.cluster_centers_, d)
            centers = np.ldexp(given, self._exponent)
        if not lazy:
            return _label_block(X, centers, -1.0, self.n_jobs, self._exponent)
        if X.numblocks[1] != 1:
            X = X.rechunk({1: X.shape[1]})
        return X.map_blocks(
            _label_block,
            centers,
            -1.0,
            self.n_jobs,
            self._exponent,
            drop_axis=1,
            dtype=np.int64,
        )


def bandwidth_sample(
    X,
    sample_weight=None,
    random_state=0,
    n_samples=10000,
    return_rows=False,
    positive_weights=False,
    owner="bandwidth_sample",
):
    """At most ``n_samples`` rows of a dask array (and their weights), drawn
    as ``MeanShift`` draws the rows of its bandwidth estimate, as numpy
    arrays: what :func:`meanshift_fast.select_bandwidth` and
    :func:`meanshift_fast.bandwidth_sweep` work on when given a dask array.
    With ``return_rows``, also the drawn rows' indices (ascending).  With
    ``positive_weights``, beyond ``n_samples`` rows the draw is among the
    rows of positive weight, as select_bandwidth draws in memory.  A scalar
    weight is every row's, and comes back as it is.  The rows the draw
    leaves out are checked as an in-memory call checks them (X finite, the
    weights finite, none negative, one positive), with ``owner``'s name in
    the message; the drawn ones are the caller's to check."""
    import dask

    from meanshift_fast._bandwidth import _check_random_state
    from meanshift_fast._sweep import draw_rows

    X = da.asarray(X)
    check_2d(X, owner)
    if np.isnan(X.shape[0]):  # rows selected by a mask, say
        X = X.compute_chunk_sizes()
    n = X.shape[0]
    m = min(n_samples, n)
    w = sample_weight
    arrays = w is not None and np.ndim(w) != 0  # a scalar: every row's, as in memory
    if arrays:
        w = da.asarray(w)
        if w.ndim != 1:
            raise ValueError(WEIGHTS_NOT_1D)
        if np.isnan(w.shape[0]):  # weights selected by a mask
            w = w.compute_chunk_sizes()
        if w.shape != (n,):
            raise ValueError(f"sample_weight.shape == {w.shape}, expected {(n,)}!")
    # Only rows of positive weight weigh in a fit: a draw among all rows
    # could miss the few that count (or all of them).
    positive = None
    if m < n and positive_weights and arrays:
        positive = np.flatnonzero(np.asarray((w > 0).compute()))
        if len(positive) == 0:
            positive = None  # no row counts: the weights' check says so
    if m == n:
        rows = np.arange(n)
    elif positive is not None:
        rows = draw_rows(positive, m, random_state)
    else:
        rng = _check_random_state(random_state, "bandwidth_sample")
        rows = np.sort(rng.permutation(n)[:m])
    lazy = [X[rows]] + ([w[rows]] if arrays else [])
    # Beyond the draw, whole-array checks, in the pass that draws (numeric
    # data with features only: other data fail the caller's checks of the
    # sample first, as they fail first in memory).
    checks = []
    if m < n and X.dtype.kind in "biuf" and X.shape[1] > 0:
        checks = [da.isfinite(X).all(), da.isnan(X).any()]
        if arrays and w.dtype.kind in "biuf":
            checks += [da.isfinite(w).all(), (w < 0).any(), (w > 0).any()]
    out = dask.compute(*lazy, *checks)
    sample = np.asarray(out[0])
    if arrays:
        w = np.asarray(out[1])
    checks = out[len(lazy) :]
    if checks and not checks[0]:
        raise non_finite_error(checks[1], "X", owner, np.dtype(_work_dtype(X.dtype)))
    if len(checks) > 2:
        error = weight_values_error(*checks[2:])
        if error is not None:
            raise error
    return (sample, w, rows) if return_rows else (sample, w)
