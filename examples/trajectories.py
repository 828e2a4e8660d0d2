"""Seeds climbing a 2-D density to its modes: each seed's path, step by
step, over the contours of the Gaussian kernel density estimate.

    pip install "meanshift-fast[plot]" && python examples/trajectories.py
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from meanshift_fast import MeanShift, shift_seeds  # noqa: E402


def main(out, steps=25):
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0], [5.0, 1.0], [2.0, 5.0]])
    X = np.concatenate([rng.normal(c, 0.9, size=(150, 2)) for c in centres])
    h = 1.5
    seeds = rng.uniform(X.min(0), X.max(0), size=(40, 2))

    # max_iter=k returns the positions after k + 1 steps.
    path = [seeds] + [
        shift_seeds(X, seeds, bandwidth=h, kernel="gaussian", max_iter=k)[0]
        for k in range(steps)
    ]
    path = np.stack(path)  # (steps + 1, n_seeds, 2)

    ms = MeanShift(bandwidth=h, kernel="gaussian").fit(X)
    gx, gy = np.meshgrid(
        np.linspace(X[:, 0].min() - 1, X[:, 0].max() + 1, 150),
        np.linspace(X[:, 1].min() - 1, X[:, 1].max() + 1, 150),
    )
    density = np.exp(ms.score_samples(np.column_stack([gx.ravel(), gy.ravel()])))

    fig, ax = plt.subplots(figsize=(7, 6))
    ax.contour(gx, gy, density.reshape(gx.shape), levels=15, cmap="Greys")
    for s in range(path.shape[1]):
        ax.plot(path[:, s, 0], path[:, s, 1], "-", lw=1, color="tab:blue", alpha=0.8)
    ax.scatter(seeds[:, 0], seeds[:, 1], s=12, color="tab:blue", label="seeds")
    C = ms.cluster_centers_
    ax.scatter(
        C[:, 0], C[:, 1], marker="x", s=150, color="red", linewidths=3, label="modes"
    )
    ax.set_title(f"mean shift trajectories (Gaussian kernel, bandwidth {h})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    print(f"{path.shape[1]} seeds, {len(C)} modes; saved {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", default="trajectories.png")
    main(parser.parse_args().out)
