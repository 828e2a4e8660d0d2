"""How well does each bandwidth rule cluster data whose labels are known?

Every competitor picks a bandwidth; ``MeanShift(bandwidth=h,
bin_seeding=True)`` clusters the data; the score is the adjusted Rand index
against the true labels, over the points that belong to a cluster (the
uniform background noise has no true cluster and is left out of the score,
though it is clustered with the rest).  Prints one Markdown table per split::

    python benchmarks/bandwidth_selection.py                 # every split
    python benchmarks/bandwidth_selection.py --split dev     # design split only

Splits (see benchmarks/README.md):

- ``dev``: Gaussian mixtures drawn from seeds 0..N-1 of the "dev" stream, used
  while designing ``select_bandwidth``;
- ``heldout``: mixtures of the same kind from another stream, first run once
  the method was fixed;
- ``toy``: scikit-learn's toy sets (iris, wine, breast cancer standardised;
  three make_blobs sets as in scikit-learn's clustering examples);
- ``outliers``: mixtures of the same kind from a third stream whose clusters
  have heavy tails (Student t, 3 degrees of freedom) and which hold a few
  far outliers (0.3% of the points, 20 to 100 times the data's extent
  away); first run when the default range learnt to leave out far
  outliers, with the method as it was before and after.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from meanshift_fast import (
    MeanShift,
    bandwidth_sweep,
    estimate_bandwidth,
    select_bandwidth,
)

# Streams of the two mixture splits: different entropy, so no held-out
# mixture shares a draw with a design one.
DEV_ENTROPY = 20261204
HELDOUT_ENTROPY = 77031911
OUTLIER_ENTROPY = 55512031
NOISE_SHARE = 0.03
FAR_SHARE = 0.003


def gaussian_mixture(rng, heavy=False):
    """A mixture with random cluster count, features, separation, spreads,
    sizes and anisotropy, plus 3% uniform background noise (label -1).
    ``heavy``: Student t clusters (3 degrees of freedom) and 0.3% far
    outliers (label -1) instead of Gaussian clusters alone."""
    k = int(rng.integers(2, 9))
    d = int(rng.integers(2, 9))
    n = int(rng.integers(1500, 4001))
    sep = rng.uniform(2.0, 4.0)
    spread_ratio = rng.uniform(1.0, 3.0)
    aniso = rng.uniform(1.0, 3.0)
    alpha = rng.choice([1.0, 3.0, 30.0])

    shares = rng.dirichlet(np.full(k, alpha))
    shares = np.maximum(shares, 0.4 / k)
    shares /= shares.sum()
    sizes = np.floor(shares * n * (1 - NOISE_SHARE)).astype(int)
    scales = np.exp(rng.uniform(-0.5, 0.5, size=k) * np.log(spread_ratio))
    axes = [s * rng.uniform(1.0 / aniso, 1.0, size=d) for s in scales]
    axes = [a / a.max() * s for a, s in zip(axes, scales, strict=True)]
    rotations = [np.linalg.qr(rng.normal(size=(d, d)))[0] for _ in range(k)]

    # Centres far enough apart that every pair's gap is sep times the sum of
    # their largest standard deviations.
    side = 2 * sep * scales.max() * k ** (1.0 / d)
    while True:
        centres = []
        for _ in range(2000):
            c = rng.uniform(0, side, size=d)
            i = len(centres)
            if all(
                np.linalg.norm(c - centres[j]) >= sep * (scales[i] + scales[j])
                for j in range(i)
            ):
                centres.append(c)
                if len(centres) == k:
                    break
        if len(centres) == k:
            break
        side *= 1.25
    parts, labels = [], []
    for i in range(k):
        z = rng.normal(size=(sizes[i], d)) * axes[i]
        if heavy:  # a multivariate t: the normal over sqrt(chi2(3) / 3)
            z /= np.sqrt(rng.chisquare(3, size=(sizes[i], 1)) / 3)
        parts.append(centres[i] + z @ rotations[i].T)
        labels.append(np.full(sizes[i], i))
    X = np.concatenate(parts)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * (hi - lo)
    m = int(round(NOISE_SHARE * len(X) / (1 - NOISE_SHARE)))
    noise = rng.uniform(lo - pad, hi + pad, size=(m, d))
    X = np.concatenate([X, noise])
    y = np.concatenate(labels + [np.full(m, -1)])
    if heavy:
        f = max(1, int(round(FAR_SHARE * len(X))))
        extent = np.linalg.norm(hi - lo)
        direction = rng.normal(size=(f, d))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        far = (lo + hi) / 2 + direction * extent * rng.uniform(20, 100, size=(f, 1))
        X = np.concatenate([X, far])
        y = np.concatenate([y, np.full(f, -1)])
    order = rng.permutation(len(X))
    desc = f"k={k} d={d} n={len(X)} sep={sep:.2f}"
    return X[order], y[order], desc


def mixtures(entropy, count, heavy=False):
    for seed in range(count):
        rng = np.random.default_rng([entropy, seed])
        X, y, desc = gaussian_mixture(rng, heavy)
        yield f"mixture {seed} ({desc})", X, y


def toy_sets():
    from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_blobs
    from sklearn.preprocessing import StandardScaler

    for name, loader in (
        ("iris", load_iris),
        ("wine", load_wine),
        ("breast cancer", load_breast_cancer),
    ):
        data = loader()
        yield name, StandardScaler().fit_transform(data.data), data.target
    # The three blob sets of scikit-learn's "plot_kmeans_assumptions".
    X, y = make_blobs(n_samples=1500, random_state=170)
    yield "blobs", X, y
    yield "anisotropic blobs", X @ np.array([[0.6, -0.6], [-0.4, 0.8]]), y
    X, y = make_blobs(n_samples=1500, cluster_std=[1.0, 2.5, 0.5], random_state=170)
    yield "blobs of varied spread", X, y


def score(X, y, h):
    from sklearn.metrics import adjusted_rand_score

    labels = MeanShift(bandwidth=h, bin_seeding=True).fit(X).labels_
    keep = y >= 0
    return adjusted_rand_score(y[keep], labels[keep])


def hindsight(X, y, n_bandwidths=48):
    """The best ARI over a wide geometric grid of bandwidths."""
    from sklearn.metrics import adjusted_rand_score

    sweep = bandwidth_sweep(X, n_bandwidths=n_bandwidths, return_labels=True)
    keep = y >= 0
    return max(adjusted_rand_score(y[keep], lab[keep]) for lab in sweep.labels)


COMPETITORS = {
    "select_bandwidth": lambda X: select_bandwidth(X),
    "estimate_bandwidth q=0.3 (default)": lambda X: estimate_bandwidth(X),
    "estimate_bandwidth q=0.2": lambda X: estimate_bandwidth(X, quantile=0.2),
    "estimate_bandwidth q=0.1": lambda X: estimate_bandwidth(X, quantile=0.1),
    "estimate_bandwidth q=0.05": lambda X: estimate_bandwidth(X, quantile=0.05),
    "scott": lambda X: "scott",
    "silverman": lambda X: "silverman",
}


def evaluate(datasets, verbose=False):
    """{competitor: [ARI per dataset]} plus the hindsight best."""
    results = {name: [] for name in COMPETITORS}
    results["best in hindsight (48-bandwidth sweep)"] = []
    for label, X, y in datasets:
        row = []
        for name, rule in COMPETITORS.items():
            results[name].append(score(X, y, rule(X)))
            row.append(results[name][-1])
        results["best in hindsight (48-bandwidth sweep)"].append(hindsight(X, y))
        if verbose:
            print(
                f"{label:45s} "
                + " ".join(f"{v:5.2f}" for v in row)
                + f" | {results['best in hindsight (48-bandwidth sweep)'][-1]:5.2f}"
            )
    return results


def table(title, results, n):
    lines = [f"### {title} ({n} data sets)", "", "| bandwidth | mean ARI | min ARI |"]
    lines.append("|---|---|---|")
    for name, values in results.items():
        lines.append(f"| {name} | {np.mean(values):.3f} | {np.min(values):.3f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--split", choices=["dev", "heldout", "toy", "outliers", "all"], default="all"
    )
    ap.add_argument("--n-mixtures", type=int, default=60)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    splits = (
        ["dev", "heldout", "toy", "outliers"] if args.split == "all" else [args.split]
    )
    for split in splits:
        t0 = time.perf_counter()
        if split == "toy":
            sets = list(toy_sets())
            title = "scikit-learn toy sets"
        elif split == "outliers":
            sets = list(mixtures(OUTLIER_ENTROPY, args.n_mixtures, heavy=True))
            title = "heavy-tailed mixtures with far outliers"
        else:
            entropy = DEV_ENTROPY if split == "dev" else HELDOUT_ENTROPY
            sets = list(mixtures(entropy, args.n_mixtures))
            title = f"{split} mixtures"
        results = evaluate(sets, verbose=args.verbose)
        print(table(title, results, len(sets)))
        if split == "toy":
            print()
            print("| data set | " + " | ".join(results) + " |")
            print("|---" * (len(results) + 1) + "|")
            for i, (label, _, _) in enumerate(sets):
                print(
                    f"| {label} | "
                    + " | ".join(f"{v[i]:.2f}" for v in results.values())
                    + " |"
                )
        print(f"\n({time.perf_counter() - t0:.0f} s)\n")


if __name__ == "__main__":
    main()
