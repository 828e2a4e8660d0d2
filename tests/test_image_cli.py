"""The `segment` and `filter` commands of the command line: image files in
and out through Pillow, labels, boundaries, and clear errors."""

import subprocess
import sys

import cv2  # the test extras install cv2, Pillow, scikit-image: no skip
import numpy as np
import pytest
from PIL import Image
from skimage import data

from meanshift_fast.cli import main
from meanshift_fast.image import mean_shift_filter, segment

ARGS = ["--spatial-radius", "4", "--range-radius", "5"]


@pytest.fixture
def photo(tmp_path):
    img = np.ascontiguousarray(data.astronaut()[150:214, 180:260])
    path = tmp_path / "photo.png"
    Image.fromarray(img).save(path)
    return img, str(path)


def test_segment_writes_painted_regions_and_labels(tmp_path, photo, capsys):
    img, path = photo
    out, labels = tmp_path / "seg.png", tmp_path / "labels.npy"
    rc = main(["segment", path, "-o", str(out), *ARGS, "--min-region", "30",
               "--labels", str(labels)])  # fmt: skip
    assert rc == 0
    want = segment(img, 4, 5, 30)
    np.testing.assert_array_equal(np.asarray(Image.open(out)), want.image)
    np.testing.assert_array_equal(np.load(labels), want.labels)
    assert f"{want.n_regions} regions" in capsys.readouterr().err


def test_segment_counts_one_region_in_the_singular(tmp_path, capsys):
    path = tmp_path / "flat.png"
    Image.fromarray(np.full((6, 7, 3), 90, np.uint8)).save(path)
    assert segment(np.asarray(Image.open(path)), 4, 5).n_regions == 1
    assert main(["segment", str(path), "-o", str(tmp_path / "s.png"), *ARGS]) == 0
    assert "1 region, 42 pixels" in capsys.readouterr().err


def test_segment_boundaries_drawn_over_the_photo(tmp_path, photo):
    img, path = photo
    out = tmp_path / "edges.png"
    assert main(["segment", path, "-o", str(out), *ARGS, "--boundaries"]) == 0
    got = np.asarray(Image.open(out))
    edge = segment(img, 4, 5).boundaries()
    np.testing.assert_array_equal(got[~edge], img[~edge])
    assert (got[edge] == [255, 0, 0]).all()


def test_filter_writes_the_rounded_filtered_image(tmp_path, photo):
    img, path = photo
    out = tmp_path / "filtered.png"
    assert main(["filter", path, "-o", str(out), *ARGS, "--kernel", "gaussian"]) == 0
    want = mean_shift_filter(img, 4, 5, kernel="gaussian")
    np.testing.assert_array_equal(
        np.asarray(Image.open(out)), np.clip(np.rint(want), 0, 255).astype(np.uint8)
    )


def test_grey_volume_from_npy(tmp_path):
    vol = np.random.default_rng(0).integers(0, 4, (4, 5, 6)).astype(np.uint8) * 60
    src, out = tmp_path / "vol.npy", tmp_path / "out.npy"
    np.save(src, vol)
    args = ["segment", str(src), "-o", str(out), "--volume", "--min-region", "3"]
    assert main([*args, "--spatial-radius", "1.5", "--range-radius", "30"]) == 0
    want = segment(vol, 1.5, 30, 3, channel_axis=None)
    np.testing.assert_array_equal(np.load(out), want.image)


@pytest.mark.parametrize("source", ["rgb.png", "grey.png", "colour_volume.npy"])
@pytest.mark.parametrize("command", ["segment", "filter"])
def test_volume_option_refuses_what_is_no_grey_volume(
    tmp_path, monkeypatch, capsys, command, source
):
    # An RGB file's (H, W, 3) pixels were filtered as a volume 3 voxels
    # deep, and a grey file was refused as "a volume" written to .png.
    img = np.ascontiguousarray(data.astronaut()[:6, :7])
    src = tmp_path / source
    if source == "rgb.png":
        Image.fromarray(img).save(src)
    elif source == "grey.png":
        Image.fromarray(img[..., 0]).save(src)
    else:
        np.save(src, np.stack([img, img]))
    _no_work(monkeypatch)
    out = tmp_path / ("out.png" if source == "grey.png" else "out.npy")
    rc = main([command, str(src), "-o", str(out), *ARGS, "--volume"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "--volume takes a grey volume" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_bad_input_gives_a_message_not_a_traceback(tmp_path, photo, capsys):
    _, path = photo
    out = str(tmp_path / "x.png")
    # options are checked as the command line names them
    for option, value in [("--spatial-radius", "-1"), ("--range-radius", "nan"),
                          ("--max-iter", "-1"), ("--n-jobs", "0")]:  # fmt: skip
        args = {"--spatial-radius": "3", "--range-radius": "5", option: value}
        with pytest.raises(SystemExit) as stop:
            main(["segment", path, "-o", out, *[w for a in args.items() for w in a]])
        assert stop.value.code == 2
        assert f"argument {option}" in capsys.readouterr().err
    assert main(["filter", str(tmp_path / "missing.png"), "-o", out, *ARGS]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_library_messages_name_the_options_not_the_parameters(tmp_path, capsys):
    # float colours beyond [0, 1]: the library asks for color_space='raw',
    # which the command line spells --color-space raw
    src, out = tmp_path / "f.npy", str(tmp_path / "o.npy")
    np.save(src, np.full((6, 7, 3), 2.0))
    assert main(["filter", str(src), "-o", out, *ARGS]) == 2
    err = capsys.readouterr().err
    assert "--color-space raw" in err and "color_space" not in err
    assert main(["filter", str(src), "-o", out, *ARGS, "--color-space", "raw"]) == 0
    with pytest.raises(ValueError, match="color_space='raw'"):
        mean_shift_filter(np.full((6, 7, 3), 2.0), 3, 5)


def test_missing_pillow_is_explained(tmp_path, photo):
    _, path = photo
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "from meanshift_fast.cli import main\n"
        f"sys.exit(main(['filter', {path!r}, '-o', 'x.png', *{ARGS!r}]))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert res.returncode == 2
    assert "pip install 'meanshift-fast[image]'" in res.stderr


@pytest.mark.parametrize(
    "array, dtype",
    [
        ((np.arange(1050).reshape(30, 35) * 60).astype(">u2"), np.uint16),
        ((np.arange(1050).reshape(30, 35) * 200).astype(np.int32), np.float64),
    ],
)
def test_wide_integer_images_are_read_as_they_are(tmp_path, array, dtype):
    # 16-bit grey in either byte order and 32-bit integer images keep their
    # values (they were clipped to 8-bit RGB).
    from meanshift_fast.cli import _read_image

    path = tmp_path / "wide.tif"
    Image.fromarray(array).save(path)
    image = _read_image(str(path))  # no error raised
    assert image.dtype == dtype
    np.testing.assert_array_equal(image, array.astype(dtype))


def test_missing_output_directory_is_refused_before_the_work(tmp_path, photo, capsys):
    out = tmp_path / "no_such_dir" / "seg.png"
    args = ["--spatial-radius", "3", "--range-radius", "4"]
    assert main(["segment", photo[1], "-o", str(out), *args]) == 2
    assert "no such directory" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["segment", "filter"])
def test_an_output_over_the_input_is_refused_before_the_work(
    tmp_path, photo, capsys, command
):
    img, path = photo
    before = (tmp_path / "photo.png").read_bytes()
    assert main([command, path, "-o", path, *ARGS]) == 2
    assert "it is the input file" in capsys.readouterr().err
    assert (tmp_path / "photo.png").read_bytes() == before


def test_labels_over_the_output_are_refused(tmp_path, photo, capsys):
    out = str(tmp_path / "seg.npy")
    assert main(["segment", photo[1], "-o", out, *ARGS, "--labels", out]) == 2
    assert "-o and --labels name the same file" in capsys.readouterr().err
    assert not (tmp_path / "seg.npy").exists()


class _Calls(list):
    def __call__(self, done, total):
        self.append((done, total))


def test_progress_ends_at_the_total_on_every_thread_count():
    img = data.astronaut()[:96, :96]
    for n_jobs in (1, 2):
        calls = _Calls()
        mean_shift_filter(img, 4, 6, n_jobs=n_jobs, progress=calls)
        assert calls and calls[-1][0] == calls[-1][1]


def _grey_floats():
    return np.linspace(0.0, 1.0, 42).reshape(6, 7)


def _no_work(monkeypatch):
    """Make the filter and segmentation fail the test if they are run."""
    import meanshift_fast.image as image

    def boom(*args, **kwargs):
        raise AssertionError("the work ran before the output was checked")

    monkeypatch.setattr(image, "segment", boom)
    monkeypatch.setattr(image, "mean_shift_filter", boom)


@pytest.mark.parametrize(
    "make_input, output, message",
    [
        (lambda: np.zeros((6, 7, 3), np.uint8), "out.xyz", ".xyz is no image format"),
        (lambda: np.zeros((6, 7, 3), np.uint8), "out", "no extension"),
        (lambda: np.zeros((6, 7, 3), np.uint8), "out.png/", "ends in a slash"),
        (_grey_floats, "out.webp", "WEBP holds no float64 pixels"),
        (_grey_floats, "out.gif", "GIF holds no float64 pixels"),
        (lambda: _grey_floats() * 1e50, "out.tif", "TIFF holds no float64"),
        (lambda: np.arange(42, dtype=np.uint16).reshape(6, 7) * 1500, "out.gif",
         "GIF holds no uint16"),
        (lambda: np.zeros((64, 80, 3), np.uint8), "out.ico", "ICO holds no uint8"),
        (lambda: np.full((6, 7), 1000, np.uint16), "out.webp", "WEBP holds no uint16"),
        (lambda: _grey_floats() * 255, "out.gif", "GIF holds no float64"),
        (lambda: np.zeros((6, 7, 3), np.uint8), "a_directory", "it is a directory"),
        (lambda: np.zeros((6, 7)), "out.png", "PNG holds no float64 pixels"),
        (lambda: np.zeros((6, 7, 5), np.uint8), "out.png", "of shape (6, 7, 5)"),
        (lambda: np.zeros((4, 5, 3), np.uint8), "vol.png", "a volume is written only"),
    ],
    ids=["unknown-extension", "no-extension", "trailing-slash", "float-webp",
         "float-gif", "huge-float-tif", "uint16-gif", "resized-icon",
         "uint16-clipped-webp", "float-8-bit-gif", "directory", "float-png",
         "5-channels", "volume"],
)  # fmt: skip
@pytest.mark.parametrize("command", ["segment", "filter"])
def test_output_that_cannot_hold_the_result_is_refused_before_the_work(
    tmp_path, monkeypatch, capsys, command, make_input, output, message
):
    src = tmp_path / "in.npy"
    np.save(src, make_input())
    (tmp_path / "a_directory").mkdir()
    volume = ["--volume"] if output.startswith("vol") else []
    _no_work(monkeypatch)
    rc = main([command, str(src), "-o", f"{tmp_path}/{output}", *ARGS, *volume])
    assert rc == 2
    assert message in capsys.readouterr().err


def test_npy_outputs_are_written_to_exactly_the_path_named(tmp_path, photo):
    # An upper-case .NPY and a labels file of any name are not renamed.
    img, path = photo
    out, labels = tmp_path / "SEG.NPY", tmp_path / "labels.bin"
    rc = main(["segment", path, "-o", str(out), *ARGS, "--labels", str(labels)])
    assert rc == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "SEG.NPY", "labels.bin", "photo.png"
    ]  # fmt: skip
    want = segment(img, 4, 5)
    np.testing.assert_array_equal(np.load(out), want.image)
    np.testing.assert_array_equal(np.load(labels), want.labels)


def _unfiltered(tmp_path, src, out):
    """Run filter with no steps (the image itself comes out) from src to out."""
    rc = main(["filter", str(src), "-o", str(tmp_path / out), *ARGS,
               "--max-iter", "0", "--color-space", "raw"])  # fmt: skip
    assert rc == 0
    return tmp_path / out


def test_boundaries_over_an_rgba_array_stay_opaque(tmp_path):
    rgba = np.random.default_rng(2).integers(0, 256, (12, 14, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    src, out = tmp_path / "rgba.npy", tmp_path / "edges.npy"
    np.save(src, rgba)
    assert main(["segment", str(src), "-o", str(out), *ARGS, "--boundaries"]) == 0
    got = np.load(out)
    edge = segment(rgba, 4, 5).boundaries()
    assert edge.any()
    np.testing.assert_array_equal(got[~edge], rgba[~edge])
    assert (got[edge] == [255, 0, 0, 255]).all()


def test_only_the_first_frame_of_an_animation_is_read_with_a_warning(tmp_path, capsys):
    frames = [
        np.full((5, 6), v, dtype=np.uint8) for v in (10, 200, 90)
    ]  # three grey frames
    src = tmp_path / "anim.tif"
    Image.fromarray(frames[0]).save(
        src, save_all=True, append_images=[Image.fromarray(f) for f in frames[1:]]
    )
    out = _unfiltered(tmp_path, src, "out.npy")
    assert "holds 3 frames; the first is read" in capsys.readouterr().err
    np.testing.assert_array_equal(np.load(out), frames[0])


def test_exif_orientation_is_applied_as_viewers_show_it(tmp_path):
    # EXIF orientation 6: the stored pixels are shown turned 90 degrees
    # clockwise.
    img = np.random.default_rng(0).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    src = tmp_path / "turned.png"
    Image.fromarray(img).save(src, exif=exif)
    out = _unfiltered(tmp_path, src, "out.npy")
    np.testing.assert_array_equal(np.load(out), np.rot90(img, k=-1))


def test_16_bit_colour_is_rounded_to_8_bits_with_a_warning(tmp_path, capsys):
    img = np.random.default_rng(1).integers(0, 65536, (5, 6, 3), dtype=np.uint16)
    src = tmp_path / "deep.npy"
    np.save(src, img)
    out = _unfiltered(tmp_path, src, "out.png")
    np.testing.assert_array_equal(
        np.asarray(Image.open(out)), np.rint(img / 257.0).astype(np.uint8)
    )
    assert "written with 8 bits per channel" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["segment", "filter"])
def test_colours_a_gif_cannot_hold_are_reported(tmp_path, photo, capsys, command):
    # GIF keeps a palette of 256 colours; the colours beyond were merged
    # without a word (a segmentation's regions among them).
    img, path = photo
    out = tmp_path / "out.gif"
    radii = ["--spatial-radius", "3", "--range-radius", "2"]
    more = ["--min-region", "2"] if command == "segment" else []
    assert main([command, path, "-o", str(out), *radii, *more]) == 0
    if command == "segment":
        want = segment(img, 3, 2, 2).image
    else:
        want = np.rint(mean_shift_filter(img, 3, 2)).clip(0, 255).astype(np.uint8)
    got = np.asarray(Image.open(out).convert("RGB"))
    n = len(np.unique(want.reshape(-1, 3), axis=0))
    assert n > 256 and not np.array_equal(got, want)
    err = capsys.readouterr().err
    assert f"GIF holds 256 colours at most, and the image's {n} were" in err
    # an image of few colours comes back exact, and says nothing
    few = tmp_path / "few.npy"
    np.save(few, (img // 128 * 128).astype(np.uint8))
    exact = _unfiltered(tmp_path, few, "few.gif")
    np.testing.assert_array_equal(
        np.asarray(Image.open(exact).convert("RGB")), np.load(few)
    )
    assert "GIF" not in capsys.readouterr().err


def test_16_bit_colour_read_as_8_bits_says_so(tmp_path, capsys):
    img = np.random.default_rng(2).integers(0, 65536, (5, 6, 3), dtype=np.uint16)
    src = tmp_path / "deep.png"
    assert cv2.imwrite(str(src), img)
    _unfiltered(tmp_path, src, "out.npy")
    assert "read with 8 bits per channel" in capsys.readouterr().err


def test_palette_images_of_greys_are_read_as_grey(tmp_path):
    grey = np.random.default_rng(3).integers(0, 256, (6, 7), dtype=np.uint8)
    for palette, want in [
        ([v for i in range(256) for v in (i, i, i)], grey),
        ([v for i in range(256) for v in (i, 255 - i, 0)], None),
    ]:
        im = Image.fromarray(grey, mode="L").convert("P")
        im.putpalette(palette)
        im.putdata(grey.ravel().tolist())
        src = tmp_path / "palette.png"
        im.save(src)
        got = np.load(_unfiltered(tmp_path, src, "out.npy"))
        if want is not None:
            np.testing.assert_array_equal(got, want)
        else:  # a palette of colours: RGB
            np.testing.assert_array_equal(got[..., 0], grey)
            np.testing.assert_array_equal(got[..., 1], 255 - grey)


@pytest.mark.parametrize("offset", [1e-12, 0.0], ids=["inexact", "exact-values"])
def test_floats_to_tiff_keep_their_values_with_a_precision_warning(
    tmp_path, capsys, offset
):
    # float64 is narrowed to float32 whatever the values (the filter's
    # output, not its input, is what gets written).
    img = np.linspace(0.0, 1.0, 42).reshape(6, 7).round() + offset
    src = tmp_path / "in.npy"
    np.save(src, img)
    out = _unfiltered(tmp_path, src, "out.tif")
    np.testing.assert_array_equal(np.asarray(Image.open(out)), img.astype(np.float32))
    assert "TIFF keeps float64 pixels with less precision" in capsys.readouterr().err


def test_formats_whose_tiles_say_nothing_of_depth_are_read():
    # Some plugins (QOI, PCD, FLI) leave a tile's arguments None.
    from types import SimpleNamespace

    from meanshift_fast.cli import _rawmode

    for args, want in [
        (None, ""),
        ((), ""),
        ("RGB;16B", "RGB;16B"),
        (("RGB;16N", False, 58), "RGB;16N"),
        ((3,), ""),
    ]:
        assert _rawmode(SimpleNamespace(args=args)) == want


def test_an_image_beyond_pillows_size_guard_is_a_message(
    tmp_path, photo, capsys, monkeypatch
):
    _, path = photo
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    assert main(["filter", path, "-o", str(tmp_path / "o.png"), *ARGS]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "decompression bomb" in err


def _png_grey_alpha_16(path, grey, alpha):
    """A 16-bit grey-with-alpha PNG, written by hand (Pillow writes none)."""
    import struct
    import zlib

    h, w = grey.shape
    rows = np.stack([grey, alpha], axis=-1).astype(">u2").reshape(h, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 16, 4, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )  # fmt: skip


def test_16_bit_grey_with_alpha_is_read_as_grey(tmp_path, capsys):
    # Pillow opens it as RGBA of the high bytes; it is grey, alpha dropped.
    grey = (np.arange(42).reshape(6, 7) * 1500).astype(np.uint16)
    src = tmp_path / "la16.png"
    _png_grey_alpha_16(src, grey, np.full_like(grey, 65535))
    got = np.load(_unfiltered(tmp_path, src, "out.npy"))
    np.testing.assert_array_equal(got, grey >> 8)
    assert "16-bit grey is read with 8 bits" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, says",
    [
        (b"", "not a .npy file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "not a .npy file"),
        ("truncated", "cannot read"),
    ],
)
def test_unreadable_npy_inputs_are_a_message(tmp_path, content, says, capsys):
    src = tmp_path / "in.npy"
    if content == "truncated":
        np.save(src, np.zeros((64, 64), np.uint8))
        content = src.read_bytes()[:200]
    src.write_bytes(content)
    assert main(["filter", str(src), "-o", str(tmp_path / "o.png"), *ARGS]) == 2
    assert says in capsys.readouterr().err


def test_an_empty_npy_image_gets_the_empty_image_message(tmp_path, capsys):
    src = tmp_path / "empty.npy"
    np.save(src, np.zeros((0, 5), np.uint8))
    assert main(["segment", str(src), "-o", str(tmp_path / "o.png"), *ARGS]) == 2
    assert "0 pixels" in capsys.readouterr().err


def test_big_endian_npy_is_written_as_its_native_twin(tmp_path):
    grey = (np.arange(4096).reshape(64, 64) * 15).astype(np.uint16)
    outs = []
    for order in ("<", ">"):
        src = tmp_path / f"in{order == '>'}.npy"
        np.save(src, grey.astype(order + "u2"))
        out = tmp_path / f"out{order == '>'}.png"
        assert main(["segment", str(src), "-o", str(out), "--spatial-radius", "3",
                     "--range-radius", "1500"]) == 0  # fmt: skip
        outs.append(np.asarray(Image.open(out)))
    np.testing.assert_array_equal(outs[1], outs[0])
    np.testing.assert_array_equal(outs[0], segment(grey, 3, 1500).image)


def test_one_channel_npy_is_written_as_grey(tmp_path):
    img = np.random.default_rng(1).integers(0, 4, (12, 10, 1)).astype(np.uint8) * 60
    src, out = tmp_path / "c1.npy", tmp_path / "c1.png"
    np.save(src, img)
    assert main(["filter", str(src), "-o", str(out), *ARGS]) == 0
    back = np.asarray(Image.open(out))
    want = mean_shift_filter(img, *map(float, ARGS[1::2]))
    np.testing.assert_array_equal(back, np.rint(want[..., 0]).astype(np.uint8))
