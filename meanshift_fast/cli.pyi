import argparse
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

DEMO_CENTERS: NDArray[np.float64]
DEMO_STD: float
PILLOW_MISSING: str

def demo_data(n: int = ..., seed: int = ...) -> NDArray[np.float64]: ...
def build_parser() -> argparse.ArgumentParser: ...
def main(argv: Sequence[str] | None = ...) -> int: ...
