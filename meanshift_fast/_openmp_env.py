"""Waiting threads sleep rather than spin, unless the user chose otherwise.

GNU OpenMP's threads spin for a while at the end of every parallel region
before they sleep.  The core opens one region per round of the seed loop,
hundreds per fit with bin seeding; on a CPU shared with other processes
the spinning thread takes the time the working one needs, and fits took 3
to 10 times their single-thread time (benchmarks/README.md).  libgomp reads
OMP_WAIT_POLICY when it loads, with the core: the setting is made for that
moment only, and the caller's environment is left as it was.
"""

import contextlib
import os

_POLICY = "OMP_WAIT_POLICY"


@contextlib.contextmanager
def passive_wait():
    """``OMP_WAIT_POLICY=passive`` inside the block, when it is unset."""
    if _POLICY in os.environ:
        yield
        return
    os.environ[_POLICY] = "passive"
    try:
        yield
    finally:
        del os.environ[_POLICY]
