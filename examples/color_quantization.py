"""Colour clustering of a photograph: every pixel's RGB value is a point,
mean shift finds the dominant colours without being told how many, and
each pixel is repainted with its cluster's colour.

The image is scikit-learn's sample photo when scikit-learn is installed,
otherwise the one matplotlib ships.

    pip install "meanshift-fast[plot]" && python examples/color_quantization.py
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from meanshift_fast import MeanShift, estimate_bandwidth  # noqa: E402


def load_image():
    try:
        from sklearn.datasets import load_sample_image

        return load_sample_image("china.jpg"), "scikit-learn's china.jpg"
    except Exception:  # scikit-learn (or its image reader) missing
        from matplotlib import cbook

        with cbook.get_sample_data("grace_hopper.jpg") as f:
            return plt.imread(f), "matplotlib's grace_hopper.jpg"


def main(out):
    image, name = load_image()
    pixels = np.asarray(image, dtype=np.float32).reshape(-1, 3) / 255.0
    rng = np.random.default_rng(0)
    sample = pixels[rng.choice(len(pixels), 5000, replace=False)]
    bandwidth = estimate_bandwidth(sample, quantile=0.02)

    start = time.perf_counter()
    # Some seeds of this photo take about 530 steps to settle: the default
    # max_iter of 300 would leave them moving (with a ConvergenceWarning).
    ms = MeanShift(bandwidth=bandwidth, bin_seeding=True, max_iter=1000).fit(pixels)
    seconds = time.perf_counter() - start
    palette = ms.cluster_centers_
    quantized = palette[ms.labels_].reshape(image.shape)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    axes[0].imshow(image)
    axes[0].set_title(f"{name}: {len(np.unique(pixels, axis=0))} colours")
    axes[1].imshow(np.clip(quantized, 0, 1))
    axes[1].set_title(
        f"mean shift: {len(palette)} colours ({len(pixels)} pixels in {seconds:.2f} s)"
    )
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    print(
        f"{len(palette)} colours from {len(pixels)} pixels in {seconds:.2f} s; "
        f"saved {out}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", default="color_quantization.png")
    main(parser.parse_args().out)
