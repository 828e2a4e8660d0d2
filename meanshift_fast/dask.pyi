from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MeanShift"]

_Kernel = Literal["flat", "gaussian", "epanechnikov"]

class MeanShift:
    bandwidth: float | Literal["auto"] | None
    seeds: ArrayLike | None
    bin_seeding: bool
    min_bin_freq: int
    cluster_all: bool
    n_jobs: int | None
    max_iter: int
    kernel: _Kernel
    gaussian_tol: float
    bandwidth_samples: int
    random_state: int
    client: Any
    cluster_centers_: NDArray[np.floating]
    labels_: Any
    n_iter_: int
    n_features_in_: int
    bandwidth_: float
    def __init__(
        self,
        *,
        bandwidth: float | Literal["auto"] | None = ...,
        seeds: ArrayLike | None = ...,
        bin_seeding: bool = ...,
        min_bin_freq: int = ...,
        cluster_all: bool = ...,
        n_jobs: int | None = ...,
        max_iter: int = ...,
        kernel: _Kernel = ...,
        gaussian_tol: float = ...,
        bandwidth_samples: int = ...,
        random_state: int = ...,
        client: Any = ...,
    ) -> None: ...
    def get_params(self, deep: bool = ...) -> dict[str, Any]: ...
    def set_params(self, **params: Any) -> MeanShift: ...
    def __sklearn_clone__(self) -> MeanShift: ...
    def __sklearn_tags__(self) -> Any: ...
    def __sklearn_is_fitted__(self) -> bool: ...
    def fit(self, X: Any, y: Any = ...) -> MeanShift: ...
    def fit_predict(self, X: Any, y: Any = ...) -> Any: ...
    def predict(self, X: Any) -> Any: ...

def bandwidth_sample(
    X: Any,
    sample_weight: Any = ...,
    random_state: int = ...,
    n_samples: int = ...,
    return_rows: bool = ...,
    positive_weights: bool = ...,
    owner: str = ...,
) -> Any: ...
