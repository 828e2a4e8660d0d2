"""How many threads a call uses.

`n_jobs=None` means every core OpenMP may use: OpenMP's own limit (which
OMP_NUM_THREADS and threadpoolctl set), capped by the CPUs this process may
run on and by a cgroup CPU quota.  Negative values count back from that,
as in joblib: -1 is all of them, -2 all but one.
"""

import os

from meanshift_fast import _core

# The quota, once read: [] until then.
_cgroup_quota: list[int | None] = []


def _cgroup_cpu_limit():
    """CPUs allowed by a cgroup CPU quota, or None without one.

    Read once per process: a container's quota is set when it starts, and
    reading files on every fit costs more than a small fit's C work."""
    if not _cgroup_quota:
        _cgroup_quota.append(_read_cgroup_cpu_limit())
    return _cgroup_quota[0]


def _read_cgroup_cpu_limit():
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


# Below this many seed-sample pairs a fit is over in about a millisecond:
# waking a thread team costs more than it saves, and much more on a loaded
# machine where the team's threads wait for cores.
SMALL_WORK = 2_000_000


# OpenMP runtimes (libgomp among them) leave a forked child a broken
# thread team: a parallel region there waits for ever for threads the fork
# did not copy.  Once this process has asked for a team, a child forked
# from it (multiprocessing's "fork" start method, say) runs every call on
# one thread; no result depends on the thread count.  A team another
# extension started through the Cython function table (_core.pxd) counts.
_team = {"started": False, "forked_after": False}


def _after_fork_in_child():
    _team["forked_after"] = _team["started"] or _core.api_team_started()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def effective_n_threads(n_jobs, work=None):
    """Threads for a C call; n_jobs is already validated (int != 0 or None).

    `work` (seeds times samples, say) lets a tiny job run on one thread
    when n_jobs leaves the choice to us (None or negative)."""
    if not _core.openmp_enabled() or _team["forked_after"]:
        return 1
    if work is not None and work < SMALL_WORK and (n_jobs is None or n_jobs < 0):
        return 1
    if n_jobs is None:
        n = max(1, min(_core.default_num_threads(), available_cpus()))
    elif n_jobs < 0:
        n = max(1, available_cpus() + 1 + n_jobs)
    else:
        # Far more threads than cores is a typo, not a machine (and C takes
        # an int): cap at four per available CPU.
        n = int(min(n_jobs, 4 * available_cpus()))
    if n > 1:
        _team["started"] = True
    return n
