"""The kernel density estimate that mean shift climbs, as a surface and as
contours: 2-D points, Gaussian kernel, bandwidth 2 (the seed tutorial's
picture), with the modes mean shift finds marked.

    pip install "meanshift-fast[plot]" && python examples/kde_surface.py
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from meanshift_fast import MeanShift  # noqa: E402


def main(out):
    rng = np.random.default_rng(1)
    centres = np.array([[2.0, 2.0], [8.0, 3.0], [5.0, 9.0]])
    X = np.concatenate([rng.normal(c, 1.2, size=(120, 2)) for c in centres])

    ms = MeanShift(bandwidth=2.0, kernel="gaussian").fit(X)
    gx, gy = np.meshgrid(np.linspace(-2, 12, 120), np.linspace(-2, 13, 120))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    density = np.exp(ms.score_samples(grid)).reshape(gx.shape)

    fig = plt.figure(figsize=(12, 5))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.plot_surface(gx, gy, density, cmap="viridis", linewidth=0, antialiased=True)
    ax.set_title("Gaussian KDE, bandwidth 2")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("density")

    ax = fig.add_subplot(1, 2, 2)
    ax.contourf(gx, gy, density, levels=20, cmap="viridis")
    ax.scatter(X[:, 0], X[:, 1], s=4, color="white", alpha=0.6)
    C = ms.cluster_centers_
    ax.scatter(
        C[:, 0],
        C[:, 1],
        marker="x",
        s=120,
        color="red",
        linewidths=3,
        label="modes found by mean shift",
    )
    ax.set_title("contours and modes")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    print(f"{len(C)} modes; saved {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", default="kde_surface.png")
    main(parser.parse_args().out)
