"""Child processes of the tests: their environment, and copies of the
project built in place with other settings (fault injection, the portable
core), imported ahead of the installed package through PYTHONPATH."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

UNDER_ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
JOBS = str(os.cpu_count() or 1)


def child_env(pythonpath=None):
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    if UNDER_ASAN:
        # No quarantine of freed memory, so that RSS tracks live memory.
        env["ASAN_OPTIONS"] = (
            env.get("ASAN_OPTIONS", "")
            + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
        ).lstrip(":")
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(pythonpath)] + [p for p in [env.get("PYTHONPATH")] if p]
        )
    return env


def source_files():
    """The working tree's tracked and untracked-but-not-ignored files, or
    without a git checkout (a copy such as run_sanitizers.sh makes) the
    build inputs found on disk."""
    if shutil.which("git") and (REPO / ".git").exists():
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
        return [os.fsdecode(f) for f in out.split(b"\0") if f]
    files = ["setup.py", "pyproject.toml", "README.md", "LICENSE"]
    for folder in ("meanshift_fast", "src_c"):
        for p in (REPO / folder).rglob("*"):
            if (
                p.is_file()
                and p.suffix not in (".so", ".pyd", ".o")
                and "__pycache__" not in p.parts
            ):
                files.append(str(p.relative_to(REPO)))
    return files


def copy_tree(dst):
    """Copy the build inputs with their modification times (so that an
    up-to-date generated _core.c is reused rather than regenerated)."""
    for rel in source_files() + ["meanshift_fast/_core.c"]:
        src = REPO / rel
        if not src.is_file():
            continue
        out = dst / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, out)


def build_copy(dst, env_changes):
    """Copy the build inputs to dst and build the extension in place there,
    with the environment changed by env_changes (the caller's CFLAGS,
    LDFLAGS and LD_PRELOAD dropped first); returns dst."""
    copy_tree(dst)
    env = dict(os.environ)
    for var in ("CFLAGS", "LDFLAGS", "LD_PRELOAD"):
        env.pop(var, None)
    env.update(env_changes)
    t0 = time.monotonic()
    proc = subprocess.run(
        # every core: the tests wait for the build one after another
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace", "-j", JOBS],
        cwd=dst,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    print(f"build of {dst.name} took {time.monotonic() - t0:.0f} s")
    return dst
