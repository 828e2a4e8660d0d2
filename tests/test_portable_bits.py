"""The forms of the core chosen per CPU (AVX2 and AVX-512 clones, the
float32 screens) give the same bits as the portable forms: a build with
-DMS_NO_CLONES, which has only the portable ones, hashes the fits of
scripts/result_hashes.py (every kernel, weights, float32, bin seeds, 1 to
32 features, the image filters) to the same table as the build under test.
Wheels for CPUs without AVX2 run the portable forms, and their users must
get the same answers.  Likewise a build with -DMS_NO_AVX512, which leaves
the AVX-512 forms out: on a CPU with AVX-512 it runs the AVX2 forms that
CPUs without it take."""

import subprocess
import sys

import pytest
from build_copy import REPO, build_copy, child_env


@pytest.fixture(scope="module")
def portable_build(tmp_path_factory):
    return build_copy(
        tmp_path_factory.mktemp("portable_build"), {"CFLAGS": "-DMS_NO_CLONES"}
    )


@pytest.fixture(scope="module")
def avx2_build(tmp_path_factory):
    return build_copy(
        tmp_path_factory.mktemp("avx2_build"), {"CFLAGS": "-DMS_NO_AVX512"}
    )


def _hashes(tmp_path, name, pythonpath):
    out = tmp_path / name
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "result_hashes.py"),
            "--save",
            str(out),
        ],
        cwd=tmp_path,
        env=child_env(pythonpath),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out.read_text()


def _check_build_is_used(build, tmp_path):
    probe = subprocess.run(
        [sys.executable, "-c", "import meanshift_fast; print(meanshift_fast.__file__)"],
        cwd=tmp_path,
        env=child_env(build),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert str(build) in probe.stdout, probe.stdout + probe.stderr


@pytest.fixture(scope="module")
def dispatched(tmp_path_factory):
    return _hashes(tmp_path_factory.mktemp("dispatched"), "dispatched.txt", None)


def test_portable_forms_give_the_same_bits(portable_build, dispatched, tmp_path):
    _check_build_is_used(portable_build, tmp_path)
    portable = _hashes(tmp_path, "portable.txt", portable_build)
    assert len(portable.splitlines()) >= 40
    assert portable == dispatched


def test_avx2_forms_give_the_same_bits(avx2_build, dispatched, tmp_path):
    _check_build_is_used(avx2_build, tmp_path)
    assert _hashes(tmp_path, "avx2.txt", avx2_build) == dispatched
