"""Brute-force reference implementations for the reliability tests.

Plain numpy, written from the documented semantics (scikit-learn's
``MeanShift`` plus the Gaussian and Epanechnikov kernels and sample weights
of ``meanshift_fast``), not from the package's code:

- one step of a seed: the kernel-weighted mean of all points; the flat
  kernel weighs by 1 the points whose squared distance is ``<= bandwidth *
  bandwidth`` (scikit-learn's k-d tree test);
- a seed stops when its step is ``<= 1e-3 * bandwidth`` or its iteration
  counter reaches ``max_iter``; a seed whose neighbourhood is empty is
  dropped; its intensity is the kernel mass of the last query;
- converged means are keyed by their coordinates (identical ones merge, the
  last seed giving the intensity), sorted by ``(intensity, coordinates)``
  descending, and every later centre within ``bandwidth`` of a kept one is
  removed;
- labels: the nearest centre (ties to the lower index); with
  ``cluster_all=False`` points farther than ``bandwidth`` get -1.

Squared distances are accumulated feature by feature in increasing order, as
a straightforward loop would; on data whose sums are exact in floating point
(small integers, dyadic grids) the flat kernel's results are then exact and
any correct implementation must reproduce them bit for bit.
"""

import numpy as np


def sq_dist(X, q):
    """Squared distances from every row of X (any float dtype) to q."""
    X = np.asarray(X)
    d2 = np.zeros(X.shape[0])
    for j in range(X.shape[1]):
        u = X[:, j].astype(np.float64) - float(q[j])
        d2 += u * u
    return d2


def within(d2, h):
    """The inclusive ball test ``distance <= h`` done on distances (the
    points that ``cluster_all=False`` leaves unlabelled are those beyond)."""
    return np.sqrt(d2) <= h


def in_ball(d2, h):
    """The flat kernel's neighbourhood, as scikit-learn's k-d tree takes
    it: the squared distance against ``h * h`` rounded; on quantised data
    this leaves out points that ``within`` keeps."""
    return d2 <= h * h


def kernel_weights(d2, kernel, h):
    if kernel == "flat":
        return in_ball(d2, h).astype(np.float64)
    if kernel == "gaussian":
        inv = 1.0 / (2.0 * h * h)
        return np.exp(-d2 * inv)
    if kernel == "epanechnikov":
        h2 = h * h
        return np.where(d2 < h2, (h2 - d2) / h2, 0.0)
    raise ValueError(kernel)


def bin_seeds(X, bin_size, min_bin_freq=1, sample_weight=None):
    """scikit-learn's get_bin_seeds, with weights counted instead of points.

    Returns (seeds, fell_back): fell_back is True when every point had a
    bin of its own and X itself is returned (scikit-learn warns then); with
    weights, when the bins are as many as the weights' sum (integer weights
    are repeated points), and the points of positive weight are returned.
    """
    if bin_size == 0:
        return X, False
    counts = {}
    for i, point in enumerate(X):
        key = tuple(np.round(point / bin_size))
        w = 1.0 if sample_weight is None else float(sample_weight[i])
        counts[key] = counts.get(key, 0.0) + w
    kept = [k for k, c in counts.items() if c >= min_bin_freq]
    with np.errstate(over="ignore"):
        seeds = np.array(kept, dtype=np.float32).reshape(-1, X.shape[1])
    if not np.isfinite(seeds).all():
        # bin numbers beyond float32: scikit-learn's seeds are infinite, and
        # its fit refuses them (a fit here says so before any work)
        raise ValueError("bin numbers beyond float32's range")
    if sample_weight is None and len(seeds) == len(X):
        return X, True
    if sample_weight is not None and len(seeds) == np.sum(sample_weight):
        return X[np.asarray(sample_weight) > 0], True
    return seeds * bin_size, False


def shift_seed(X, w, seed, kernel, h, max_iter):
    """One seed's trajectory.

    Returns (mean, intensity, n_iter, converged, margin): margin is the
    smallest |step - stop_thresh| seen, a measure of how close a stop
    decision came to going the other way.
    """
    f32 = X.dtype == np.float32
    stop = 1e-3 * h
    cur = np.array(seed, dtype=np.float64)
    it = 0
    margin = np.inf
    while True:
        d2 = sq_dist(X, cur)
        base = 0.0
        if kernel == "gaussian":
            # Weights relative to the nearest weighted point's: far from the
            # data the plain weights all underflow and their ratio means nothing.
            base = float(d2.min() if w is None else d2[w > 0].min())
            d2 = np.maximum(d2 - base, 0.0)
        kw = kernel_weights(d2, kernel, h)
        if w is not None:
            kw = kw * w
        scaled = kw.sum()
        if not scaled > 0:
            return cur, 0.0, it, False, margin
        new = (kw[:, None] * X.astype(np.float64)).sum(axis=0) / scaled
        mass = scaled
        if base > 0:
            with np.errstate(under="ignore"):
                mass = max(
                    scaled * np.exp(-base / (2.0 * h * h)), np.nextafter(0.0, 1.0)
                )
        if f32:
            new = new.astype(np.float32).astype(np.float64)
        step = float(np.sqrt(((new - cur) ** 2).sum()))
        margin = min(margin, abs(step - stop))
        cur = new
        if step <= stop:
            return cur, mass, it, True, margin
        if it == max_iter:
            return cur, mass, it, False, margin
        it += 1


def mean_shift(
    X,
    bandwidth,
    *,
    seeds=None,
    bin_seeding=False,
    min_bin_freq=1,
    cluster_all=True,
    max_iter=300,
    kernel="flat",
    sample_weight=None,
):
    """Brute-force mean shift; returns a dict of results and diagnostics.

    Keys: centers (in X's dtype), labels, n_iter, means, intensity,
    iterations, converged (per seed), seeds, stop_margin (smallest distance
    of a stop decision from its threshold), merge_margin (smallest
    |distance - h| between candidate centres), rank_gap (smallest relative
    intensity gap between two distinct candidates), label_margin (smallest
    gap between a point's nearest and second-nearest centre distances, and
    between its nearest distance and h when cluster_all is False),
    merge_stable (whether the candidates' ranking survives rounding that
    makes coinciding means one candidate or several).
    """
    X = np.asarray(X)
    h = float(bandwidth)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if seeds is None:
        if bin_seeding:
            seeds, _ = bin_seeds(X, bandwidth, min_bin_freq, w)
            if len(seeds) == 0:
                raise ValueError("No bin holds min_bin_freq samples")
        else:
            seeds = X if w is None else X[w > 0]
    seeds = np.asarray(seeds, dtype=np.float64)

    results = [shift_seed(X, w, s, kernel, h, max_iter) for s in seeds]
    means = np.array([r[0] for r in results]).reshape(len(seeds), X.shape[1])
    intensity = np.array([r[1] for r in results])
    iterations = np.array([r[2] for r in results], dtype=np.int64)
    converged = np.array([r[3] for r in results], dtype=bool)
    stop_margin = min([r[4] for r in results], default=np.inf)

    cand = {}
    for m, mass in zip(means, intensity, strict=True):
        if mass > 0:
            cand[tuple(float(v) for v in m)] = mass
    if not cand:
        raise ValueError(f"No point was within bandwidth={h:f} of any seed.")
    ranked = sorted(cand.items(), key=lambda t: (t[1], t[0]), reverse=True)
    sorted_centers = np.array([c for c, _ in ranked])
    masses = np.array([m for _, m in ranked])
    keep = np.ones(len(ranked), dtype=bool)
    merge_margin = np.inf
    for i in range(len(ranked)):
        if not keep[i]:
            continue
        d2 = sq_dist(sorted_centers[i + 1 :], sorted_centers[i])
        if len(d2):
            merge_margin = min(merge_margin, float(np.min(np.abs(np.sqrt(d2) - h))))
        keep[i + 1 :] &= ~in_ball(d2, h)
    centers = sorted_centers[keep]
    rank_gap = np.inf
    if len(masses) > 1:
        gaps = np.abs(np.diff(np.sort(masses))) / max(float(np.max(masses)), 1e-300)
        rank_gap = float(np.min(gaps))

    merge_stable = _merge_stable(means, intensity, cand, h)

    d2 = np.stack([sq_dist(X, c) for c in centers], axis=1)
    labels = np.argmin(d2, axis=1).astype(np.int64)
    best = d2[np.arange(len(X)), labels]
    dist = np.sqrt(d2)
    label_margin = np.inf
    if len(centers) > 1:
        sd = np.sort(dist, axis=1)
        label_margin = float(np.min(sd[:, 1] - sd[:, 0]))
    if not cluster_all:
        labels[~within(best, h)] = -1
        label_margin = min(label_margin, float(np.min(np.abs(np.sqrt(best) - h))))
    return {
        "centers": centers.astype(X.dtype),
        "centers64": centers,
        "labels": labels,
        "n_iter": int(iterations.max()),
        "means": means,
        "intensity": intensity,
        "iterations": iterations,
        "converged": converged,
        "seeds": seeds,
        "stop_margin": stop_margin,
        "merge_margin": merge_margin,
        "rank_gap": rank_gap,
        "label_margin": label_margin,
        "merge_stable": merge_stable,
    }


def _merge_stable(means, intensity, cand, h):
    """False where seeds whose means coincide up to rounding end with
    different intensities that straddle another candidate's: sums taken in
    another order may make those means one candidate (with the last seed's
    intensity) or several, and the candidates' ranking, so the centres kept,
    then differ."""
    live = intensity > 0
    M, inten = means[live], intensity[live]
    if len(M) < 2:
        return True
    scale = max(h, float(np.max(np.abs(M))))
    keys = np.array(list(cand.keys()))
    masses = np.array(list(cand.values()))
    for i in range(len(M)):
        near = np.sqrt(((M - M[i]) ** 2).sum(axis=1)) <= 1e-9 * scale
        lo, hi = inten[near].min(), inten[near].max()
        if hi == lo:
            continue
        away = np.sqrt(((keys - M[i]) ** 2).sum(axis=1)) > 1e-9 * scale
        if ((masses[away] >= lo) & (masses[away] <= hi)).any():
            return False
    return True


def kth_neighbor_distances(X, k):
    """Distance from every point to its k-th nearest point (itself first)."""
    X = np.asarray(X)
    out = np.empty(len(X))
    for i in range(len(X)):
        out[i] = np.sort(np.sqrt(sq_dist(X, X[i])))[k - 1]
    return out


def estimate_bandwidth(X, quantile=0.3):
    """scikit-learn's estimate on all samples, brute force."""
    n = len(X)
    k = max(1, int(n * quantile))
    return float(np.mean(kth_neighbor_distances(X, k)))


def nearest_labels(X, centers):
    """Index of the nearest centre of every row (ties to the lower index)."""
    d2 = np.stack([sq_dist(X, c) for c in centers], axis=1)
    return np.argmin(d2, axis=1).astype(np.int64)
