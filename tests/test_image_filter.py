"""meanshift_fast.image.mean_shift_filter against a brute-force numpy
reference of its semantics (tests/image_reference.py), on small crops of
real photos: every kernel and colour space; grey, colour and volume input;
uint8, uint16 and float input.  Also: results equal for every thread count,
bad input refused, the caller's array untouched, the GIL released and
Ctrl-C honoured."""

import signal
import subprocess
import sys
import time
from fractions import Fraction

import image_reference as R
import numpy as np
import pytest
from gil_probe import count_while, gil_holding_call
from skimage import color, data  # in the test extras: no skip

from meanshift_fast import _core
from meanshift_fast.image import mean_shift_filter

KERNELS = ["flat", "gaussian", "epanechnikov"]


def photo(shape=(9, 11), at=(200, 230)):
    y, x = at
    return np.ascontiguousarray(data.astronaut()[y : y + shape[0], x : x + shape[1]])


def grey(shape=(10, 12), at=(100, 200)):
    y, x = at
    return np.ascontiguousarray(data.camera()[y : y + shape[0], x : x + shape[1]])


def volume(shape=(4, 6, 7), seed=0):
    """A small volume of blocks plus noise, uint8."""
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape)
    v = 60.0 * ((y > 2) + (x > 3)) + 30.0 * (z > 1) + rng.normal(0, 6, shape)
    return np.clip(v, 0, 255).astype(np.uint8)


def work_of(image, channel_axis=-1):
    """(nz, ny, nx, c) layout of the reference, in the raw units."""
    a = np.asarray(image, dtype=np.float64)
    if channel_axis is None:
        a = a[..., None]
    else:
        a = np.moveaxis(a, channel_axis, -1)
    if a.ndim == 3:
        a = a[None]
    return a


def back(work, image, channel_axis=-1):
    out = work
    if work.shape[0] == 1 and np.ndim(image) - (channel_axis is not None) == 2:
        out = out[0]
    if channel_axis is None:
        return out[..., 0]
    return np.moveaxis(out, -1, channel_axis)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    "dtype, scale", [(np.uint8, 1), (np.uint16, 257), (np.float64, 1 / 255.0)]
)
def test_raw_colour_matches_reference(kernel, dtype, scale):
    img = (photo().astype(np.float64) * scale).astype(dtype)
    hs, hr = 2.5, 30.0 * scale
    got = mean_shift_filter(img, hs, hr, kernel=kernel, color_space="raw")
    want = back(R.filter_work(work_of(img), hs, hr, kernel), img)
    assert got.dtype == np.float64 and got.shape == img.shape
    if kernel == "flat" and dtype != np.float64:
        # Integer data, flat kernel: exact sums, so exactly the same bits.
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("space", ["lab", "luv"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_cie_spaces_match_reference(kernel, space, dtype):
    img8 = photo(at=(50, 300))
    img = img8 if dtype == np.uint8 else (img8 / 255.0).astype(np.float32)
    rgb = img8 / 255.0 if dtype == np.uint8 else img.astype(np.float64)
    to, fro = {
        "lab": (color.rgb2lab, color.lab2rgb),
        "luv": (color.rgb2luv, color.luv2rgb),
    }[space]
    hs, hr = 3.0, 6.0
    ref = R.filter_work(to(rgb)[None], hs, hr, kernel)[0]
    want = fro(ref) * (255.0 if dtype == np.uint8 else 1.0)
    got = mean_shift_filter(img, hs, hr, kernel=kernel, color_space=space)
    assert got.dtype == (np.float32 if dtype == np.float32 else np.float64)
    tol = 1e-6 * (255.0 if dtype == np.uint8 else 1.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def test_default_colour_space_is_luv_for_three_channels_only():
    img = photo()
    np.testing.assert_array_equal(
        mean_shift_filter(img, 3, 6), mean_shift_filter(img, 3, 6, color_space="luv")
    )
    two = np.ascontiguousarray(img[..., :2])
    np.testing.assert_array_equal(
        mean_shift_filter(two, 3, 20), mean_shift_filter(two, 3, 20, color_space="raw")
    )


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_grey_matches_reference(kernel, dtype):
    img = grey().astype(dtype)
    hs, hr = 3.0, 25.0
    got = mean_shift_filter(img, hs, hr, kernel=kernel)
    want = R.filter_work(work_of(img, None), hs, hr, kernel)[0, ..., 0]
    assert got.shape == img.shape
    assert got.dtype == (np.float32 if dtype == np.float32 else np.float64)
    if kernel == "flat" and dtype in (np.uint8, np.uint16):
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want.astype(got.dtype), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_grey_volume_matches_reference(kernel):
    vol = volume()
    hs, hr = 1.8, 40.0
    got = mean_shift_filter(vol, hs, hr, kernel=kernel, channel_axis=None)
    want = R.filter_work(vol[..., None].astype(float), hs, hr, kernel)[..., 0]
    if kernel == "flat":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_colour_volume_with_channels_first_matches_reference():
    vols = np.stack([volume(seed=s) for s in range(2)], axis=0)  # (C, Z, Y, X)
    hs, hr = 1.8, 50.0
    got = mean_shift_filter(vols, hs, hr, channel_axis=0)
    want = np.moveaxis(
        R.filter_work(np.moveaxis(vols, 0, -1).astype(float), hs, hr), -1, 0
    )
    assert got.shape == vols.shape
    np.testing.assert_array_equal(got, want)


def test_channels_first_image_and_many_channels():
    img = photo()
    many = np.concatenate([img, img[..., ::-1], img[..., :1]], axis=-1)  # 7 channels
    hs, hr = 2.5, 40.0
    want = back(R.filter_work(work_of(many), hs, hr), many)
    np.testing.assert_array_equal(mean_shift_filter(many, hs, hr), want)
    first = np.ascontiguousarray(np.moveaxis(many, -1, 0))
    np.testing.assert_array_equal(
        mean_shift_filter(first, hs, hr, channel_axis=0), np.moveaxis(want, -1, 0)
    )


@pytest.mark.parametrize("max_iter, tol", [(0, 1e-3), (1, 1e-3), (3, 0.0), (100, 0.5)])
def test_max_iter_and_tol(max_iter, tol):
    img = grey()
    got = mean_shift_filter(img, 3, 25, max_iter=max_iter, tol=tol)
    want = R.filter_work(work_of(img, None), 3, 25, "flat", max_iter, tol)[0, ..., 0]
    np.testing.assert_array_equal(got, want)
    if max_iter == 0:
        np.testing.assert_array_equal(got, img)


@pytest.mark.parametrize("kernel", ["flat", "gaussian"])
@pytest.mark.parametrize("power", [-1000, -600, 600, 1000])
def test_extreme_scales_give_the_scaled_result(kernel, power):
    # Colours and radius scaled by a power of two filter to the scaled
    # result, bit for bit, where their squares would overflow or underflow.
    from meanshift_fast.image import segment

    img = np.random.default_rng(3).uniform(0, 1, (14, 17))
    c = 2.0**power
    base = mean_shift_filter(img, 3, 0.2, kernel=kernel)
    assert np.array_equal(
        mean_shift_filter(img * c, 3, 0.2 * c, kernel=kernel) / c, base
    )
    seg, scaled = segment(img, 3, 0.2, 5), segment(img * c, 3, 0.2 * c, 5)
    assert np.array_equal(seg.labels, scaled.labels)
    assert np.array_equal(scaled.modes / c, seg.modes)
    assert np.array_equal(scaled.filtered / c, seg.filtered)


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_pixel_far_beyond_the_radius_leaves_the_rest_exact(kernel):
    # One pixel 2**960 radii out squares to infinity; the others keep
    # their squared distances and filter as the reference does.
    img = np.random.default_rng(4).uniform(0, 1, (7, 8))
    img[3, 4] = 2.0**960
    got = mean_shift_filter(img, 2, 0.25, kernel=kernel, color_space="raw")
    with np.errstate(over="ignore", invalid="ignore"):
        want = R.filter_work(img[None, ..., None], 2, 0.25, kernel)[0, ..., 0]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("kernel", KERNELS)
def test_values_far_within_the_range_radius_keep_their_digits(kernel):
    # Colours 2**-1160 range radii across: scaled with the radius, they
    # would underflow to zero.
    img = np.random.default_rng(6).uniform(1, 4, (5, 6)) * 1e-100
    got = mean_shift_filter(img, 2, 1e250, kernel=kernel, color_space="raw")
    with np.errstate(over="ignore"):
        want = R.filter_work(img[None, ..., None], 2, 1e250, kernel)[0, ..., 0]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_a_radius_too_small_for_the_values_is_refused_clearly():
    from meanshift_fast.image import segment

    img = np.array([[0.0, 1e308], [-1e308, 5.0]])
    for run in (mean_shift_filter, lambda *a: segment(*a, 1)):
        with pytest.raises(ValueError, match="^range_radius=1e-300 is too small"):
            run(img, 2, 1e-300)


def test_largest_doubles_stay_finite():
    img = np.full((3, 4), 1e308)
    img[0, 0] = 1.5e308
    out = mean_shift_filter(img, 3, 1e307)
    assert np.isfinite(out).all()
    # the reference, whose sums would overflow, on the colours scaled down
    c = 2.0**-1000
    want = R.filter_work(img[None, ..., None] * c, 3, 1e307 * c)[0, ..., 0] / c
    np.testing.assert_allclose(out, want, rtol=1e-12)


def test_a_huge_max_iter_is_no_limit():
    img = np.random.default_rng(4).uniform(0, 1, (9, 11))
    out = mean_shift_filter(img, 2, 0.3, max_iter=10**30)
    assert np.array_equal(out, mean_shift_filter(img, 2, 0.3, max_iter=10**6))


def test_radii_are_inclusive():
    # Pixels exactly hs apart in space and hr apart in colour are in each
    # other's windows: a 1 x 2 image with values 0 and 10 averages to 5.
    img = np.array([[0, 10]], dtype=np.uint8)
    np.testing.assert_array_equal(
        mean_shift_filter(img, 1.0, 10.0, max_iter=1), [[5.0, 5.0]]
    )
    np.testing.assert_array_equal(
        mean_shift_filter(img, 1.0, np.nextafter(10.0, 0), max_iter=1), [[0.0, 10.0]]
    )
    np.testing.assert_array_equal(
        mean_shift_filter(img, np.nextafter(1.0, 0), 10.0, max_iter=1), [[0.0, 10.0]]
    )


def pairs_at_the_range_radius(seed, hr, n=48):
    """Rows top and bottom (n pixels, 3 channels) whose pixels, one apart in
    space, lie within a few ulps of hr apart in colour, on both sides of
    it; neighbouring pairs lie 20 apart, out of each other's windows."""
    rng = np.random.default_rng(seed)
    top = np.zeros((n, 3))
    top[:, 0] = 20.0 * np.arange(n) + 3.0
    top[:, 1:] = rng.uniform(-80, 80, size=(n, 2))
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    scale = hr * (1.0 + 1e-15 * np.arange(-n // 2, n // 2))
    bottom = top + u * scale[:, None]
    t = bottom - top
    dist = np.sqrt((t[:, 0] * t[:, 0] + t[:, 1] * t[:, 1]) + t[:, 2] * t[:, 2])
    assert (dist <= hr).any() and (dist > hr).any()
    return top, bottom


def test_colours_within_rounding_of_the_range_radius_match_reference():
    # No float32 screen can tell these pairs apart: the filter must decide
    # them as the float64 reference does.
    hr = 4.5
    img = np.stack(pairs_at_the_range_radius(7, hr))  # (2, n, 3)
    got = mean_shift_filter(img, 1.0, hr, color_space="raw", max_iter=1)
    want = back(R.filter_work(work_of(img), 1.0, hr, max_iter=1), img)
    # a pair taken or left wrongly moves its colours by about hr / 2
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_first_steps_of_interior_pixels_decide_like_the_reference():
    # Pixels whose windows lie inside the image, sixteen to a row, may take
    # their first step together (the same disk for all); with max_iter=1
    # the output is that step.  Pairs within a few ulps of hr apart must
    # still be decided as the float64 reference does, and the far rows
    # around them stay out of every window.
    hr = 4.5
    top, bottom = pairs_at_the_range_radius(11, hr)
    far = top + np.array([0.0, 400.0, 0.0])
    img = np.stack([far, top, bottom, far + 400.0])  # (4, n, 3)
    for max_iter in (1, 100):
        got = mean_shift_filter(img, 1.0, hr, color_space="raw", max_iter=max_iter)
        want = back(R.filter_work(work_of(img), 1.0, hr, max_iter=max_iter), img)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "hs, hr", [(2.0, 20.0), (3.0, 4.5), (5.5, 9.0), (2.5, 90.0), (9.0, 30.0)]
)
@pytest.mark.parametrize("source", ["photo", "noise"])
def test_interior_pixels_match_reference_exactly(source, hs, hr):
    # Crops wide and tall enough that rows of sixteen pixels have their
    # whole windows inside, beside pixels near the borders whose windows do
    # not; integer colours, flat kernel: exact sums, the reference's bits.
    # On noise every window's position decides which pixels the next step
    # takes, so a first step that moved a pixel wrongly would show.
    shape = (2 * int(hs) + 6, 16 + 2 * 16)
    if source == "photo":
        img = photo(shape=shape, at=(180, 200))
    else:
        img = np.random.default_rng(5).integers(0, 256, (*shape, 3), dtype=np.uint8)
    got = mean_shift_filter(img, hs, hr, color_space="raw")
    want = back(R.filter_work(work_of(img), hs, hr, "flat"), img)
    np.testing.assert_array_equal(got, want)


needs_openmp = pytest.mark.skipif(
    not _core.openmp_enabled(), reason="serial build: one thread whatever n_jobs says"
)


@needs_openmp
@pytest.mark.parametrize("kernel", KERNELS)
def test_bitwise_identical_for_every_thread_count(kernel):
    img = data.astronaut()[100:164, 150:230]
    base = mean_shift_filter(img, 5, 6, kernel=kernel, n_jobs=1)
    for n_jobs in (2, 3, -1):
        assert np.array_equal(
            mean_shift_filter(img, 5, 6, kernel=kernel, n_jobs=n_jobs), base
        )


def test_input_never_modified_and_may_be_readonly_or_strided():
    img = data.astronaut()[:40:2, :60:3]  # a strided view
    keep = img.copy()
    img.flags.writeable = False
    a = mean_shift_filter(img, 3, 6)
    np.testing.assert_array_equal(img, keep)
    np.testing.assert_array_equal(
        a, mean_shift_filter(np.ascontiguousarray(keep), 3, 6)
    )
    f = (keep / 255.0).astype(np.float64)
    fk = f.copy()
    mean_shift_filter(f, 3, 0.1, color_space="raw")
    np.testing.assert_array_equal(f, fk)


BAD = [
    (np.zeros((4, 4)), {"progress": "yes"}, TypeError, "progress must be a callable"),
    (np.zeros(5), {}, ValueError, "2-D grey image"),
    (np.zeros((2, 2, 2, 2, 2)), {}, ValueError, "2-D grey image"),
    (np.zeros((3, 3, 3, 3)), {"channel_axis": None}, ValueError, "spatial axes"),
    (np.full((4, 4), np.nan), {}, ValueError, "NaN"),
    (np.full((4, 4), np.inf), {}, ValueError, "infinity"),
    (np.zeros((4, 4, 3)), {"channel_axis": 3}, ValueError, "out of range"),
    (np.zeros((4, 4, 3)), {"channel_axis": -4}, ValueError, "out of range"),
    (np.zeros((4, 4, 3)), {"channel_axis": 1.0}, TypeError, "channel_axis"),
    (np.zeros((0, 4)), {}, ValueError, "0 pixels"),
    (np.zeros((4, 4, 0)), {}, ValueError, "0 channels"),
    (np.zeros((0, 4, 3)), {}, ValueError, "0 pixels"),
    (np.zeros((0, 4, 4)), {"channel_axis": None}, ValueError, "0 pixels"),
    (np.zeros((0, 4, 4)), {"channel_axis": 0}, ValueError, "0 channels"),
    (np.zeros((4, 4), dtype=np.int32), {}, TypeError, "uint8, uint16"),
    (np.zeros((4, 4), dtype=bool), {}, TypeError, "uint8, uint16"),
    (np.zeros((4, 4), dtype=complex), {}, TypeError, "uint8, uint16"),
    (np.zeros((4, 4, 2)), {"color_space": "luv"}, ValueError, "3 \\(sRGB\\)"),
    (np.full((4, 4, 3), 2.0), {"color_space": "lab"}, ValueError, "\\[0, 1\\]"),
    (np.zeros((4, 4)), {"color_space": "hsv"}, ValueError, "color_space"),
    (np.zeros((4, 4)), {"kernel": "cosine"}, ValueError, "kernel"),
    (np.zeros((4, 4)), {"max_iter": -1}, ValueError, "max_iter"),
    (np.zeros((4, 4)), {"max_iter": 2.5}, TypeError, "max_iter"),
    (np.zeros((4, 4)), {"tol": -1.0}, ValueError, "tol"),
    (np.zeros((4, 4)), {"tol": np.nan}, ValueError, "tol"),
    (np.zeros((4, 4)), {"tol": 10**400}, ValueError, "tol"),
    (np.zeros((4, 4)), {"n_jobs": 0}, ValueError, "n_jobs"),
]


@pytest.mark.parametrize("image, kwargs, exc, match", BAD)
def test_bad_input_is_refused_clearly(image, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mean_shift_filter(image, 3, 5, **kwargs)


@pytest.mark.parametrize(
    "hs, hr, exc",
    [
        (0, 5, ValueError),
        (-1, 5, ValueError),
        (3, 0.0, ValueError),
        (3, -2, ValueError),
        (np.inf, 5, ValueError),
        (3, np.nan, ValueError),
        (10**400, 5, ValueError),
        (3, -(10**400), ValueError),
        ("3", 5, TypeError),
        (3, None, TypeError),
    ],
)
def test_bad_radius_is_refused(hs, hr, exc):
    with pytest.raises(exc, match="radius"):
        mean_shift_filter(np.zeros((4, 4)), hs, hr)


def test_any_real_radius_is_taken_as_its_float():
    img = data.camera()[:24, :24]
    want = mean_shift_filter(img, 1.5, 12.0, tol=0.25)
    got = mean_shift_filter(img, Fraction(3, 2), np.int64(12), tol=Fraction(1, 4))
    np.testing.assert_array_equal(got, want)


def test_an_srgb_range_error_shows_the_value_just_past_one():
    img = np.full((4, 4, 3), 0.5)
    img[0, 0, 0] = 1.0000001
    with pytest.raises(ValueError, match=r"\[0.5, 1.0000001\]"):
        mean_shift_filter(img, 2, 4)


def _masked_cases():
    rng = np.random.default_rng(8)
    grey = rng.random((12, 14))
    with_nan = grey.copy()
    with_nan[3, 4] = np.nan
    rgb = (rng.random((12, 14, 3)) * 255).astype(np.uint8)
    images = [
        (grey, np.ma.masked_greater(grey, 0.9)),
        # NaN under its mask: refused for the mask, not read as a colour
        (with_nan, np.ma.masked_invalid(with_nan)),
        (rgb, np.ma.masked_array(rgb, mask=rgb > 250)),
    ]
    calls = ["filter", "segment", "pyr"]
    # the pyramid filter takes only uint8 colour images
    return [
        (call, plain, masked)
        for plain, masked in images
        for call in calls
        if call != "pyr" or plain.dtype == np.uint8
    ]


@pytest.mark.parametrize("call, plain, masked", _masked_cases())
def test_masked_pixels_are_refused_and_unmasked_arrays_taken(call, plain, masked):
    from meanshift_fast.image import pyr_mean_shift_filtering, segment

    hr = 0.2 if plain.dtype.kind == "f" else 8
    run = {
        "filter": lambda im: mean_shift_filter(im, 3, hr),
        "segment": lambda im: segment(im, 3, hr).labels,
        "pyr": lambda im: pyr_mean_shift_filtering(im, 4, 8),
    }[call]
    n_masked = int(np.ma.count_masked(masked))
    assert n_masked > 0
    words = f"{n_masked} of {plain.size} values are masked"
    with pytest.raises(ValueError, match=words):
        run(masked)
    if np.isfinite(plain).all():
        # a masked array with nothing masked is its data
        np.testing.assert_array_equal(run(np.ma.masked_array(plain)), run(plain))


def test_big_endian_input_gives_the_native_result_and_dtype():
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64, np.uint16):
        img = (rng.random((10, 12)) * 1000).astype(dtype)
        want = mean_shift_filter(img, 2, 50.0)
        got = mean_shift_filter(img.astype(img.dtype.newbyteorder(">")), 2, 50.0)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_progress_callback_is_called_and_can_stop():
    img = data.camera()[:64, :64]
    calls = []
    mean_shift_filter(img, 3, 10, n_jobs=1, progress=lambda d, t: calls.append((d, t)))
    assert calls and all(0 <= d <= t for d, t in calls)
    assert calls[-1][0] == calls[-1][1]

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop

    with pytest.raises(Stop):
        mean_shift_filter(img, 3, 10, progress=stop)


def test_gil_is_released_during_the_filter():
    """A pure-Python counter keeps running while another thread filters
    (on one thread, leaving a core for the counter); during a long builtin
    call, the control, it stands still."""
    img = data.astronaut()[:64, :64]

    def filters():
        start = time.perf_counter()
        while time.perf_counter() - start < 0.6:
            mean_shift_filter(img, 6, 8, n_jobs=1)

    rate, solo_rate, took, _ = count_while(filters)
    assert rate > 0.3 * solo_rate, (rate, solo_rate, took)

    rate, solo_rate, took, _ = count_while(gil_holding_call(1.0))
    assert rate < 0.2 * solo_rate, ("the control should starve the counter", took)


LONG_FILTER = """
import time
from fractions import Fraction
import numpy as np
from meanshift_fast.image import mean_shift_filter
rng = np.random.default_rng(0)
img = rng.integers(0, 256, size=(3000, 3000, 3), dtype=np.uint8)
print("started", flush=True)
mean_shift_filter(img, 12, 200, color_space="raw", n_jobs=2)
print("finished", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="sends POSIX signals")
def test_sigint_stops_a_long_filter():
    proc = subprocess.Popen(
        [sys.executable, "-c", LONG_FILTER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(1.0)
        assert proc.poll() is None, "the filter ended before it was interrupted"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "finished" not in out
    assert "KeyboardInterrupt" in err, err
    assert took < 10.0, f"took {took:.1f} s to stop after SIGINT"


def test_image_module_is_loaded_on_first_use_only_and_needs_numpy_only():
    code = (
        "import sys\n"
        "import meanshift_fast\n"
        "print('meanshift_fast.image' in sys.modules)\n"
        "import meanshift_fast.image\n"
        "heavy = ('skimage', 'scipy', 'PIL', 'cv2', 'matplotlib', 'sklearn')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split("\n")[:2] == ["False", "[]"], out.stdout


@pytest.mark.parametrize("radius", [50.0, 1e6, 1e300])
def test_radii_beyond_the_image_take_every_pixel(radius):
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    got = mean_shift_filter(img, radius, radius)
    np.testing.assert_array_equal(got, np.full(img.shape, img.mean()))


@pytest.mark.parametrize(
    "hs", [3.49, 3.5, 6.99, 7.0, 7.49, 7.5, 8.0, 11.49, 11.5, 15.49, 16.0]
)
def test_flat_radii_at_the_row_chunk_edges(hs):
    # A window row's columns fit one or more chunks of sixteen (AVX-512) or
    # eight (AVX2) depending on the spatial radius; radii on either side of
    # those edges take the pixels the reference takes (integer colours:
    # exact sums, same bits).
    img = photo(shape=(24, 48))
    got = mean_shift_filter(img, hs, 30.0, color_space="raw")
    want = back(R.filter_work(work_of(img), hs, 30.0, "flat"), img)
    np.testing.assert_array_equal(got, want)


def test_16_bit_volume_whose_window_sums_pass_2_to_the_31_stays_exact():
    # Windows of 33,792 pixels near 65535 sum past 2^31: integer colours
    # summed on 32-bit lanes would wrap.  A constant volume filters to
    # itself; one step of a two-valued volume moves every voxel to the
    # volume's mean (every voxel in every window).
    shape = (32, 32, 33)
    flat = np.full(shape, 65535, dtype=np.uint16)
    got = mean_shift_filter(flat, 100.0, 1e9, channel_axis=None, max_iter=1)
    np.testing.assert_array_equal(got, np.full(shape, 65535.0))
    two = flat.copy()
    two[::2] = 65000
    got = mean_shift_filter(two, 100.0, 1e9, channel_axis=None, max_iter=1)
    np.testing.assert_array_equal(got, np.full(shape, two.astype(np.int64).mean()))
