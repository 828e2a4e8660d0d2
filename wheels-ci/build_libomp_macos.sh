#!/usr/bin/env bash
# Build LLVM's OpenMP runtime (libomp) from source for the macOS wheels.
#
# Apple clang understands "-Xpreprocessor -fopenmp" but ships no OpenMP
# runtime.  Homebrew's libomp is built for the runner's own macOS version,
# so linking it would make delocate refuse the wheel (or give it a newer
# platform tag than intended).  This script builds libomp from the openmp
# subproject of an llvm-project release tarball, for an explicit
# architecture and MACOSX_DEPLOYMENT_TARGET, into a private prefix:
#
#     $LIBOMP_ROOT/<arch>/include/omp.h
#     $LIBOMP_ROOT/<arch>/lib/libomp.dylib     (install name = absolute path)
#     $LIBOMP_ROOT/<arch>/share/doc/libomp/LICENSE.TXT
#
# cibuildwheel runs it once per macOS job as before-all (see
# cibuildwheel.toml, which points CPPFLAGS/LDFLAGS at the same prefix).
#
# Environment (all optional):
#   LIBOMP_ROOT          install root (default: $HOME/.cache/meanshift-fast/libomp)
#   LIBOMP_ARCHS         archs to build, space/comma separated; default taken
#                        from CIBW_ARCHS_MACOS, then CIBW_ARCHS, then `uname -m`.
#                        Accepts x86_64, arm64, universal2, native/auto/auto64.
#   LIBOMP_TARGET_X86_64 deployment target for x86_64 (default 10.13)
#   LIBOMP_TARGET_ARM64  deployment target for arm64  (default 11.0)
#   LIBOMP_LLVM_VERSION  LLVM release (default below); a non-default version
#                        needs LIBOMP_LLVM_SHA256 too (or "skip", not advised)
#   LIBOMP_JOBS          parallel build jobs (default: sysctl hw.ncpu)
#
# A build whose stamp file matches (LLVM version, arch, target) is reused,
# so a cached $LIBOMP_ROOT makes this a no-op.
set -euo pipefail

DEFAULT_LLVM_VERSION="21.1.8"
# sha256 of llvm-project-21.1.8.src.tar.xz (GitHub release asset).
DEFAULT_LLVM_SHA256="4633a23617fa31a3ea51242586ea7fb1da7140e426bd62fc164261fe036aa142"

LLVM_VERSION="${LIBOMP_LLVM_VERSION:-$DEFAULT_LLVM_VERSION}"
if [[ -n "${LIBOMP_LLVM_SHA256:-}" ]]; then
    LLVM_SHA256="$LIBOMP_LLVM_SHA256"
elif [[ "$LLVM_VERSION" == "$DEFAULT_LLVM_VERSION" ]]; then
    LLVM_SHA256="$DEFAULT_LLVM_SHA256"
else
    echo "error: LIBOMP_LLVM_VERSION=$LLVM_VERSION needs LIBOMP_LLVM_SHA256" >&2
    exit 2
fi

ROOT="${LIBOMP_ROOT:-$HOME/.cache/meanshift-fast/libomp}"
TARGET_X86_64="${LIBOMP_TARGET_X86_64:-10.13}"
TARGET_ARM64="${LIBOMP_TARGET_ARM64:-11.0}"

log() { printf '[build_libomp_macos] %s\n' "$*"; }

if [[ "$(uname -s)" != "Darwin" ]]; then
    echo "error: build_libomp_macos.sh is for macOS hosts only" >&2
    exit 2
fi
for tool in cmake curl shasum tar clang python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 2; }
done

# ---- which archs ------------------------------------------------------------
host_arch="$(uname -m)"
requested="${LIBOMP_ARCHS:-${CIBW_ARCHS_MACOS:-${CIBW_ARCHS:-$host_arch}}}"
archs=()
for a in ${requested//,/ }; do
    case "$a" in
        x86_64 | arm64) archs+=("$a") ;;
        universal2) archs+=(x86_64 arm64) ;;
        native | auto | auto64) archs+=("$host_arch") ;;
        *) echo "error: unsupported arch '$a' (from '$requested')" >&2; exit 2 ;;
    esac
done
# de-duplicate, keep order (bash 3.2 compatible: macOS /bin/bash)
unique_words() { local seen=" " x; for x in "$@"; do [[ "$seen" == *" $x "* ]] || { seen+="$x "; printf '%s\n' "$x"; }; done; }
if [[ ${#archs[@]} -eq 0 ]]; then
    echo "error: no arch to build (from '$requested')" >&2
    exit 2
fi
read -r -a archs <<<"$(unique_words "${archs[@]}" | tr '\n' ' ')"
log "LLVM $LLVM_VERSION, archs: ${archs[*]}, root: $ROOT"

JOBS="${LIBOMP_JOBS:-$(sysctl -n hw.ncpu 2>/dev/null || echo 2)}"

work="$(mktemp -d "${TMPDIR:-/tmp}/libomp-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
srcdir=""

fetch_sources() {
    [[ -n "$srcdir" ]] && return 0
    local name="llvm-project-${LLVM_VERSION}.src"
    local url="https://github.com/llvm/llvm-project/releases/download/llvmorg-${LLVM_VERSION}/${name}.tar.xz"
    log "downloading $url"
    curl -fsSL --retry 5 --retry-delay 5 -o "$work/$name.tar.xz" "$url"
    if [[ "$LLVM_SHA256" != "skip" ]]; then
        echo "$LLVM_SHA256  $work/$name.tar.xz" >"$work/sha256.txt"
        shasum -a 256 -c "$work/sha256.txt"
    fi
    log "extracting"
    # The whole tree: the openmp build pulls CMake modules from other
    # top-level directories (cmake/, and runtimes/ + llvm/cmake/ for the
    # runtimes entry point).
    tar -xf "$work/$name.tar.xz" -C "$work"
    rm -f "$work/$name.tar.xz"
    srcdir="$work/$name"
}

build_one() {
    local arch="$1" target prefix stamp want
    case "$arch" in
        x86_64) target="$TARGET_X86_64" ;;
        arm64) target="$TARGET_ARM64" ;;
    esac
    prefix="$ROOT/$arch"
    stamp="$prefix/.meanshift-fast-libomp-stamp"
    want="llvm=$LLVM_VERSION arch=$arch target=$target"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$prefix/lib/libomp.dylib" && -f "$prefix/include/omp.h" ]]; then
        log "$arch: reusing $prefix ($want)"
        return 0
    fi

    fetch_sources
    log "$arch: building for macOS >= $target into $prefix"
    rm -rf "$prefix"
    local build="$work/build-$arch"
    # Entry point: up to LLVM 21 the openmp directory builds on its own
    # ("standalone"; headers go to include/).  Newer releases removed that
    # mode in favour of "runtimes -DLLVM_ENABLE_RUNTIMES=openmp", which in
    # 21.x and older would need an LLVM tree (it installs the headers into
    # a clang resource dir and fails without PACKAGE_VERSION).
    local entry=(-S "$srcdir/openmp")
    if grep -q "standalone build mode has been removed" "$srcdir/openmp/CMakeLists.txt"; then
        entry=(-S "$srcdir/runtimes" -DLLVM_ENABLE_RUNTIMES=openmp)
    fi
    log "$arch: cmake ${entry[*]}"
    # The install name is set at link time to the absolute path (no
    # install_name_tool, so the linker's ad-hoc signature stays valid), and
    # delocate finds the library through it.
    MACOSX_DEPLOYMENT_TARGET="$target" cmake "${entry[@]}" -B "$build" \
        -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$prefix" \
        -DCMAKE_INSTALL_LIBDIR=lib \
        -DCMAKE_INSTALL_INCLUDEDIR=include \
        -DCMAKE_OSX_ARCHITECTURES="$arch" \
        -DCMAKE_OSX_DEPLOYMENT_TARGET="$target" \
        -DCMAKE_INSTALL_NAME_DIR="$prefix/lib" \
        -DCMAKE_BUILD_WITH_INSTALL_NAME_DIR=ON \
        -DPython3_EXECUTABLE="$(command -v python3)" \
        -DLLVM_INCLUDE_TESTS=OFF \
        -DLLVM_INCLUDE_DOCS=OFF \
        -DLIBOMP_INSTALL_ALIASES=OFF \
        -DLIBOMP_OMPD_SUPPORT=OFF \
        -DLIBOMP_USE_HWLOC=OFF \
        -DOPENMP_ENABLE_LIBOMPTARGET=OFF \
        -DOPENMP_ENABLE_OMPT_TOOLS=OFF
    MACOSX_DEPLOYMENT_TARGET="$target" cmake --build "$build" --parallel "$JOBS"
    cmake --install "$build"

    local lib="$prefix/lib/libomp.dylib"
    if [[ ! -f "$prefix/include/omp.h" ]]; then
        # Releases that treat the build as "in LLVM tree" put the headers in
        # a clang resource dir (lib/clang/<N>/include); use them from there.
        local hdr
        hdr="$(find "$prefix" -name omp.h -print | head -n 1)"
        if [[ -n "$hdr" ]]; then
            mkdir -p "$prefix/include"
            cp "$(dirname "$hdr")"/omp*.h "$prefix/include/"
        fi
    fi
    [[ -f "$lib" && -f "$prefix/include/omp.h" ]] || {
        echo "error: libomp.dylib or omp.h missing under $prefix" >&2
        find "$prefix" -maxdepth 4 >&2 || true
        exit 1
    }
    if [[ "$(otool -D "$lib" | tail -n 1)" != "$lib" ]]; then
        # e.g. an @rpath/ install name: make it absolute so that delocate
        # finds the library without an LC_RPATH in the extension, then
        # re-sign (install_name_tool invalidates the ad-hoc signature).
        install_name_tool -id "$lib" "$lib"
        codesign --force --sign - "$lib"
    fi
    mkdir -p "$prefix/share/doc/libomp"
    cp "$srcdir/openmp/LICENSE.TXT" "$prefix/share/doc/libomp/LICENSE.TXT"

    # Check what we built: arch, minimum OS, install name.
    local got_archs minos id
    got_archs="$(lipo -archs "$lib")"
    minos="$(otool -l "$lib" | awk '/LC_BUILD_VERSION/{f=1} f&&/minos/{print $2; exit} /LC_VERSION_MIN_MACOSX/{g=1} g&&/version/{print $2; exit}')"
    id="$(otool -D "$lib" | tail -n 1)"
    log "$arch: $lib archs=[$got_archs] minos=$minos id=$id"
    [[ "$got_archs" == "$arch" ]] || { echo "error: built for '$got_archs', wanted $arch" >&2; exit 1; }
    [[ "$minos" == "$target" || "$minos" == "$target.0" ]] || {
        echo "error: minimum macOS is '$minos', wanted $target" >&2
        exit 1
    }
    [[ "$id" == "$lib" ]] || { echo "error: install name is '$id', wanted $lib" >&2; exit 1; }

    # Smoke test with the exact flags the wheel build uses (cibuildwheel.toml).
    cat >"$work/omp_check.c" <<'EOF'
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
#pragma omp parallel reduction(+ : n) num_threads(2)
    n += 1;
    printf("libomp ok: %d threads, omp_get_max_threads()=%d\n", n, omp_get_max_threads());
    return n == 2 ? 0 : 1;
}
EOF
    MACOSX_DEPLOYMENT_TARGET="$target" clang -arch "$arch" -Xpreprocessor -fopenmp \
        -I"$prefix/include" "$work/omp_check.c" -L"$prefix/lib" -lomp -o "$work/omp_check-$arch"
    if [[ "$arch" == "$host_arch" ]]; then
        "$work/omp_check-$arch"
    else
        log "$arch: cross build, smoke test compiled and linked but not run"
    fi

    echo "$want" >"$stamp"
}

for arch in "${archs[@]}"; do
    build_one "$arch"
done
log "done"
