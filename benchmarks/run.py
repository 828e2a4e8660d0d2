"""Time meanshift_fast against scikit-learn and mlpack on the same data.

Every tool runs in this one process on the same arrays with the same
bandwidth. The table reports the median of the repeats; the same numbers, with
the raw times and machine details, go to a JSON file.

Examples::

    python benchmarks/run.py --quick
    python benchmarks/run.py --cases allseeds3d,estbw --time-cap 120
    python benchmarks/run.py --json /tmp/results.json --repeats 5

Peers (scikit-learn, mlpack) are skipped when their estimated time is above
``--time-cap``. The estimate scales the same tool's time at a smaller n (an
earlier size of the same series, or a small probe run) by the expected
complexity: quadratic for every-point seeding and for estimate_bandwidth,
linear for bin seeding (mlpack always bin-seeds internally).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

import numpy as np
from cases import CASES, FIXED_N, FULL, QUICK, Data
from report import (
    compare_fit,
    fmt_s,
    machine_info,
    make_row,
    print_summary,
    write_json,
)
from runner import (
    MF,
    ML,
    SK,
    Job,
    Runner,
    _try_import,
    measure_floor,
    warm_up,
)

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results.json"

# --------------------------------------------------------------------------
# cases


def fit_tools(runner):
    return [t for t in (SK, ML, MF) if runner.available(t)]


def case_fit_series(runner, case, task, family, sizes, tools):
    rows = []
    for n in sizes:
        if runner.args.max_n and n > runner.args.max_n:
            continue
        for tool in tools:
            rows.append(
                make_row(case, runner.ensure(Job(task, family, n, tool), case), runner)
            )
        runner.data.drop_larger_than(n)
    return rows


def case_allseeds3d(runner, sizes):
    return case_fit_series(
        runner, "allseeds3d", "allseeds", "blobs3d", sizes, fit_tools(runner)
    )


def case_binseed2d(runner, sizes):
    return case_fit_series(
        runner, "binseed2d", "binseed", "blobs2d", sizes, fit_tools(runner)
    )


def case_estbw(runner, sizes):
    tools = [t for t in (SK, MF) if runner.available(t)]
    return case_fit_series(runner, "estbw", "estbw", "blobs3d", sizes, tools)


def case_highdim(runner, families):
    rows = []
    for fam in families:
        n = FIXED_N[fam]
        for tool in fit_tools(runner):
            rows.append(
                make_row(
                    "highdim",
                    runner.ensure(Job("allseeds", fam, n, tool), "highdim"),
                    runner,
                )
            )
    return rows


def same_fit(a, b):
    """Bitwise comparison of two meanshift_fast results (for n_jobs checks)."""
    if a is None or b is None:
        return "n/a"
    same = (
        a.n_clusters == b.n_clusters
        and np.array_equal(a.centers, b.centers)
        and np.array_equal(a.labels, b.labels)
        and a.n_iter == b.n_iter
    )
    return "yes" if same else "no"


def case_dtype(runner, sizes):
    if not runner.available(MF):
        return []
    rows = []
    for n in sizes:
        if runner.args.max_n and n > runner.args.max_n:
            continue
        r64, r32 = runner.ensure_pair(
            Job("allseeds", "blobs3d", n, MF),
            Job("allseeds", "blobs3d", n, MF, dtype="float32"),
            "dtype",
        )
        notes = []
        if r64.median and r32.median:
            notes.append(f"float32 time / float64 time = {r32.median / r64.median:.2f}")
        if r64.out is not None and r32.out is not None:
            ok, detail = compare_fit(r32.out, r64.out, 1e-5)
            notes.append(
                "vs meanshift_fast float64 (rtol 1e-5): "
                + ("same" if ok else detail.replace("sklearn", "float64"))
            )
        if r32.out is not None and r32.out.centers is not None:
            notes.append(f"cluster_centers_ dtype {r32.out.centers.dtype}")
        rows.append(make_row("dtype", r64, runner))
        rows.append(make_row("dtype", r32, runner, notes))
        runner.data.drop_larger_than(0)
    return rows


def case_threads(runner, specs):
    if not runner.available(MF):
        return []
    rows = []
    for task, n in specs:
        if runner.args.max_n and n > runner.args.max_n:
            continue
        family = "blobs3d" if task == "allseeds" else "blobs2d"
        r1, rall = runner.ensure_pair(
            Job(task, family, n, MF, n_jobs=1),
            Job(task, family, n, MF, n_jobs=-1),
            "threads",
        )
        notes = []
        if r1.median and rall.median:
            notes.append(f"speed-up over n_jobs=1: {r1.median / rall.median:.2f}x")
        notes.append(
            "result bitwise equal to n_jobs=1: "
            + same_fit(r1.out if r1.out else None, rall.out if rall.out else None)
        )
        rows.append(make_row("threads", r1, runner))
        rows.append(make_row("threads", rall, runner, notes))
        runner.data.drop_larger_than(0)
    return rows


def case_floor(runner, sizes):
    rows = []
    for n in sizes:
        if runner.args.max_n and n > runner.args.max_n:
            continue
        fits = {
            t: runner.ensure(Job("binseed", "blobs2d", n, t), "floor")
            for t in fit_tools(runner)
        }
        src = next(
            (
                fits[t].out
                for t in (MF, SK, ML)
                if t in fits and fits[t].out is not None
            ),
            None,
        )
        floor_s, times, how, ref = (None, [], "n/a (no centres to assign)", None)
        if src is not None:
            X = runner.data.get("blobs2d", n)
            floor_s, times, how, ref = measure_floor(
                runner, X, np.asarray(src.centers, np.float64)
            )
        runner.log(f"[floor n={n}] floor {fmt_s(floor_s)}s via {how}")
        ratios = {}
        for tool, res in fits.items():
            note = []
            if floor_s and res.median:
                ratios[tool] = res.median / floor_s
                note = [f"fit/floor = {ratios[tool]:.2f}"]
            rows.append(make_row("floor", res, runner, note))
        notes = [how] + [f"{t} fit/floor = {r:.2f}" for t, r in ratios.items()]
        if ref is not None:
            notes.append(f"reference floor {fmt_s(ref[0])}s via {ref[2]}")
        rows.append(
            {
                "case": "floor",
                "n": n,
                "d": 2,
                "tool": "floor",
                "task": "floor",
                "median_s": floor_s,
                "times_s": times,
                "floor_method": how,
                "reference_floor": None
                if ref is None
                else {"median_s": ref[0], "times_s": ref[1], "method": ref[2]},
                "median_cell": fmt_s(floor_s) if floor_s else "n/a",
                "ratio_sklearn_cell": "—",
                "ratio_mlpack_cell": "—",
                "identical_cell": "—",
                "ari_cell": "—",
                "n_clusters": None if src is None else src.n_clusters,
                "fit_over_floor": ratios,
                "notes": notes,
            }
        )
        runner.data.drop_larger_than(0)
    return rows


RUNNERS = {
    "allseeds3d": case_allseeds3d,
    "binseed2d": case_binseed2d,
    "estbw": case_estbw,
    "highdim": case_highdim,
    "dtype": case_dtype,
    "threads": case_threads,
    "floor": case_floor,
}


# --------------------------------------------------------------------------
# main


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Benchmark meanshift_fast against scikit-learn and mlpack.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--cases",
        default=",".join(CASES),
        help="comma-separated subset of: " + ", ".join(CASES),
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="small sizes only (about a minute with all peers)",
    )
    p.add_argument("--repeats", type=int, default=3, help="runs per timing (median)")
    p.add_argument(
        "--time-cap",
        type=float,
        default=None,
        help="skip a peer (sklearn/mlpack) run whose estimated seconds exceed this "
        "(default 60, or 20 with --quick)",
    )
    p.add_argument(
        "--self-time-cap",
        type=float,
        default=600.0,
        help="skip a meanshift_fast run whose estimated seconds (from its own "
        "smaller-n run, n^2 for every-point seeds, n for bin seeds) exceed this; "
        "0 disables",
    )
    p.add_argument("--max-n", type=int, default=None, help="skip sizes above this n")
    p.add_argument(
        "--sklearn-threads",
        type=int,
        default=None,
        help="limit scikit-learn's OpenMP threads (threadpoolctl) during its runs; "
        "default: leave scikit-learn as it is",
    )
    p.add_argument("--no-mlpack", action="store_true", help="do not time mlpack")
    p.add_argument(
        "--no-meanshift-fast",
        action="store_true",
        help="do not time meanshift_fast (peers only)",
    )
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="output JSON path")
    args = p.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    bad = [c for c in cases if c not in CASES]
    if bad:
        p.error(f"unknown case(s) {bad}; choose from {list(CASES)}")
    args.cases = cases
    if args.time_cap is None:
        args.time_cap = 20.0 if args.quick else 60.0
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t_start = time.perf_counter()
    mods = {}
    mods[SK], sk_err = _try_import("sklearn")
    if mods[SK] is None:
        log(f"scikit-learn is required as the reference: {sk_err}")
        return 2
    mf_err = None
    if args.no_meanshift_fast:
        mods[MF], mf_err = None, "disabled with --no-meanshift-fast"
    else:
        mods[MF], mf_err = _try_import(MF)
    if mods[MF] is not None and not hasattr(mods[MF], "MeanShift"):
        where = getattr(mods[MF], "__path__", None) or getattr(
            mods[MF], "__file__", None
        )
        mf_err = f"meanshift_fast at {where} has no MeanShift (not built/installed?)"
        mods[MF] = None
    if mods[MF] is None:
        log(f"NOTE: meanshift_fast not available ({mf_err}); its rows are skipped.")
    if args.no_mlpack:
        mods[ML] = None
    else:
        mods[ML], ml_err = _try_import(ML)
        if mods[ML] is None:
            log(f"NOTE: mlpack not available ({ml_err}); its rows are skipped.")

    info = machine_info(mods, mf_err)
    log(
        f"machine: {info['cpu_model']}, {info['usable_cpus']} usable CPUs; "
        f"python {info['python']}, numpy {info['numpy']}, sklearn {info['sklearn']}, "
        f"mlpack {info['mlpack']}, meanshift_fast {info['meanshift_fast']} "
        f"(openmp: {info['meanshift_fast_openmp_enabled']})"
    )

    data = Data()
    runner = Runner(args, mods, data, log)
    warm_up(mods, log)
    sizes = QUICK if args.quick else FULL
    rows = []
    for case in args.cases:
        log(f"== {case}")
        try:
            rows += RUNNERS[case](runner, sizes[case])
        except Exception as exc:  # noqa: BLE001 - keep the other cases
            log(f"case {case} failed: {type(exc).__name__}: {exc}")
            log(traceback.format_exc())
            rows.append(
                {
                    "case": case,
                    "n": None,
                    "d": None,
                    "tool": "(case failed)",
                    "median_cell": "error",
                    "notes": [f"{type(exc).__name__}: {exc}"],
                }
            )

    elapsed = time.perf_counter() - t_start
    print_summary(args, info, mods, mf_err, data, runner, rows, elapsed)
    write_json(args, info, data, runner, rows, elapsed)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
