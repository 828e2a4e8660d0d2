from meanshift_fast._bandwidth import estimate_bandwidth as estimate_bandwidth
from meanshift_fast._bandwidth import get_bin_seeds as get_bin_seeds
from meanshift_fast._core import openmp_enabled as openmp_enabled
from meanshift_fast._estimator import ConvergenceWarning as ConvergenceWarning
from meanshift_fast._estimator import MeanShift as MeanShift
from meanshift_fast._estimator import mean_shift as mean_shift
from meanshift_fast._select import select_bandwidth as select_bandwidth
from meanshift_fast._sweep import BandwidthSweep as BandwidthSweep
from meanshift_fast._sweep import bandwidth_sweep as bandwidth_sweep

__version__: str
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
from meanshift_fast._estimator import shift_seeds as shift_seeds

def get_include() -> str: ...
