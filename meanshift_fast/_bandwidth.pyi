from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from meanshift_fast._units import Units

def estimate_bandwidth(
    X: ArrayLike,
    *,
    quantile: float = ...,
    n_samples: int | None = ...,
    random_state: int | np.random.RandomState | None = ...,
    n_jobs: int | None = ...,
) -> np.floating: ...
def get_bin_seeds(
    X: ArrayLike,
    bin_size: float | ArrayLike,
    min_bin_freq: float = ...,
    sample_weight: ArrayLike | None = ...,
) -> NDArray[np.floating]: ...
def bin_seeds(
    X: ArrayLike,
    bin_size: float | ArrayLike,
    min_bin_freq: float,
    sample_weight: ArrayLike | None,
    n_threads: int,
    shown_size: float | ArrayLike | None = ...,
    quiet: bool = ...,
    strict: bool = ...,
) -> NDArray[np.floating]: ...
def bin_size_like(bandwidth: Any, h: Any) -> Any: ...
def check_bin_range(seeds: NDArray[np.floating], bandwidth: Any) -> None: ...
def rule_of_thumb(
    X: NDArray[np.floating],
    rule: Literal["scott", "silverman"],
    sample_weight: NDArray[np.float64] | None = ...,
) -> NDArray[np.float64]: ...
def resolve_bandwidth(
    bandwidth: float | ArrayLike | str | None,
    X: NDArray[np.floating],
    w: NDArray[np.float64] | None,
    kernel: str,
    n_jobs: int | None,
    owner: str,
    bin_seeding: bool = ...,
) -> tuple[float | NDArray[np.float64], Units, float]: ...
def zero_estimate_error(kernel: str) -> ValueError: ...
def core_units(
    X: NDArray[np.floating],
    bandwidth: float | NDArray[np.float64],
    bin_seeding: bool = ...,
) -> tuple[Units, float]: ...
