"""Build of the meanshift_fast extension: the C core plus its Cython boundary.

OpenMP is detected per compiler.  MEANSHIFT_FAST_OPENMP=1 demands it (the
build fails without it), =0 builds the serial core; unset, it is used when
a test program compiles.  MEANSHIFT_FAST_FAULT_INJECTION=1 compiles the
allocation-failure switch used by the reliability tests.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent.resolve()
C_SOURCES = [
    "runtime.c",
    "tree_build.c",
    "tree_query.c",
    "group_query.c",
    "shift.c",
    "bandwidth.c",
    "centers.c",
    "bins.c",
    "distinct_rows.c",
    "equal_rows.c",
    "select.c",
    "image_filter.c",
    "image_filter_flat.c",
    "image_filter_flat_avx2.c",
    "image_filter_table.c",
    "image_filter_window.c",
    "image_segment.c",
    "image_pyr.c",
    "image_pyr_avx2.c",
    "image_pyr_levels.c",
    "image_pyr_steps.c",
]

OPENMP_TEST = r"""
#include <omp.h>
int main(void) {
    int n = 0;
#pragma omp parallel reduction(+ : n)
    n += 1;
    return n > 0 ? 0 : 1;
}
"""


def _env_flag(name):
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "auto"):
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{name} must be 1, 0 or unset, not {value!r}")


def _openmp_flag_sets(compiler_type):
    """Candidate (compile, link) flags, most likely first."""
    if compiler_type == "msvc":
        return [(["/openmp"], [])]
    if sys.platform == "darwin":
        # Apple clang: the runtime (libomp) comes from outside the toolchain;
        # CPPFLAGS/LDFLAGS must point at it (see wheels-ci/).
        return [
            (["-Xpreprocessor", "-fopenmp"], ["-lomp"]),
            (["-fopenmp"], ["-fopenmp"]),
        ]
    return [(["-fopenmp"], ["-fopenmp"])]


class BuildExt(build_ext):
    def _compiles(self, cflags, ldflags):
        tmp = Path(tempfile.mkdtemp(prefix="msf-omp-"))
        try:
            src = tmp / "check_openmp.c"
            src.write_text(OPENMP_TEST)
            objs = self.compiler.compile(
                [str(src)], output_dir=str(tmp), extra_postargs=cflags
            )
            # LDFLAGS (where a libomp lives, on macOS) does not reach
            # link_executable by itself.
            extra = shlex.split(os.environ.get("LDFLAGS", ""))
            self.compiler.link_executable(
                objs,
                "check_openmp",
                output_dir=str(tmp),
                extra_postargs=ldflags + extra,
            )
            return True
        except Exception:
            return False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def build_extensions(self):
        ctype = self.compiler.compiler_type
        want = _env_flag("MEANSHIFT_FAST_OPENMP")
        omp = None
        if want is not False:
            for cflags, ldflags in _openmp_flag_sets(ctype):
                if self._compiles(cflags, ldflags):
                    omp = (cflags, ldflags)
                    break
            if omp is None and want:
                raise SystemExit(
                    "MEANSHIFT_FAST_OPENMP=1 but no OpenMP flags work with this "
                    "compiler; install an OpenMP runtime or set it to 0"
                )
        if ctype == "msvc":
            cflags = ["/O2", "/fp:precise"]
        else:
            # No FMA contraction: the tree's exact box tests rely on
            # distances rounded the same way everywhere.
            # -g0 overrides Python's -g: debug info would triple the wheel.
            # -fno-trapping-math: the core never reads floating-point
            # exception flags, and the flag lets selections in leaf loops
            # run on SIMD lanes; values are unchanged.
            # -fvisibility=hidden: the module exports only its init function
            # (other extensions reach the core through Cython's capsules),
            # so the core's calls between its files are direct, not through
            # the procedure linkage table.
            cflags = [
                "-O3",
                "-g0",
                "-ffp-contract=off",
                "-fno-math-errno",
                "-fno-trapping-math",
                "-fvisibility=hidden",
            ]
        ldflags = []
        if omp:
            cflags += omp[0]
            ldflags += omp[1]
        macros = []
        if _env_flag("MEANSHIFT_FAST_FAULT_INJECTION"):
            macros.append(("MS_FAULT_INJECTION", "1"))
        for ext in self.extensions:
            ext.extra_compile_args = cflags + ext.extra_compile_args
            ext.extra_link_args = ldflags + ext.extra_link_args
            ext.define_macros = macros + ext.define_macros
        self._write_build_info(ctype, cflags, ldflags, bool(omp), macros)
        if self.parallel and ctype == "unix":
            self._compile_in_parallel(int(self.parallel))
        super().build_extensions()

    def _compile_in_parallel(self, jobs):
        """With -j N the extension's sources compile N at a time: build_ext
        runs -j over extensions only, and this package has one."""
        cc = self.compiler

        def compile(sources, output_dir=None, macros=None, include_dirs=None,
                    debug=False, extra_preargs=None, extra_postargs=None,
                    depends=None):  # fmt: skip
            macros, objects, extra_postargs, pp_opts, build = cc._setup_compile(
                output_dir, macros, include_dirs, sources, depends, extra_postargs
            )
            cc_args = cc._get_cc_args(pp_opts, debug, extra_preargs)

            def one(obj):
                if obj in build:  # up to date otherwise
                    src, ext = build[obj]
                    cc._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

            with ThreadPoolExecutor(jobs) as pool:
                list(pool.map(one, objects))
            return objects

        cc.compile = compile

    def _write_build_info(self, ctype, cflags, ldflags, omp, macros):
        compiler = getattr(self.compiler, "compiler_so", None) or [ctype]
        version = ""
        if ctype != "msvc":
            try:
                version = subprocess.run(
                    [compiler[0], "--version"], capture_output=True, text=True
                ).stdout.splitlines()[0]
            except (OSError, IndexError):
                pass
        info = {
            "compiler": " ".join(compiler[:1]),
            "compiler_version": version,
            "cflags": cflags,
            "ldflags": ldflags,
            "openmp": omp,
            "macros": [m[0] for m in macros],
            "platform": sysconfig.get_platform(),
        }
        out_dir = Path(self.get_ext_fullpath("meanshift_fast._core")).parent
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "_build_info.json").write_text(json.dumps(info, indent=1))
        # The public header travels with the package, for Cython code that
        # cimports meanshift_fast._core (see meanshift_fast.get_include()).
        include = out_dir / "include"
        include.mkdir(exist_ok=True)
        shutil.copyfile(HERE / "src_c" / "meanshift.h", include / "meanshift.h")

    def copy_extensions_to_source(self):
        # An in-place build (build_ext --inplace, editable installs) builds
        # in build/ and copies only the extension back: the build info and
        # the header go beside it too.
        super().copy_extensions_to_source()
        built = Path(self.build_lib) / "meanshift_fast"
        package = Path(self.get_finalized_command("build_py").get_package_dir(
            "meanshift_fast"))  # fmt: skip
        for name in ("_build_info.json", "include/meanshift.h"):
            if (built / name).exists():
                (package / name).parent.mkdir(exist_ok=True)
                shutil.copyfile(built / name, package / name)


extensions = [
    Extension(
        "meanshift_fast._core",
        sources=["meanshift_fast/_core.pyx"] + [f"src_c/{s}" for s in C_SOURCES],
        include_dirs=["src_c", np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        # The core's headers hold most of its code (precision templates):
        # an in-place rebuild must notice when they change.
        depends=sorted(str(p.relative_to(HERE)) for p in (HERE / "src_c").glob("*.h")),
    )
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": "3"},
    ),
    cmdclass={"build_ext": BuildExt},
)
