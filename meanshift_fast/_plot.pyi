from typing import Any

from meanshift_fast._sweep import BandwidthSweep

_BANDS: int
_SHARE: float

def plot_sweep(
    sweep: BandwidthSweep, marked: float | None = ..., fig: Any = ...
) -> Any: ...
