"""The `meanshift-fast` command: demo, cluster, sweep, segment, filter and info."""

import argparse
import contextlib
import math
import re
import sys
import time
import warnings

import numpy as np

from meanshift_fast import __version__

# The seed document's example: three Gaussian blobs in 3-D.
DEMO_CENTERS = np.array([[2.0, 2.0, 2.0], [7.0, 7.0, 7.0], [5.0, 13.0, 13.0]])
DEMO_STD = 0.6


def demo_data(n=150, seed=0):
    """n points in the seed document's three blobs (n split evenly)."""
    rng = np.random.default_rng(seed)
    sizes = [n // 3 + (i < n % 3) for i in range(3)]
    return np.concatenate(
        [
            rng.normal(c, DEMO_STD, size=(m, 3))
            for c, m in zip(DEMO_CENTERS, sizes, strict=True)
        ]
    )


class _Fail(Exception):
    """A message for the user: printed after "meanshift-fast: ", exit 2."""


@contextlib.contextmanager
def _writing(path):
    """Turn a failure to write path into a message rather than a traceback."""
    try:
        yield
    except (OSError, ValueError, TypeError) as exc:
        raise _Fail(f"cannot write {path}: {exc}") from None


def _check_writable(*paths):
    """Refuse, before any work, an output path whose directory is missing
    or that is a directory."""
    from pathlib import Path

    for path in paths:
        if path and not Path(path).resolve().parent.is_dir():
            raise _Fail(f"cannot write {path}: no such directory")
        if path and Path(path).is_dir():
            raise _Fail(f"cannot write {path}: it is a directory")


def _same_file(a, b):
    """Whether paths a and b name one file (existing or not)."""
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_distinct(inputs, outputs):
    """Refuse, before any work, an output that would overwrite an input or
    another output: the data, or the first output, would be lost."""
    for i, (flag, path) in enumerate(outputs):
        if not path:
            continue
        for source in inputs:
            if _same_file(path, source):
                raise _Fail(f"cannot write {path}: it is the input file")
        for other, earlier in outputs[:i]:
            if earlier and _same_file(path, earlier):
                raise _Fail(f"{other} and {flag} name the same file, {path}")


def _plot_path(path):
    """Where matplotlib writes a plot: a name without a suffix gets .png."""
    from pathlib import Path

    return path if Path(path).suffix else f"{path}.png"


def _pyplot(path):
    """matplotlib's pyplot on the file-only backend, and path's format
    checked, before any work."""
    from pathlib import Path

    try:
        import matplotlib
    except ImportError:
        raise _Fail(
            "--plot needs matplotlib: pip install 'meanshift-fast[plot]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backend_bases import FigureCanvasBase

    path = _plot_path(path)
    kinds = FigureCanvasBase.get_supported_filetypes()
    if Path(path).suffix[1:].lower() not in kinds:
        raise _Fail(
            f"cannot write {path}: a plot is written as "
            f"{', '.join('.' + k for k in sorted(kinds))}"
        )
    return plt


def _count(minimum):
    """An argparse type: an integer of at least minimum."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _radius(text):
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def _threads(text):
    """An argparse type: n_jobs, a nonzero integer."""
    value = _count(-(2**31))(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must not be 0 (-1: every core)")
    return value


class _ProgressBar:
    """A bar on stderr for work that takes more than a couple of seconds;
    silent when stderr is not a terminal."""

    def __init__(self, label, stream=None, delay=2.0):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.label = label
        self.start = time.monotonic()
        self.delay = delay
        self.shown = False

    def __call__(self, done, total):
        if not self.enabled or time.monotonic() - self.start < self.delay:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        )
        self.stream.flush()
        self.shown = True

    def close(self):
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _cmd_demo(args):
    from meanshift_fast import MeanShift, estimate_bandwidth

    _check_writable(args.plot and _plot_path(args.plot))
    plt = _pyplot(args.plot) if args.plot else None
    X = demo_data(args.n, args.seed)
    bandwidth = estimate_bandwidth(X)
    ms = MeanShift(bandwidth=bandwidth, kernel=args.kernel).fit(X)
    sizes = np.bincount(ms.labels_[ms.labels_ >= 0], minlength=len(ms.cluster_centers_))
    print(f"{len(X)} points in three blobs around {DEMO_CENTERS.tolist()}")
    print(f"estimated bandwidth: {bandwidth:.4f}")
    print(f"clusters found: {len(ms.cluster_centers_)}")
    for i, (c, size) in enumerate(zip(ms.cluster_centers_, sizes, strict=True)):
        print(
            f"  cluster {i}: centre ({c[0]:.3f}, {c[1]:.3f}, {c[2]:.3f}), {size} points"
        )
    if args.plot:
        fig = plt.figure(figsize=(7, 6))
        ax = fig.add_subplot(projection="3d")
        ax.scatter(X[:, 0], X[:, 1], X[:, 2], c=ms.labels_, cmap="viridis", s=12)
        C = ms.cluster_centers_
        ax.scatter(
            C[:, 0],
            C[:, 1],
            C[:, 2],
            marker="x",
            color="red",
            s=150,
            linewidths=3,
            label="cluster centres",
        )
        ax.set_title(f"Mean shift: {len(C)} clusters, bandwidth {bandwidth:.2f}")
        ax.legend()
        _save_plot(plt, fig, args.plot)
    return 0


def _read_points(path):
    """The points of a .npy, .csv or .tsv file, or of standard input
    ("-"), or _Fail."""
    if path == "-":
        return _read_standard_input()
    if _is_npy(path):
        return _read_npy(path)
    try:
        return _load(path)
    except UnicodeDecodeError:
        # UTF-16 ("Unicode text") or a legacy code page, from a spreadsheet
        raise _Fail(
            f"cannot read {path}: it is not UTF-8 text; save it as UTF-8 "
            '("CSV UTF-8") or as .npy'
        ) from None
    except (OSError, ValueError) as exc:
        raise _Fail(f"cannot read {path}: {exc}") from None


def _read_standard_input():
    """The points piped in: a table, or the bytes of a .npy file, read as
    the file of that kind would be; messages name standard input."""
    import os
    import tempfile

    data = sys.stdin.buffer.read()
    suffix = ".npy" if data.startswith(b"\x93NUMPY") else ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        name = os.path.join(tmp, "stdin" + suffix)
        with open(name, "wb") as f:
            f.write(data)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                return _read_points(name)
        except _Fail as exc:
            raise _Fail(str(exc).replace(name, "standard input")) from None
        finally:
            # outside the recording: each warning again, under the input's name
            for w in caught:
                warnings.warn(
                    str(w.message).replace(name, "standard input"),
                    w.category,
                    stacklevel=2,
                )


def _save_plot(plt, fig, path):
    """Save fig at path (a name without a suffix gets .png) and say where."""
    path = _plot_path(path)
    with _writing(path):
        fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"plot saved to {path}")


def _first_content(path):
    """(number, text) of the first line of the table at path that is no
    comment (np.savetxt's header) and not blank, its comment left out;
    (0, "") where there is none."""
    # utf-8-sig: a byte-order mark is no part of the first value
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            text = line.split("#", 1)[0].rstrip("\r\n")
            if text.strip():
                return number, text
    return 0, ""


# Fields that stand for a missing value rather than name a column.
_MISSING = ("", "na", "n/a", "nan", "null", "none", "?", "-")


def _load(path):
    # The first line with content decides the delimiter, and is the header
    # if it names the columns.
    number, sample = _first_content(path)
    tab = path.lower().endswith(".tsv") or ("\t" in sample and "," not in sample)
    delimiter = "\t" if tab else ","
    if not tab and "," not in sample and len(sample.split()) > 1:
        delimiter = None  # spaces, as np.savetxt writes by default
    names = [v.strip() for v in sample.split(delimiter)]
    # A header names columns: a line of numbers with a gap or an "NA" in
    # it is a row of data, which loadtxt then refuses with its line.
    skip = 0 if all(_number_or_missing(v) for v in names) else number
    usecols = None
    if skip and len(names) > 1 and not names[0] and all(names[1:]):
        # A first column with no name in a header that names the others is
        # a row index (pandas' to_csv writes one unless told index=False):
        # clustered as a feature, it would split the points by row number.
        usecols = range(1, len(names))
        warnings.warn(
            f"{path}: the first column, unnamed in the header, is read as a "
            "row index and left out",
            stacklevel=2,
        )
    with warnings.catch_warnings():
        # an empty file: the estimator's message on zero samples says it
        warnings.simplefilter("ignore", UserWarning)
        try:
            return np.loadtxt(
                path,
                delimiter=delimiter,
                skiprows=skip,
                usecols=usecols,
                ndmin=2,
                encoding="utf-8-sig",
            )
        except ValueError as exc:
            # numpy counts rows from 0 or 1 after the header, blank lines
            # left out, and suggests its own usecols: say the file's line
            raise ValueError(_bad_line(path, delimiter, skip) or str(exc)) from None


def _number_or_missing(value):
    try:
        float(value)
    except ValueError:
        return value.lower() in _MISSING
    return True


def _bad_line(path, delimiter, skip):
    """Why np.loadtxt refused the table at path, with the line's number as
    an editor shows it; None where no line is found wanting."""
    width = None
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            text = line.split("#", 1)[0].strip()  # loadtxt's comments
            if number <= skip or not text:
                continue
            fields = text.split(delimiter)
            for value in fields:
                try:
                    float(value)
                except ValueError:
                    what = (
                        "an empty field (a missing value?)"
                        if not value.strip()
                        else f"{value.strip()!r}, not a number"
                    )
                    if ";" in value:
                        # a spreadsheet's export in a decimal-comma locale
                        what += "; separate the values by commas, tabs or spaces"
                    return f"line {number} holds {what}"
            if width is None:
                width, first = len(fields), number
            elif len(fields) != width:
                return (
                    f"line {number} holds {_count_of(len(fields), 'value')}, "
                    f"line {first} holds {width}"
                )
    return None


def _count_of(n, noun):
    """'1 cluster', '2 clusters'."""
    return f"{n} {noun}{'s' * (n != 1)}"


def _cmd_cluster(args):
    from meanshift_fast import MeanShift

    if args.output == "-":
        args.output = None  # the usual name of standard output
    _check_writable(args.output, args.centers)
    _check_distinct([args.file], [("-o", args.output), ("--centers", args.centers)])
    X = _read_points(args.file)
    named = {
        "auto": "auto",
        "estimate": None,
        "scott": "scott",
        "silverman": "silverman",
    }
    if args.bandwidth in named:
        bandwidth = named[args.bandwidth]
    else:
        try:
            bandwidth = float(args.bandwidth)
        except ValueError:
            bandwidth = None
        if bandwidth is None or not 0 < bandwidth < float("inf"):
            raise _Fail(
                "--bandwidth must be a positive number, 'auto', 'estimate', "
                f"'scott' or 'silverman', not {args.bandwidth!r}"
            )
    bar = _ProgressBar("mean shift")
    try:
        ms = MeanShift(
            bandwidth=bandwidth,
            bin_seeding=args.bin_seeding,
            kernel=args.kernel,
            n_jobs=args.n_jobs,
            cluster_all=not args.no_cluster_all,
        ).fit(X, progress=bar)
    except (ValueError, TypeError) as exc:
        raise _Fail(str(exc)) from None
    finally:
        bar.close()
    if args.output:
        with _writing(args.output):
            np.savetxt(args.output, ms.labels_, fmt="%d")
    else:
        np.savetxt(sys.stdout, ms.labels_, fmt="%d")
    if args.centers:
        with _writing(args.centers):
            np.savetxt(args.centers, ms.cluster_centers_, delimiter=",")
    # scott and silverman give a bandwidth per feature: each is said
    h = np.ravel(ms.bandwidth_)
    said = (
        f"bandwidth {h[0]:.6g}"
        if h.size == 1
        else f"bandwidths per feature {', '.join(f'{v:.6g}' for v in h)}"
    )
    print(
        f"{_count_of(len(ms.cluster_centers_), 'cluster')}, "
        f"{_count_of(len(X), 'point')}, {said}",
        file=sys.stderr,
    )
    return 0


def _cmd_sweep(args):
    from meanshift_fast import bandwidth_sweep, select_bandwidth
    from meanshift_fast._sweep import check_bandwidths, default_bandwidths

    _check_writable(args.plot and _plot_path(args.plot))
    _check_distinct([args.file], [("--plot", args.plot and _plot_path(args.plot))])
    X = _read_points(args.file)
    plt = _pyplot(args.plot) if args.plot else None
    bandwidths = None
    if args.bandwidths is not None:
        try:
            bandwidths = [float(v) for v in args.bandwidths.split(",")]
        except ValueError:
            raise _Fail(
                "--bandwidths takes numbers separated by commas, such as "
                f"--bandwidths=0.5,1,2; got {args.bandwidths!r}"
            ) from None
    try:
        X = _checked(X)
        chosen = select_bandwidth(X, n_jobs=args.n_jobs)
        if bandwidths is None:
            bandwidths = default_bandwidths(X, args.n_bandwidths)
        # The chosen bandwidth gets a row of its own.
        bandwidths = np.union1d(check_bandwidths("sweep", bandwidths), [chosen])
        with warnings.catch_warnings():
            # A row per bandwidth says what binning did; one warning per
            # row whose bins hold one point each would only repeat it.
            warnings.filterwarnings("ignore", message="Binning data failed")
            sweep = bandwidth_sweep(
                X, bandwidths, min_bin_freq=args.min_bin_freq, n_jobs=args.n_jobs
            )
    except (ValueError, TypeError) as exc:
        raise _Fail(str(exc)) from None
    print(f"{len(X)} points, {X.shape[1]} features; select_bandwidth: {chosen:.6g}")
    print(sweep.table(marked=chosen))
    empty = int(np.sum(sweep.n_clusters == 0))
    if empty:
        # MeanShift refuses such a fit; the sweep keeps the row, empty.
        warnings.warn(
            f"{empty} of {len(sweep)} bandwidths found no cluster: no bin held "
            f"--min-bin-freq {args.min_bin_freq} points, or none lay within the "
            "bandwidth of a point",
            stacklevel=2,
        )
    if args.plot:
        _save_plot(plt, sweep.plot(marked=chosen), args.plot)
    return 0


def _checked(X):
    from meanshift_fast._validation import check_array

    return check_array(X, owner="sweep")


def _cmd_info(args):
    from meanshift_fast._info import info_text

    print(info_text())
    return 0


# ---- images: segment and filter ----

PILLOW_MISSING = (
    "reading and writing {} needs Pillow: "
    "pip install 'meanshift-fast[image]' (or use .npy files)"
)


def _is_npy(path):
    return path.lower().endswith(".npy")


def _save_npy(path, array):
    """np.save to exactly path (np.save itself appends .npy to any other
    name, .NPY included)."""
    with _writing(path), open(path, "wb") as f:
        np.save(f, array)


def _read_npy(path):
    """The array of a .npy file, or _Fail (an empty, cut short or other
    file is a message, not a traceback)."""
    try:
        with open(path, "rb") as f:
            if f.read(6) != b"\x93NUMPY":
                raise _Fail(f"cannot read {path}: not a .npy file")
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        reason = str(exc) or "the file ends early"
        raise _Fail(f"cannot read {path}: {reason}") from None


def _pillow(path):
    """Pillow's Image and ImageOps, or _Fail saying that path needs them."""
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise _Fail(PILLOW_MISSING.format(path)) from None
    return Image, ImageOps


def _read_image(path):
    """The image at path, .npy or any Pillow image, or _Fail."""
    if _is_npy(path):
        array = _read_npy(path)
        # pixels in the machine's byte order, as every image format reads
        if isinstance(array.dtype, np.dtype) and not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        return array
    Image, ImageOps = _pillow(path)
    try:
        with Image.open(path) as im:
            return _pixels(path, im, ImageOps)
    except (OSError, Image.DecompressionBombError) as exc:
        raise _Fail(f"cannot read {path}: {exc}") from None


def _rawmode(tile):
    """How a tile's pixels are stored, as far as its plugin says."""
    args = tile.args
    if isinstance(args, str):
        return args
    if isinstance(args, tuple) and args and isinstance(args[0], str):
        return args[0]
    return ""


def _pixels(path, im, ImageOps):
    """An opened image's pixels as an array, turned upright as its EXIF
    orientation says (as viewers show it)."""
    raw = [_rawmode(t) for t in im.tile]
    deep = im.mode in ("RGB", "RGBA") and any(";16" in r for r in raw)
    grey_alpha = deep and any(r.startswith("LA") for r in raw)
    if deep:
        warnings.warn(
            f"{path}: 16-bit {'grey' if grey_alpha else 'colour'} is read with 8 "
            "bits per channel (Pillow reads no more); save it as .npy to keep "
            "every bit",
            stacklevel=2,
        )
    frames = getattr(im, "n_frames", 1)
    if frames > 1:
        warnings.warn(f"{path} holds {frames} frames; the first is read", stacklevel=2)
    im = ImageOps.exif_transpose(im)
    if im.mode in ("L", "RGB", "F"):
        return np.asarray(im).copy()
    if im.mode.startswith("I;16"):  # 16-bit grey, either byte order
        return np.asarray(im).astype(np.uint16)
    if im.mode == "I":  # 32-bit integers: exact in float64
        return np.asarray(im).astype(np.float64)
    if im.mode in ("1", "LA") or grey_alpha:
        return np.asarray(im.convert("L"))
    rgb = np.asarray(im.convert("RGB"))
    if im.mode in ("P", "PA") and (rgb == rgb[..., :1]).all():
        return np.ascontiguousarray(rgb[..., 0])  # a palette of greys
    return rgb


def _for_pillow(array):
    """array as Pillow writes it: one channel as grey, 16-bit colour rounded
    to 8 bits."""
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype == np.uint16 and array.ndim == 3:
        # v / 257 maps 65535 to 255, rounded to nearest
        return ((array.astype(np.uint32) + 128) // 257).astype(np.uint8)
    return array


def _check_output(path, image):
    """Refuse, before any work, an output that cannot hold a result like
    image (its dtype, channels and range): a directory, an unknown
    extension, or a format that changes such pixels beyond lossy
    compression (floats to 8 bits, 16 bits garbled, a resized icon)."""
    from pathlib import Path

    if _is_npy(path) or image.size == 0:
        return  # an empty image is refused by the run, with its own message
    Image, _ = _pillow(path)
    suffix = Path(path).suffix.lower()
    formats = Image.registered_extensions()
    if path.endswith(("/", "\\")):
        raise _Fail(f"cannot write {path}: a name that ends in a slash is no file's")
    if suffix not in formats or formats[suffix] not in Image.SAVE:
        what = (
            f"{suffix} is no image format Pillow writes" if suffix else "no extension"
        )
        raise _Fail(
            f"cannot write {path}: {what}; name a .png, .tif, .jpg (...) or .npy file"
        )
    exact = _probe_output(Image, formats[suffix], image)
    if exact is None:
        raise _Fail(_unwritable(path, formats[suffix], image))
    if image.dtype == np.uint16 and image.ndim == 3 and image.shape[-1] > 1:
        warnings.warn(
            f"{path}: 16-bit colour is written with 8 bits per channel (Pillow "
            "has no 16-bit colour); write .npy to keep every bit",
            stacklevel=2,
        )
    elif not exact and image.dtype != np.uint8:
        warnings.warn(
            f"{path}: {formats[suffix]} keeps {image.dtype} pixels with less "
            "precision; write .npy to keep every bit",
            stacklevel=2,
        )


def _probe_output(Image, fmt, image):
    """Write small uniform images at image's least, middle and largest
    values in fmt and read them back: True where they come back exact
    (and float64 is not narrowed), False within what lossy compression
    changes (2% of the range), None where the format cannot hold them."""
    import io

    lo, hi = float(image.min()), float(image.max())
    # Icons are resized to their sizes: probe those at the image's own
    # size, the others small (the pixels' type is what they decide on).
    small = (min(image.shape[0], 16), min(image.shape[1], 16), *image.shape[2:])
    shape = image.shape if fmt in ("ICO", "ICNS") else small
    exact = True
    for v in (lo, 0.5 * (lo + hi), hi):
        value = np.array(v).astype(image.dtype)
        probe = _for_pillow(np.full(shape, value))
        buf = io.BytesIO()
        try:
            written = Image.fromarray(probe)
            written.save(buf, format=fmt)
            buf.seek(0)
            with Image.open(buf) as im:
                stored = im.mode
                # a palette (GIF) or other mode back in the probe's own
                back = np.asarray(im.convert(written.mode))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if back.shape != probe.shape or (probe.dtype.kind == "f" and stored != "F"):
            return None  # resized, or floats stored as integers
        with np.errstate(over="ignore", invalid="ignore"):
            err = np.abs(back.astype(np.float64) - probe.astype(np.float64))
        # lossy compression moves integers by a few levels of 255, whatever
        # their width; clipping to 8 bits moves 16-bit values by far more
        span = max(hi - lo, 255.0) if probe.dtype.kind in "ui" else hi - lo
        if not (err <= 0.02 * span + 1e-6 * abs(float(value))).all():
            return None
        exact = exact and bool((err == 0).all())
    # Pillow holds floats in float32 at most
    return exact and image.dtype != np.float64


def _unwritable(path, fmt, image):
    floats = image.dtype.kind == "f" and image.ndim == 2
    return (
        f"cannot write {path}: {fmt} holds no {image.dtype} pixels of shape "
        f"{image.shape} with values from {image.min()} to {image.max()} (an "
        "image file holds grey or RGB pixels, most of them 8-bit: write .npy"
        + (", or .tif for floats)" if floats else ")")
    )


def _write_image(path, array):
    """Write array to path, .npy or any Pillow format, or _Fail."""
    if _is_npy(path):
        _save_npy(path, array)
        return
    Image, _ = _pillow(path)
    pixels = _for_pillow(array)
    try:
        written = Image.fromarray(pixels)
        written.save(path)
        with Image.open(path) as im:
            stored, fmt = im.mode, im.format
            back = np.asarray(im.convert(written.mode)) if stored == "P" else None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise _Fail(f"cannot write {path}: {exc}") from None
    # A palette format (GIF) keeps 256 colours: more are merged without a
    # word from Pillow, regions of a segmentation among them.
    if back is not None and pixels.ndim == 3 and not np.array_equal(back, pixels):
        n = len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0))
        warnings.warn(
            f"{path}: {fmt} holds 256 colours at most, and the image's {n} were "
            "reduced to them; write .png to keep every colour",
            stacklevel=2,
        )


def _as_dtype(values, dtype):
    if np.dtype(dtype).kind == "u":
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def _filter_options(args):
    return {
        "kernel": args.kernel,
        "color_space": None if args.color_space == "auto" else args.color_space,
        "max_iter": args.max_iter,
        "n_jobs": args.n_jobs,
        "channel_axis": None if args.volume else -1,
    }


def _run_on_image(args, run):
    """Read args.image and return (image, run(image, progress)), under a
    progress bar; _Fail where either fails."""
    labels = getattr(args, "labels", None)
    _check_writable(args.output, labels)
    _check_distinct([args.image], [("-o", args.output), ("--labels", labels)])
    image = _read_image(args.image)
    if args.volume and (not _is_npy(args.image) or image.ndim != 3):
        # Else an RGB file's (H, W, 3) pixels are filtered as a volume 3
        # voxels deep, and a grey file's .png output is refused as a volume's.
        what = (
            f"holds an array of shape {image.shape}"
            if _is_npy(args.image)
            else "is an image file"
        )
        raise _Fail(
            "--volume takes a grey volume: a .npy array of shape (Z, Y, X); "
            f"{args.image} {what}. A colour volume (Z, Y, X, C) needs no --volume."
        )
    if args.volume and not _is_npy(args.output):
        raise _Fail(f"cannot write {args.output}: a volume is written only as .npy")
    _check_output(args.output, image)
    bar = _ProgressBar("mean shift filter")
    try:
        return image, run(image, bar)
    except (ValueError, TypeError) as exc:
        raise _Fail(_in_flags(str(exc))) from None
    finally:
        bar.close()


_OPTION = re.compile(
    r"\b(color_space|kernel|max_iter|n_jobs|connectivity|min_region|"
    r"spatial_radius|range_radius)=('?)([^'\s,;)]*)\2"
)


def _in_flags(message):
    """A message of the image functions in the command line's terms: their
    parameters named as the options that set them."""
    message = message.replace("channel_axis=None", "--volume")
    return _OPTION.sub(
        lambda m: f"--{m.group(1).replace('_', '-')} {m.group(3)}".rstrip(), message
    )


def _cmd_segment(args):
    from meanshift_fast.image import segment

    image, seg = _run_on_image(
        args,
        lambda image, bar: segment(
            image,
            args.spatial_radius,
            args.range_radius,
            args.min_region,
            connectivity=args.connectivity,
            progress=bar,
            **_filter_options(args),
        ),
    )
    out = seg.image
    if args.boundaries:
        # The region outlines drawn over the input: white on grey images,
        # red on colour ones.
        out = np.array(image, copy=True)
        edge = seg.boundaries()
        # the brightest value the image's type holds, or the image's own
        top = np.iinfo(out.dtype).max if out.dtype.kind == "u" else out.max()
        if out.ndim == edge.ndim:
            out[edge] = top
        else:
            mark = np.zeros(out.shape[-1], dtype=out.dtype)
            mark[0] = top
            if out.shape[-1] in (2, 4):  # grey or colour with alpha: opaque
                mark[-1] = top
            out[edge] = mark
    _write_image(args.output, out)
    if args.labels:
        _save_npy(args.labels, seg.labels)
    print(
        f"{_count_of(seg.n_regions, 'region')}, {seg.labels.size} pixels, "
        f"smallest {int(seg.sizes.min())}",
        file=sys.stderr,
    )
    return 0


def _cmd_filter(args):
    from meanshift_fast.image import mean_shift_filter

    image, out = _run_on_image(
        args,
        lambda image, bar: mean_shift_filter(
            image,
            args.spatial_radius,
            args.range_radius,
            progress=bar,
            **_filter_options(args),
        ),
    )
    if not _is_npy(args.output):
        out = _as_dtype(out, image.dtype)
    _write_image(args.output, out)
    return 0


def _add_image_commands(sub):
    def common(p):
        p.add_argument("image", help="an image file (PNG, JPEG, TIFF...) or .npy array")
        p.add_argument("-o", "--output", required=True, help="output image (or .npy)")
        p.add_argument(
            "--spatial-radius", type=_radius, required=True, help="hs, in pixels"
        )
        p.add_argument(
            "--range-radius",
            type=_radius,
            required=True,
            help="hr, in the working colour space's units",
        )
        _kernel_option(p, "the kernel on the joint spatial-range distance (flat)")
        p.add_argument(
            "--color-space",
            default="auto",
            choices=["auto", "raw", "lab", "luv"],
            help="auto: luv for RGB images, raw otherwise",
        )
        p.add_argument(
            "--max-iter", type=_count(0), default=100, help="most steps per pixel (100)"
        )
        p.add_argument("--n-jobs", type=_threads, default=None, help="threads (all)")
        p.add_argument(
            "--volume",
            action="store_true",
            help="a .npy array of 3 dimensions is a grey volume, not a colour image",
        )

    p = sub.add_parser("segment", help="segment an image into regions")
    common(p)
    p.add_argument(
        "--min-region", type=_count(0), default=20, help="fewest pixels (20)"
    )
    p.add_argument(
        "--connectivity",
        type=int,
        default=8,
        choices=[4, 8, 6, 18, 26],
        help="4 or 8 (6, 18, 26 for volumes)",
    )
    p.add_argument("--labels", metavar="PATH", help="save the labels (.npy)")
    p.add_argument(
        "--boundaries",
        action="store_true",
        help="draw the region outlines over the input instead of painting the "
        "regions with their modes",
    )
    p.set_defaults(func=_cmd_segment)

    p = sub.add_parser("filter", help="mean shift filter an image")
    common(p)
    p.set_defaults(func=_cmd_filter)


# ---- end of images ----


def _kernel_option(p, help="the kernel (flat, scikit-learn's)"):
    p.add_argument(
        "--kernel",
        default="flat",
        choices=["flat", "gaussian", "epanechnikov"],
        help=help,
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="meanshift-fast", description="Exact, parallel mean shift clustering."
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="cluster the three-blob example")
    p.add_argument("--plot", metavar="PATH", help="save a 3-D scatter plot (PNG)")
    p.add_argument(
        "-n", type=_count(10), default=150, help="number of points, at least 10 (150)"
    )
    p.add_argument("--seed", type=_count(0), default=0, help="random seed (0)")
    _kernel_option(p)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("cluster", help="cluster the points of a .csv or .npy file")
    p.add_argument(
        "file",
        help="a .npy array or .csv/.tsv table, one point a row ('-': standard input)",
    )
    p.add_argument("-o", "--output", help="write labels here (default, or '-': stdout)")
    p.add_argument("--centers", metavar="PATH", help="write centres as CSV here")
    p.add_argument(
        "--bandwidth",
        default="auto",
        help="a number; 'auto' (default): chosen by select_bandwidth; 'estimate': "
        "estimate_bandwidth, scikit-learn's default; 'scott' or 'silverman'",
    )
    p.add_argument("--bin-seeding", action="store_true", help="seed from grid bins")
    _kernel_option(p)
    p.add_argument("--n-jobs", type=_threads, default=None, help="threads (all)")
    p.add_argument(
        "--no-cluster-all",
        action="store_true",
        help="label points outside every kernel -1",
    )
    p.set_defaults(func=_cmd_cluster)

    p = sub.add_parser(
        "sweep",
        help="cluster a .csv or .npy file at many bandwidths and at the one "
        "select_bandwidth chooses, whose row is marked (bin-seeded fits, as "
        "cluster --bin-seeding)",
    )
    p.add_argument(
        "file",
        help="a .npy array or .csv/.tsv table, one point a row ('-': standard input)",
    )
    p.add_argument("--plot", metavar="PATH", help="save the picture (PNG)")
    p.add_argument(
        "--n-bandwidths",
        type=_count(1),
        default=24,
        help="how many bandwidths, spread over the data's scales (24), besides "
        "the chosen one",
    )
    p.add_argument(
        "--bandwidths",
        metavar="H1,H2,...",
        help="these bandwidths instead, and the chosen one",
    )
    p.add_argument(
        "--min-bin-freq",
        type=_count(1),
        default=1,
        help="fewest samples a grid bin needs to seed (1)",
    )
    p.add_argument("--n-jobs", type=_threads, default=None, help="threads (all)")
    p.set_defaults(func=_cmd_sweep)
    _add_image_commands(sub)

    p = sub.add_parser("info", help="version, OpenMP, threads and build flags")
    p.set_defaults(func=_cmd_info)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line for the command's user, not a source listing."""
    (file or sys.stderr).write(f"meanshift-fast: warning: {message}\n")


def _silence_stdout():
    """Point stdout at the null device, so that what is left in its buffer
    raises nothing more when the interpreter flushes it on exit."""
    import os

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # no file descriptor: nothing is flushed to one at exit
    os.dup2(os.open(os.devnull, os.O_WRONLY), fd)


def main(argv=None):
    args = build_parser().parse_args(argv)
    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        code = args.func(args)
        sys.stdout.flush()  # a full disk is said here, not in a traceback at exit
        return code
    except _Fail as exc:
        # One line: scikit-learn's messages on X span several (NaN, 1-D).
        lines = [line.strip() for line in str(exc).splitlines()]
        print(f"meanshift-fast: {' '.join(ln for ln in lines if ln)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (| head): no traceback, and no second error
        # when the interpreter flushes stdout on exit.
        _silence_stdout()
        return 1
    except OSError as exc:
        # Every named file is read and written under a message of its own
        # (_Fail): what is left is standard output, on a full disk or the like.
        _silence_stdout()
        print(
            f"meanshift-fast: cannot write to standard output: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    finally:
        warnings.showwarning = shown


if __name__ == "__main__":
    sys.exit(main())
