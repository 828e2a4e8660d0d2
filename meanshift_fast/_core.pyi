from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from typing_extensions import disjoint_base

KERNELS: dict[str, int]
NEAREST_SCAN_MAX: int
SEARCHES: dict[str, int]

def openmp_enabled() -> bool: ...
def default_num_threads() -> int: ...
def fault_injection_enabled() -> bool: ...
def api_team_started() -> bool: ...
def set_fail_alloc_after(n: int) -> None: ...
def radius_sq(h: float) -> float: ...
def flat_radius_sq(h: float) -> float: ...

@disjoint_base
class Tree:
    n: int
    d: int
    is_f32: bool
    def __init__(
        self,
        X: NDArray[np.floating],
        weights: NDArray[np.float64] | None = ...,
        leaf_size: int = ...,
        kernel: str = ...,
        n_threads: int = ...,
    ) -> None: ...
    def points(self) -> NDArray[np.floating]: ...
    def shift(
        self,
        seeds: NDArray[np.float64],
        kernel: str,
        bandwidth: float,
        stop_thresh: float,
        max_iter: int,
        gaussian_tol: float,
        n_threads: int,
        progress: Callable[[int, int], object] | None = ...,
    ) -> tuple[
        NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]
    ]: ...
    def nearest_center(
        self,
        centers: NDArray[np.float64],
        r2: float,
        n_threads: int = ...,
        progress: Callable[[int, int], object] | None = ...,
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]: ...
    def kernel_sum(
        self,
        queries: NDArray[np.float64],
        kernel: str,
        bandwidth: float,
        tol: float,
        n_threads: int = ...,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
    def kth_neighbor_distance(
        self,
        k: int,
        n_threads: int,
        progress: Callable[[int, int], object] | None = ...,
    ) -> NDArray[np.float64]: ...

def leaf_size_hint(
    n: int, d: int, n_queries: int, kernel: str, algorithm: str = ...
) -> int: ...
def step(
    pos: NDArray[np.float64],
    base: NDArray[np.float64],
    wsum: NDArray[np.float64],
    wx: NDArray[np.float64],
    kernel: str,
    bandwidth: float,
    stop_thresh: float,
    max_iter: int,
    intensity: NDArray[np.float64],
    n_iter: NDArray[np.int64],
    float32: bool,
) -> NDArray[np.intc]: ...
def bin_cells(
    X: NDArray[np.floating],
    weights: NDArray[np.float64] | None,
    bin_size: float,
    min_freq: float,
    n_threads: int = ...,
) -> tuple[NDArray[np.float64], NDArray[np.int64], int]: ...
def distinct_rows(
    X: NDArray[np.floating],
    weights: NDArray[np.float64] | None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]] | None: ...
def merge_centers(
    means: NDArray[np.float64],
    intensity: NDArray[np.float64],
    r2: float,
    n_threads: int = ...,
) -> NDArray[np.int64]: ...
def nearest_center(
    X: NDArray[np.floating],
    centers: NDArray[np.float64],
    r2: float,
    n_threads: int = ...,
    progress: Callable[[int, int], object] | None = ...,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]: ...

# images (meanshift_fast.image)
def image_filter(
    image: NDArray[np.float64],
    kernel: str,
    spatial_radius: float,
    range_radius: float,
    max_iter: int,
    tol: float,
    n_threads: int,
    progress: Callable[[int, int], object] | None = ...,
) -> NDArray[np.float64]: ...
def image_segment(
    modes: NDArray[np.float64],
    join_radius: float,
    rank: int,
    min_region: int,
    n_threads: int,
) -> tuple[NDArray[np.int32], int]: ...
def image_region_means(
    modes: NDArray[np.float64], labels: NDArray[np.int32], k: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]: ...

# images: OpenCV-compatible pyramid mean-shift filtering
def pyr_mean_shift_u8c3(
    src: NDArray[np.uint8],
    sp: float,
    sr: float,
    max_level: int,
    max_iter: int,
    eps: float,
    n_threads: int,
    progress: Callable[[int, int], object] | None = ...,
) -> NDArray[np.uint8]: ...
