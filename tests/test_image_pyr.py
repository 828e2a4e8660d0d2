"""pyr_mean_shift_filtering gives cv2.pyrMeanShiftFiltering's bytes."""

import subprocess
import sys

import cv2  # the test extras install OpenCV and scikit-image: no skip
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skimage import data as skdata

from meanshift_fast import _core
from meanshift_fast.image import pyr_mean_shift_filtering

MAX_ITER_EPS = cv2.TERM_CRITERIA_MAX_ITER | cv2.TERM_CRITERIA_EPS


def reference(image, sp, sr, max_level=1, max_iter=5, eps=1.0):
    return cv2.pyrMeanShiftFiltering(
        np.ascontiguousarray(image),
        sp,
        sr,
        maxLevel=max_level,
        termcrit=(MAX_ITER_EPS, max_iter, eps),
    )


def _photo(name, y, x, h, w):
    return np.ascontiguousarray(getattr(skdata, name)()[y : y + h, x : x + w])


def _images():
    rng = np.random.default_rng(7)
    gy, gx = np.mgrid[0:24, 0:40]
    gradient = np.stack([gx * 6, gy * 10, (gx + gy) * 4], axis=-1).astype(np.uint8)
    two_tone = np.zeros((19, 23, 3), np.uint8)
    two_tone[:, 11:] = (200, 90, 30)
    # a few flat colours plus a little noise: pixels that do and do not
    # fall within sr of each other
    patches = (
        rng.integers(0, 4, (21, 26, 3)) * 60 + rng.integers(0, 9, (21, 26, 3))
    ).astype(np.uint8)
    # the farthest colours side by side: edges for every sr up to 441.7
    black_white = np.zeros((18, 22, 3), np.uint8)
    black_white[:, ::3] = 255
    black_white[::4] = 255 - black_white[::4]
    return {
        "black_white": black_white,
        "astronaut": _photo("astronaut", 100, 180, 40, 56),
        "coffee": _photo("coffee", 150, 200, 36, 45),
        "chelsea": _photo("chelsea", 60, 120, 33, 50),
        "noise": rng.integers(0, 256, (29, 37, 3), dtype=np.uint8),
        "patches": patches,
        "flat": np.full((16, 21, 3), (12, 200, 77), np.uint8),
        "gradient": gradient,
        "two_tone": two_tone,
        "1x1": rng.integers(0, 256, (1, 1, 3), dtype=np.uint8),
        "1xN": rng.integers(0, 256, (1, 37, 3), dtype=np.uint8),
        "Nx1": rng.integers(0, 256, (29, 1, 3), dtype=np.uint8),
        "2x2": rng.integers(0, 256, (2, 2, 3), dtype=np.uint8),
        "3x5": rng.integers(0, 256, (3, 5, 3), dtype=np.uint8),
        "17x31": patches[:17, :25].repeat(2, axis=1)[:, :31],
    }


IMAGES = _images()

# (sp, sr, max_level, max_iter, eps): default-like settings, half-integer
# windows (OpenCV rounds their ends half to even), sr = 0, colour radii
# beyond the 16-bit lane path (sr > 147), eps 0 and large, one step and many,
# and every pyramid depth.
CASES = [
    (8, 16, 1, 5, 1.0),
    (8, 16, 0, 5, 1.0),
    (2, 10, 0, 5, 1.0),
    (2.5, 20, 0, 7, 0.0),
    (3.5, 30, 2, 3, 2.5),
    (5, 0, 1, 5, 1.0),
    (1, 40, 0, 1, 1.0),
    (0.3, 25, 1, 5, 1.0),
    (4, 150, 1, 5, 1.0),
    (6, 450, 0, 4, 10.0),
    (3, 441.6, 1, 5, 1.0),
    (3, 441.7, 2, 5, 1.0),
    (2, 1e4, 1, 5, 1.0),
    (12, 60, 3, 10, 0.0),
    (16, 32, 4, 100, 1.0),
    (7, 24, 8, 5, 100.0),
    (40, 12, 0, 6, 1.0),
]


@pytest.mark.parametrize("name", sorted(IMAGES))
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_bytes_equal_opencv(name, case):
    sp, sr, max_level, max_iter, eps = case
    image = IMAGES[name]
    got = pyr_mean_shift_filtering(
        image, sp, sr, max_level=max_level, max_iter=max_iter, eps=eps
    )
    assert got.dtype == np.uint8 and got.shape == image.shape
    np.testing.assert_array_equal(got, reference(image, *case))


@pytest.mark.parametrize("name", ["astronaut", "noise", "17x31"])
def test_defaults_are_opencv_defaults(name):
    image = IMAGES[name]
    np.testing.assert_array_equal(
        pyr_mean_shift_filtering(image, 6, 20), cv2.pyrMeanShiftFiltering(image, 6, 20)
    )


@st.composite
def _cases(draw):
    h = draw(st.integers(1, 24))
    w = draw(st.integers(1, 24))
    levels = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # few colour levels, so that windows hold pixels on both sides of sr
    image = (rng.integers(0, levels, (h, w, 3)) * (255 // levels)).astype(np.uint8)
    image += rng.integers(0, 12, (h, w, 3), dtype=np.uint8)
    sp = draw(st.sampled_from([0.5, 1, 1.5, 2, 2.5, 3, 4.5, 6, 9.25, 30]))
    sr = draw(st.sampled_from([0, 2, 7.5, 16, 33.3, 80, 148, 200]))
    max_level = draw(st.integers(0, 8))
    max_iter = draw(st.integers(1, 12))
    eps = draw(st.sampled_from([0.0, 0.5, 1.0, 3.0, 50.0]))
    return image, (sp, sr, max_level, max_iter, eps)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_bytes_equal_opencv_random(case):
    image, (sp, sr, max_level, max_iter, eps) = case
    got = pyr_mean_shift_filtering(
        image, sp, sr, max_level=max_level, max_iter=max_iter, eps=eps
    )
    np.testing.assert_array_equal(
        got, reference(image, sp, sr, max_level, max_iter, eps)
    )


def test_termcrit_fallbacks_are_our_defaults():
    """OpenCV replaces a criterion it is not given by 5 steps or eps 1:
    our defaults, so one-criterion calls are covered by the defaults."""
    image = IMAGES["patches"]
    only_iter = cv2.pyrMeanShiftFiltering(
        image, 3, 30, maxLevel=0, termcrit=(cv2.TERM_CRITERIA_MAX_ITER, 7, 40.0)
    )
    only_eps = cv2.pyrMeanShiftFiltering(
        image, 3, 30, maxLevel=0, termcrit=(cv2.TERM_CRITERIA_EPS, 2, 0.0)
    )
    np.testing.assert_array_equal(
        only_iter, pyr_mean_shift_filtering(image, 3, 30, max_level=0, max_iter=7)
    )
    np.testing.assert_array_equal(
        only_eps, pyr_mean_shift_filtering(image, 3, 30, max_level=0, eps=0.0)
    )


def test_strided_input_same_result_and_untouched():
    base = _photo("astronaut", 50, 50, 60, 80)
    before = base.copy()
    views = [
        base[::2, ::3],
        base[:, ::-1],
        np.asfortranarray(base),
        base[..., ::-1],
        base.transpose(1, 0, 2),
    ]
    for view in views:
        got = pyr_mean_shift_filtering(view, 5, 25, max_level=2)
        np.testing.assert_array_equal(got, reference(view, 5, 25, 2))
    np.testing.assert_array_equal(base, before)


def test_read_only_input_and_new_output():
    image = IMAGES["coffee"].copy()
    image.flags.writeable = False
    out = pyr_mean_shift_filtering(image, 4, 20)
    assert out.flags.writeable and out.flags.c_contiguous
    assert not np.shares_memory(out, image)
    np.testing.assert_array_equal(out, reference(image, 4, 20))


@pytest.mark.parametrize("max_level", [0, 1, 3])
def test_thread_count_does_not_change_bytes(max_level):
    # large enough that the finest level runs on every thread asked for
    # (more than 2e6 pixel tests: 200 * 220 pixels, 21 x 21 windows)
    image = _photo("chelsea", 20, 40, 200, 220)
    runs = [
        pyr_mean_shift_filtering(image, 10, 18, max_level=max_level, n_jobs=n)
        for n in (1, 2, 3, 5)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0], other)
    np.testing.assert_array_equal(runs[0], reference(image, 10, 18, max_level))


def test_interrupt_stops_the_filter():
    image = IMAGES["noise"]
    calls = []

    def progress(done, total):
        calls.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _core.pyr_mean_shift_u8c3(image, 8, 30, 2, 5, 1.0, 2, progress)
    assert len(calls) == 1


def test_progress_counts_rows_of_every_level():
    image = IMAGES["astronaut"]  # 40 rows: 20, 10 above it
    seen = []
    _core.pyr_mean_shift_u8c3(
        image, 4, 20, 2, 5, 1.0, 1, lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (70, 70)
    done = [d for d, total in seen if total == 70]
    assert len(done) == len(seen) and done == sorted(done)
    assert set(done) == set(range(1, 71))


def test_import_does_not_load_image_module():
    code = (
        "import sys, meanshift_fast\n"
        "print(any(m.startswith('meanshift_fast.image') for m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


GOOD = np.zeros((4, 5, 3), np.uint8)


@pytest.mark.parametrize(
    "image, error, words",
    [
        (GOOD.astype(np.float32), TypeError, "uint8"),
        (GOOD.astype(np.uint16), TypeError, "uint8"),
        (GOOD.astype(bool), TypeError, "uint8"),
        (GOOD[..., 0], ValueError, "(height, width, 3)"),
        (GOOD[..., :2], ValueError, "(height, width, 3)"),
        (np.zeros((4, 5, 4), np.uint8), ValueError, "(height, width, 3)"),
        (np.zeros((2, 4, 5, 3), np.uint8), ValueError, "(height, width, 3)"),
        (np.zeros((0, 5, 3), np.uint8), ValueError, "non-empty"),
        (np.zeros((4, 0, 3), np.uint8), ValueError, "non-empty"),
        ([[[1, 2, 3]]], TypeError, "uint8"),
    ],
)
def test_bad_images_are_refused(image, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        pyr_mean_shift_filtering(image, 2, 10)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"sp": 0}, "sp"),
        ({"sp": -1.0}, "sp"),
        ({"sp": float("nan")}, "sp"),
        ({"sp": float("inf")}, "sp"),
        ({"sp": 2e6}, "sp"),
        ({"sp": "3"}, "sp"),
        ({"sp": True}, "sp"),
        ({"sr": -0.5}, "sr"),
        ({"sr": float("nan")}, "sr"),
        ({"sr": 1e5}, "sr"),
        ({"max_level": -1}, "max_level"),
        ({"max_level": 9}, "max_level"),
        ({"max_level": 1.0}, "max_level"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 101}, "max_iter"),
        ({"max_iter": 5.0}, "max_iter"),
        ({"eps": -1e-9}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"eps": float("inf")}, "eps"),
        ({"eps": None}, "eps"),
        ({"eps": 10**400}, "eps"),
        ({"sp": 10**400}, "sp"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"n_jobs": 1.5}, "n_jobs"),
    ],
)
def test_bad_parameters_are_refused(kwargs, name):
    args = {"sp": 2, "sr": 10, **kwargs}
    sp, sr = args.pop("sp"), args.pop("sr")
    with pytest.raises((ValueError, TypeError), match=f"'{name}' parameter"):
        pyr_mean_shift_filtering(GOOD, sp, sr, **args)


def test_parameter_edges_are_accepted():
    image = IMAGES["patches"]
    for sp, sr, max_level, max_iter in [(1e6, 0, 0, 1), (1e-3, 1e4, 8, 100)]:
        got = pyr_mean_shift_filtering(
            image, sp, sr, max_level=max_level, max_iter=max_iter, eps=0
        )
        np.testing.assert_array_equal(
            got, reference(image, sp, sr, max_level, max_iter, 0.0)
        )
    numpy_scalars = pyr_mean_shift_filtering(
        image, np.float32(3.5), np.int64(20), max_level=np.int8(2), max_iter=np.int64(4)
    )
    np.testing.assert_array_equal(numpy_scalars, reference(image, 3.5, 20, 2, 4))


@pytest.mark.parametrize("width", [2, 5, 18, 33])
def test_tall_windows(width):
    """Windows of more rows than the 16-bit lane sums take at once (256)
    and columns longer than one lane group."""
    rng = np.random.default_rng(width)
    image = rng.integers(0, 3, (270, width, 3)) * 70 + rng.integers(
        0, 20, (270, width, 3)
    )
    image = image.astype(np.uint8)
    got = pyr_mean_shift_filtering(image, 150, 30, max_level=0, max_iter=2)
    np.testing.assert_array_equal(got, reference(image, 150, 30, 0, 2))
