"""Segmentation: regions of pixels whose mean shift modes agree."""

from numbers import Integral

import numpy as np

from meanshift_fast import _core
from meanshift_fast._threads import effective_n_threads
from meanshift_fast.image._filter import (
    PreparedImage,
    check_filter_options,
    check_radius,
    run_filter,
)

# Connectivity -> how many coordinates of a neighbour may differ (by 1).
_RANKS_2D = {4: 1, 8: 2}
_RANKS_3D = {6: 1, 18: 2, 26: 3, 8: 3}


class Segmentation:
    """The result of `segment`.

    Attributes
    ----------
    labels : ndarray of int32
        The image's spatial shape; region numbers 0 to n_regions - 1, in
        raster order of each region's first pixel.
    n_regions : int
    modes : ndarray
        (n_regions, C) colours, or (n_regions,) for images without a
        channel axis: the mean of the region's pixels' modes (taken in the
        working colour space), in the input's units, float64.
    sizes : ndarray of int64
        Pixels per region.
    image : ndarray
        The input's shape and dtype, every pixel painted with its region's
        mode (for integer dtypes rounded to the nearest integer, halves to
        even as ``numpy.rint`` does, and clipped to the dtype's range).
    filtered : ndarray
        The output of `mean_shift_filter`: every pixel's own mode.  It is
        converted to the input's units on first access, so a caller who
        needs only the regions does not pay for it.
    """

    __match_args__ = ("labels", "n_regions", "modes", "sizes", "image", "filtered")
    __slots__ = ("labels", "n_regions", "modes", "sizes", "image", "_filtered")

    def __init__(self, labels, n_regions, modes, sizes, image, filtered):
        values = (labels, n_regions, modes, sizes, image, filtered)
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"Segmentation is read-only; cannot set {name!r}.")

    @property
    def filtered(self):
        if isinstance(self._filtered, _FilteredLater):
            object.__setattr__(self, "_filtered", self._filtered())
        return self._filtered

    def __reduce__(self):
        return (type(self), (self.labels, self.n_regions, self.modes, self.sizes,
                             self.image, self.filtered))  # fmt: skip

    def boundaries(self):
        """Boolean mask of the pixels with a face neighbour (4-connected,
        6 in volumes) in another region."""
        lab = self.labels
        edge = np.zeros(lab.shape, dtype=bool)
        for axis in range(lab.ndim):
            a = [slice(None)] * lab.ndim
            b = [slice(None)] * lab.ndim
            a[axis] = slice(1, None)
            b[axis] = slice(None, -1)
            diff = lab[tuple(a)] != lab[tuple(b)]
            edge[tuple(a)] |= diff
            edge[tuple(b)] |= diff
        return edge

    def __repr__(self):
        return (
            f"Segmentation(n_regions={self.n_regions}, "
            f"shape={self.labels.shape}, smallest={int(self.sizes.min())})"
        )


class _FilteredLater:
    """The pixel modes in the working space, and how to bring them to the
    input's units and layout: `Segmentation.filtered` on first access."""

    def __init__(self, prep, work):
        self.prep, self.work = prep, work

    def __call__(self):
        prep = self.prep
        filtered = prep.restore_layout(prep.to_input_units(self.work))
        return filtered.astype(prep.output_dtype(), copy=False)


def _paint(values, dtype):
    if np.dtype(dtype).kind == "u":
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def segment(
    image,
    spatial_radius,
    range_radius,
    min_region=20,
    *,
    connectivity=8,
    kernel="flat",
    color_space=None,
    max_iter=100,
    tol=1e-3,
    channel_axis=-1,
    n_jobs=None,
    progress=None,
):
    """Mean shift segmentation of an image or volume.

    The image is filtered with `mean_shift_filter`; then neighbouring pixels
    whose modes lie within ``range_radius / 2`` of each other join one
    region, transitively.  A region's mode is the mean of its pixels' modes.
    Regions smaller than `min_region` merge into the neighbouring region
    with the nearest mode, smallest first, until none is left; ties, in
    size and in mode distance alike, go to the region whose first pixel
    (in raster order) comes first.  Every label is one connected
    region, and the result does not depend on the thread count.

    Parameters
    ----------
    image, spatial_radius, range_radius
        As for `mean_shift_filter`.
    min_region : int, default=20
        Fewest pixels in a region (an image smaller than this, or with no
        neighbour to merge into, keeps a smaller one).
    connectivity : {4, 8} for images, {6, 18, 26} for volumes, default=8
        Which pixels are neighbours: 4 and 6 share a face (an edge of a
        pixel), 8 also a corner; 18 a face or an edge of a voxel, 26 a
        face, an edge or a corner.  The default 8 means 26 for volumes.
    kernel, color_space, max_iter, tol, channel_axis, n_jobs, progress
        As for `mean_shift_filter`.

    Returns
    -------
    Segmentation
        labels, n_regions, modes, sizes, image, filtered.
    """
    owner = "segment"
    hs = check_radius("spatial_radius", spatial_radius)
    hr = check_radius("range_radius", range_radius)
    if isinstance(min_region, bool) or not isinstance(min_region, Integral):
        raise TypeError(f"min_region must be an int; got {min_region!r}.")
    if min_region < 0:
        raise ValueError(f"min_region must be >= 0; got {min_region}.")
    check_filter_options(kernel, max_iter, tol, n_jobs, owner, progress)
    prep = PreparedImage(image, color_space, channel_axis, owner)
    ranks = _RANKS_3D if prep.is_volume else _RANKS_2D
    if (
        isinstance(connectivity, bool)
        or not isinstance(connectivity, Integral)
        or connectivity not in ranks
    ):
        allowed = sorted(set(ranks) - ({8} if prep.is_volume else set()))
        raise ValueError(
            f"connectivity must be one of {allowed} for "
            f"{'a volume' if prep.is_volume else 'an image'}; got {connectivity!r}."
        )
    work, scale = run_filter(prep, hs, hr, kernel, max_iter, tol, n_jobs, progress)
    labels, n = _core.image_segment(
        work,
        float(np.ldexp(hr, scale)) / 2.0,
        ranks[connectivity],
        int(min(min_region, 2**62)),
        # about as much work per pixel as 16 distances: small images stay
        # on one thread
        effective_n_threads(n_jobs, 16 * work[..., 0].size),
    )
    sizes, modes_work = _core.image_region_means(
        work.reshape(-1, prep.n_channels), labels.reshape(-1), n
    )
    if scale != 0:
        modes_work, work = np.ldexp(modes_work, -scale), np.ldexp(work, -scale)
    modes = prep.to_input_units(modes_work)
    # Painting the modes first, then the pixels, rounds each mode once;
    # np.take gathers whole rows, where indexing with labels goes element
    # by element.
    painted = np.take(_paint(modes, prep.dtype), labels, axis=0)
    spatial = labels if prep.is_volume else labels[0]
    if prep.channel_axis is None:
        modes = modes[:, 0]
    prep.work = None  # the input in the working space is no longer needed
    return Segmentation(
        labels=spatial,
        n_regions=n,
        modes=modes,
        sizes=sizes,
        image=prep.restore_layout(painted),
        filtered=_FilteredLater(prep, work),
    )
