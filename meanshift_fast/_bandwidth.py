"""Bandwidth estimation and bin seeding."""

import warnings

import numpy as np

from meanshift_fast import _core
from meanshift_fast._threads import effective_n_threads
from meanshift_fast._units import (
    FLOAT32_LIMIT,
    SMALL_EXPONENT,
    SQUARE_LIMIT,
    SUM_EXPONENT,
    BinRangeError,
    Units,
    pow2_exponent,
    weight_exponent,
)
from meanshift_fast._validation import (
    as_float,
    c_array,
    check_array,
    check_n_jobs,
    check_sample_weight,
    is_int,
    is_real,
    param_error,
    user_stacklevel,
)


def _check_random_state(seed, owner="estimate_bandwidth"):
    """The RandomState that seed names, or scikit-learn's error for owner's
    random_state parameter."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if is_int(seed) and 0 <= seed <= 2**32 - 1:
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState):
        return seed
    raise param_error(
        owner,
        "random_state",
        seed,
        "an int in the range [0, 4294967295], an instance of "
        "'numpy.random.mtrand.RandomState' or None",
    )


def estimate_bandwidth(X, *, quantile=0.3, n_samples=None, random_state=0, n_jobs=None):
    """Estimate the bandwidth to use with the mean-shift algorithm.

    The mean over the (sampled) points of the distance to their k-th nearest
    neighbour, the point itself counting as the first, with
    ``k = max(1, int(n * quantile))``: scikit-learn's estimate, computed
    exactly through a k-d tree instead of in quadratic time.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Input points.
    quantile : float, default=0.3
        Between 0 and 1; 0.5 gives the median of all pairwise distances.
    n_samples : int, default=None
        The number of samples to use; all when None.
    random_state : int, RandomState instance or None, default=0
        The generator of the random subsample (as in scikit-learn).
    n_jobs : int, default=None
        Threads; None uses every core OpenMP may use.

    Returns
    -------
    bandwidth : numpy.float64
        The estimate.
    """
    owner = "estimate_bandwidth"
    if not is_real(quantile) or not 0 <= quantile <= 1:
        raise param_error(owner, "quantile", quantile, "a float in the range [0, 1]")
    if n_samples is not None and (not is_int(n_samples) or n_samples < 1):
        raise param_error(
            owner, "n_samples", n_samples, "an int in the range [1, inf) or None"
        )
    check_n_jobs(owner, n_jobs)
    X = check_array(X, owner=owner)
    rng = _check_random_state(random_state)
    if n_samples is not None:
        X = c_array(X[rng.permutation(X.shape[0])[:n_samples]])
    return _estimate(X, quantile, effective_n_threads(n_jobs))


def _estimate(X, quantile, n_threads, progress=None):
    n = X.shape[0]
    k = max(1, int(n * quantile))
    units = Units(pow2_exponent(X))
    dk = _core.Tree(units.to_core(X), n_threads=n_threads).kth_neighbor_distance(
        k, n_threads, progress
    )
    # Summed in blocks of 500 as the reference does, for the same rounding
    # (in core units, where the sum cannot overflow).
    total = 0.0
    for start in range(0, n, 500):
        total += dk[start : start + 500].sum()
    return np.float64(units.from_core(np.float64(total / n), np.float64))


def resolve_bandwidth(bandwidth, X, w, kernel, n_jobs, owner, bin_seeding=False):
    """The bandwidth a fit uses, the units the core computes in, and the
    bandwidth h in those units.

    ``bandwidth`` is the validated parameter: None estimates it on all
    samples, "auto" chooses it with select_bandwidth's method, a rule's
    name gives per-feature values, an array must hold one per feature.
    """
    if bandwidth is None:
        n = X.shape[0]
        bandwidth = _estimate(X, 0.3, effective_n_threads(n_jobs, n * n))
        if kernel != "flat" and not bandwidth > 0:
            raise zero_estimate_error(kernel)
    elif isinstance(bandwidth, str) and bandwidth == "auto":
        # Imported here: the selection fits estimators, which import this
        # module.
        from meanshift_fast._select import stability_bandwidth

        bandwidth = stability_bandwidth(X, w, n_jobs, 0)
    elif isinstance(bandwidth, str):
        bandwidth = rule_of_thumb(X, bandwidth, w)
    elif not is_real(bandwidth):
        bandwidth = np.asarray(bandwidth, dtype=np.float64)
        if bandwidth.shape != (X.shape[1],):
            raise ValueError(
                f"bandwidth has {bandwidth.shape[0]} values, but {owner} "
                f"is expecting {X.shape[1]} (one per feature)."
            )
    return (bandwidth, *core_units(X, bandwidth, bin_seeding))


def zero_estimate_error(kernel):
    """The error for an estimated bandwidth of 0, which only the flat kernel
    takes."""
    return ValueError(
        "The estimated bandwidth is 0 (every point's neighbours coincide with "
        f"it); the {kernel} kernel needs a positive bandwidth: pass one."
    )


def core_units(X, bandwidth, bin_seeding=False):
    """The units the core computes in for X at ``bandwidth``, and the
    bandwidth in them.

    Per-feature bandwidths: units of the bandwidth, where it is 1.  Extreme
    magnitudes: a power-of-two scaling (exact), so that squared distances
    and bandwidths neither overflow nor underflow, nor, with bin seeding,
    the float32 bin seeds.
    """
    if isinstance(bandwidth, np.ndarray):
        return _per_feature_units(X, bandwidth)
    limit = FLOAT32_LIMIT if bin_seeding else SQUARE_LIMIT
    units = Units(pow2_exponent(X, float(bandwidth), limit))
    return units, units.scalar_to_core(float(bandwidth))


def _per_feature_units(X, bandwidth):
    """Units of the per-feature bandwidths, in which they are all 2**k:
    k = 0 unless X / bandwidth reaches beyond what sums of it hold, and
    then only as far below 0 as keeps every 2**k / bandwidth normal; also
    below 0 where 1 / bandwidth overflows."""
    n = X.shape[0]
    top = np.maximum(X.max(axis=0), -X.min(axis=0))
    e_top = np.frexp(top)[1]  # top < 2**e_top
    e_h = np.frexp(bandwidth)[1]  # bandwidth >= 2**(e_h - 1)
    used = top > 0
    reach = int((e_top - e_h)[used].max()) + 1 if used.any() else 0  # X/h < 2**reach
    lowest = int(e_h.max()) - 1021  # 2**k / h normal for every h
    highest = min(0, int(e_h.min()) + 1021)  # 2**k / h finite for every h
    k = min(max(min(0, SUM_EXPONENT - reach), lowest), highest)
    # sums of n values below 2**(reach + k) must stay finite
    if k < -SMALL_EXPONENT or lowest > highest or reach + k + n.bit_length() > 1022:
        j = int(np.argmax(np.where(used, e_top - e_h, np.iinfo(np.int64).min)))
        raise ValueError(
            f"bandwidth[{j}]={float(bandwidth[j])!r} is too small for values as "
            f"large as {float(top[j])!r}, or the bandwidths span too wide a range "
            "for double precision: rescale the features."
        )
    # h * 2**-k lies within [2**-1022, 2**1021] by the choice of k: its
    # inverse is finite and normal, and equals 2**k / h.
    factors = 1.0 / np.ldexp(bandwidth, -k)
    return Units(factors=factors), float(np.ldexp(1.0, k))


def _check_bin_size(bin_size):
    """A finite bin size >= 0, or a 1-D array of finite ones > 0."""
    if is_real(bin_size):
        if not (bin_size >= 0 and np.isfinite(as_float(bin_size))):
            raise param_error(
                "get_bin_seeds", "bin_size", bin_size, "a float in the range [0, inf)"
            )
        return
    arr = np.asarray(bin_size)
    if not (
        arr.ndim == 1
        and arr.dtype.kind in "iuf"
        and np.isfinite(arr).all()
        and (arr > 0).all()
    ):
        raise param_error(
            "get_bin_seeds",
            "bin_size",
            bin_size,
            "a float in the range [0, inf) or an array of floats in (0, inf)",
        )


def get_bin_seeds(X, bin_size, min_bin_freq=1, sample_weight=None):
    """Find seeds for mean shift by binning the data onto a grid.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Input points, the same points that will be clustered.
    bin_size : float or array-like of shape (n_features,)
        The grid spacing, finite and non-negative (one per feature: positive);
        0 returns X itself.
    min_bin_freq : int, default=1
        Only bins holding at least this many points (or this much weight)
        become seeds.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights counted instead of points.

    Returns
    -------
    bin_seeds : ndarray of shape (n_seeds, n_features)
        Bin centres in order of first occurrence, or X itself when every
        point has a bin of its own (with a warning); with weights, when the
        bins are as many as the weights' sum (integer weights count as
        repeated points).
    """
    _check_bin_size(bin_size)
    finite = is_real(min_bin_freq) and np.isfinite(as_float(min_bin_freq))
    if not (finite and min_bin_freq >= 0):
        raise param_error(
            "get_bin_seeds",
            "min_bin_freq",
            min_bin_freq,
            "a float in the range [0, inf)",
        )
    arr = check_array(X, owner="get_bin_seeds")
    if np.ndim(bin_size) == 1 and len(bin_size) != arr.shape[1]:
        raise ValueError(
            f"bin_size has {len(bin_size)} values, but X has {arr.shape[1]} features."
        )
    w = check_sample_weight(sample_weight, arr.shape[0])
    seeds = bin_seeds(arr, bin_size, min_bin_freq, w, effective_n_threads(None))
    return X if seeds is arr else seeds


def bin_size_like(bandwidth, h):
    """The bin size h (the bandwidth in the core's scaled units) with the
    precision the caller's bandwidth gives scikit-learn's bins: a numpy
    bandwidth keeps its type in the float32 bin numbers' product (a float
    type, so that an integer bandwidth is not truncated once scaled), where
    a Python float leaves that product in float32."""
    if isinstance(bandwidth, np.generic):
        return np.result_type(np.float32, type(bandwidth)).type(h)
    return h


def bin_seeds(
    X,
    bin_size,
    min_bin_freq,
    sample_weight,
    n_threads,
    shown_size=None,
    quiet=False,
    strict=False,
):
    """get_bin_seeds on a validated array X with bin_size checked, on up to
    n_threads threads (the core takes one for all but large inputs); the
    same seeds whatever the thread count.  The warning names shown_size
    (the caller's bandwidth, where X and bin_size are in the core's units)
    or bin_size; quiet leaves it out.  strict (a fit) refuses bins that
    float32 cannot number, where the reference's seeds are infinite."""
    if np.ndim(bin_size) == 0 and bin_size == 0:
        return X
    arr = X
    weights = None if sample_weight is None else np.asarray(sample_weight, float)
    # The seeds' arithmetic follows the reference's numpy expressions, so
    # that they have the same values and precision.  float64 rows (any
    # positive bin size then divides in float64) are binned by the core;
    # other cases round here and hand the core the cells.  Either way the
    # core returns the kept cells, -0.0 as 0.0.
    # A fit (strict) refuses bins beyond float32 below, without the warning.
    with np.errstate(over="ignore" if strict else "warn"):
        if arr.dtype == np.float64 and np.ndim(bin_size) == 0 and bin_size > 0:
            binned, size = arr, float(bin_size)
        else:
            binned, size = np.round(arr / bin_size), 0.0
        cells, _, _ = _core.bin_cells(
            binned, weights, size, float(min_bin_freq), n_threads
        )
        seeds = np.array(cells, dtype=np.float32)
    if strict:
        check_bin_range(seeds, bin_size if shown_size is None else shown_size)
    if len(seeds) == 0:
        seeds = seeds.reshape(0)  # the reference's shape for no seeds
    # Every sample in a bin of its own: the weights count as samples (the
    # rows that integer weights repeat), so their sum is the sample count.
    n_samples = len(arr) if weights is None else weights.sum()
    if len(seeds) == n_samples:
        if quiet:
            return X
        shown = bin_size if shown_size is None else shown_size
        size_text = "%f" % shown if np.ndim(shown) == 0 else str(np.asarray(shown))
        warnings.warn(
            f"Binning data failed with provided bin_size={size_text}, using data "
            "points as seeds.",
            stacklevel=user_stacklevel(),
        )
        return X
    return seeds * bin_size


def check_bin_range(seeds, bandwidth):
    """Refuse bin numbers beyond float32's range (a fit's bin seeds)."""
    if not np.isfinite(seeds).all():
        raise BinRangeError(
            f"bandwidth={bandwidth!r} is too small for values this large: bin "
            "seeding numbers its bins in float32 (scikit-learn's arithmetic), "
            "which holds no bin beyond 2**128 bandwidths from 0. Use "
            "bin_seeding=False, or centre or rescale the data."
        )


def rule_of_thumb(X, rule, sample_weight=None):
    """Per-feature Scott or Silverman bandwidths (normal reference rules).

    ``scott``: ``n ** (-1 / (d + 4)) * std``;
    ``silverman``: ``(n * (d + 2) / 4) ** (-1 / (d + 4)) * std``, with the
    per-feature standard deviation (ddof=1).  With sample weights, n is
    their sum and the moments are weighted, so integer weights give the
    rules' values for repeated rows.  A feature of zero spread gets the mean
    of the others (1.0 if all are zero).
    """
    d = X.shape[1]
    w = np.ones(len(X)) if sample_weight is None else sample_weight
    # n is the weights' sum, taken as log(n) from weights scaled by a power
    # of two where the sum would overflow; the moments are ratios of sums,
    # which the scaling does not change.
    k = weight_exponent(w)
    if k:
        w = np.ldexp(w, k)
    n = float(w.sum())  # the weights' sum times 2**k
    with np.errstate(over="ignore"):  # inf for subnormal weights: n < 1
        one = np.ldexp(1.0, k)  # a weight of one, scaled
    # Each feature scaled by a power of two to magnitudes below 1, which
    # changes no digit, so that its squares neither overflow nor underflow
    # at extreme scales.
    top = np.maximum(X.max(axis=0), -X.min(axis=0)) if len(X) else np.zeros(d)
    exponent = np.frexp(top)[1]
    S = np.ldexp(X, -exponent)
    mean = (w @ S) / n
    dev2 = w @ (S - mean) ** 2
    std = np.ldexp(np.sqrt(dev2 / (n - one if n > one else n)), exponent)
    if (std == 0).any():
        fill = std[std > 0].mean() if (std > 0).any() else 1.0
        std = np.where(std > 0, std, fill)
    per = 1.0 if rule == "scott" else (d + 2) / 4.0
    # (n 2**-k per)^(-1/(d+4)), with 2**-k outside the power so that it
    # cannot overflow
    factor = (n * per) ** (-1.0 / (d + 4)) * 2.0 ** (k / (d + 4))
    return factor * std
