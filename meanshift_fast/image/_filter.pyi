from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

_Kernel = Literal["flat", "gaussian", "epanechnikov"]
_ColorSpace = Literal["raw", "lab", "luv"]

def mean_shift_filter(
    image: ArrayLike,
    spatial_radius: float,
    range_radius: float,
    *,
    kernel: _Kernel = ...,
    color_space: _ColorSpace | None = ...,
    max_iter: int = ...,
    tol: float = ...,
    channel_axis: int | None = ...,
    n_jobs: int | None = ...,
    progress: Callable[[int, int], object] | None = ...,
) -> NDArray[np.floating]: ...

KERNELS: tuple[str, ...]
COLOR_SPACES: tuple[str, ...]
DTYPES: tuple[type[np.generic], ...]

class PreparedImage:
    shape: tuple[int, ...]
    dtype: np.dtype[np.generic]
    channel_axis: int | None
    n_channels: int
    is_volume: bool
    color_space: str
    scale: float
    work: NDArray[np.float64]
    def __init__(
        self,
        image: ArrayLike,
        color_space: str | None,
        channel_axis: int | None,
        owner: str,
    ) -> None: ...
    def to_input_units(self, work: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def restore_layout(self, data: NDArray[np.generic]) -> NDArray[np.generic]: ...
    def output_dtype(self) -> type[np.floating]: ...

def check_radius(name: str, value: float) -> float: ...
def check_filter_options(
    kernel: str,
    max_iter: int,
    tol: float,
    n_jobs: int | None,
    owner: str,
    progress: Callable[[int, int], object] | None = ...,
) -> None: ...
def run_filter(
    prep: PreparedImage,
    hs: float,
    hr: float,
    kernel: str,
    max_iter: int,
    tol: float,
    n_jobs: int | None,
    progress: Callable[[int, int], object] | None,
) -> tuple[NDArray[np.float64], int]: ...
