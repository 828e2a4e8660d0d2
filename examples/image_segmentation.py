"""Mean shift segmentation of a photograph: the photo, its mean shift
filtered version (every pixel moved to its mode in position and colour), and
the regions whose modes agree, each painted with its mode and outlined.

The photo is scikit-image's `astronaut` (public domain, shipped with
scikit-image).

    pip install "meanshift-fast[plot]" scikit-image
    python examples/image_segmentation.py
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from meanshift_fast.image import segment  # noqa: E402

SPATIAL_RADIUS, RANGE_RADIUS, MIN_REGION = 6, 4.5, 50


def main(out):
    from skimage import data

    photo = data.astronaut()
    start = time.perf_counter()
    seg = segment(photo, SPATIAL_RADIUS, RANGE_RADIUS, MIN_REGION)
    seconds = time.perf_counter() - start

    # Each region painted with its mode, outlined in black.
    outlined = seg.image.copy()
    outlined[seg.boundaries()] = 0
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.4))
    axes[0].imshow(photo)
    axes[0].set_title("scikit-image's astronaut, 512 x 512")
    axes[1].imshow(np.clip(np.rint(seg.filtered), 0, 255).astype(np.uint8))
    axes[1].set_title(
        f"mean shift filter (hs={SPATIAL_RADIUS}, hr={RANGE_RADIUS}, L*u*v*)"
    )
    axes[2].imshow(outlined)
    axes[2].set_title(
        f"segment: {seg.n_regions} regions of at least {MIN_REGION} pixels"
    )
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=72)
    print(f"{seg.n_regions} regions from {seg.labels.size} pixels in {seconds:.2f} s;"
          f" saved {out}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", default="image_segmentation.png")
    main(parser.parse_args().out)
