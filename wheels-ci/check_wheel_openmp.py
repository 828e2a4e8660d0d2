"""Check that a repaired meanshift-fast wheel carries its OpenMP runtime.

Run by cibuildwheel as the audit command (see cibuildwheel.toml) on every
repaired wheel, and by build_local.sh.  The repair tools (auditwheel,
delocate, delvewheel) only copy libraries that the extension really links,
so finding the runtime inside the wheel proves the extension was built with
OpenMP; a wheel without it is a silently serial build.

Which runtime is expected follows from the wheel's platform tag:

    manylinux_* / musllinux_* / linux_*   libgomp      (GCC)
    macosx_*                              libomp       (LLVM)
    win_*                                 vcomp140     (MSVC)

Usage: python check_wheel_openmp.py [--warn-only] WHEEL [WHEEL ...]
Exit status 0 when every wheel passes (or with --warn-only), 1 otherwise.
Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from pathlib import Path, PurePosixPath

PACKAGE = "meanshift_fast"

# (platform tag prefix, runtime name, pattern for the bundled file's name)
RUNTIMES: list[tuple[tuple[str, ...], str, re.Pattern[str]]] = [
    (
        ("manylinux", "musllinux", "linux"),
        "libgomp",
        re.compile(r"libgomp(-[0-9a-f]+)?\.so(\.\d+)*"),
    ),
    (("macosx",), "libomp", re.compile(r"libomp(\.\d+)*\.dylib")),
    (("win",), "vcomp140", re.compile(r"vcomp140(-[0-9a-f]+)?\.dll", re.IGNORECASE)),
]

EXTENSION_SUFFIXES = (".so", ".pyd")


def platform_tag(wheel: Path) -> str:
    """Return the platform tag of a wheel file name (the last dash field)."""
    name = wheel.name
    if not name.endswith(".whl"):
        raise ValueError(f"not a wheel file name: {name}")
    parts = name[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise ValueError(f"unexpected wheel file name: {name}")
    return parts[-1]


def expected_runtime(tag: str) -> tuple[str, re.Pattern[str]]:
    # A compressed tag set such as "manylinux_2_27_x86_64.manylinux_2_28_x86_64"
    # starts with the family name, which is all that matters here.
    for prefixes, runtime, pattern in RUNTIMES:
        if tag.startswith(prefixes):
            return runtime, pattern
    raise ValueError(f"no OpenMP runtime known for platform tag {tag!r}")


def check_wheel(wheel: Path) -> list[str]:
    """Return a list of problems (empty when the wheel is fine)."""
    problems: list[str] = []
    runtime, pattern = expected_runtime(platform_tag(wheel))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    extensions = [
        n
        for n in names
        if n.startswith(f"{PACKAGE}/") and n.endswith(EXTENSION_SUFFIXES)
    ]
    bundled = [n for n in names if pattern.fullmatch(PurePosixPath(n).name)]
    if not extensions:
        problems.append(f"no compiled extension module under {PACKAGE}/")
    if not bundled:
        problems.append(
            f"{runtime} is not bundled: the extension was built without OpenMP "
            "or the wheel was not repaired"
        )
    print(f"{wheel.name}:")
    for n in extensions:
        print(f"  extension: {n}")
    for n in bundled:
        print(f"  {runtime}:   {n}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheels", nargs="+", type=Path, metavar="WHEEL")
    parser.add_argument(
        "--warn-only",
        action="store_true",
        help="report problems but exit 0 (for builds where OpenMP is optional)",
    )
    args = parser.parse_args(argv)

    failed = False
    for wheel in args.wheels:
        try:
            problems = check_wheel(wheel)
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            problems = [str(exc)]
        for problem in problems:
            label = "WARNING" if args.warn_only else "ERROR"
            print(f"  {label}: {problem}", file=sys.stderr)
        failed = failed or bool(problems)
    return 0 if (args.warn_only or not failed) else 1


if __name__ == "__main__":
    sys.exit(main())
