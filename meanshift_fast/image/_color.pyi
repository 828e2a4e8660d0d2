from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

XYZ_FROM_RGB: NDArray[np.float64]
RGB_FROM_XYZ: NDArray[np.float64]
WHITE: NDArray[np.float64]
U0: float
V0: float

def rgb_to_lab(rgb: ArrayLike) -> NDArray[np.float64]: ...
def lab_to_rgb(lab: ArrayLike) -> NDArray[np.float64]: ...
def rgb_to_luv(rgb: ArrayLike) -> NDArray[np.float64]: ...
def luv_to_rgb(luv: ArrayLike) -> NDArray[np.float64]: ...

TO_WORKING: dict[str, Callable[[ArrayLike], NDArray[np.float64]]]
FROM_WORKING: dict[str, Callable[[ArrayLike], NDArray[np.float64]]]
