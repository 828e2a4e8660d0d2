from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

ALGORITHMS: tuple[str, ...]
ASSIGNMENTS: tuple[str, ...]
RULES: tuple[str, ...]
BANDWIDTH_NAMES: tuple[str, ...]

_Kernel = Literal["flat", "gaussian", "epanechnikov"]

class ConvergenceWarning(UserWarning): ...

class MeanShift:
    bandwidth: float | ArrayLike | Literal["scott", "silverman", "auto"] | None
    seeds: ArrayLike | None
    bin_seeding: bool
    min_bin_freq: int
    cluster_all: bool
    n_jobs: int | None
    max_iter: int
    kernel: _Kernel
    algorithm: Literal["auto", "kd_tree", "brute"]
    cluster_assignment: Literal["nearest", "attractor"]
    gaussian_tol: float
    cluster_centers_: NDArray[np.floating]
    labels_: NDArray[np.int64]
    n_iter_: int
    n_features_in_: int
    feature_names_in_: NDArray[np.object_]
    bandwidth_: float | NDArray[np.float64]
    def __init__(
        self,
        *,
        bandwidth: float
        | ArrayLike
        | Literal["scott", "silverman", "auto"]
        | None = ...,
        seeds: ArrayLike | None = ...,
        bin_seeding: bool = ...,
        min_bin_freq: int = ...,
        cluster_all: bool = ...,
        n_jobs: int | None = ...,
        max_iter: int = ...,
        kernel: _Kernel = ...,
        algorithm: Literal["auto", "kd_tree", "brute"] = ...,
        cluster_assignment: Literal["nearest", "attractor"] = ...,
        gaussian_tol: float = ...,
    ) -> None: ...
    def get_params(self, deep: bool = ...) -> dict[str, Any]: ...
    def set_params(self, **params: Any) -> MeanShift: ...
    def __sklearn_tags__(self) -> Any: ...
    def __sklearn_clone__(self) -> MeanShift: ...
    def __sklearn_is_fitted__(self) -> bool: ...
    def set_fit_request(
        self, *, sample_weight: bool | str | None = ...
    ) -> MeanShift: ...
    def get_metadata_routing(self) -> Any: ...
    def __getstate__(self) -> dict[str, Any]: ...
    def fit(
        self,
        X: ArrayLike,
        y: object = ...,
        sample_weight: ArrayLike | None = ...,
        *,
        progress: Callable[[int, int], object] | None = ...,
    ) -> MeanShift: ...
    def fit_predict(
        self, X: ArrayLike, y: object = ..., sample_weight: ArrayLike | None = ...
    ) -> NDArray[np.int64]: ...
    def score_samples(self, X: ArrayLike) -> NDArray[np.float64]: ...
    def predict(self, X: ArrayLike) -> NDArray[np.int64]: ...

def mean_shift(
    X: ArrayLike,
    *,
    bandwidth: float | ArrayLike | Literal["scott", "silverman", "auto"] | None = ...,
    seeds: ArrayLike | None = ...,
    bin_seeding: bool = ...,
    min_bin_freq: int = ...,
    cluster_all: bool = ...,
    max_iter: int = ...,
    n_jobs: int | None = ...,
    kernel: _Kernel = ...,
) -> tuple[NDArray[np.floating], NDArray[np.int64]]: ...
def shift_seeds(
    X: ArrayLike,
    seeds: ArrayLike,
    *,
    bandwidth: float,
    kernel: _Kernel = ...,
    max_iter: int = ...,
    sample_weight: ArrayLike | None = ...,
    n_jobs: int | None = ...,
    gaussian_tol: float = ...,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]: ...

# Shared with meanshift_fast.dask.
def _kept_centers(
    means: NDArray[np.float64],
    intensity: NDArray[np.float64],
    converged: NDArray[np.bool_],
    h: float,
    max_iter: int,
    bandwidth: float | NDArray[np.float64],
    n_threads: int,
    copies: NDArray[np.int64] | None = None,
    quiet: bool = False,
) -> NDArray[np.float64]: ...
