"""Run the repository's tests against the *installed* meanshift_fast.

Used as cibuildwheel's test command and by build_local.sh:

    python <repo>/wheels-ci/run_wheel_tests.py [--require-openmp]
        [--skip-tests-importing MODULE ...] [-- PYTEST_ARGS ...]

Run it with the Python of the environment the wheel is installed in, from
any directory outside the checkout.  It

1. imports meanshift_fast and fails if that import comes from the checkout
   (the repository root holds the pure-Python sources without the compiled
   extension, so testing them would be testing the wrong thing);
2. with --require-openmp, fails if the extension was built without OpenMP
   (meanshift_fast.openmp_enabled() is False);
3. runs pytest on <repo>/tests in-process with -p no:cacheprovider and
   --import-mode=append (site-packages stays ahead of the checkout on
   sys.path even if tests/ becomes a package);
4. checks again, after the run, which meanshift_fast the tests imported.

--skip-tests-importing MODULE leaves out test files that import MODULE
when MODULE is not installed, listing them in the summary.  It is for
platforms where a test-only dependency has no wheels (scikit-learn on
musllinux); without the option such a file is a collection error.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
from pathlib import Path

DEFAULT_PROJECT = Path(__file__).resolve().parent.parent


def _inside(path: str | os.PathLike[str], root: Path) -> bool:
    p = os.path.realpath(path)
    r = os.path.realpath(root)
    return os.path.commonpath([p, r]) == r


def check_import(project: Path, require_openmp: bool) -> str | None:
    """Import meanshift_fast; return an error message or None."""
    import meanshift_fast

    where = os.path.realpath(meanshift_fast.__file__)
    print(f"meanshift_fast {meanshift_fast.__version__} imported from {where}")
    if _inside(where, project):
        return f"meanshift_fast was imported from the checkout ({project})"
    openmp = meanshift_fast.openmp_enabled()
    print(f"meanshift_fast.openmp_enabled() = {openmp}")
    if require_openmp and not openmp:
        return "this meanshift_fast build has no OpenMP (a serial build)"
    return None


class SkipTestsImporting:
    """pytest plugin: do not collect test files importing missing modules."""

    def __init__(self, modules: list[str]) -> None:
        self.missing = [m for m in modules if importlib.util.find_spec(m) is None]
        self.ignored: list[tuple[str, str]] = []
        self._patterns = {
            m: re.compile(rf"^\s*(?:import|from)\s+{re.escape(m)}\b", re.MULTILINE)
            for m in self.missing
        }

    def pytest_ignore_collect(self, collection_path, config):
        if not self.missing or collection_path.suffix != ".py":
            return None
        try:
            text = collection_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        for module, pattern in self._patterns.items():
            if pattern.search(text):
                self.ignored.append((collection_path.name, module))
                return True
        return None

    def pytest_terminal_summary(self, terminalreporter):
        if self.ignored:
            terminalreporter.section("test files left out (module not installed)")
            for name, module in self.ignored:
                terminalreporter.write_line(f"{name}: needs {module}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        usage="%(prog)s [options] [-- PYTEST_ARGS ...]",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=DEFAULT_PROJECT,
        help="repository root holding tests/ (default: %(default)s)",
    )
    parser.add_argument(
        "--require-openmp",
        action="store_true",
        help="fail when meanshift_fast was built without OpenMP",
    )
    parser.add_argument(
        "--skip-tests-importing",
        nargs="+",
        default=[],
        metavar="MODULE",
        help="leave out test files importing MODULE when it is not installed",
    )
    args, pytest_args = parser.parse_known_args(argv)
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]
    project = args.project.resolve()

    error = check_import(project, args.require_openmp)
    if error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1

    import pytest

    plugins = []
    if args.skip_tests_importing:
        plugins.append(SkipTestsImporting(args.skip_tests_importing))
    rc = pytest.main(
        [
            str(project / "tests"),
            "-p",
            "no:cacheprovider",
            "--import-mode=append",
            *pytest_args,
        ],
        plugins=plugins,
    )

    module = sys.modules.get("meanshift_fast")
    if module is not None and _inside(module.__file__, project):
        print(
            f"FAIL: the tests imported meanshift_fast from the checkout ({project})",
            file=sys.stderr,
        )
        return 1
    return int(rc)


if __name__ == "__main__":
    sys.exit(main())
