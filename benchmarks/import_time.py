"""Measure what ``import meanshift_fast`` costs, next to ``import sklearn.cluster``.

Each measurement runs ``python -X importtime -c "import MODULE"`` in a fresh
interpreter (several times; the median is reported) and parses the
cumulative microseconds that ``-X importtime`` writes to stderr:

* total: the cumulative time of the top-level entries for the module,
* numpy: numpy's cumulative time inside that import,
* own cost: total minus numpy (meanshift_fast's own import cost).

It also reports which heavy packages (sklearn, scipy, pandas, matplotlib,
joblib, dask) end up in ``sys.modules`` after the import, and after a tiny
``MeanShift(...).fit`` too (catches lazy imports done on first use).

Examples::

    python benchmarks/import_time.py
    python benchmarks/import_time.py --runs 11 --json /tmp/import.json
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# Run the child interpreters outside the repository: with `-c` the current
# directory goes first on sys.path, and a source checkout's package directory
# would shadow the installed package.
NEUTRAL_CWD = tempfile.gettempdir()

HEAVY = ("sklearn", "scipy", "pandas", "matplotlib", "joblib", "dask")

LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")

MODULES_AFTER = """
import json, sys
import {module}
after_import = sorted(m for m in {heavy!r} if m in sys.modules)
after_fit = None
if {fit!r}:
    import numpy as np
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.5, (50, 2)) for c in (0.0, 5.0)])
    {module}.MeanShift(bandwidth=1.0).fit(X)
    after_fit = sorted(m for m in {heavy!r} if m in sys.modules)
where = getattr({module}, "__file__", None)
print(json.dumps({{"after_import": after_import, "after_fit": after_fit,
                  "file": where}}))
"""


def parse_importtime(stderr, module):
    """(total_us, numpy_us) for `import module` from -X importtime output."""
    top = module.split(".")[0]
    total = 0
    numpy_us = None
    seen = False
    for line in stderr.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        cumulative, indent, name = int(m.group(2)), len(m.group(3)) - 1, m.group(4)
        if indent == 0 and (name == top or name.startswith(top + ".")):
            total += cumulative
            seen = True
        if name == "numpy" and numpy_us is None:
            numpy_us = cumulative
    if not seen:
        raise RuntimeError(f"no -X importtime entry for {module!r}")
    return total, numpy_us or 0


def time_import(python, module, runs):
    totals, numpys = [], []
    for _ in range(runs):
        proc = subprocess.run(
            [python, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=False,
            cwd=NEUTRAL_CWD,
        )
        if proc.returncode != 0:
            err = proc.stderr.strip().splitlines()
            raise RuntimeError(err[-1] if err else f"exit status {proc.returncode}")
        total, numpy_us = parse_importtime(proc.stderr, module)
        totals.append(total)
        numpys.append(numpy_us)
    own = [t - n for t, n in zip(totals, numpys, strict=True)]
    return {
        "runs": runs,
        "total_ms": statistics.median(totals) / 1e3,
        "numpy_ms": statistics.median(numpys) / 1e3,
        "own_ms": statistics.median(own) / 1e3,
        "total_ms_all": [t / 1e3 for t in totals],
    }


def heavy_modules(python, module, fit):
    code = MODULES_AFTER.format(module=module, heavy=HEAVY, fit=fit)
    proc = subprocess.run(
        [python, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=NEUTRAL_CWD,
    )
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        raise RuntimeError(err[-1] if err else f"exit status {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--runs", type=int, default=7, help="fresh interpreters per module")
    p.add_argument("--python", default=sys.executable, help="interpreter to test")
    p.add_argument("--module", default="meanshift_fast", help="module to measure")
    p.add_argument(
        "--compare", default="sklearn.cluster", help="module to compare against"
    )
    p.add_argument("--json", type=Path, default=None, help="also write JSON here")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be >= 1")

    report = {"python": args.python, "runs": args.runs, "modules": {}}
    rows = []
    status = 0
    for mod in (args.module, args.compare):
        try:
            r = time_import(args.python, mod, args.runs)
        except (RuntimeError, OSError) as exc:
            report["modules"][mod] = {"error": str(exc)}
            rows.append((mod, None))
            status = 1
            continue
        report["modules"][mod] = r
        rows.append((mod, r))

    print(f"import cost, median of {args.runs} fresh interpreters ({args.python})")
    print(f"{'module':<18} {'total ms':>9} {'numpy ms':>9} {'own ms':>9}")
    for mod, r in rows:
        if r is None:
            err = report["modules"][mod]["error"]
            print(f"{mod:<18} {'error':>9}  {err}")
        else:
            t, npy, own = r["total_ms"], r["numpy_ms"], r["own_ms"]
            print(f"{mod:<18} {t:9.1f} {npy:9.1f} {own:9.1f}")
    print("(own = median over runs of total minus numpy)")
    a, b = (report["modules"].get(m, {}) for m in (args.module, args.compare))
    if "total_ms" in a and "total_ms" in b and a["total_ms"] > 0:
        ratio = b["total_ms"] / a["total_ms"]
        report["compare_total_ratio"] = ratio
        print(f"{args.compare} / {args.module} total: {ratio:.1f}x")

    try:
        mods = heavy_modules(args.python, args.module, fit=True)
    except (RuntimeError, OSError, ValueError) as exc:
        try:  # the import may work even if the tiny fit does not
            mods = heavy_modules(args.python, args.module, fit=False)
            mods["fit_error"] = str(exc)
        except (RuntimeError, OSError, ValueError) as exc2:
            mods = {"error": str(exc2)}
            status = 1
    report["heavy_modules"] = mods
    print()
    if "error" in mods:
        print(f"sys.modules check failed: {mods['error']}")
    else:
        for when in ("after_import", "after_fit"):
            got = mods.get(when)
            if got is None:
                continue
            shown = ", ".join(got) if got else "none"
            label = when.replace("_", " ")
            print(f"heavy modules {label} of {args.module}: {shown}")
        print(f"  (checked: {', '.join(HEAVY)})")
        print(f"{args.module} imported from {mods.get('file')}")
        if mods.get("fit_error"):
            print(f"tiny fit failed: {mods['fit_error']}")

    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main())
