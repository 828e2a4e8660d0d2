/*
 * ms_internal.h - what every translation unit of the core shares: compiler
 * portability (restrict, forced inlining, CPU-specific clones) and the
 * per-call runtime (allocation with fault injection, thread counts,
 * progress and Ctrl-C).  Not part of the public interface.
 */
#ifndef MS_INTERNAL_H
#define MS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "meanshift.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(_MSC_VER)
#define MS_RESTRICT __restrict
#else
#define MS_RESTRICT restrict
#endif

/* Forced inlining lets a constant dimension reach the inner loops of the
 * hot queries, which are then unrolled for d = 1..4. */
#if defined(__GNUC__) || defined(__clang__)
#define MS_ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define MS_ALWAYS_INLINE static __forceinline
#else
#define MS_ALWAYS_INLINE static inline
#endif

/* Lowest set bit (x != 0) and set bits of a 64-bit word.  MSVC has no
 * __builtin_ctzll / __builtin_popcountll (the Windows build would not
 * link); its __popcnt64 needs the POPCNT instruction, which the baseline
 * x86-64 the wheels run on does not have, so it counts bits in software. */
#if defined(__GNUC__) || defined(__clang__)
#define ms_ctz64(x) __builtin_ctzll(x)
#define ms_popcount64(x) __builtin_popcountll(x)
#elif defined(_MSC_VER)
#include <intrin.h>
static __forceinline int ms_ctz64(uint64_t x)
{
    unsigned long i;
    _BitScanForward64(&i, x);
    return (int)i;
}
static __forceinline int ms_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (int)((x * 0x0101010101010101ull) >> 56);
}
#endif

/* Hot loops that run across SIMD lanes get an AVX2 clone where the
 * toolchain and C library can pick one at load time (GCC on x86-64
 * glibc); elsewhere they compile once for the baseline. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                   \
    defined(__GLIBC__) && !defined(MS_NO_CLONES) && !defined(__SANITIZE_ADDRESS__)
#define MS_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MS_SIMD_CLONES
#endif

/* Where GCC can test the CPU at run time (x86-64 glibc), the group query
 * has a variant compiled for AVX2 with FMA and POPCNT, chosen per call; it
 * gives the same bits as the portable one (see block_sums_avx2.h, and
 * tests/test_portable_bits.py, which builds with -DMS_NO_CLONES). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                   \
    defined(__GLIBC__) && !defined(MS_NO_CLONES) && !defined(__SANITIZE_ADDRESS__)
#define MS_AVX2_TARGET __attribute__((target("avx2,fma,popcnt")))
#define MS_CPU_HAS_AVX2()                                                                \
    (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&                  \
     __builtin_cpu_supports("popcnt"))
#endif

/* Likewise, the exact image filter's flat-kernel sums have an AVX-512
 * form, chosen per call where the CPU has AVX-512F and DQ; its sums are exact
 * integers, so it gives the bits of the portable form.  -DMS_NO_AVX512
 * leaves every AVX-512 form out, so that a machine with AVX-512 can check
 * and time the AVX2 forms. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                   \
    defined(__GLIBC__) && !defined(MS_NO_CLONES) && !defined(__SANITIZE_ADDRESS__) &&    \
    !defined(MS_NO_AVX512)
#define MS_AVX512_TARGET __attribute__((target("avx512f,avx512dq")))
#define MS_CPU_HAS_AVX512()                                                              \
    (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
/* and with masked four-double operations (VL), for loops that keep four
 * lanes of sums while they measure eight points at a time */
#define MS_AVX512VL_TARGET __attribute__((target("avx512f,avx512dq,avx512vl")))
#define MS_CPU_HAS_AVX512VL() (MS_CPU_HAS_AVX512() && __builtin_cpu_supports("avx512vl"))
#endif

/* GCC and Clang: four doubles side by side (MS_VECTORS), element-wise
 * IEEE arithmetic as in the scalar loops they stand for, so that every
 * build and every CPU gets the same bits (a loop the compiler vectorizes
 * by itself may split a sum into as many partial sums as the CPU's vector
 * holds).  ms_v4d_u reads from any double-aligned address, ms_v4f_u four
 * floats to be widened; MS_LOAD4 takes four coordinates of either
 * precision as doubles (a macro: vector arguments and results of functions
 * draw ABI warnings). */
#if defined(__GNUC__) || defined(__clang__)
#define MS_VECTORS 1
typedef double ms_v4d __attribute__((vector_size(32)));
typedef int64_t ms_v4i __attribute__((vector_size(32)));
typedef double ms_v4d_u __attribute__((vector_size(32), aligned(8), may_alias));
typedef float ms_v4f_u __attribute__((vector_size(16), aligned(4), may_alias));
#define MS_LOAD4(p)                                                                      \
    _Generic(*(p),                                                                       \
        float: __builtin_convertvector(*(const ms_v4f_u *)(const void *)(p), ms_v4d),    \
        default: *(const ms_v4d_u *)(const void *)(p))
#define MS_STORE4(p, v) (*(ms_v4d_u *)(void *)(p) = (v))
/* lanes of x where the lanes of mask are all ones, zeros elsewhere */
#define MS_SELECT4(mask, x) ((ms_v4d)((ms_v4i)(mask) & (ms_v4i)(x)))
#endif

/* Per-call state: allocation accounting for fault injection. */
typedef struct ms_runtime {
    const ms_config *cfg;
    int64_t allocs_left; /* < 0: unlimited */
} ms_runtime;

void ms_runtime_init(ms_runtime *rt, const ms_config *cfg);
/* malloc that honours fault injection; thread-safe. */
void *ms_alloc(ms_runtime *rt, size_t count, size_t size);
void ms_free(void *p);
int ms_num_threads(const ms_config *cfg);
/* Ask the progress callback; non-zero means stop. */
int ms_report_progress(const ms_config *cfg, int64_t done, int64_t total);

/* The (0-based) r-th smallest of v[0..m), 0 <= r < m; reorders v. */
double ms__select_double(double *v, int64_t m, int64_t r);

#endif /* MS_INTERNAL_H */
