"""meanshift_fast: exact mean shift clustering with a parallel C core.

The results of ``sklearn.cluster.MeanShift``, computed by a k-d tree whose
nodes carry aggregates, in C, on every core.  numpy is the only dependency.
"""

from meanshift_fast._openmp_env import passive_wait

with passive_wait():  # the OpenMP runtime reads its settings as _core loads
    from meanshift_fast import _core  # noqa: F401

from meanshift_fast._bandwidth import estimate_bandwidth, get_bin_seeds
from meanshift_fast._core import openmp_enabled
from meanshift_fast._estimator import (
    ConvergenceWarning,
    MeanShift,
    mean_shift,
    shift_seeds,
)
from meanshift_fast._select import select_bandwidth
from meanshift_fast._sweep import BandwidthSweep, bandwidth_sweep

__version__ = "0.1.0"


def get_include():
    """Directory of meanshift.h, for building Cython code that cimports
    ``meanshift_fast._core`` (pass it in the extension's include_dirs)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    shipped = here / "include"
    if (shipped / "meanshift.h").exists():
        return str(shipped)
    return str(here.parent / "src_c")  # a source checkout


__all__ = [
    "BandwidthSweep",
    "ConvergenceWarning",
    "MeanShift",
    "__version__",
    "bandwidth_sweep",
    "estimate_bandwidth",
    "get_include",
    "get_bin_seeds",
    "mean_shift",
    "openmp_enabled",
    "select_bandwidth",
    "shift_seeds",
]
