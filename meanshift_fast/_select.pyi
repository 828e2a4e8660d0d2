from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

METHODS: tuple[str, ...]

def select_bandwidth(
    X: ArrayLike,
    *,
    method: Literal["stability"] = ...,
    sample_weight: ArrayLike | None = ...,
    n_jobs: int | None = ...,
    random_state: int | np.random.RandomState | None = ...,
) -> float: ...
def stability_bandwidth(
    X: NDArray[np.floating],
    w: NDArray[np.float64] | None,
    n_jobs: int | None,
    random_state: int | np.random.RandomState | None,
) -> float: ...
