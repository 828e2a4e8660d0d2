"""What this build of meanshift_fast is: for `meanshift-fast info`."""

import json
import platform
import sys
from importlib import resources

import numpy as np

from meanshift_fast import __version__, _core
from meanshift_fast._threads import available_cpus, effective_n_threads


def _openmp_runtime():
    """The OpenMP library loaded into this process, if any (Linux, macOS)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                for name in ("libgomp", "libomp", "libiomp"):
                    if name in line:
                        return line.split()[-1]
    except OSError:
        pass
    return "unknown" if _core.openmp_enabled() else "none"


def build_info():
    try:
        text = (
            resources.files("meanshift_fast").joinpath("_build_info.json").read_text()
        )
        return json.loads(text)
    except (OSError, ValueError):
        return {}


def info():
    """A dict describing the version, build and threading of this install."""
    b = build_info()
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "openmp": _core.openmp_enabled(),
        "openmp_runtime": _openmp_runtime(),
        "threads_default": effective_n_threads(None),
        "cpus_available": available_cpus(),
        "fault_injection": _core.fault_injection_enabled(),
        "compiler": " ".join(
            x for x in (b.get("compiler"), b.get("compiler_version")) if x
        ),
        "cflags": " ".join(b.get("cflags", [])),
        "ldflags": " ".join(b.get("ldflags", [])),
    }


def info_text():
    return "\n".join(f"{k:16s} {v}" for k, v in info().items())
