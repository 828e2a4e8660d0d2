"""Test-suite set-up shared by every file."""

import os

import pytest

# Subprocesses started by the tests (python -m meanshift_fast, python -c ...)
# must import the installed package, not the source directory that the
# current working directory (often the repository root) would put first on
# sys.path.  Python >= 3.11 honours this variable.
os.environ.setdefault("PYTHONSAFEPATH", "1")


@pytest.fixture(scope="session")
def fault_injection_test_tree(tmp_path_factory):
    """tests/c/test_tree.c and the core built with MS_FAULT_INJECTION, once
    for the tests that run it directly and under valgrind: (path, openmp)."""
    from c_build import REPO, build

    out = tmp_path_factory.mktemp("ctest_fi") / "test_tree_fi"
    return build(out, REPO / "tests/c/test_tree.c", defines=["MS_FAULT_INJECTION"])
