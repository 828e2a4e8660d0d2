from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from meanshift_fast._core import Tree

_BOUND_SAMPLES: int
_SMALL_SHARE: float

class BandwidthSweep:
    bandwidths: NDArray[np.float64]
    n_clusters: NDArray[np.int64]
    sizes: list[NDArray[np.int64] | NDArray[np.float64]]
    centers: list[NDArray[np.floating]]
    labels: list[NDArray[np.int64]] | None
    n_iter: NDArray[np.int64]
    rows: NDArray[np.intp] | None
    def __init__(
        self,
        bandwidths: NDArray[np.float64],
        n_clusters: NDArray[np.int64],
        sizes: list[NDArray[np.int64] | NDArray[np.float64]],
        centers: list[NDArray[np.floating]],
        labels: list[NDArray[np.int64]] | None,
        n_iter: NDArray[np.int64],
    ) -> None: ...
    def __len__(self) -> int: ...
    def largest_shares(self, k: int = ...) -> NDArray[np.float64]: ...
    def table(self, marked: float | None = ...) -> str: ...
    def plot(self, marked: float | None = ..., fig: Any = ...) -> Any: ...

def default_bandwidths(
    X: NDArray[np.floating],
    n_bandwidths: int,
    sample_weight: NDArray[np.float64] | None = ...,
    random_state: int | np.random.RandomState | None = ...,
) -> NDArray[np.float64]: ...
def draw_rows(
    rows: NDArray[np.intp],
    n_samples: int,
    random_state: int | np.random.RandomState | None,
) -> NDArray[np.intp]: ...
def bound_rows(
    X: NDArray[np.floating],
    w: NDArray[np.float64] | None,
    random_state: int | np.random.RandomState | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]: ...
def check_bandwidths(owner: str, bandwidths: object) -> NDArray[np.float64]: ...
def bandwidth_sweep(
    X: ArrayLike,
    bandwidths: ArrayLike | None = ...,
    *,
    n_bandwidths: int = ...,
    kernel: str = ...,
    bin_seeding: bool = ...,
    min_bin_freq: int = ...,
    sample_weight: ArrayLike | None = ...,
    n_jobs: int | None = ...,
    return_labels: bool = ...,
    random_state: int | np.random.RandomState | None = ...,
) -> BandwidthSweep: ...
def _bounds(
    S: NDArray[np.float64], w: NDArray[np.float64] | None
) -> tuple[float, float, float]: ...
def _sweep(
    X: NDArray[np.floating],
    bandwidths: NDArray[np.float64],
    kernel: str,
    bin_seeding: bool,
    min_bin_freq: int,
    w: NDArray[np.float64] | None,
    n_jobs: int | None,
    return_labels: bool,
    quiet: bool = ...,
) -> BandwidthSweep: ...

class _TreeCache:
    def __init__(self) -> None: ...
    def __call__(
        self, key: tuple[int, int, str], build: Callable[[], Tree]
    ) -> Tree: ...

def _is_dask(X: object) -> bool: ...
