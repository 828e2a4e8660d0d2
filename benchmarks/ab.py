"""Interleaved A/B timing of two revisions of meanshift_fast.

Shows whether a change (a refactor, say) slows the library down beyond the
noise of the machine. Each side's source is exported from git into a
temporary directory of its own and built there with this Python
(``setup.py build_ext --inplace``). The same fits then run with each build in
turn, base, head, head, base, base, head, ... (the order within a round
alternates), each in a fresh interpreter whose PYTHONPATH is that build, so
slow drifts of the machine's load hit both sides alike.

Within one interpreter a call is repeated (``--min-time``, ``--max-runs``)
and the fastest of those runs is that side's time for the round: the run
least disturbed by other load. Per case the table gives the median of
each side's times over the rounds; head/base, the median of the per-round
ratios (head and base timed next to each other, so a change of load
between rounds cancels out); their interquartile range as the noise; and
in how many rounds head was the slower. A case is marked ``slower`` when
head/base is above 1.01 and head was the slower in so many rounds that a
sign test puts the chance of it, were neither side faster, under 5% (5 of
5 rounds, 7 of 7, 8 of 9, 12 of 15); ``faster`` in the mirror case; else ``~``,
within noise (``?``: fewer than 5 rounds, no verdict possible). The
verdict is a screen, and a busy machine can still fool it: rerun a case
marked ``slower`` alone with more rounds, on a quieter machine.

Examples::

    python benchmarks/ab.py                          # HEAD against the working tree
    python benchmarks/ab.py --base HEAD~1 --head HEAD
    python benchmarks/ab.py --base main --cases allseeds3d,binseed2d --rounds 9
    python benchmarks/ab.py --list

Builds are kept, keyed by the git tree of the source, under
``$TMPDIR/meanshift_fast_ab`` (``--rebuild`` builds again).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKTREE = "worktree"

# name -> (data, call, data size): the call is timed on the saved array
CASES = {
    "allseeds3d-20k": ("blobs3d", "fit", 20_000),
    "allseeds3d-100k": ("blobs3d", "fit", 100_000),
    "allseeds3d-r1-100k": ("blobs3d", "fit", 100_000),
    "allseeds3d-r3-100k": ("blobs3d", "fit", 100_000),
    "binseed2d-200k": ("blobs2d", "fit_bins", 200_000),
    "gaussian3d-10k": ("blobs3d", "fit_gaussian", 10_000),
    "epanechnikov3d-10k": ("blobs3d", "fit_epanechnikov", 10_000),
    "float32-100k": ("blobs3d_f32", "fit", 100_000),
    "estbw-20k": ("blobs3d", "estimate_bandwidth", 20_000),
    "filter256": ("image256", "mean_shift_filter", 256),
    "segment-astronaut": ("astronaut", "segment", 512),
    "blobs8d-5k": ("blobs8d", "fit", 5_000),
    "blobs16d-5k": ("blobs16d", "fit", 5_000),
    "blobs32d-5k": ("blobs32d", "fit", 5_000),
    "blobs128d-5k": ("blobs128d", "fit", 5_000),
    "digits": ("digits", "fit", 1_797),
}
# cases fitted at this many times the blobs' spread rather than at the
# estimated bandwidth (about 3.4 times): scripts/scale.py's --ratios
SPREAD_RATIO = {"allseeds3d-r1-100k": 1.0, "allseeds3d-r3-100k": 3.0}
# a short run of each call on this much of the data, untimed, before timing
WARM_ROWS = 500
IMAGE_HS, IMAGE_HR, IMAGE_MIN_REGION = 6, 4.5, 50
TOLERANCE = 0.01  # differences of a ratio below this are not called
SIGNIFICANCE = 0.05  # of the sign test on the rounds
MIN_ROUNDS = 5  # fewer rounds cannot reach it: no verdict ("?")


# --------------------------------------------------------------------------
# worker: runs in a fresh interpreter with one build first on sys.path


def worker(spec):
    import numpy as np

    import meanshift_fast as mf

    X = np.load(spec["data"])
    h, n_jobs, call = spec["bandwidth"], spec["n_jobs"], spec["call"]

    def fit(kernel=None, bin_seeding=False):
        # only the options a case sets, so that a revision before them still runs
        kw = {"kernel": kernel} if kernel else {}
        if bin_seeding:
            kw["bin_seeding"] = True

        def run(A):
            mf.MeanShift(bandwidth=h, n_jobs=n_jobs, **kw).fit(A)

        return run

    if call == "estimate_bandwidth":

        def run(A):
            mf.estimate_bandwidth(
                A, quantile=0.3, n_samples=None, random_state=0, n_jobs=n_jobs
            )

    elif call == "mean_shift_filter":
        from meanshift_fast.image import mean_shift_filter

        def run(A):
            mean_shift_filter(A, IMAGE_HS, IMAGE_HR, n_jobs=n_jobs)

    elif call == "segment":
        from meanshift_fast.image import segment

        def run(A):
            segment(A, IMAGE_HS, IMAGE_HR, IMAGE_MIN_REGION, n_jobs=n_jobs)

    else:
        run = {
            "fit": fit(),
            "fit_bins": fit(bin_seeding=True),
            "fit_gaussian": fit("gaussian"),
            "fit_epanechnikov": fit("epanechnikov"),
        }[call]

    run(X[:32, :32] if X.ndim == 3 else X[:WARM_ROWS])
    times, total = [], 0.0
    clock = time.process_time if spec["clock"] == "cpu" else time.perf_counter
    while not times or (total < spec["min_time"] and len(times) < spec["max_runs"]):
        t0 = clock()
        run(X)
        times.append(clock() - t0)
        total += times[-1]
    return {"times": times, "file": mf.__file__}


# --------------------------------------------------------------------------
# data, shared by both sides


def image256():
    """A 256 x 256 RGB picture: 12 flat regions (Voronoi cells) plus noise."""
    import numpy as np

    rng = np.random.default_rng(0)
    sites = rng.uniform(0, 256, size=(12, 2))
    tones = rng.uniform(20, 235, size=(12, 3))
    yy, xx = np.mgrid[0:256, 0:256]
    d = (yy[..., None] - sites[:, 0]) ** 2 + (xx[..., None] - sites[:, 1]) ** 2
    img = tones[np.argmin(d, axis=-1)] + rng.normal(0, 8, size=(256, 256, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_data(names, folder):
    """Save each case's array; bandwidths as run.py's cases.Data picks them."""
    import numpy as np
    from cases import BLOBS3D_SPREAD, Data

    data = Data()
    specs = {}
    for name in names:
        kind, call, n = CASES[name]
        path = folder / f"{name}.npy"
        if kind == "image256":
            X, h = image256(), None
        elif kind == "astronaut":
            from skimage import data as images

            X, h = images.astronaut(), None
        elif kind == "blobs3d_f32":
            X, h = data.get("blobs3d", n, "float32"), data.bandwidth("blobs3d")
        else:
            X, h = data.get(kind, n), data.bandwidth(kind)
        if name in SPREAD_RATIO:
            h = SPREAD_RATIO[name] * BLOBS3D_SPREAD
        np.save(path, X)
        specs[name] = {"data": str(path), "bandwidth": h, "call": call}
    return specs


# --------------------------------------------------------------------------
# builds


def git(*args, env=None):
    return subprocess.run(
        ["git", "-C", str(ROOT), *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()


def tree_of(rev):
    """Git tree id of a revision, or of the working tree (with untracked files
    that are not ignored), written through a temporary index so that the real
    index is left alone."""
    if rev != WORKTREE:
        return git("rev-parse", f"{rev}^{{tree}}")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=str(Path(tmp) / "index"))
        git("read-tree", "HEAD", env=env)
        git("add", "-A", env=env)
        return git("write-tree", env=env)


def build(rev, tree, cache, rebuild, log):
    """Folder holding the built package of `rev` (git tree `tree`), built
    unless cached."""
    tag = f"{tree[:16]}-{sys.implementation.cache_tag}"
    # the build's own switches change the binary: keep one build per setting
    flags = [os.environ.get(k, "") for k in ("MEANSHIFT_FAST_OPENMP", "CC", "CFLAGS")]
    if any(flags):
        tag += "-" + hashlib.sha256("\0".join(flags).encode()).hexdigest()[:8]
    folder = cache / tag
    done = folder / ".built"
    if done.exists() and not rebuild:
        log(f"{rev}: tree {tree[:12]}, cached build {folder}")
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", tree],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        # the "data" filter where this Python has it (3.10.12+, 3.11.4+)
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(folder, **safe)
    log(f"{rev}: tree {tree[:12]}, building in {folder}")
    t0 = time.perf_counter()
    with open(folder / "build.log", "w") as out:
        rc = subprocess.call(
            [sys.executable, "setup.py", "build_ext", "--inplace"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if rc != 0:
        tail = (folder / "build.log").read_text().splitlines()[-20:]
        raise SystemExit(f"build of {rev} failed:\n" + "\n".join(tail))
    done.write_text(rev + "\n")
    log(f"{rev}: built in {time.perf_counter() - t0:.0f}s")
    return folder


# --------------------------------------------------------------------------
# timing


def run_side(folder, spec):
    env = dict(os.environ, PYTHONPATH=str(folder))
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    out = json.loads(proc.stdout.splitlines()[-1])
    if not Path(out["file"]).resolve().is_relative_to(folder.resolve()):
        raise RuntimeError(f"imported {out['file']}, not the build in {folder}")
    return min(out["times"]), out["times"]


def quartiles(xs):
    if len(xs) == 1:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def sign_p(k, n):
    """Chance of k or more of n rounds going one way if neither side is faster."""
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2**n


def summarise(name, base_t, head_t):
    ratios = [h / b for b, h in zip(base_t, head_t, strict=True)]
    b, h = statistics.median(base_t), statistics.median(head_t)
    lo, hi = quartiles(ratios)
    slower = sum(r > 1 for r in ratios)
    faster = sum(r < 1 for r in ratios)
    ratio = statistics.median(ratios)
    verdict = "?" if len(ratios) < MIN_ROUNDS else "~"
    if ratio > 1 + TOLERANCE and sign_p(slower, len(ratios)) < SIGNIFICANCE:
        verdict = "slower"
    elif ratio < 1 - TOLERANCE and sign_p(faster, len(ratios)) < SIGNIFICANCE:
        verdict = "faster"
    return {
        "case": name,
        "base_median_s": b,
        "head_median_s": h,
        "ratio": ratio,
        "ratio_of_medians": h / b,
        "ratio_q25": lo,
        "ratio_q75": hi,
        "rounds_head_slower": slower,
        "rounds": len(ratios),
        "ratios": ratios,
        "verdict": verdict,
    }


def render(rows):
    heads = ["case", "base s", "head s", "head/base", "ratios q25-q75", "slower"]
    heads.append("verdict")
    body = [
        [
            r["case"],
            f"{r['base_median_s']:.4f}",
            f"{r['head_median_s']:.4f}",
            f"{r['ratio']:.3f}",
            f"{r['ratio_q25']:.3f}-{r['ratio_q75']:.3f}",
            f"{r['rounds_head_slower']}/{r['rounds']}",
            r["verdict"],
        ]
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [heads, *body]) for i in range(len(heads))]

    def line(vals):
        return "  ".join(
            v.ljust(w) if i in (0, 6) else v.rjust(w)
            for i, (v, w) in enumerate(zip(vals, widths, strict=True))
        ).rstrip()

    return "\n".join(
        [line(heads), line(["-" * w for w in widths])] + [line(b) for b in body]
    )


# --------------------------------------------------------------------------
# main


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Interleaved A/B timing of two revisions of meanshift_fast.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--base", default="HEAD", help="git revision timed as base")
    p.add_argument(
        "--head",
        default=WORKTREE,
        help=f"git revision timed as head, or {WORKTREE!r}: the files as they are",
    )
    p.add_argument(
        "--cases",
        default=",".join(CASES),
        help="comma-separated cases, or prefixes of them (allseeds3d picks all four "
        "of its cases); --list shows them",
    )
    p.add_argument("--rounds", type=int, default=7, help="base/head pairs per case")
    p.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="n_jobs of every call (1: single thread, the least noisy)",
    )
    p.add_argument(
        "--min-time",
        type=float,
        default=0.2,
        help="within one interpreter, repeat a call until this many seconds "
        "(the fastest run counts)",
    )
    p.add_argument("--max-runs", type=int, default=10, help="at most this many")
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or the process's CPU time (less disturbed by other load "
        "when n_jobs=1; with more threads it sums them)",
    )
    p.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "meanshift_fast_ab",
        help="where builds are kept",
    )
    p.add_argument("--rebuild", action="store_true", help="ignore cached builds")
    p.add_argument("--json", type=Path, default=None, help="write every time here")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return args
    chosen = []
    for want in (c.strip() for c in args.cases.split(",") if c.strip()):
        hits = [c for c in CASES if c.startswith(want)]
        if not hits:
            p.error(f"unknown case {want!r}; choose from {list(CASES)}")
        chosen += [c for c in hits if c not in chosen]
    args.cases = chosen
    if args.rounds < 1:
        p.error("--rounds must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    if args.list:
        for name, (kind, call, n) in CASES.items():
            print(f"{name:20s} {call} on {kind}, n={n}")
        return 0

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t_start = time.perf_counter()
    sides = {"base": args.base, "head": args.head}
    args.cache.mkdir(parents=True, exist_ok=True)
    trees = {s: tree_of(rev) for s, rev in sides.items()}
    if trees["base"] == trees["head"]:
        # one build: two builds into the same folder at once would collide
        log("base and head have the same source: timing one build against itself")
        sides = {"base": args.base}
    with ThreadPoolExecutor(2) as pool:
        futures = {
            s: pool.submit(build, rev, trees[s], args.cache, args.rebuild, log)
            for s, rev in sides.items()
        }
        folders = {s: f.result() for s, f in futures.items()}
    folders.setdefault("head", folders["base"])
    sides = {"base": args.base, "head": args.head}

    times = {s: {c: [] for c in args.cases} for s in sides}
    errors = {}
    loads = []  # 1-minute load average after each round
    with tempfile.TemporaryDirectory(prefix="meanshift_fast_ab_data_") as tmp:
        specs = write_data(args.cases, Path(tmp))
        for r in range(args.rounds):
            order = ("base", "head") if r % 2 == 0 else ("head", "base")
            for case in args.cases:
                if case in errors:
                    continue
                spec = dict(
                    specs[case],
                    n_jobs=args.n_jobs,
                    min_time=args.min_time,
                    max_runs=args.max_runs,
                    clock=args.clock,
                )
                try:
                    for s in order:
                        times[s][case].append(run_side(folders[s], spec))
                except RuntimeError as exc:
                    errors[case] = f"{s}: {exc}"
                    log(f"{case}: {errors[case]}")
            elapsed = time.perf_counter() - t_start
            if hasattr(os, "getloadavg"):
                loads.append(os.getloadavg()[0])
            log(f"round {r + 1}/{args.rounds} done, {elapsed:.0f}s")

    rows = [
        summarise(
            c,
            [t for t, _ in times["base"][c]],
            [t for t, _ in times["head"][c]],
        )
        for c in args.cases
        if c not in errors
    ]
    print(
        f"\nbase {args.base} ({folders['base'].name}) | head {args.head} "
        f"({folders['head'].name}) | {args.rounds} rounds | n_jobs={args.n_jobs} | "
        f"{args.clock} time | "
        f"median of each side; per-round ratios head/base"
    )
    print(render(rows))
    for case, msg in errors.items():
        print(f"{case}: error: {msg}")
    ncpu = os.cpu_count() or 1
    if loads and max(loads) > ncpu + 0.5:
        print(
            f"\nWARNING: 1-minute load average up to {max(loads):.1f} on {ncpu} "
            "CPUs after the rounds: other work ran alongside, the times are noisy"
        )
    print(f"\ntotal wall time {time.perf_counter() - t_start:.0f}s")
    if args.json:
        doc = {
            "base": args.base,
            "head": args.head,
            "builds": {s: str(f) for s, f in folders.items()},
            "config": {
                k: vars(args)[k]
                for k in ("rounds", "n_jobs", "min_time", "max_runs", "clock")
            },
            "rows": rows,
            "times": {
                s: {c: [ts for _, ts in v] for c, v in per.items()}
                for s, per in times.items()
            },
            "errors": errors,
            "load1_after_rounds": loads,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
