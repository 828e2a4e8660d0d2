/*
 * peak_flops.c - this machine's float32 peak for one core: 12 independent
 * chains of AVX2 fused multiply-adds, enough to keep both FMA pipes busy.
 * The arithmetic limit in benchmarks/README.md ("High dimensions") divides
 * a fit's flops by this figure times the cores.
 *
 *     cc -O2 -mavx2 -mfma benchmarks/peak_flops.c -o /tmp/peak && /tmp/peak
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define STEP(a) a = _mm256_fmadd_ps(a, x, y)

int main(void)
{
    const __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
    __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2),
           a3 = _mm256_set1_ps(3), a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5),
           a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7), a8 = _mm256_set1_ps(8),
           a9 = _mm256_set1_ps(9), a10 = _mm256_set1_ps(10), a11 = _mm256_set1_ps(11);
    const long n = 200000000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long k = 0; k < n; k++) {
        STEP(a0), STEP(a1), STEP(a2), STEP(a3), STEP(a4), STEP(a5);
        STEP(a6), STEP(a7), STEP(a8), STEP(a9), STEP(a10), STEP(a11);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double s =
        (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    /* use every chain, so that none is optimised away */
    __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    t = _mm256_add_ps(t, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, t);
    printf("%.1f GFLOP/s float32 (FMA, one core) in %.3f s [%g]\n",
           (double)n * 12 * 8 * 2 / s / 1e9, s, (double)out[0]);
    return 0;
}
