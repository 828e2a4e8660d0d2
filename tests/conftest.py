"""Test-suite set-up shared by every file."""

import os

# Subprocesses started by the tests (python -m meanshift_fast, python -c ...)
# must import the installed package, not the source directory that the
# current working directory (often the repository root) would put first on
# sys.path.  Python >= 3.11 honours this variable.
os.environ.setdefault("PYTHONSAFEPATH", "1")
