"""meanshift_fast.image.segment: the region rules against a brute-force
reference (tests/image_reference.py) on small crops, and the invariants on
whole photos: labels 0..n-1, each label one connected region, sizes at
least min_region, modes the mean of their pixels' modes, results equal for
every thread count."""

import image_reference as R
import numpy as np
import pytest
from scipy import ndimage
from skimage import color, data  # in the test extras: no skip

from meanshift_fast import _core
from meanshift_fast.image import mean_shift_filter, segment

needs_openmp = pytest.mark.skipif(
    not _core.openmp_enabled(), reason="serial build: one thread whatever n_jobs says"
)


def crop(y, x, h=24, w=28, img=None):
    img = data.astronaut() if img is None else img
    return np.ascontiguousarray(img[y : y + h, x : x + w])


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("min_region", [0, 5, 30])
@pytest.mark.parametrize("at", [(200, 230), (60, 300), (400, 100)])
def test_regions_match_reference_raw(connectivity, min_region, at):
    img = crop(*at)
    hs, hr = 3.0, 24.0
    seg = segment(img, hs, hr, min_region, connectivity=connectivity, color_space="raw")
    want = R.segment_modes(seg.filtered.astype(float), hr / 2, min_region, connectivity)
    np.testing.assert_array_equal(seg.labels, want)
    assert seg.n_regions == want.max() + 1


@pytest.mark.parametrize("connectivity", [6, 18, 26])
def test_volume_regions_match_reference(connectivity):
    rng = np.random.default_rng(3)
    z, y, x = np.indices((5, 7, 8))
    vol = 50.0 * (y > 3) + 40.0 * (x > 4) + 20 * (z > 2) + rng.normal(0, 4, z.shape)
    vol = np.clip(vol, 0, 255).astype(np.uint8)
    seg = segment(vol, 1.5, 20.0, 6, connectivity=connectivity, channel_axis=None)
    want = R.segment_modes(seg.filtered[..., None], 10.0, 6, connectivity)
    np.testing.assert_array_equal(seg.labels, want)
    assert seg.labels.shape == vol.shape


_RANKS = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}


@pytest.mark.parametrize("case", range(40))
def test_region_pass_matches_reference_with_many_ties(case):
    # Modes on a coarse grid: many exact ties in the join radius, the
    # region sizes and the merge distances, which the rules break by id.
    # Some images are tall enough that the core joins them in bands of
    # rows on several threads, and stitches the bands' edges.
    rng = np.random.default_rng(case)
    volume = case % 4 == 3
    rows = int(rng.integers(33, 90)) if case % 4 == 1 else int(rng.integers(1, 15))
    shape = (int(rng.integers(2, 5)) if volume else 1, rows, int(rng.integers(1, 15)))
    c = int(rng.choice([1, 2, 3]))
    modes = rng.integers(0, int(rng.integers(2, 6)), size=shape + (c,)).astype(float)
    radius = float(rng.choice([0.0, 0.5, 1.0, 1.5]))
    min_region = int(rng.integers(0, 12))
    connectivity = int(rng.choice([6, 18, 26] if volume else [4, 8]))
    if volume:
        want = R.segment_modes(modes, radius, min_region, connectivity)
    else:
        want = R.segment_modes(modes[0], radius, min_region, connectivity)[None]
    for n_threads in (1, 3):
        labels, n = _core.image_segment(
            modes, radius, _RANKS[connectivity], min_region, n_threads
        )
        np.testing.assert_array_equal(labels, want)
        assert n == want.max() + 1


def test_region_means_add_in_pixel_order_and_refuse_bad_labels():
    # The same additions in the same order as numpy's bincount: the same
    # bits; a label outside 0..k-1 is refused, not written past the end.
    rng = np.random.default_rng(2)
    modes = rng.normal(size=(5000, 3)) * 10.0 ** rng.integers(-3, 4, size=(5000, 1))
    labels = rng.integers(0, 37, size=5000).astype(np.int32)
    sizes, means = _core.image_region_means(modes, labels, 40)
    want_sizes = np.bincount(labels, minlength=40)
    np.testing.assert_array_equal(sizes, want_sizes)
    for k in range(3):
        total = np.bincount(labels, weights=modes[:, k], minlength=40)
        with np.errstate(invalid="ignore", divide="ignore"):
            want = np.where(want_sizes > 0, total / want_sizes, 0.0)
        np.testing.assert_array_equal(means[:, k], want)
    for bad in (-1, 40):
        labels[17] = bad
        with pytest.raises(ValueError, match="invalid argument"):
            _core.image_region_means(modes, labels, 40)


def check_invariants(seg, img, min_region, connectivity, work_of=None):
    labels = seg.labels
    assert labels.dtype == np.int32
    assert labels.min() == 0 and labels.max() == seg.n_regions - 1
    assert len(np.unique(labels)) == seg.n_regions
    np.testing.assert_array_equal(seg.sizes, np.bincount(labels.ravel()))
    assert seg.sizes.min() >= min_region
    # Every label one connected region.
    structure = ndimage.generate_binary_structure(
        labels.ndim, {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}[connectivity]
    )
    for k in range(seg.n_regions):
        _, n_parts = ndimage.label(labels == k, structure=structure)
        assert n_parts == 1, f"label {k} has {n_parts} parts"
    assert seg.image.dtype == img.dtype and seg.image.shape == img.shape


def test_photo_invariants_raw_and_modes_are_means():
    img = data.astronaut()[150:278, 180:308]
    seg = segment(img, 5, 14, 40, color_space="raw")
    check_invariants(seg, img, 40, 8)
    pixel_modes = seg.filtered.reshape(-1, 3).astype(float)
    for k in range(seg.n_regions):
        np.testing.assert_allclose(
            seg.modes[k], pixel_modes[seg.labels.ravel() == k].mean(axis=0), rtol=1e-12
        )
    np.testing.assert_array_equal(
        seg.image, np.clip(np.rint(seg.modes[seg.labels]), 0, 255).astype(np.uint8)
    )
    np.testing.assert_array_equal(
        seg.filtered, mean_shift_filter(img, 5, 14, color_space="raw")
    )


def test_photo_invariants_luv_modes_are_means_in_luv():
    img = data.coffee()[100:228, 200:328]
    seg = segment(img, 6, 4.5, 50, connectivity=4)
    check_invariants(seg, img, 50, 4)
    # Modes are means taken in L*u*v*, converted back to the input's units.
    luv = color.rgb2luv(seg.filtered / 255.0).reshape(-1, 3)
    for k in range(0, seg.n_regions, max(1, seg.n_regions // 20)):
        want = color.luv2rgb(luv[seg.labels.ravel() == k].mean(axis=0)[None, None])
        np.testing.assert_allclose(seg.modes[k], want[0, 0] * 255.0, atol=1e-6)


def test_grey_float_image_and_modes_shape():
    img = data.camera()[200:280, 100:180].astype(np.float32) / 255.0
    seg = segment(img, 4, 0.08, 25)
    check_invariants(seg, img, 25, 8)
    assert seg.modes.shape == (seg.n_regions,)
    assert seg.filtered.dtype == np.float32
    np.testing.assert_array_equal(seg.image, seg.modes[seg.labels].astype(np.float32))


def test_small_image_merges_to_one_region():
    img = crop(0, 0, 6, 7)
    seg = segment(img, 2, 3, min_region=1000)
    assert seg.n_regions == 1
    np.testing.assert_array_equal(seg.labels, 0)
    assert seg.sizes.tolist() == [42]


def test_smallest_region_merges_first_into_nearest_mode():
    # Grey regions: 0 (big), 200 (big), 60 (two pixels) and 100 (one
    # pixel, touching 60, 0 and 200); with a tiny range radius every pixel
    # is its own mode.
    img = np.zeros((3, 8), dtype=np.uint8)
    img[:, 4:] = 200
    img[1, 3] = 100
    img[1, 2] = 60
    img[0, 2] = 60
    seg = segment(img, 1, 0.5, min_region=3, connectivity=4)
    want = R.segment_modes(img[..., None].astype(float), 0.25, 3, 4)
    np.testing.assert_array_equal(seg.labels, want)
    # 100 (size 1) goes first, into the nearest of 60, 0 and 200: 60; the
    # merged region then has 3 pixels and stays.
    assert seg.labels[1, 3] == seg.labels[1, 2] == seg.labels[0, 2]
    check_invariants(seg, img, 3, 4)


@needs_openmp
def test_bitwise_identical_for_every_thread_count():
    img = data.coffee()[:96, :128]
    base = segment(img, 5, 5, 30, n_jobs=1)
    for n_jobs in (2, 3, -1):
        other = segment(img, 5, 5, 30, n_jobs=n_jobs)
        for name in ("labels", "modes", "sizes", "image", "filtered"):
            assert np.array_equal(getattr(other, name), getattr(base, name)), name
        assert other.n_regions == base.n_regions


def test_boundaries_mark_label_changes():
    img = crop(200, 230)
    seg = segment(img, 3, 6, 10)
    b = seg.boundaries()
    lab = seg.labels
    want = np.zeros_like(b)
    want[1:] |= lab[1:] != lab[:-1]
    want[:-1] |= lab[1:] != lab[:-1]
    want[:, 1:] |= lab[:, 1:] != lab[:, :-1]
    want[:, :-1] |= lab[:, 1:] != lab[:, :-1]
    np.testing.assert_array_equal(b, want)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"min_region": -1}, ValueError, "min_region"),
        ({"min_region": 2.5}, TypeError, "min_region"),
        ({"connectivity": 6}, ValueError, "connectivity"),
        ({"connectivity": 26}, ValueError, "connectivity"),
        ({"kernel": "box"}, ValueError, "kernel"),
        ({"n_jobs": 0}, ValueError, "n_jobs"),
        ({"channel_axis": 5}, ValueError, "out of range"),
        ({"connectivity": 4.0}, ValueError, "connectivity"),
        ({"connectivity": [4]}, ValueError, "connectivity"),
        ({"connectivity": None}, ValueError, "connectivity"),
        ({"progress": 3}, TypeError, "progress must be a callable"),
    ],
)
def test_bad_arguments_are_refused(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        segment(crop(0, 0, 5, 5), 2, 3, **kwargs)


def test_volume_connectivity_values():
    vol = np.zeros((3, 4, 5), dtype=np.uint8)
    for conn in (6, 18, 26, 8):
        assert (
            segment(vol, 1, 1, 0, connectivity=conn, channel_axis=None).n_regions == 1
        )
    with pytest.raises(ValueError, match="connectivity"):
        segment(vol, 1, 1, connectivity=4, channel_axis=None)


def test_input_never_modified():
    img = crop(100, 100)
    keep = img.copy()
    segment(img, 3, 5, 10)
    np.testing.assert_array_equal(img, keep)


def test_size_ties_go_to_the_region_whose_first_pixel_comes_first():
    # The lone pixel A joins X; {A, X} (3 pixels, first pixel 0) then ties
    # in size with Y (first pixel 1) and goes first, into Y, its nearest
    # neighbour.  Had the tie gone to Y, Y would have joined Z and left
    # one region.
    A, X, Y, Z = 60, 58, 63, 66
    img = np.array([[A, Y, Y, Y, Z], [X, X, Z, Z, Z], [Z, Z, Z, Z, Z]], np.uint8)
    seg = segment(img, 0.5, 2, 4, connectivity=4)
    want = R.segment_modes(seg.filtered[..., None], 1.0, 4, 4)
    np.testing.assert_array_equal(seg.labels, want)
    assert seg.n_regions == 2
    assert seg.labels[0, 0] == seg.labels[0, 1] == seg.labels[1, 0]


@pytest.mark.parametrize("flip", [False, True])
def test_distance_ties_go_to_the_region_whose_first_pixel_comes_first(flip):
    # The lone middle pixel is 10 from both two-pixel regions; it joins
    # the one whose first pixel comes first, whichever side holds which
    # grey.
    row = [0, 0, 10, 20, 20]
    img = np.array([row[::-1] if flip else row], np.uint8)
    seg = segment(img, 0.5, 1, 2, connectivity=4)
    want = R.segment_modes(seg.filtered[..., None], 0.5, 2, 4)
    np.testing.assert_array_equal(seg.labels, want)
    assert seg.n_regions == 2


def test_painted_halves_round_to_even_and_stay_in_range():
    # Two-pixel regions whose modes are exact halves, near both ends of
    # uint16's range: numpy.rint's halves to even, never past the range.
    img = np.array([[1, 2, 65533, 65534, 65535, 65535]], np.uint16)
    seg = segment(img, 0.5, 0.5, 2, connectivity=4, color_space="raw")
    want = np.clip(np.rint(seg.modes[seg.labels]), 0, 65535).astype(np.uint16)
    np.testing.assert_array_equal(seg.image, want)
    assert seg.image.dtype == np.uint16
