"""OpenCV's pyramid mean-shift filter, byte for byte, on every core."""

import numpy as np

from meanshift_fast import _core
from meanshift_fast._threads import effective_n_threads
from meanshift_fast._validation import (
    as_float,
    check_n_jobs,
    is_int,
    is_real,
    param_error,
    unmasked_image,
)

_OWNER = "pyr_mean_shift_filtering"
# OpenCV's limits on levels and steps; the radii stop where OpenCV's int
# conversions would overflow (windows and colour balls that large already
# hold everything).
_MAX_LEVEL = 8
_MAX_ITER = 100
_MAX_SP = 1e6
_MAX_SR = 1e4


def _check_image(src):
    if isinstance(src, np.ndarray):
        image = unmasked_image(src, _OWNER)
    else:
        try:
            image = np.asarray(src)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(
                f"{_OWNER} expects a uint8 image of shape (height, width, 3); "
                f"got {type(src).__name__}"
            ) from exc
    if image.dtype != np.uint8:
        raise TypeError(
            f"{_OWNER} expects a uint8 image of shape (height, width, 3), as "
            f"cv2.pyrMeanShiftFiltering does; got dtype {image.dtype}. Convert "
            "8-bit data with image.astype(np.uint8)."
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"{_OWNER} expects a uint8 image of shape (height, width, 3) (3 "
            f"colour channels last); got shape {image.shape}."
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(
            f"{_OWNER} expects a non-empty image; got shape {image.shape}."
        )
    return image


def _check_real(name, value, low, high, low_open):
    ok = is_real(value) and np.isfinite(as_float(value)) and value <= high
    ok = ok and (value > low if low_open else value >= low)
    if not ok:
        bracket = "(" if low_open else "["
        raise param_error(
            _OWNER, name, value, f"a float in the range {bracket}{low}, {high:g}]"
        )
    return float(value)


def _check_int_range(name, value, low, high):
    if not is_int(value) or not low <= value <= high:
        raise param_error(_OWNER, name, value, f"an int in the range [{low}, {high}]")
    return int(value)


def pyr_mean_shift_filtering(
    src, sp, sr, *, max_level=1, max_iter=5, eps=1.0, n_jobs=None
):
    """Filter an 8-bit colour image as ``cv2.pyrMeanShiftFiltering`` does.

    The result equals ``cv2.pyrMeanShiftFiltering(src, sp, sr,
    maxLevel=max_level, termcrit=(cv2.TERM_CRITERIA_MAX_ITER |
    cv2.TERM_CRITERIA_EPS, max_iter, eps))`` byte for byte, and its defaults
    are OpenCV's, so a call with defaults gives OpenCV's default image.
    Unlike OpenCV it runs on all cores; the bytes do not depend on the
    number of threads.

    Every pixel starts at its position and colour and moves to the rounded
    means of the positions and colours of the pixels that lie in the square
    window of half-side `sp` around it and within colour distance `sr` of
    its current colour.  It stops when no pixel qualifies, when its
    position no longer moves, when ``|dx| + |dy| + |dcolour|**2 <= eps``,
    or after `max_iter` steps, and takes the colour it stopped at.  With
    ``max_level > 0`` the image is first filtered at the coarsest of
    `max_level` Gaussian pyramid levels below it (where the window half-side
    is ``sp / 2**level``, at least 1), and each finer level refilters only
    the pixels near colour edges of the level above, taking the rest from
    it by ``pyrUp``.

    Parameters
    ----------
    src : ndarray of shape (height, width, 3), dtype uint8
        The image; any channel order (the channels are treated alike).
        Never modified.  Other dtypes, channel counts, empty images and
        masked arrays with masked values are refused.
    sp : float
        Spatial window half-side at full resolution, in pixels, in
        ``(0, 1e6]``.  Values below 1 act as 1, as in OpenCV.
    sr : float
        Colour radius, in ``[0, 1e4]``: pixels at squared colour distance up
        to ``round(sr**2)`` are averaged.
    max_level : int, default=1
        Pyramid levels below the image, in ``[0, 8]`` (OpenCV's ``maxLevel``).
    max_iter : int, default=5
        Most steps per pixel, in ``[1, 100]`` (OpenCV's range).
    eps : float, default=1.0
        Stop threshold on ``|dx| + |dy| + |dcolour|**2``, finite and >= 0.
    n_jobs : int, default=None
        Threads: None uses every core OpenMP may use (one for small
        images), -1 all cores, -2 all but one.

    Returns
    -------
    filtered : ndarray of shape (height, width, 3), dtype uint8
        A new array.

    Raises
    ------
    TypeError
        When `src` is not uint8.
    ValueError
        When `src` is not a non-empty (height, width, 3) image or a
        parameter is out of its range.

    Notes
    -----
    OpenCV runs with ``TERM_CRITERIA_MAX_ITER | TERM_CRITERIA_EPS`` here;
    a criterion it is not given falls back to OpenCV's own default (5
    steps, eps 1), which are this function's defaults.

    Examples
    --------
    >>> import numpy as np
    >>> from meanshift_fast.image import pyr_mean_shift_filtering
    >>> image = np.zeros((4, 6, 3), dtype=np.uint8)
    >>> image[:, 3:] = 200
    >>> pyr_mean_shift_filtering(image, 2, 10, max_level=0)[0, :, 0]
    array([  0,   0,   0, 200, 200, 200], dtype=uint8)
    """
    image = _check_image(src)
    sp = _check_real("sp", sp, 0, _MAX_SP, low_open=True)
    sr = _check_real("sr", sr, 0, _MAX_SR, low_open=False)
    max_level = _check_int_range("max_level", max_level, 0, _MAX_LEVEL)
    max_iter = _check_int_range("max_iter", max_iter, 1, _MAX_ITER)
    if not (is_real(eps) and np.isfinite(as_float(eps)) and eps >= 0):
        raise param_error(_OWNER, "eps", eps, "a float in the range [0, inf)")
    check_n_jobs(_OWNER, n_jobs)
    height, width = image.shape[:2]
    side = 2 * min(sp, max(height, width)) + 1
    n_threads = effective_n_threads(n_jobs, work=height * width * side * side)
    # C reads a contiguous copy when the caller's array is a strided view;
    # the caller's array itself is only read.
    return _core.pyr_mean_shift_u8c3(
        np.ascontiguousarray(image),
        sp,
        sr,
        max_level,
        max_iter,
        float(eps),
        n_threads,
    )
