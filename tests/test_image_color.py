"""The CIE L*a*b* and L*u*v* conversions of meanshift_fast.image against
scikit-image's rgb2lab, rgb2luv, lab2rgb and luv2rgb."""

import warnings

import numpy as np
import pytest
from skimage import color, data  # in the test extras: no skip

from meanshift_fast.image import _color


def samples():
    rng = np.random.default_rng(0)
    photo = data.astronaut()[::7, ::7] / 255.0
    corners = np.array(list(np.ndindex(2, 2, 2)), dtype=float)[None]
    dark = rng.random((1, 50, 3)) * 0.02  # the linear parts of the curves
    return [photo, rng.random((20, 30, 3)), corners, dark]


@pytest.mark.parametrize("i", range(4))
def test_rgb_to_lab_and_luv_match_skimage(i):
    rgb = samples()[i]
    np.testing.assert_allclose(_color.rgb_to_lab(rgb), color.rgb2lab(rgb), atol=1e-10)
    np.testing.assert_allclose(_color.rgb_to_luv(rgb), color.rgb2luv(rgb), atol=1e-10)


@pytest.mark.parametrize("i", range(4))
def test_back_to_rgb_matches_skimage_and_round_trips(i):
    rgb = samples()[i]
    lab, luv = color.rgb2lab(rgb), color.rgb2luv(rgb)
    np.testing.assert_allclose(_color.lab_to_rgb(lab), color.lab2rgb(lab), atol=1e-10)
    np.testing.assert_allclose(_color.luv_to_rgb(luv), color.luv2rgb(luv), atol=1e-10)
    np.testing.assert_allclose(
        _color.lab_to_rgb(_color.rgb_to_lab(rgb)), rgb, atol=1e-9
    )
    np.testing.assert_allclose(
        _color.luv_to_rgb(_color.rgb_to_luv(rgb)), rgb, atol=1e-9
    )


def test_colours_outside_srgb_are_clipped_like_skimage():
    rng = np.random.default_rng(1)
    lab = rng.uniform([0, -120, -120], [100, 120, 120], (200, 3))
    luv = rng.uniform([1, -150, -150], [100, 150, 150], (200, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want_lab = color.lab2rgb(lab[None])[0]
        want_luv = color.luv2rgb(luv[None])[0]
    got_lab, got_luv = _color.lab_to_rgb(lab), _color.luv_to_rgb(luv)
    assert got_lab.min() >= 0 and got_lab.max() <= 1
    np.testing.assert_allclose(got_lab, want_lab, atol=1e-10)
    np.testing.assert_allclose(got_luv, want_luv, atol=1e-10)


def test_black_converts_back_to_black():
    black = np.zeros((1, 1, 3))
    np.testing.assert_array_equal(_color.luv_to_rgb(_color.rgb_to_luv(black)), black)
    np.testing.assert_array_equal(_color.lab_to_rgb(_color.rgb_to_lab(black)), black)


def test_large_images_convert_block_by_block_to_the_same_bits():
    # Images of more pixels than a block (and not contiguous) convert in
    # blocks; every step is elementwise, so the bits are those of one pass
    # over the whole image, and of skimage's formulas.
    rng = np.random.default_rng(4)
    rgb = rng.random((3 * _color._BLOCK // 200 + 7, 401, 3))[:, ::2]
    assert rgb[..., 0].size > 2 * _color._BLOCK
    C = _color
    for to, to_whole, fro, fro_whole, ref in (
        (C.rgb_to_lab, C._rgb_to_lab, C.lab_to_rgb, C._lab_to_rgb, color.rgb2lab),
        (C.rgb_to_luv, C._rgb_to_luv, C.luv_to_rgb, C._luv_to_rgb, color.rgb2luv),
    ):
        work = to(rgb)
        np.testing.assert_array_equal(work, to_whole(rgb))
        np.testing.assert_allclose(work, ref(rgb), atol=1e-10)
        back = fro(work)
        np.testing.assert_array_equal(back, fro_whole(work))
        np.testing.assert_allclose(back, rgb, atol=1e-9)
    linear = _color.srgb_to_linear(rgb)
    np.testing.assert_array_equal(
        _color.rgb_to_luv(None, linear), _color._rgb_to_luv(None, linear)
    )
