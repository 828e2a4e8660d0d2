"""Mean shift on images and volumes.

- `mean_shift_filter`: exact filtering in the joint spatial-range domain
  (Comaniciu and Meer, 2002), for any channel count, dtype and volumes.
- `segment`: regions of pixels whose modes agree, with labels.
- `pyr_mean_shift_filtering`: OpenCV's ``cv2.pyrMeanShiftFiltering``, byte
  for byte, on uint8 colour images, on every core.

Imported on first use: ``import meanshift_fast`` does not load it.
"""

from meanshift_fast.image._filter import mean_shift_filter
from meanshift_fast.image._pyr import pyr_mean_shift_filtering
from meanshift_fast.image._segment import Segmentation, segment

__all__ = [
    "Segmentation",
    "mean_shift_filter",
    "pyr_mean_shift_filtering",
    "segment",
]
