"""How many threads a call uses.

`n_jobs=None` means every core OpenMP may use: OpenMP's own limit (which
OMP_NUM_THREADS and threadpoolctl set), capped by the CPUs this process may
run on and by a cgroup CPU quota.  Negative values count back from that,
as in joblib: -1 is all of them, -2 all but one.
"""

import os

from meanshift_fast import _core


def _cgroup_cpu_limit():
    """CPUs allowed by a cgroup v2 or v1 quota, or None without one."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            return max(1, int(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        if quota > 0 and period > 0:
            return max(1, quota // period)
    except (OSError, ValueError):
        pass
    return None


def available_cpus():
    if hasattr(os, "process_cpu_count"):
        n = os.process_cpu_count() or 1
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:
        n = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    return min(n, limit) if limit else n


def effective_n_threads(n_jobs):
    """Threads for a C call; n_jobs is already validated (int != 0 or None)."""
    if not _core.openmp_enabled():
        return 1
    if n_jobs is None:
        return max(1, min(_core.default_num_threads(), available_cpus()))
    if n_jobs < 0:
        return max(1, available_cpus() + 1 + n_jobs)
    return int(n_jobs)
