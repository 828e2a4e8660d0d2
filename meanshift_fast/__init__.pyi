from meanshift_fast._bandwidth import estimate_bandwidth as estimate_bandwidth
from meanshift_fast._bandwidth import get_bin_seeds as get_bin_seeds
from meanshift_fast._core import openmp_enabled as openmp_enabled
from meanshift_fast._estimator import ConvergenceWarning as ConvergenceWarning
from meanshift_fast._estimator import MeanShift as MeanShift
from meanshift_fast._estimator import mean_shift as mean_shift

__version__: str
__all__ = [
    "ConvergenceWarning",
    "MeanShift",
    "__version__",
    "estimate_bandwidth",
    "get_include",
    "get_bin_seeds",
    "mean_shift",
    "openmp_enabled",
    "shift_seeds",
]
from meanshift_fast._estimator import shift_seeds as shift_seeds

def get_include() -> str: ...
