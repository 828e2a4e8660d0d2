"""Report of run.py: agreement with scikit-learn, table rows, JSON."""

from __future__ import annotations

import json
import math
import os
import platform
import sys

import numpy as np
from cases import SEED
from runner import (
    LONG_RUN_S,
    MAX_ITER,
    MF,
    ML,
    SK,
    _version,
    job_dict,
    skip_text,
)

APPROX_RATIO_MAX = 10  # show ~ratios against skipped peers up to est = this x cap

# --------------------------------------------------------------------------
# comparisons


def compare_fit(out, ref, rtol):
    """(identical, detail) of a fit result against sklearn's."""
    problems = []
    a = np.asarray(out.centers, dtype=np.float64)
    b = np.asarray(ref.centers, dtype=np.float64)
    if a.shape != b.shape:
        problems.append(f"n_clusters {len(a)} vs sklearn {len(b)}")
    elif not np.allclose(a, b, rtol=rtol, atol=1e-9):
        diff = float(np.max(np.abs(a - b)))
        perm = ""
        if a.shape[0] > 1:
            ia = np.lexsort(a.T[::-1])
            ib = np.lexsort(b.T[::-1])
            if np.allclose(a[ia], b[ib], rtol=rtol, atol=1e-9):
                perm = " (same set, different order)"
        problems.append(f"centers differ, max|diff|={diff:.3g}{perm}")
    if out.labels is None or out.labels.shape != ref.labels.shape:
        problems.append("labels shape differs")
    elif not np.array_equal(out.labels, ref.labels):
        k = int(np.count_nonzero(out.labels != ref.labels))
        problems.append(f"labels differ at {k} points")
    if out.n_iter is not None and out.n_iter != ref.n_iter:
        problems.append(f"n_iter_ {out.n_iter} vs sklearn {ref.n_iter}")
    return not problems, "; ".join(problems)


def compare_value(out, ref, rtol=1e-7):
    a, b = out.value, ref.value
    rel = abs(a - b) / abs(b) if b else abs(a - b)
    return rel <= rtol, f"h={a:.10g} vs sklearn {b:.10g} (rel diff {rel:.2g})"


def ari(a, b):
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


# --------------------------------------------------------------------------
# rows


def fmt_s(t):
    if t is None:
        return "—"
    return f"{t:.4f}" if t < 10 else f"{t:.1f}"


def fmt_ratio(num, den, approx=False):
    if num is None or den is None or den <= 0:
        return "—"
    r = num / den
    if r >= 100:
        s = f"{r:.0f}"
    elif r >= 0.1:
        s = f"{r:.2f}"
    else:
        s = f"{r:.2g}"
    return "~" + s if approx else s


def peer_time(res, cap):
    """(seconds, approximate?) of a peer result, using its estimate if skipped.

    Estimates far above the cap are extrapolations over orders of magnitude;
    no ratio is shown for them.
    """
    if res is None or res.error:
        return None, False
    if res.skipped:
        if res.est_s is None or res.est_s > APPROX_RATIO_MAX * cap:
            return None, True
        return res.est_s, True
    return res.median, False


def make_row(case, res, runner, extra_notes=()):
    job = res.job
    row = {
        "case": case,
        "n": job.n,
        "d": job.d,
        "tool": job.label(),
        "task": job.task,
        "family": job.family,
        "dtype": job.dtype,
        "n_jobs": job.n_jobs,
        "bandwidth": None
        if job.task == "estbw"
        else runner.data.bandwidths.get(job.family),
        "times_s": res.times,
        "median_s": res.median,
        "skipped": res.skipped,
        "est_s": res.est_s,
        "est_basis": res.est_basis,
        "error": res.error,
        "ratio_sklearn": None,
        "ratio_mlpack": None,
        "identical": None,
        "identical_detail": None,
        "ari_vs_sklearn": None,
        "n_clusters": None,
        "n_iter": None,
        "value": None,
        "notes": list(extra_notes),
        "measured_in_case": res.case,
        "load1_before": res.load1,
    }

    if res.case != case and not res.skipped:
        row["notes"].append(f"same measurement as {res.case}")
    if res.error:
        row["median_cell"] = "error"
        row["notes"].insert(0, res.error)
    elif res.skipped:
        row["median_cell"] = skip_text(res)
    else:
        row["median_cell"] = fmt_s(res.median)

    out = res.out
    if out is not None:
        row["n_clusters"] = out.n_clusters
        row["n_iter"] = out.n_iter
        row["value"] = out.value

    cells = {}
    for peer, key in ((SK, "ratio_sklearn"), (ML, "ratio_mlpack")):
        pres = runner.cache.get(job.reference(peer))
        t_peer, approx = peer_time(pres, runner.args.time_cap)
        if res.median is not None and t_peer is not None:
            row[key] = t_peer / res.median
            row[key + "_approx"] = approx
        cells[key] = fmt_ratio(t_peer, res.median, approx)
    row["ratio_sklearn_cell"] = cells["ratio_sklearn"]
    row["ratio_mlpack_cell"] = cells["ratio_mlpack"]

    row["identical_cell"] = "—"
    row["ari_cell"] = "—"
    sk = runner.cache.get(job.reference(SK))
    sk_out = sk.out if sk is not None and not sk.error and not sk.skipped else None
    if out is not None and job.tool != SK:
        if job.task == "estbw":
            if job.tool == MF and sk_out is not None:
                ok, detail = compare_value(out, sk_out)
                row["identical"], row["identical_detail"] = ok, detail
                row["identical_cell"] = "yes" if ok else "no"
                row["notes"].append(detail)
            elif out.value is not None:
                row["notes"].append(f"h={out.value:.10g}")
        elif sk_out is not None:
            if job.tool == MF:
                rtol = 1e-5 if job.dtype == "float32" else 1e-7
                ok, detail = compare_fit(out, sk_out, rtol)
                row["identical"], row["identical_detail"] = ok, detail or None
                row["identical_cell"] = "yes" if ok else "no"
                if detail:
                    row["notes"].append(detail)
            if out.labels is not None and out.labels.shape == sk_out.labels.shape:
                row["ari_vs_sklearn"] = ari(sk_out.labels, out.labels)
                row["ari_cell"] = f"{row['ari_vs_sklearn']:.4f}"
            if job.tool == ML and out.n_clusters != sk_out.n_clusters:
                row["notes"].append(
                    f"n_clusters {out.n_clusters} vs sklearn {sk_out.n_clusters}"
                )
        elif job.tool == MF:
            ml = runner.cache.get(job.reference(ML))
            if ml is not None and ml.out is not None and out.labels is not None:
                row["notes"].append(
                    f"no sklearn reference; ARI vs mlpack "
                    f"{ari(ml.out.labels, out.labels):.4f}, n_clusters mlpack "
                    f"{ml.out.n_clusters}"
                )
            else:
                row["notes"].append("no sklearn reference")
    elif job.tool == SK and out is not None and job.task == "estbw":
        row["notes"].append(f"h={out.value:.10g}")
    return row


# --------------------------------------------------------------------------
# output


def usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_info(mods, mf_error):
    cpu_model, phys = None, None
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, val = line.partition(":")
                key, val = key.strip(), val.strip()
                if key == "model name" and cpu_model is None:
                    cpu_model = val
                elif key == "cpu cores" and phys is None:
                    phys = int(val)
    except OSError:
        pass
    affinity = usable_cpus()
    import scipy
    import sklearn

    info = {
        "cpu_model": cpu_model or platform.processor() or None,
        "cpu_cores_per_socket": phys,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": affinity,
        "loadavg_at_start": list(os.getloadavg())
        if hasattr(os, "getloadavg")
        else None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "mlpack": _version(mods.get(ML), "mlpack"),
        "meanshift_fast": _version(mods.get(MF), "meanshift-fast"),
        "meanshift_fast_file": getattr(mods.get(MF), "__file__", None),
        "meanshift_fast_import_error": mf_error,
        "meanshift_fast_openmp_enabled": None,
        "env": {
            k: os.environ.get(k)
            for k in (
                "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS",
                "OPENBLAS_CORETYPE",
                "MKL_NUM_THREADS",
            )
        },
    }
    mf = mods.get(MF)
    if mf is not None and hasattr(mf, "openmp_enabled"):
        try:
            info["meanshift_fast_openmp_enabled"] = bool(mf.openmp_enabled())
        except Exception as exc:  # noqa: BLE001
            info["meanshift_fast_openmp_enabled"] = f"error: {exc}"
    return info


COLUMNS = [
    ("case", "case"),
    ("n", "n"),
    ("d", "d"),
    ("tool", "tool"),
    ("median_cell", "median s"),
    ("ratio_sklearn_cell", "sklearn/tool"),
    ("ratio_mlpack_cell", "mlpack/tool"),
    ("identical_cell", "identical to sklearn"),
    ("ari_cell", "ARI vs sklearn"),
    ("n_clusters", "n_clusters"),
]


def render_table(rows):
    def cell(row, key):
        v = row.get(key)
        return "—" if v is None else str(v)

    body = [[cell(r, k) for k, _ in COLUMNS] for r in rows]
    heads = [h for _, h in COLUMNS]
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(heads)]
    right = {1, 2, 4, 5, 6, 8, 9}

    def line(vals):
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(vals, widths, strict=True))
        ).rstrip()

    out = [line(heads), line(["-" * w for w in widths])]
    prev_case = None
    for r, b in zip(rows, body, strict=True):
        if prev_case is not None and r["case"] != prev_case:
            out.append("")
        prev_case = r["case"]
        out.append(line(b))
    notes = []
    for r in rows:
        if r.get("notes"):
            notes.append(
                f"  [{r['case']} n={r['n']} d={r['d']} {r['tool']}] "
                + "; ".join(r["notes"])
            )
    if notes:
        out += ["", "notes:", *notes]
    if any(r.get("tool") == ML and r.get("task") == "allseeds" for r in rows):
        out += [
            "",
            "mlpack's mean_shift always bin-seeds (bins of width radius), so in the",
            "every-point-seed cases it does far less work; compare it by ARI only.",
        ]
    return "\n".join(out)


def to_jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def print_summary(args, info, mods, mf_err, data, runner, rows, elapsed):
    """The header line, the bandwidths, the table and a load warning."""
    print()
    print(
        f"meanshift_fast {info['meanshift_fast']} | sklearn {info['sklearn']} | "
        f"mlpack {info['mlpack']} | {info['cpu_model']} x{info['usable_cpus']} | "
        f"median of up to {args.repeats} runs (1 if a run > {LONG_RUN_S:g}s) | "
        f"time cap {args.time_cap:g}s"
        + (
            f" | sklearn limited to {args.sklearn_threads} OpenMP thread(s)"
            if args.sklearn_threads
            else ""
        )
    )
    if mods.get(MF) is None:
        print(f"meanshift_fast NOT TIMED: {mf_err}")
    print(
        "bandwidths: " + ", ".join(f"{k}={v:.6g}" for k, v in data.bandwidths.items())
    )
    print(render_table(rows))
    loads = [r.load1 for r in runner.cache.values() if r.times and r.load1 is not None]
    ncpu = usable_cpus()
    busy = [x for x in loads if x > ncpu + 0.5]
    if busy:
        print(
            f"\nWARNING: the 1-minute load average exceeded the {ncpu} usable CPUs "
            f"before {len(busy)} of {len(loads)} timed runs (max {max(busy):.1f}); "
            "timings are noisy (per-run load in the JSON)."
        )
    print(f"\ntotal wall time {elapsed:.1f}s")


def write_json(args, info, data, runner, rows, elapsed):
    """Every row (without the table's text cells), raw times, probes, errors."""
    doc = {
        "machine": info,
        "config": {
            "cases": args.cases,
            "quick": args.quick,
            "repeats": args.repeats,
            "time_cap_s": args.time_cap,
            "self_time_cap_s": args.self_time_cap,
            "sklearn_threads": args.sklearn_threads,
            "max_n": args.max_n,
            "max_iter": MAX_ITER,
            "long_run_s": LONG_RUN_S,
            "seed": SEED,
            "argv": sys.argv,
        },
        "bandwidths": data.bandwidths,
        "rows": [{k: v for k, v in r.items() if not k.endswith("_cell")} for r in rows],
        "probes": runner.probes,
        "errors": {
            json.dumps(job_dict(j)): r.error_tb
            for j, r in runner.cache.items()
            if r.error_tb
        },
        "total_wall_s": elapsed,
        "loadavg_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(to_jsonable(doc), indent=2) + "\n")
