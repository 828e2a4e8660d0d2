"""meanshift_fast: exact mean shift clustering with a parallel C core.

The results of ``sklearn.cluster.MeanShift``, computed by a k-d tree whose
nodes carry aggregates, in C, on every core.  numpy is the only dependency.
"""

from meanshift_fast._bandwidth import estimate_bandwidth, get_bin_seeds
from meanshift_fast._core import openmp_enabled
from meanshift_fast._estimator import (
    ConvergenceWarning,
    MeanShift,
    mean_shift,
    shift_seeds,
)

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "MeanShift",
    "__version__",
    "estimate_bandwidth",
    "get_bin_seeds",
    "mean_shift",
    "openmp_enabled",
    "shift_seeds",
]
