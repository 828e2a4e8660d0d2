"""meanshift_fast.image: mean shift on images.

Imported on first use: ``import meanshift_fast`` does not load it.
"""

from meanshift_fast.image._pyr import pyr_mean_shift_filtering

__all__ = ["pyr_mean_shift_filtering"]
