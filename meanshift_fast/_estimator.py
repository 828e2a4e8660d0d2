"""The MeanShift estimator and the mean_shift function."""

import warnings

import numpy as np

from meanshift_fast import _core
from meanshift_fast._bandwidth import (
    bin_seeds,
    bin_size_like,
    core_units,
    resolve_bandwidth,
)
from meanshift_fast._params import (
    KERNELS,
    RULES,
    SHARED_DEFAULTS,
    EstimatorProtocol,
    check_bandwidth,
    check_gaussian_tol,
    check_shared_params,
    stop_thresh,
)
from meanshift_fast._threads import effective_n_threads
from meanshift_fast._units import weight_exponent
from meanshift_fast._validation import (
    InvalidParameterError,
    c_array,
    check_array,
    check_choice,
    check_feature_names,
    check_fit_input,
    check_given_centers,
    check_int,
    check_n_jobs,
    check_progress,
    check_sample_weight,
    check_seeds,
    is_real,
    not_fitted_error,
    param_error,
    sklearn_twin,
    user_stacklevel,
)

# max_iter beyond the core's int64 counter never binds anyway.
_INT64_MAX = 2**63 - 1
ALGORITHMS = ("auto", "kd_tree", "brute")
ASSIGNMENTS = ("nearest", "attractor")
# The in-memory estimator's bandwidth names: the rules of thumb and
# select_bandwidth.
BANDWIDTH_NAMES = (*RULES, "auto")
_DEFAULTS = {
    **SHARED_DEFAULTS,
    "algorithm": "auto",
    "cluster_assignment": "nearest",
}
# The parameters that define a fitted model beyond its arrays: the fitted
# methods read them as they were at fit.
_MODEL_PARAMS = (
    "kernel",
    "algorithm",
    "max_iter",
    "gaussian_tol",
    "cluster_assignment",
)


class ConvergenceWarning(UserWarning):
    """Some seeds stopped at ``max_iter`` before converging.

    Where scikit-learn is loaded the warning is also an instance of
    ``sklearn.exceptions.ConvergenceWarning``, so that filters set for
    scikit-learn's warnings take it too."""


def _distinct_rows(data, w, units, trees=None):
    """(rows, their weights, each sample's row): the distinct rows of data,
    weighted by their counts (or summed sample weights), where rows repeat
    often enough for a fit on them to pay (the core decides); else data,
    w and None.  A fit's sums then visit each distinct row once."""

    def find():
        found = _core.distinct_rows(data, w)
        if found is None:
            return data, w, None
        first, inverse, weight = found
        return data[first], weight, inverse

    if trees is None or units.factors is not None:
        return find()
    return trees(("distinct rows", units.exponent), find)


class _NoClusterError(Exception):
    """No seed found a point: at this bandwidth the fit has no cluster
    (raised instead of the ValueError only for ``_fit(..., no_cluster_ok=True)``)."""


class MeanShift(EstimatorProtocol):
    """Mean shift clustering, exact and parallel.

    Every seed moves to the kernel-weighted mean of the points around it
    until it stops moving; seeds that reach the same mode form a cluster.
    With the default flat kernel the results are those of
    ``sklearn.cluster.MeanShift``: the same centres in the same order, the
    same labels and the same ``n_iter_``.

    Parameters
    ----------
    bandwidth : float, array of shape (n_features,), {"scott", "silverman", \
"auto"} or None, default=None
        Kernel bandwidth.  None estimates it with :func:`estimate_bandwidth`
        on all samples.  An array gives one bandwidth per feature (the data
        are measured in units of it); "scott" and "silverman" pick such an
        array by the normal reference rules.  "auto" chooses one with
        :func:`select_bandwidth` (the bandwidth over which the clusters
        stay the same longest, found with flat-kernel bin-seeded fits of at
        most 5000 rows drawn with seed 0).
    seeds : array-like of shape (n_seeds, n_features), default=None
        Starting points.  None uses every sample, or the bin seeds when
        ``bin_seeding`` is set.
    bin_seeding : bool, default=False
        Seed from the occupied cells of a grid of spacing ``bandwidth``
        instead of from every sample.  Ignored when ``seeds`` is given.
    min_bin_freq : int, default=1
        Only cells holding at least this many samples become seeds.
    cluster_all : bool, default=True
        Label every sample; when False, samples farther than ``bandwidth``
        from every centre get the label -1.
    n_jobs : int, default=None
        Threads.  None uses every core OpenMP may use (OMP_NUM_THREADS and
        threadpoolctl limits apply), k > 0 uses k (at most four per CPU
        available), -1 all cores, -2 all but one.  Results do not depend on
        it.
    max_iter : int, default=300
        Iterations per seed before it stops without converging.
    kernel : {"flat", "gaussian", "epanechnikov"}, default="flat"
        ``flat``: weight 1 within distance ``bandwidth`` (inclusive), else 0.
        ``gaussian``: weight ``exp(-d**2 / (2 * bandwidth**2))``, summed
        relative to the weight of the nearest sample (of positive weight), so
        that no seed is lost to underflow however far it starts.
        ``epanechnikov``: weight ``max(0, 1 - d**2 / bandwidth**2)``.
    algorithm : {"auto", "kd_tree", "brute"}, default="auto"
        Neighbourhood search: "brute" scans every sample, "kd_tree" prunes
        with a tree whose nodes also carry sums.  "auto" takes the tree,
        except for the Gaussian kernel from 16 features on, where the scan
        was faster.  Results do not depend on it.
    cluster_assignment : {"nearest", "attractor"}, default="nearest"
        "nearest" labels a sample by its nearest centre (scikit-learn);
        "attractor" by the mode its own trajectory reaches.  ``predict``
        follows the same rule.
    gaussian_tol : float, default=1e-8
        Gaussian kernel only: relative error allowed in each step's total
        weight, which lets distant tree nodes be taken whole.  0 sums every
        point exactly.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres, in the data's float precision.
    labels_ : ndarray of shape (n_samples,)
        Label of each sample.
    n_iter_ : int
        Largest number of iterations over the seeds.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.
    bandwidth_ : float or ndarray
        The bandwidth used.

    Examples
    --------
    >>> import numpy as np
    >>> from meanshift_fast import MeanShift
    >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
    >>> ms = MeanShift(bandwidth=2).fit(X)
    >>> ms.labels_
    array([1, 1, 1, 0, 0, 0])
    """

    _DEFAULTS = _DEFAULTS

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
        algorithm="auto",
        cluster_assignment="nearest",
        gaussian_tol=1e-8,
    ):
        self.bandwidth = bandwidth
        self.seeds = seeds
        self.bin_seeding = bin_seeding
        self.min_bin_freq = min_bin_freq
        self.cluster_all = cluster_all
        self.n_jobs = n_jobs
        self.max_iter = max_iter
        self.kernel = kernel
        self.algorithm = algorithm
        self.cluster_assignment = cluster_assignment
        self.gaussian_tol = gaussian_tol

    # scikit-learn's metadata routing (sklearn.set_config(
    # enable_metadata_routing=True)), which only scikit-learn calls: a
    # pipeline or a search passes sample_weight to fit once it is requested.

    def set_fit_request(self, *, sample_weight="$UNCHANGED$"):
        """Request ``sample_weight`` for ``fit`` from scikit-learn's metadata
        routing (True, False, None or an alias); the default leaves the
        request unchanged.  Only scikit-learn's routing reads it.

        Returns
        -------
        self : object
        """
        if sample_weight != "$UNCHANGED$":
            import sklearn  # only its routing reads requests

            if not sklearn.get_config().get("enable_metadata_routing", False):
                # scikit-learn's estimators refuse it too: a request set
                # while routing is off would be silently ignored
                raise RuntimeError(
                    "This method is only available when metadata routing is "
                    "enabled. You can enable it using "
                    "sklearn.set_config(enable_metadata_routing=True)."
                )
            request = self.__dict__.get("_metadata_request")
            if request is None:
                request = self._metadata_request = _fit_request(type(self).__name__)
            request.fit.add_request(param="sample_weight", alias=sample_weight)
        return self

    def get_metadata_routing(self):
        """This estimator's request for metadata: ``sample_weight`` in
        ``fit``, unset unless ``set_fit_request`` set it (a
        ``sklearn.utils.metadata_routing.MetadataRequest``)."""
        from copy import deepcopy

        request = self.__dict__.get("_metadata_request")
        if request is None:
            return _fit_request(type(self).__name__)
        return deepcopy(request)

    def __getstate__(self):
        state = self.__dict__.copy()
        tree = state.pop("_tree", None)  # rebuilt on demand from its rows
        if tree is not None and state.get("_fit_data") is None:
            state["_fit_data"] = tree.points()
        return state

    # ---- fitting -------------------------------------------------------

    def _validate_params(self):
        check_shared_params(self, rules=BANDWIDTH_NAMES)
        owner = type(self).__name__
        check_choice(owner, "algorithm", self.algorithm, ALGORITHMS)
        check_choice(owner, "cluster_assignment", self.cluster_assignment, ASSIGNMENTS)

    def _leaf_size(self, n, d, n_queries=0, params=None):
        p = self._own_params() if params is None else params
        return _core.leaf_size_hint(n, d, n_queries, p["kernel"], p["algorithm"])

    def fit(self, X, y=None, sample_weight=None, *, progress=None):
        """Perform clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample; integer weights give the
            result of repeating rows (with the Gaussian and Epanechnikov
            kernels up to rounding, which can settle a tie between modes of
            equal mass either way; the "scott", "silverman" and "auto"
            bandwidths are weighted too, "auto" up to the 5,000 rows it
            samples; the quantile estimate of ``bandwidth=None`` ignores
            weights, so fix the bandwidth for that equivalence).
            Zero-weight samples are not seeds.
        progress : callable, default=None
            Called as ``progress(done, total)`` now and then while seeds
            move.  Where ``cluster_assignment="attractor"`` also moves every
            sample (seeds other than the samples), one count runs over both
            passes.

        Returns
        -------
        self : object
            Fitted instance.
        """
        self._validate_params()
        check_progress(progress)
        return self._fit(X, sample_weight, progress)

    def _fit(
        self, X, sample_weight, progress, trees=None, no_cluster_ok=False, quiet=False
    ):
        """fit's body.  ``trees(key, build)``, when given, returns the k-d
        tree over X for ``key`` (the data's scaling, the leaf size and the
        kernel: what decides a tree), calling ``build()`` the first time, so
        that fits of one X at several bandwidths share their trees.  With
        ``no_cluster_ok``, a fit in which no seed finds a point raises
        _NoClusterError instead of the user-facing ValueError; with ``quiet``,
        no warning (without touching the process's warning filters, which
        other threads share)."""
        owner = type(self).__name__
        X, w, names = check_fit_input(X, sample_weight, owner)
        bandwidth, units, h = resolve_bandwidth(
            self.bandwidth, X, w, self.kernel, self.n_jobs, owner, self.bin_seeding
        )
        data = units.to_core(X)
        # The sums take the weights scaled by a power of two where theirs
        # would overflow; bin seeding compares the weights as given.
        k = weight_exponent(w)
        rows, rw, inverse = _distinct_rows(
            data, w if k == 0 else np.ldexp(w, k), units, trees
        )
        seeds, copies = self._seeds(
            data, w, rows, rw, inverse, units, bandwidth, h, no_cluster_ok, quiet
        )
        n_threads = effective_n_threads(self.n_jobs, len(seeds) * len(rows))
        tree, leaf_size = self._build_tree(
            rows, rw, len(seeds), n_threads, units, trees
        )
        # Where the labels shift every row too, one count runs over both
        # passes, so that a progress bar never goes back.
        first, second = _two_passes(
            progress, len(rows) if self._shifts_rows(w is None) else 0
        )
        means, intensity, iters, converged = self._shift_points(
            tree, seeds, h, n_threads, first
        )
        if no_cluster_ok and not (intensity > 0).any():
            raise _NoClusterError
        centers = _kept_centers(
            means,
            intensity,
            converged,
            h,
            self.max_iter,
            bandwidth,
            n_threads,
            copies,
            quiet,
        )
        labels = self._labels(
            tree, rows, inverse, w is None, means, centers, h, n_threads, second
        )

        # score_samples reads the rows from the tree, which keeps its own
        # copy of them (the caller may change X after fit); a pickle takes
        # them from it too (__getstate__), so the fit keeps no other copy.
        self._fit_data = None
        if rw is not None and rw is w:
            # the caller's own array, where the weights needed no
            # conversion: changing it after fit must not change the model
            rw = rw.copy()
        self._tree, self._units, self._h, self._sample_weight = tree, units, h, rw
        # the tree a copy rebuilds (_fitted_tree) must have the same leaves:
        # they group the sums, and so decide their rounding
        self._tree_leaf_size = leaf_size
        # What the fitted model is, whatever set_params changes later.
        self._fit_params = {name: getattr(self, name) for name in _MODEL_PARAMS}
        self._centers_scaled = centers
        self.cluster_centers_ = units.from_core(centers, X.dtype)
        # what predict compares cluster_centers_ with: a caller may set them
        self._centers_fitted = self.cluster_centers_.copy()
        self.labels_ = labels
        self.n_iter_ = int(iters.max())
        self.bandwidth_ = bandwidth
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _seeds(
        self, data, w, rows, rw, inverse, units, bandwidth, h, no_cluster_ok, quiet
    ):
        """(The starting points, in core units; how many samples each
        stands for, or None for one each): the given seeds, the bin seeds,
        or every sample of positive weight, each distinct row once (``rows``
        weighted ``rw``, sample i's row ``inverse[i]``: equal samples take
        equal paths)."""
        if self.seeds is not None:
            owner = type(self).__name__
            return units.to_core(check_seeds(self.seeds, data.shape[1], owner)), None
        if not self.bin_seeding:
            if inverse is None:
                return c_array(
                    data if w is None else data[w > 0], dtype=np.float64
                ), None
            if w is None:
                return c_array(rows, dtype=np.float64), rw.astype(np.int64)
            kept = rw > 0
            copies = np.bincount(inverse[w > 0], minlength=len(rows))[kept]
            return c_array(rows[kept], dtype=np.float64), copies
        # In scaled units the reference's float32 arithmetic gives the same
        # seeds, scaled.
        seeds = bin_seeds(
            data,
            bin_size_like(bandwidth, h),
            self.min_bin_freq,
            w,
            effective_n_threads(self.n_jobs),
            shown_size=bandwidth,
            quiet=quiet,
            strict=True,
        )
        if seeds is data and w is not None:
            # every sample a bin of its own: the samples of positive weight
            seeds = data[w > 0]
        if len(seeds) == 0:
            if no_cluster_ok:
                raise _NoClusterError
            raise ValueError(
                f"No bin of size {np.min(bandwidth):f} holds min_bin_freq="
                f"{self.min_bin_freq} samples; lower min_bin_freq."
            )
        return c_array(seeds, dtype=np.float64), None

    def _build_tree(self, data, w, n_seeds, n_threads, units, trees=None):
        """(The k-d tree over data, its leaf size); the tree from ``trees``
        when it is given and the units are a power-of-two scaling (see
        _fit)."""
        n, d = data.shape
        n_queries = n_seeds if self.cluster_assignment == "nearest" else n
        leaf_size = self._leaf_size(n, d, n_queries)

        def build():
            return _core.Tree(
                c_array(data),
                weights=w,
                leaf_size=leaf_size,
                kernel=self.kernel,
                n_threads=n_threads,
            )

        if trees is None or units.factors is not None:
            return build(), leaf_size
        return trees((units.exponent, leaf_size, self.kernel), build), leaf_size

    def _shift_points(self, tree, points, h, n_threads, progress=None, params=None):
        p = self._own_params() if params is None else params
        return _shift(
            tree,
            points,
            p["kernel"],
            h,
            p["max_iter"],
            p["gaussian_tol"],
            n_threads,
            progress,
        )

    def _model(self):
        """The parameters of the fitted model (those of the last fit)."""
        params = getattr(self, "_fit_params", None)
        return params if params is not None else self._own_params()

    def _own_params(self):
        # this class's parameters, whatever a subclass adds to get_params
        return {name: getattr(self, name) for name in _DEFAULTS}

    def _labels(
        self, tree, rows, inverse, unweighted, means, centers, h, n_threads, progress
    ):
        """Each sample's cluster under ``cluster_assignment``; -1 beyond the
        bandwidth from every centre unless ``cluster_all``.  ``rows`` are the
        rows the tree holds: the samples, or their distinct rows, the row of
        sample i being ``inverse[i]``."""
        r2 = -1.0 if self.cluster_all else _core.radius_sq(h)

        def per_sample(labels):
            return labels if inverse is None else labels[inverse]

        def nearest(r2):
            # the tree holds the rows: its leaves narrow many centres
            if len(centers) > _core.NEAREST_SCAN_MAX:
                return per_sample(tree.nearest_center(centers, r2, n_threads)[0])
            return per_sample(_core.nearest_center(rows, centers, r2, n_threads)[0])

        if self.cluster_assignment == "nearest":
            return nearest(r2)
        if self._shifts_rows(unweighted):
            ends = self._shift_points(tree, rows, h, n_threads, progress)[0]
        else:
            # the seeds were the rows: their ends are the means
            ends = means
        labels = per_sample(_core.nearest_center(ends, centers, -1.0, n_threads)[0])
        if r2 >= 0:
            labels[nearest(r2) < 0] = -1
        return labels

    def _shifts_rows(self, unweighted):
        """Whether the labels shift every row, after the seeds: the modes
        the rows reach (``cluster_assignment="attractor"``), unless the
        seeds were the rows themselves."""
        return self.cluster_assignment != "nearest" and not (
            self.seeds is None and not self.bin_seeding and unweighted
        )

    def fit_predict(self, X, y=None, sample_weight=None):
        """Perform clustering and return the labels of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def _check_fitted_input(self, X):
        # (centres set by hand on an estimator never fitted serve predict
        # alone: the other methods need the training data)
        if not self.__sklearn_is_fitted__() or not hasattr(self, "_units"):
            raise not_fitted_error(type(self).__name__)
        check_feature_names(
            type(self).__name__, getattr(self, "feature_names_in_", None), X
        )
        X = check_array(X, owner=type(self).__name__)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )
        return self._units.to_core(X)

    def _fitted_tree(self):
        tree = getattr(self, "_tree", None)
        if tree is None:
            p = self._model()
            leaf_size = getattr(self, "_tree_leaf_size", None)  # None: older
            if leaf_size is None:
                leaf_size = self._leaf_size(*self._fit_data.shape, params=p)
            tree = self._tree = _core.Tree(
                self._fit_data,
                weights=self._sample_weight,
                leaf_size=leaf_size,
                kernel=p["kernel"],
                n_threads=effective_n_threads(self.n_jobs),
            )
        return tree

    def score_samples(self, X):
        """Log of the kernel density estimate at each sample.

        The density of the (weighted) training data under the fitted kernel
        and bandwidth, normalised as ``sklearn.neighbors.KernelDensity``
        normalises it (the flat kernel is its "tophat"):

        - flat: ``1 / V_d(h)`` within distance h, ``V_d(h)`` the volume of
          the d-ball of radius h;
        - gaussian: ``exp(-d**2 / (2 h**2)) / (2 pi h**2) ** (d / 2)``;
        - epanechnikov: ``(1 - d**2 / h**2) (d + 2) / (2 V_d(h))``.

        With per-feature bandwidths the kernel is taken in units of the
        bandwidth and divided by the product of the bandwidths.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points at which to evaluate the density.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            Log density; ``-inf`` where no training point contributes (never
            for the Gaussian kernel, whose log density is computed without
            underflow however far the point lies).
        """
        data = self._check_fitted_input(X)
        h = self._h
        p = self._model()
        tree = self._fitted_tree()
        n_threads = effective_n_threads(self.n_jobs, len(data) * tree.n)
        base, mass, _ = tree.kernel_sum(
            c_array(data, dtype=np.float64),
            p["kernel"],
            h,
            p["gaussian_tol"],
            n_threads,
        )
        d = self.n_features_in_
        total = (
            float(tree.n)
            if self._sample_weight is None
            else float(self._sample_weight.sum())
        )
        log_ball = 0.5 * d * np.log(np.pi) + d * np.log(h) - _log_gamma(0.5 * d + 1)
        if p["kernel"] == "gaussian":
            log_norm = 0.5 * d * np.log(2 * np.pi) + d * np.log(h)
        elif p["kernel"] == "epanechnikov":
            log_norm = log_ball + np.log(2.0 / (d + 2))
        else:
            log_norm = log_ball
        log_norm -= self._units.log_jacobian(d)
        # Gaussian masses come relative to the nearest training point
        # (base is its squared distance), so that far from the data the log
        # density stays finite instead of underflowing to -inf.
        with np.errstate(divide="ignore"):
            log_mass = np.log(mass) - base / (2.0 * h * h)
        return log_mass - np.log(total) - log_norm

    def predict(self, X):
        """Predict the closest cluster each sample in X belongs to.

        With ``cluster_assignment="attractor"``, the cluster of the mode
        that the sample's own mean-shift trajectory reaches.  A sample
        exactly as far from two centres goes to the one listed first, as in
        ``labels_`` (distances are exact squared differences), so
        ``predict`` on the training data gives ``labels_`` wherever that
        names a cluster; scikit-learn's ``predict`` can break such ties the
        other way.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data to predict.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to.
        """
        n_threads = effective_n_threads(self.n_jobs)
        if self.__sklearn_is_fitted__() and not hasattr(self, "_units"):
            return self._predict_set_by_hand(X, n_threads)
        data = self._check_fitted_input(X)
        p = self._model()
        if p["cluster_assignment"] == "attractor":
            tree = self._fitted_tree()
            data = self._shift_points(tree, data, self._h, n_threads, params=p)[0]
        labels, _ = _core.nearest_center(data, self._predict_centers(), -1.0, n_threads)
        return labels

    def _predict_centers(self):
        """The centres predict measures against, in core units: the fitted
        ones, or those the caller has set in cluster_centers_ since, as
        scikit-learn's predict reads them."""
        given = self.cluster_centers_
        fitted = getattr(self, "_centers_fitted", None)  # None: an older pickle
        if fitted is None or np.array_equal(given, fitted):
            return self._centers_scaled
        centers = check_given_centers(self.cluster_centers_, self.n_features_in_)
        return self._units.to_core(centers)

    def _predict_set_by_hand(self, X, n_threads):
        """predict for centres set on an estimator never fitted: the
        nearest of them, as scikit-learn gives."""
        owner = type(self).__name__
        if self._model()["cluster_assignment"] == "attractor":
            raise not_fitted_error(owner)  # the paths need the training data
        check_feature_names(owner, getattr(self, "feature_names_in_", None), X)
        X = check_array(X, owner=owner)
        centers = check_given_centers(self.cluster_centers_, X.shape[1])
        labels, _ = _core.nearest_center(c_array(X, dtype=np.float64), centers, -1.0,
                                         n_threads)  # fmt: skip
        return labels


def _fit_request(owner):
    # scikit-learn is imported only here, when its routing asks.
    from sklearn.utils.metadata_routing import MetadataRequest

    request = MetadataRequest(owner=owner)
    request.fit.add_request(param="sample_weight", alias=None)
    return request


def _kept_centers(
    means,
    intensity,
    converged,
    h,
    max_iter,
    bandwidth,
    n_threads,
    copies=None,
    quiet=False,
):
    """The modes scikit-learn keeps, in its order, after warning about seeds
    stopped by max_iter; ``bandwidth`` (the smallest, per feature) is the one
    its error message shows.  ``copies``: how many samples each seed stands
    for (equal samples shift as one seed), counted in the warning."""
    capped_seeds = ~converged & (intensity > 0)
    if copies is None:
        capped, n_seeds = int(np.count_nonzero(capped_seeds)), len(means)
    else:
        capped, n_seeds = int(copies[capped_seeds].sum()), int(copies.sum())
    if capped and max_iter > 0 and not quiet:
        warnings.warn(
            f"{capped} of {n_seeds} seeds stopped at max_iter={max_iter} "
            "before converging; raise max_iter for exact modes.",
            sklearn_twin(ConvergenceWarning),
            stacklevel=user_stacklevel(),
        )
    order = _core.merge_centers(means, intensity, _core.flat_radius_sq(h), n_threads)
    if len(order) == 0:
        if isinstance(bandwidth, np.ndarray):
            bandwidth = float(np.min(bandwidth))
        raise ValueError(
            "No point was within bandwidth=%f of any seed. Try a different seeding"
            " strategy                              or increase the bandwidth."
            % bandwidth
        )
    return c_array(means[order])


def _two_passes(progress, rows):
    """(first, second): progress callbacks for a fit's two passes, the
    seeds and then `rows` rows (0: no second pass), that report into one
    count whose total is both passes'."""
    if progress is None or rows == 0:
        return progress, progress
    seeds = 0

    def first(done, total):
        nonlocal seeds
        seeds = total
        return progress(done, total + rows)

    def second(done, total):
        return progress(seeds + done, seeds + total)

    return first, second


def _shift(tree, seeds, kernel, h, max_iter, tol, n_threads, progress=None):
    """The core's seed loop with scikit-learn's stopping rule; max_iter
    beyond the core's int64 counter never binds, so it is capped there."""
    return tree.shift(
        c_array(seeds, dtype=np.float64),
        kernel,
        h,
        stop_thresh(h),
        min(max_iter, _INT64_MAX),
        tol,
        n_threads,
        progress,
    )


def _log_gamma(x):
    # math.lgamma, without importing math at module level for one call.
    from math import lgamma

    return lgamma(x)


def shift_seeds(
    X,
    seeds,
    *,
    bandwidth,
    kernel="flat",
    max_iter=300,
    sample_weight=None,
    n_jobs=None,
    gaussian_tol=1e-8,
):
    """Move each seed uphill on the kernel density of X; no merging.

    The per-seed loop of :class:`MeanShift`, exposed for trajectories and
    custom post-processing: ``max_iter=k`` gives the positions after k + 1
    steps (scikit-learn's counting).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    seeds : array-like of shape (n_seeds, n_features)
        Starting points.
    bandwidth : float
        Kernel bandwidth, > 0.
    kernel : {"flat", "gaussian", "epanechnikov"}, default="flat"
    max_iter : int, default=300
    sample_weight : array-like of shape (n_samples,), default=None
    n_jobs : int, default=None
    gaussian_tol : float, default=1e-8

    Returns
    -------
    modes : ndarray of shape (n_seeds, n_features)
        Final positions (float64).
    n_iter : ndarray of shape (n_seeds,)
        Completed iterations per seed.
    intensity : ndarray of shape (n_seeds,)
        Kernel mass at the last step; 0 for a seed whose neighbourhood was
        empty (its position is then its start).
    """
    _check_shift_params(bandwidth, kernel, max_iter, n_jobs, gaussian_tol)
    owner = "shift_seeds"
    X = check_array(X, owner=owner)
    w = check_sample_weight(sample_weight, X.shape[0])
    S = check_seeds(seeds, X.shape[1], owner)
    n_threads = effective_n_threads(n_jobs)
    units, h = core_units(X, bandwidth)
    tree = _core.Tree(
        units.to_core(X),
        weights=w,
        leaf_size=_core.leaf_size_hint(*X.shape, 0, kernel, "auto"),
        kernel=kernel,
        n_threads=n_threads,
    )
    means, intensity, iters, _ = _shift(
        tree, units.to_core(S), kernel, h, max_iter, gaussian_tol, n_threads
    )
    return units.from_core(means, np.float64), iters, intensity


def _check_shift_params(bandwidth, kernel, max_iter, n_jobs, gaussian_tol):
    """shift_seeds' parameters, refused with the words MeanShift uses for
    them, except that the bandwidth must be a single float."""
    owner = "MeanShift"
    check_bandwidth(owner, bandwidth, rules=BANDWIDTH_NAMES)
    check_n_jobs(owner, n_jobs)
    check_int(owner, "max_iter", max_iter, 0)
    check_choice(owner, "kernel", kernel, KERNELS)
    check_gaussian_tol(owner, gaussian_tol)
    if bandwidth is None or isinstance(bandwidth, str) or not is_real(bandwidth):
        raise param_error(
            "shift_seeds", "bandwidth", bandwidth, "a float in the range (0, inf)"
        )


def mean_shift(
    X,
    *,
    bandwidth=None,
    seeds=None,
    bin_seeding=False,
    min_bin_freq=1,
    cluster_all=True,
    max_iter=300,
    n_jobs=None,
    kernel="flat",
):
    """Perform mean shift clustering of data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Input data.
    bandwidth, seeds, bin_seeding, min_bin_freq, cluster_all, max_iter, \
n_jobs, kernel
        As for :class:`MeanShift`.

    Returns
    -------
    cluster_centers : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers.
    labels : ndarray of shape (n_samples,)
        Cluster labels for each point.
    """
    model = MeanShift(
        bandwidth=bandwidth,
        seeds=seeds,
        bin_seeding=bin_seeding,
        min_bin_freq=min_bin_freq,
        cluster_all=cluster_all,
        n_jobs=n_jobs,
        max_iter=max_iter,
        kernel=kernel,
    )
    try:
        model._validate_params()
    except InvalidParameterError as exc:
        # scikit-learn checks the function's own parameters, in its name
        words = str(exc).replace("parameter of MeanShift ", "parameter of mean_shift ")
        raise InvalidParameterError(words) from None
    model.fit(X)
    return model.cluster_centers_, model.labels_
