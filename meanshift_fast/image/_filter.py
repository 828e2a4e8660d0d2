"""Exact mean shift filtering of images and volumes in the joint
spatial-range domain (Comaniciu and Meer, 2002)."""

from numbers import Integral, Real

import numpy as np

from meanshift_fast import _core
from meanshift_fast._threads import effective_n_threads
from meanshift_fast._units import pow2_exponent
from meanshift_fast._validation import (
    as_float,
    check_n_jobs,
    check_progress,
    unmasked_image,
)
from meanshift_fast.image._color import (
    FROM_WORKING,
    TO_WORKING,
    linear_from_integers,
)

KERNELS = ("flat", "gaussian", "epanechnikov")
COLOR_SPACES = ("raw", "lab", "luv")
DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


class PreparedImage:
    """An image validated and laid out for the C core: `work` is
    (nz, ny, nx, c) float64 in the working colour space."""

    def __init__(self, image, color_space, channel_axis, owner):
        if not isinstance(image, np.ndarray):
            image = np.asarray(image)
        image = unmasked_image(image, owner)
        self.shape = image.shape
        self.dtype = image.dtype
        if image.dtype.type not in DTYPES:
            raise TypeError(
                f"{owner} accepts images of dtype uint8, uint16, float32 or "
                f"float64; got {image.dtype}. Convert it first, for example with "
                "image.astype(np.float64)."
            )
        if image.ndim not in (2, 3, 4):
            raise ValueError(
                f"{owner} expects a 2-D grey image (H, W), a colour image "
                "(H, W, C), a volume (Z, Y, X) with channel_axis=None, or a "
                f"colour volume (Z, Y, X, C); got an array of shape {image.shape}."
            )
        if image.ndim == 2:
            channel_axis = None
        if channel_axis is not None:
            if not isinstance(channel_axis, Integral) or isinstance(channel_axis, bool):
                raise TypeError(
                    f"channel_axis must be an int or None; got {channel_axis!r}."
                )
            if not -image.ndim <= channel_axis < image.ndim:
                raise ValueError(
                    f"channel_axis={channel_axis} is out of range for an image "
                    f"with {image.ndim} dimensions."
                )
            channel_axis = int(channel_axis) % image.ndim
        self.channel_axis = channel_axis
        if image.ndim - (channel_axis is not None) not in (2, 3):
            raise ValueError(
                f"{owner} expects 2 or 3 spatial axes; an array of shape "
                f"{image.shape} with channel_axis=None has {image.ndim}."
            )
        spatial = [n for a, n in enumerate(image.shape) if a != channel_axis]
        if image.size == 0 and all(spatial):
            raise ValueError(
                f"Found image with 0 channels (shape={image.shape}, "
                f"channel_axis={channel_axis}) while a minimum of 1 is required."
            )
        if image.size == 0:
            raise ValueError(
                f"Found image with 0 pixels (shape={image.shape}) while a "
                "minimum of 1 is required."
            )
        if image.dtype.kind == "f":
            if np.isnan(image).any():
                raise ValueError("Input image contains NaN.")
            if not np.isfinite(image).all():
                raise ValueError(
                    f"Input image contains infinity or a value too large for "
                    f"dtype({str(image.dtype)!r})."
                )
        # Channels last, spatial axes padded to three (z first).
        data = image if channel_axis is None else np.moveaxis(image, channel_axis, -1)
        if channel_axis is None:
            data = data[..., np.newaxis]
        if data.ndim == 3:
            data = data[np.newaxis]
        self.n_channels = data.shape[-1]
        self.is_volume = image.ndim - (channel_axis is not None) == 3

        if color_space is None:
            color_space = "luv" if self.n_channels == 3 else "raw"
        if color_space not in COLOR_SPACES:
            raise ValueError(
                f"color_space must be one of {COLOR_SPACES} or None; got "
                f"{color_space!r}."
            )
        if color_space != "raw" and self.n_channels != 3:
            raise ValueError(
                f"color_space={color_space!r} needs 3 (sRGB) channels; the image "
                f"has {self.n_channels}."
            )
        self.color_space = color_space
        self.scale = (
            float(np.iinfo(image.dtype).max) if image.dtype.kind == "u" else 1.0
        )
        if color_space == "raw":
            # A copy in float64: the caller's array is never written.
            self.work = np.array(data, dtype=np.float64, order="C")
        elif image.dtype.kind == "u":
            linear = linear_from_integers(data, self.scale)
            self.work = np.ascontiguousarray(TO_WORKING[color_space](None, linear))
        else:
            rgb = data.astype(np.float64)
            lo, hi = float(rgb.min()), float(rgb.max())
            if lo < 0.0 or hi > 1.0:
                # repr: every digit, so that a value just past 1 shows
                raise ValueError(
                    f"color_space={color_space!r} takes float images as sRGB in "
                    f"[0, 1]; this one lies in [{lo!r}, {hi!r}]. "
                    "Scale it, or pass color_space='raw'."
                )
            self.work = np.ascontiguousarray(TO_WORKING[color_space](rgb))

    def to_input_units(self, work):
        """Colours (..., c) of the working space in the input's units, as
        float64."""
        if self.color_space == "raw":
            return np.asarray(work, dtype=np.float64)
        rgb = FROM_WORKING[self.color_space](work)
        rgb *= self.scale  # in place: a fresh array of the image's size costs more
        return rgb

    def restore_layout(self, data):
        """(nz, ny, nx, c) back to the input's shape."""
        if not self.is_volume:
            data = data[0]
        if self.channel_axis is None:
            return data[..., 0]
        return np.moveaxis(data, -1, self.channel_axis)

    def output_dtype(self):
        # .type: a big-endian float32 is float32 too
        return np.float32 if self.dtype.type is np.float32 else np.float64


def check_radius(name, value):
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {value!r}.")
    if not (np.isfinite(as_float(value)) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return float(value)


def check_filter_options(kernel, max_iter, tol, n_jobs, owner, progress=None):
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}; got {kernel!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, Integral):
        raise TypeError(f"max_iter must be an int; got {max_iter!r}.")
    if max_iter < 0:
        raise ValueError(f"max_iter must be >= 0; got {max_iter}.")
    if isinstance(tol, bool) or not isinstance(tol, Real):
        raise TypeError(f"tol must be a real number; got {tol!r}.")
    if not (np.isfinite(as_float(tol)) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0; got {tol!r}.")
    check_n_jobs(owner, n_jobs)
    check_progress(progress)


def run_filter(prep, hs, hr, kernel, max_iter, tol, n_jobs, progress):
    """(filtered, k): the filtered colours, (nz, ny, nx, c) float64 in the
    working space times 2**k, where k (0 but for colours or radii so large
    or small that their squares would overflow or underflow) makes them
    safe to square and sum; the range radius scales with them."""
    k = pow2_exponent(prep.work, hr, name="range_radius")
    work = prep.work if k == 0 else np.ldexp(prep.work, k)
    # A rough count of pixel visits, so that tiny images run on one thread.
    spatial = work.shape[:3] if prep.is_volume else work.shape[1:3]
    window = float(np.prod([min(2 * hs + 1, size) for size in spatial]))
    n_threads = effective_n_threads(n_jobs, int(work[..., 0].size * window))
    # Steps beyond the core's int64 counter never bind.
    steps = min(int(max_iter), 2**63 - 1)
    filtered = _core.image_filter(
        work, kernel, hs, float(np.ldexp(hr, k)), steps, float(tol), n_threads, progress
    )
    return filtered, k


def mean_shift_filter(
    image,
    spatial_radius,
    range_radius,
    *,
    kernel="flat",
    color_space=None,
    max_iter=100,
    tol=1e-3,
    channel_axis=-1,
    n_jobs=None,
    progress=None,
):
    """Exact mean shift filter of an image or volume.

    Every pixel is a point (position, colour) and the data are the original
    pixels.  A step moves the point (x, c) to the mean of the pixels q with
    ``||pos_q - x|| <= spatial_radius`` and ``||colour_q - c|| <=
    range_radius`` (a spatial disk times a colour ball; both tests inclusive
    and Euclidean).  Positions are continuous.  A pixel stops when
    ``||dx||^2 / hs^2 + ||dc||^2 / hr^2 <= tol^2``, when its window is
    empty, or after `max_iter` steps; its filtered colour is the colour after
    its last step.

    Parameters
    ----------
    image : ndarray
        (H, W) grey, (H, W, C) colour, (Z, Y, X) volume (with
        ``channel_axis=None``) or (Z, Y, X, C); uint8, uint16, float32 or
        float64.  A 2-D array is always grey.  Never modified.  A masked
        array is refused where any value is masked.
    spatial_radius : float
        hs > 0, in pixels.
    range_radius : float
        hr > 0, in the units of the working colour space.
    kernel : {"flat", "gaussian", "epanechnikov"}, default="flat"
        The weight of a pixel in the window, as a function of its joint
        normalised distance ``u = ||dx||^2 / hs^2 + ||dc||^2 / hr^2``: 1,
        ``exp(-u / 2)`` or ``max(0, 1 - u)``.  The flat kernel adds the
        colours in fixed point, exactly for integer colours; others are
        rounded to a step of about 2^-53 times the image's largest colour
        magnitude (far below a float64 sum's rounding for photographs, but
        a float image whose colours span many orders of magnitude, such as
        a depth map or HDR radiance, loses its small values to a bright
        pixel elsewhere: use the Gaussian kernel there).
    color_space : {"raw", "lab", "luv"} or None, default=None
        The space the range radius is measured in.  "lab" and "luv" are CIE
        (D65) and read the input as sRGB (integers scaled to [0, 1]; floats
        must lie in [0, 1]); results are converted back.  None means "luv"
        for 3-channel images and "raw" otherwise.
    max_iter : int, default=100
        Most steps per pixel.
    tol : float, default=1e-3
        Stop threshold on the normalised step.
    channel_axis : int or None, default=-1
        The axis of the channels; None for grey images and volumes.
    n_jobs : int, default=None
        Threads: None for all cores, -1 for all, -2 for all but one...
        Results do not depend on it.
    progress : callable, optional
        Called now and then as ``progress(done, total)``; an exception it
        raises stops the filter and propagates.

    Returns
    -------
    filtered : ndarray
        The image's shape; float64 (float32 for float32 input), in the
        input's colour units.
    """
    owner = "mean_shift_filter"
    hs = check_radius("spatial_radius", spatial_radius)
    hr = check_radius("range_radius", range_radius)
    check_filter_options(kernel, max_iter, tol, n_jobs, owner, progress)
    prep = PreparedImage(image, color_space, channel_axis, owner)
    work, scale = run_filter(prep, hs, hr, kernel, max_iter, tol, n_jobs, progress)
    out = prep.to_input_units(work if scale == 0 else np.ldexp(work, -scale))
    return prep.restore_layout(out).astype(prep.output_dtype(), copy=False)
