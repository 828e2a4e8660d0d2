"""pytest wrapper around check_build_identifiers.py and check_wheel_openmp.py.

Run with ``pytest wheels-ci`` from the repository root (a dev/CI check of the
packaging configuration, not part of the wheel test suite in tests/).  The
build matrix test skips when cibuildwheel is not installed.
"""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cbi = _load("check_build_identifiers")
cwo = _load("check_wheel_openmp")


def test_expected_matrix_is_35_cpython_gil_builds():
    assert len(cbi.EXPECTED) == 35
    assert not any(i.startswith(("pp", "gp")) for i in cbi.EXPECTED)
    assert not any(i.split("-")[0].endswith("t") for i in cbi.EXPECTED)


def test_cibuildwheel_selects_exactly_the_expected_wheels():
    if not (HERE.parent / "pyproject.toml").exists():
        pytest.skip("no pyproject.toml at the repository root yet")
    try:
        expected, actual = cbi.build_identifiers()
    except cbi.CibuildwheelMissing as exc:
        pytest.skip(str(exc))
    assert actual == expected, "\n" + cbi.format_diff(expected, actual)


def _fake_wheel(tmp_path: Path, tag: str, members: list[str]) -> Path:
    wheel = tmp_path / f"meanshift_fast-0.1.0-cp312-cp312-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for member in members:
            zf.writestr(member, b"")
    return wheel


@pytest.mark.parametrize(
    ("tag", "members"),
    [
        (
            "manylinux_2_27_x86_64.manylinux_2_28_x86_64",
            [
                "meanshift_fast/_core.cpython-312-x86_64-linux-gnu.so",
                "meanshift_fast.libs/libgomp-24e2ab19.so.1.0.0",
            ],
        ),
        (
            "musllinux_1_2_x86_64",
            [
                "meanshift_fast/_core.cpython-312-x86_64-linux-musl.so",
                "meanshift_fast.libs/libgomp-1ede7ee7.so.1.0.0",
            ],
        ),
        (
            "macosx_10_13_x86_64",
            [
                "meanshift_fast/_core.cpython-312-darwin.so",
                "meanshift_fast/.dylibs/libomp.dylib",
            ],
        ),
        (
            "win_amd64",
            [
                "meanshift_fast/_core.cp312-win_amd64.pyd",
                "meanshift_fast.libs/vcomp140-3c2a3f0b.dll",
            ],
        ),
    ],
)
def test_wheel_with_runtime_passes(tmp_path, tag, members):
    wheel = _fake_wheel(tmp_path, tag, members)
    assert cwo.check_wheel(wheel) == []
    assert cwo.main([str(wheel)]) == 0


@pytest.mark.parametrize(
    ("tag", "ext"),
    [
        ("manylinux_2_28_aarch64", "_core.cpython-312-aarch64-linux-gnu.so"),
        ("macosx_11_0_arm64", "_core.cpython-312-darwin.so"),
        ("win_amd64", "_core.cp312-win_amd64.pyd"),
    ],
)
def test_serial_wheel_fails(tmp_path, tag, ext):
    wheel = _fake_wheel(tmp_path, tag, [f"meanshift_fast/{ext}"])
    assert cwo.check_wheel(wheel)
    assert cwo.main([str(wheel)]) == 1
    assert cwo.main(["--warn-only", str(wheel)]) == 0
