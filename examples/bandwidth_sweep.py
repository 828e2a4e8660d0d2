"""Which bandwidth? Mean shift across 32 bandwidths of a noisy mixture, with
the one select_bandwidth chooses marked, next to the clustering it gives.

    pip install "meanshift-fast[plot]" && python examples/bandwidth_sweep.py
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from meanshift_fast import MeanShift, bandwidth_sweep, select_bandwidth  # noqa: E402


def noisy_mixture(seed=3):
    """Five elongated clusters of unequal size and spread, and 3% of the
    points spread uniformly over the picture."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [9.0, 1.0], [3.0, 9.0], [12.0, 10.0], [-4, 8]])
    sizes = [3000, 1500, 2200, 800, 1200]
    spreads = [1.2, 0.8, 1.5, 0.7, 1.0]
    parts = []
    for c, m, s in zip(centres, sizes, spreads, strict=True):
        angle = rng.uniform(0, np.pi)
        rot = np.array(
            [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
        )
        parts.append(c + (rng.normal(size=(m, 2)) * [s, 0.5 * s]) @ rot.T)
    X = np.concatenate(parts)
    lo, hi = X.min(0), X.max(0)
    noise = rng.uniform(lo, hi, size=(int(0.03 * len(X)), 2))
    return np.concatenate([X, noise])


def main(out):
    X = noisy_mixture()
    chosen = select_bandwidth(X)
    sweep = bandwidth_sweep(X, n_bandwidths=32)
    ms = MeanShift(bandwidth=chosen, bin_seeding=True).fit(X)
    print(sweep.table())
    print(
        f"select_bandwidth: {chosen:.3g}, {len(ms.cluster_centers_)} clusters; "
        f"saved {out}"
    )

    fig = plt.figure(figsize=(13, 5.5), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.25])
    ax = left.subplots()
    ax.scatter(X[:, 0], X[:, 1], c=ms.labels_ % 10, cmap="tab10", s=2)
    C = ms.cluster_centers_
    ax.scatter(C[:, 0], C[:, 1], marker="x", color="k", s=90, linewidths=2.5)
    ax.set_title(f'MeanShift(bandwidth="auto"): h = {chosen:.3g}')
    ax.set_aspect("equal")
    sweep.plot(marked=chosen, fig=right)
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", default="bandwidth_sweep.png")
    main(parser.parse_args().out)
