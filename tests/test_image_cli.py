"""The `segment` and `filter` commands of the command line: image files in
and out through Pillow, labels, boundaries, and clear errors."""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("skimage")
PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402
from skimage import data  # noqa: E402

from meanshift_fast.cli import main  # noqa: E402
from meanshift_fast.image import mean_shift_filter, segment  # noqa: E402

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


def test_bad_input_gives_a_message_not_a_traceback(tmp_path, photo, capsys):
    _, path = photo
    out = str(tmp_path / "x.png")
    assert main(["segment", path, "-o", out, "--spatial-radius", "-1",
                 "--range-radius", "5"]) == 2  # fmt: skip
    assert "spatial_radius" in capsys.readouterr().err
    assert main(["filter", str(tmp_path / "missing.png"), "-o", out, *ARGS]) == 2
    assert "cannot read" in capsys.readouterr().err


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
    assert main(["segment", str(photo), "-o", str(out), *args]) == 2
    assert "no such directory" in capsys.readouterr().err


class _Calls(list):
    def __call__(self, done, total):
        self.append((done, total))


def test_progress_ends_at_the_total_on_every_thread_count():
    img = data.astronaut()[:96, :96]
    for n_jobs in (1, 2):
        calls = _Calls()
        mean_shift_filter(img, 4, 6, n_jobs=n_jobs, progress=calls)
        assert calls and calls[-1][0] == calls[-1][1]
