"""pyr_mean_shift_filtering against cv2.pyrMeanShiftFiltering, same bytes.

    python benchmarks/image_pyr.py                 # 3 photos, 2 settings, levels 0, 1
    python benchmarks/image_pyr.py --repeats 3 --images astronaut --json out.json

On 512x512 photos from scikit-image, for (sp, sr) = (8, 16) and (16, 32) at
pyramid levels 0 and 1, it times cv2 (one thread: OpenCV runs this filter
serially) and meanshift_fast with 1 and 2 threads, in one process, in turn,
and prints the median wall times, the ratios cv2 / ours and whether every
run's bytes equal cv2's.  On a machine that other work keeps busy,
``--clock cpu --threads 1`` compares the CPU time of the two single-thread
runs instead (process CPU time: it adds up the threads, so it says nothing
about more than one).  Needs opencv-python-headless and scikit-image (the
test extras).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import cv2
import numpy as np
from skimage import data

from meanshift_fast.image import pyr_mean_shift_filtering

TERMCRIT = (cv2.TERM_CRITERIA_MAX_ITER | cv2.TERM_CRITERIA_EPS, 5, 1.0)


def photos():
    """512x512 RGB photos shipped with scikit-image."""
    retina = data.retina()
    y, x = (retina.shape[0] - 512) // 2, (retina.shape[1] - 512) // 2
    return {
        "astronaut": data.astronaut(),
        "immunohistochemistry": data.immunohistochemistry(),
        "retina_centre": np.ascontiguousarray(retina[y : y + 512, x : x + 512]),
    }


def timed(fn, repeats, clock=time.perf_counter):
    times, out = [], None
    for _ in range(repeats):
        start = clock()
        out = fn()
        times.append(clock() - start)
    return statistics.median(times), times, out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="runs per timing (median)")
    p.add_argument("--images", nargs="+", default=None, help="subset of the photos")
    p.add_argument("--levels", type=int, nargs="+", default=[0, 1])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--json", default=None, help="write every raw time here")
    p.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall time (perf_counter) or process CPU time (process_time)",
    )
    args = p.parse_args(argv)
    clock = time.perf_counter if args.clock == "wall" else time.process_time

    images = photos()
    names = args.images or list(images)
    cv2.setNumThreads(1)
    info = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "cv2": cv2.__version__,
        "numpy": np.__version__,
        "repeats": args.repeats,
        "clock": args.clock,
    }
    print(
        f"# {info['machine']}, {info['cpus']} CPUs, Python {info['python']}, "
        f"cv2 {info['cv2']}, medians of {args.repeats} runs, {args.clock} time"
    )
    head = (
        f"{'image':22s} {'sp':>3s} {'sr':>3s} {'lvl':>3s} {'cv2 ms':>8s}"
        + "".join(f" {f'{t}t ms':>8s}" for t in args.threads)
        + "".join(f" {f'cv2/{t}t':>7s}" for t in args.threads)
        + "  same bytes"
    )
    print(head)
    rows = []
    for name in names:
        image = images[name]
        for sp, sr in ((8, 16), (16, 32)):
            for level in args.levels:
                ref_t, ref_times, ref = timed(
                    lambda image=image, sp=sp, sr=sr, level=level: (
                        cv2.pyrMeanShiftFiltering(
                            image, sp, sr, maxLevel=level, termcrit=TERMCRIT
                        )
                    ),
                    args.repeats,
                    clock,
                )
                ours, same = {}, True
                for n in args.threads:
                    t, times, out = timed(
                        lambda image=image, sp=sp, sr=sr, level=level, n=n: (
                            pyr_mean_shift_filtering(
                                image, sp, sr, max_level=level, n_jobs=n
                            )
                        ),
                        args.repeats,
                        clock,
                    )
                    ours[n] = (t, times)
                    same = same and np.array_equal(out, ref)
                print(
                    f"{name:22s} {sp:3d} {sr:3d} {level:3d} {ref_t * 1e3:8.1f}"
                    + "".join(f" {ours[n][0] * 1e3:8.1f}" for n in args.threads)
                    + "".join(f" {ref_t / ours[n][0]:7.1f}" for n in args.threads)
                    + f"  {same}"
                )
                rows.append(
                    {
                        "image": name,
                        "shape": list(image.shape),
                        "sp": sp,
                        "sr": sr,
                        "level": level,
                        "cv2_s": ref_times,
                        "ours_s": {str(n): ours[n][1] for n in args.threads},
                        "same_bytes": same,
                    }
                )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
