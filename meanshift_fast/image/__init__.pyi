from meanshift_fast.image._filter import mean_shift_filter as mean_shift_filter
from meanshift_fast.image._pyr import (
    pyr_mean_shift_filtering as pyr_mean_shift_filtering,
)
from meanshift_fast.image._segment import Segmentation as Segmentation
from meanshift_fast.image._segment import segment as segment

__all__ = [
    "Segmentation",
    "mean_shift_filter",
    "pyr_mean_shift_filtering",
    "segment",
]
