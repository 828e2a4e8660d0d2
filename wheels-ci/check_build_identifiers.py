"""Check the wheel matrix that wheels-ci/cibuildwheel.toml selects.

Runs ``cibuildwheel --print-build-identifiers`` for linux, macos and windows
(no Docker, compiler or network needed) with the archs the GitHub workflow
uses, and compares the union with the 35 identifiers we mean to ship:
CPython 3.10-3.14 x {manylinux x86_64, manylinux aarch64, musllinux x86_64,
musllinux aarch64, macOS x86_64, macOS arm64, Windows AMD64}.

As a script (from anywhere; the repository root is found from this file)::

    python wheels-ci/check_build_identifiers.py [--repo-root DIR]

exits 0 when the sets match, 1 with a diff when they do not, and 0 with a
``SKIP:`` message when cibuildwheel is not installed.

As a module, for a test::

    expected, actual = build_identifiers()   # raises CibuildwheelMissing
    assert actual == expected

Note that cibuildwheel also reads ``requires-python`` from the project's
pyproject.toml/setup.py, so this check catches a ``requires-python`` that
drops a version we mean to ship.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

CONFIG_FILE = "wheels-ci/cibuildwheel.toml"
REPO_ROOT = Path(__file__).resolve().parent.parent

PYTHONS = ("cp310", "cp311", "cp312", "cp313", "cp314")
PLATFORM_TAGS = (
    "manylinux_x86_64",
    "manylinux_aarch64",
    "musllinux_x86_64",
    "musllinux_aarch64",
    "macosx_x86_64",
    "macosx_arm64",
    "win_amd64",
)
EXPECTED: frozenset[str] = frozenset(
    f"{py}-{tag}" for py in PYTHONS for tag in PLATFORM_TAGS
)

# The archs each platform is built for, as the jobs in
# .github/workflows/wheels.yml set them
# (the union over that platform's jobs).
PLATFORM_ARCHS = {
    "linux": "x86_64,aarch64",
    "macos": "x86_64,arm64",
    "windows": "AMD64",
}


class CibuildwheelMissing(RuntimeError):
    """cibuildwheel is neither importable nor on PATH."""


def cibuildwheel_command() -> list[str]:
    """How to run cibuildwheel: this interpreter's module, else PATH."""
    if importlib.util.find_spec("cibuildwheel") is not None:
        return [sys.executable, "-m", "cibuildwheel"]
    exe = shutil.which("cibuildwheel")
    if exe is not None:
        return [exe]
    raise CibuildwheelMissing(
        "cibuildwheel is not installed (pip install 'cibuildwheel==4.3.5'); "
        "the build identifier check cannot run"
    )


def clean_environment() -> dict[str, str]:
    """The current environment without CIBW_* overrides.

    A CIBW_BUILD / CIBW_SKIP / CIBW_ARCHS left in the shell (or set by a CI
    job) would override the config file and make the check meaningless.
    """
    return {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}


def print_identifiers(platform: str, archs: str, repo_root: Path) -> list[str]:
    cmd = [
        *cibuildwheel_command(),
        "--print-build-identifiers",
        "--platform",
        platform,
        "--archs",
        archs,
        "--config-file",
        CONFIG_FILE,
    ]
    proc = subprocess.run(
        cmd,
        cwd=repo_root,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed with exit code {proc.returncode}:\n"
            f"{proc.stdout}{proc.stderr}"
        )
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()]


def build_identifiers(
    repo_root: Path | str | None = None,
) -> tuple[frozenset[str], frozenset[str]]:
    """Return (expected, actual) build identifiers.

    Raises CibuildwheelMissing when cibuildwheel is not installed and
    RuntimeError when cibuildwheel fails, or when one platform prints an
    identifier twice.
    """
    root = Path(repo_root) if repo_root is not None else REPO_ROOT
    actual: set[str] = set()
    for platform, archs in PLATFORM_ARCHS.items():
        ids = print_identifiers(platform, archs, root)
        if len(ids) != len(set(ids)):
            raise RuntimeError(f"duplicate identifiers for {platform}: {ids}")
        actual.update(ids)
    return EXPECTED, frozenset(actual)


def format_diff(expected: frozenset[str], actual: frozenset[str]) -> str:
    lines = []
    for ident in sorted(expected - actual):
        lines.append(f"- {ident}   (expected, not selected)")
    for ident in sorted(actual - expected):
        lines.append(f"+ {ident}   (selected, not expected)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repo-root",
        type=Path,
        default=REPO_ROOT,
        help="repository root to run cibuildwheel in (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    try:
        expected, actual = build_identifiers(args.repo_root)
    except CibuildwheelMissing as exc:
        print(f"SKIP: {exc}")
        return 0
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2

    for ident in sorted(actual):
        print(ident)
    if actual == expected:
        print(f"OK: {len(actual)} build identifiers, as expected")
        return 0
    print(
        f"MISMATCH: {len(actual)} selected, {len(expected)} expected\n"
        + format_diff(expected, actual),
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
