"""The cibuildwheel configuration in wheels-ci/ selects exactly the
intended builds (cibuildwheel --print-build-identifiers needs no Docker)."""

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

WHEELS_CI = Path(__file__).resolve().parent.parent / "wheels-ci"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, WHEELS_CI / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not (WHEELS_CI / "check_build_identifiers.py").exists()
    or not (WHEELS_CI.parent / "pyproject.toml").exists(),
    reason="needs the source tree's wheels-ci/ and pyproject.toml",
)
def test_build_identifiers_are_exactly_the_intended_35():
    if (
        shutil.which("cibuildwheel") is None
        and importlib.util.find_spec("cibuildwheel") is None
    ):
        if sys.version_info < (3, 11):
            pytest.skip("cibuildwheel needs Python 3.11 (the test extras leave it out)")
        pytest.fail("cibuildwheel is in the test extras but not installed")
    cbi = _load("check_build_identifiers")
    expected, actual = cbi.build_identifiers()
    assert len(expected) == 35
    assert sorted(actual) == sorted(expected)


@pytest.mark.skipif(
    not (WHEELS_CI.parent / "pyproject.toml").exists(),
    reason="needs the source tree's pyproject.toml",
)
def test_project_urls_are_not_placeholders():
    """Metadata shows users links: none may point at a reserved name that
    can never exist (RFC 2606/6761), as a placeholder would."""
    import re
    from urllib.parse import urlsplit

    text = (WHEELS_CI.parent / "pyproject.toml").read_text()
    urls = re.findall(r"""["'](\w+://[^"']+)["']""", text)
    reserved = (".invalid", ".example", ".test", ".localhost", "example.com")
    for url in urls:
        host = urlsplit(url).hostname or ""
        assert urlsplit(url).scheme == "https", url
        assert not host.endswith(reserved) and host != "localhost", url


@pytest.mark.skipif(
    not (WHEELS_CI / "check_build_identifiers.py").exists(),
    reason="needs the source tree's wheels-ci/ (an sdist carries only its licences)",
)
def test_every_linux_libc_and_arch_gets_wheels():
    """manylinux and musllinux wheels both for x86_64 and aarch64: a missing
    pair leaves those users with a source build (and, on a box without a
    compiler, no install at all)."""
    cbi = _load("check_build_identifiers")
    for libc in ("manylinux", "musllinux"):
        for arch in ("x86_64", "aarch64"):
            assert f"{libc}_{arch}" in cbi.PLATFORM_TAGS


@pytest.mark.skipif(
    not (WHEELS_CI.parent / "src_c").is_dir(), reason="needs the source tree's src_c/"
)
def test_openmp_directives_stay_within_msvc_openmp_2_0():
    """The Windows wheels compile with MSVC's /openmp, OpenMP 2.0 only: its C
    compiler rejects a loop index declared in the for statement after a
    directive (C3015) and any atomic clause such as "write" (C3005).  Newer
    constructs go under an `_OPENMP >= ...` guard as raw #pragma lines."""
    import re

    directive = re.compile(r"MS_OMP\((.*)\)\s*$")
    declared_index = re.compile(r"\s*for\s*\(\s*[A-Za-z_][\w ]*\s+\w+\s*=")
    allowed = {"parallel", "for", "atomic", "critical", "single", "barrier",
               "master", "flush", "sections", "section", "ordered"}  # fmt: skip
    for path in sorted((WHEELS_CI.parent / "src_c").glob("*.[ch]")):
        lines = path.read_text().splitlines()
        for no, line in enumerate(lines):
            m = directive.search(line)
            if m is None or line.lstrip().startswith(("#define", "*")):
                continue
            where = f"{path.name}:{no + 1}: {line.strip()}"
            words = m.group(1).split()
            assert words[0] in allowed, where
            if words[0] == "atomic":
                assert len(words) == 1, where
            if "for" in words[:2]:
                assert not declared_index.match(lines[no + 1]), where


@pytest.mark.skipif(
    not (WHEELS_CI.parent / "src_c").is_dir() or shutil.which("gcc") is None,
    reason="needs the source tree's src_c/ and gcc's preprocessor",
)
def test_core_preprocesses_without_gnu_extensions_for_msvc(tmp_path):
    """What MSVC compiles of the core (no __GNUC__, _MSC_VER set, OpenMP 2.0)
    holds no GCC builtin or attribute: MSVC has none of them, and an
    unknown __builtin_* only fails at link time."""
    import re
    import subprocess

    src = WHEELS_CI.parent / "src_c"
    (tmp_path / "intrin.h").write_text("")  # MSVC's header, absent here
    found = set()
    for c in sorted(src.glob("*.c")):
        out = subprocess.run(
            [
                "gcc",
                "-E",
                "-U__GNUC__",
                "-U__GNUC_MINOR__",
                "-U__clang__",
                "-D_MSC_VER=1940",
                "-D_OPENMP=200203",
                f"-I{tmp_path}",
                f"-I{src}",
                str(c),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        origin = ""
        for line in out.splitlines():
            m = re.match(r'# \d+ "([^"]+)"', line)
            if m:
                origin = m.group(1)
            elif Path(origin).parent == src:
                for word in re.findall(r"__builtin_\w+|__attribute__", line):
                    found.add(f"{Path(origin).name}: {word}")
    assert not found, sorted(found)
