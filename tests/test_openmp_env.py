"""Importing meanshift_fast leaves the caller's OpenMP settings as they were."""

import os
import subprocess
import sys

SCRIPT = (
    "import os, meanshift_fast; print(os.environ.get('OMP_WAIT_POLICY', '<unset>'))"
)


def _policy_after_import(env_policy):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if env_policy is not None:
        env["OMP_WAIT_POLICY"] = env_policy
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_unset_policy_stays_unset():
    assert _policy_after_import(None) == "<unset>"


def test_user_policy_is_kept():
    assert _policy_after_import("active") == "active"


def test_passive_wait_sets_and_restores(monkeypatch):
    from meanshift_fast._openmp_env import passive_wait

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    with passive_wait():
        assert os.environ["OMP_WAIT_POLICY"] == "passive"
    assert "OMP_WAIT_POLICY" not in os.environ
    monkeypatch.setenv("OMP_WAIT_POLICY", "active")
    with passive_wait():
        assert os.environ["OMP_WAIT_POLICY"] == "active"
