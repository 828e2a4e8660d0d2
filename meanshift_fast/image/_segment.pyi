from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from meanshift_fast.image._filter import _ColorSpace, _Kernel

class Segmentation:
    __match_args__ = ("labels", "n_regions", "modes", "sizes", "image", "filtered")
    labels: NDArray[np.int32]
    n_regions: int
    modes: NDArray[np.float64]
    sizes: NDArray[np.int64]
    image: NDArray[np.generic]
    @property
    def filtered(self) -> NDArray[np.floating]: ...
    def __init__(
        self,
        labels: NDArray[np.int32],
        n_regions: int,
        modes: NDArray[np.float64],
        sizes: NDArray[np.int64],
        image: NDArray[np.generic],
        filtered: NDArray[np.floating],
    ) -> None: ...
    def __setattr__(self, name: str, value: object) -> None: ...
    def boundaries(self) -> NDArray[np.bool_]: ...

def segment(
    image: ArrayLike,
    spatial_radius: float,
    range_radius: float,
    min_region: int = ...,
    *,
    connectivity: int = ...,
    kernel: _Kernel = ...,
    color_space: _ColorSpace | None = ...,
    max_iter: int = ...,
    tol: float = ...,
    channel_axis: int | None = ...,
    n_jobs: int | None = ...,
    progress: Callable[[int, int], object] | None = ...,
) -> Segmentation: ...
