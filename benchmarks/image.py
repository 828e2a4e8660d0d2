"""Image benchmarks: segmentation against EDISON, filter thread scaling, and
the OpenCV-identical filter against OpenCV, on 512 x 512 photos.

    python benchmarks/image.py --edison-venv /work/venv-edison --repeats 5

EDISON (PyPI `pymeanshift`) builds only against numpy < 2, so it runs in a
subprocess from a venv of its own; create one with

    python3 -m venv VENV
    VENV/bin/pip install "numpy<2" setuptools wheel
    VENV/bin/pip install --no-build-isolation pymeanshift

Without it (or with --no-edison) its rows are left out.  Every figure is the
median of --repeats runs, and every ratio is taken between runs of the same
invocation, on the same images.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from runner import median_timed as timed

from meanshift_fast.image import mean_shift_filter, segment

HS, HR, MIN_REGION = 6, 4.5, 50
PYR_SP, PYR_SR = 8, 16

EDISON_CHILD = r"""
import json, sys, time
import numpy as np
import pymeanshift as pms
path, level, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
img = np.ascontiguousarray(np.load(path))
times, n = [], 0
for _ in range(repeats):
    t0 = time.perf_counter()
    _, _, n = pms.segment(img, spatial_radius=%d, range_radius=%r,
                          min_density=%d, speedup_level=level)
    times.append(time.perf_counter() - t0)
print(json.dumps({"times": times, "n_regions": int(n)}))
""" % (HS, HR, MIN_REGION)


def photos():
    """The three test photos, 512 x 512 uint8 RGB."""
    from skimage import data
    from skimage.transform import resize

    def square(img):
        h, w = img.shape[:2]
        s = min(h, w)
        img = img[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
        if s != 512:
            img = resize(img, (512, 512), preserve_range=True, anti_aliasing=True)
        return np.ascontiguousarray(np.clip(np.rint(img), 0, 255).astype(np.uint8))

    return {
        "astronaut": square(data.astronaut()),
        "coffee": square(data.coffee()),
        "chelsea": square(data.chelsea()),
    }


def edison(python, img, level, repeats, tmp):
    path = os.path.join(tmp, "img.npy")
    np.save(path, img)
    res = subprocess.run(
        [python, "-c", EDISON_CHILD, path, str(level), str(repeats)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip().splitlines()[-1])
    out = json.loads(res.stdout.strip().splitlines()[-1])
    return statistics.median(out["times"]), out["n_regions"]


def segment_section(images, args, results):
    python = None
    if not args.no_edison:
        python = os.path.join(args.edison_venv, "bin", "python")
        if not os.path.exists(python):
            print(
                f"EDISON left out: no {python}; create the venv as the module "
                "docstring says (python benchmarks/image.py --help)"
            )
            python = None
    print(f"\nsegment: hs={HS}, hr={HR}, min_region={MIN_REGION} (EDISON: "
          "min_density), all cores; median seconds")  # fmt: skip
    head = f"{'photo':<10} {'meanshift_fast':>14} {'regions':>8}"
    if python:
        head += (
            f" {'EDISON 0':>9} {'ratio':>6} {'EDISON 1':>9} {'ratio':>6} {'regions':>8}"
        )
    print(head)
    with tempfile.TemporaryDirectory() as tmp:
        for name, img in images.items():
            t, seg = timed(
                lambda img=img: segment(img, HS, HR, MIN_REGION), args.repeats
            )
            row = {"photo": name, "meanshift_fast_s": t, "regions": seg.n_regions}
            line = f"{name:<10} {t:>14.3f} {seg.n_regions:>8}"
            if python:
                try:
                    e0, n0 = edison(python, img, 0, args.repeats, tmp)
                    e1, _ = edison(python, img, 1, args.repeats, tmp)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    print(f"EDISON failed: {exc}")
                    python = None
                else:
                    row.update(edison0_s=e0, edison1_s=e1, edison_regions=n0)
                    line += f" {e0:>9.3f} {e0 / t:>5.1f}x {e1:>9.3f} {e1 / t:>5.1f}x"
                    line += f" {n0:>8}"
            print(line)
            results["segment"].append(row)


def filter_section(images, args, results):
    print(f"\nmean_shift_filter: hs={HS}, hr={HR}; 1 vs 2 threads, median seconds")
    print(
        f"{'photo':<10} {'1 thread':>9} {'2 threads':>10} {'speed-up':>9} {'equal':>6}"
    )
    for name, img in images.items():
        t1, a = timed(
            lambda img=img: mean_shift_filter(img, HS, HR, n_jobs=1), args.repeats
        )
        t2, b = timed(
            lambda img=img: mean_shift_filter(img, HS, HR, n_jobs=2), args.repeats
        )
        same = bool(np.array_equal(a, b))
        print(f"{name:<10} {t1:>9.3f} {t2:>10.3f} {t1 / t2:>8.2f}x {str(same):>6}")
        results["filter"].append(
            {"photo": name, "one_thread_s": t1, "two_threads_s": t2, "equal": same}
        )


def pyr_section(images, args, results):
    try:
        from meanshift_fast.image import pyr_mean_shift_filtering
    except ImportError:
        print("\npyr_mean_shift_filtering: not in this build; section skipped")
        return
    try:
        import cv2
    except ImportError:
        print("\npyr_mean_shift_filtering: OpenCV (cv2) not installed; section skipped")
        return
    print(f"\npyr_mean_shift_filtering vs cv2.pyrMeanShiftFiltering: sp={PYR_SP}, "
          f"sr={PYR_SR}, median seconds")  # fmt: skip
    print(
        f"{'photo':<10} {'level':>5} {'ours':>8} {'cv2':>8} {'ratio':>7} {'bytes':>6}"
    )
    for name, img in images.items():
        for level in (0, 1):
            t, ours = timed(
                lambda img=img, level=level: pyr_mean_shift_filtering(
                    img, PYR_SP, PYR_SR, max_level=level
                ),
                args.repeats,
            )
            tc, ref = timed(
                lambda img=img, level=level: cv2.pyrMeanShiftFiltering(
                    img, PYR_SP, PYR_SR, maxLevel=level
                ),
                args.repeats,
            )
            same = bool(np.array_equal(ours, ref))
            print(f"{name:<10} {level:>5} {t:>8.3f} {tc:>8.3f} {tc / t:>6.1f}x "
                  f"{'same' if same else 'DIFFER':>6}")  # fmt: skip
            results["pyr"].append(
                {"photo": name, "level": level, "ours_s": t, "cv2_s": tc, "equal": same}
            )


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--repeats", type=int, default=3, help="runs per timing (3)")
    p.add_argument(
        "--edison-venv",
        default=os.environ.get("EDISON_VENV", "/work/venv-edison"),
        help="venv holding pymeanshift (default $EDISON_VENV or /work/venv-edison)",
    )
    p.add_argument("--no-edison", action="store_true", help="leave EDISON out")
    p.add_argument(
        "--sections",
        default="segment,filter,pyr",
        help="any of segment, filter, pyr (comma-separated)",
    )
    p.add_argument("--json", metavar="PATH", help="write the figures here")
    args = p.parse_args(argv)
    sections = args.sections.split(",")
    images = photos()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}")  # fmt: skip
    results = {"segment": [], "filter": [], "pyr": [], "repeats": args.repeats}
    if "segment" in sections:
        segment_section(images, args, results)
    if "filter" in sections:
        filter_section(images, args, results)
    if "pyr" in sections:
        pyr_section(images, args, results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
