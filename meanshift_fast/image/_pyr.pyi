import numpy as np
from numpy.typing import ArrayLike, NDArray

def pyr_mean_shift_filtering(
    src: NDArray[np.uint8] | ArrayLike,
    sp: float,
    sr: float,
    *,
    max_level: int = ...,
    max_iter: int = ...,
    eps: float = ...,
    n_jobs: int | None = ...,
) -> NDArray[np.uint8]: ...
