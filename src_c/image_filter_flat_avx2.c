/*
 * image_filter_flat_avx2.c - the flat kernel's window sums on AVX2, for
 * CPUs without AVX-512: the same exact integer sums as the other forms of
 * image_filter_flat.c, so the same bits.
 *
 * Eight columns of a row at a time: the spatial test in float64 (two
 * halves of four lanes), the colour test screened in float32 on eight
 * lanes with the AVX-512 form's band (image_ctx.screen_in, screen_out):
 * pixels in the band take the float64 test, so every form takes the same
 * pixels.  Measuring a colour in float32 costs half the lanes' work of
 * float64, and a row of a window of radius below 7.5 takes two chunks of
 * eight where the vector form takes four of four.
 */
#include "image_filter_internal.h"

#ifdef MS_AVX2_TARGET
#include <immintrin.h>

#define MS_AVX2_INLINE static inline __attribute__((always_inline)) MS_AVX2_TARGET

/* The sum of the eight int32 lanes of v. */
MS_AVX2_INLINE int64_t hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return (int64_t)_mm_cvtsi128_si32(s);
}

/* The sum of the four int64 lanes of v. */
MS_AVX2_INLINE int64_t hsum_epi64(__m256i v)
{
    const __m128i s =
        _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1);
}

/* The 32 bytes at p where mask is set, zero elsewhere. */
MS_AVX2_INLINE __m256i masked_load(__m256i mask, const void *p)
{
    return _mm256_and_si256(mask, _mm256_loadu_si256((const __m256i *)p));
}

/* The window's sums for c channels, n8 chunks of eight columns a row (a
 * constant where the caller passes one, so that the compiler unrolls the
 * chunks), colours summed as int32 (narrow) or int64 fixed point. */
MS_AVX2_INLINE void flat_sums_avx2_kc(const image_ctx *g, const double *MS_RESTRICT st,
                                      double *MS_RESTRICT out, const int64_t c,
                                      const int64_t n8, const int narrow)
{
    const double pz = st[0], py = st[1], px = st[2];
    const double *col = st + 3;
    const float *MS_RESTRICT planes32 = g->planes32;
    const int64_t *MS_RESTRICT qplanes = g->qplanes;
    const int32_t *MS_RESTRICT narrow32 = g->narrow;
    const int64_t stride = g->stride, ny = g->ny, nx = g->nx;
    const double hs2_d = g->hs2;
    __m256 colf[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) colf[k] = _mm256_set1_ps((float)col[k]);
    const __m256 sure_in = _mm256_set1_ps(g->screen_in);
    const __m256 sure_out = _mm256_set1_ps(g->screen_out);
    const __m256d hs2 = _mm256_set1_pd(hs2_d);
    const int64_t x0 = ms__image_row_start(g, px);
    /* per chunk of eight columns: squared x offsets (two halves), infinite
     * past the image's last column so that the spatial test drops those
     * lanes, and each lane's column from x0 */
    __m256d dx2[2 * MS_FLAT_AVX2_CHUNKS];
    __m256i lane_x[MS_FLAT_AVX2_CHUNKS];
    const __m256d step = _mm256_set_pd(3.0, 2.0, 1.0, 0.0);
    const __m256d last = _mm256_set1_pd((double)(nx - 1));
    const __m256d inf = _mm256_set1_pd(INFINITY);
    const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
    for (int64_t j = 0; j < n8; j++) {
        for (int h = 0; h < 2; h++) {
            const __m256d xx =
                _mm256_add_pd(_mm256_set1_pd((double)(x0 + 8 * j + 4 * h)), step);
            const __m256d dx = _mm256_sub_pd(xx, _mm256_set1_pd(px));
            const __m256d in_image = _mm256_cmp_pd(xx, last, _CMP_LE_OQ);
            dx2[2 * j + h] = _mm256_blendv_pd(inf, _mm256_mul_pd(dx, dx), in_image);
        }
        lane_x[j] = _mm256_add_epi32(_mm256_set1_epi32((int)(8 * j)), lanes);
    }
    /* lane l of a chunk's mask from bit l of its bits */
    const __m256i bit = _mm256_set_epi32(128, 64, 32, 16, 8, 4, 2, 1);
    const __m256i zero = _mm256_setzero_si256();
    /* the colour sums: eight int32 lanes (narrow) or four int64 ones */
    __m256i vx = zero, vc[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) vc[k] = zero;
    int64_t n = 0, sz = 0, sy = 0;

    int64_t z0, z1;
    ms__image_index_range(pz - g->hs, pz + g->hs, g->nz - 1, &z0, &z1);
    for (int64_t z = z0; z <= z1; z++) {
        const double dz = (double)z - pz, dz2 = dz * dz;
        if (!(dz2 <= hs2_d)) continue;
        const double ry = sqrt(hs2_d - dz2);
        int64_t y0, y1;
        ms__image_index_range(py - ry, py + ry, ny - 1, &y0, &y1);
        int64_t pn = 0;
        for (int64_t y = y0; y <= y1; y++) {
            const double dy = (double)y - py, dyz = dz2 + dy * dy;
            if (!(dyz <= hs2_d)) continue;
            const __m256d vdyz = _mm256_set1_pd(dyz);
            const int64_t row = (z * ny + y) * nx + x0;
            int64_t rn = 0;
            for (int64_t j = 0; j < n8; j++) {
                const int64_t x = row + 8 * j;
                const int m0 = _mm256_movemask_pd(
                    _mm256_cmp_pd(_mm256_add_pd(vdyz, dx2[2 * j]), hs2, _CMP_LE_OQ));
                const int m1 = _mm256_movemask_pd(
                    _mm256_cmp_pd(_mm256_add_pd(vdyz, dx2[2 * j + 1]), hs2, _CMP_LE_OQ));
                const unsigned m = (unsigned)(m0 | m1 << 4);
                const __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(planes32 + x), colf[0]);
                __m256 dc = _mm256_mul_ps(t0, t0);
                for (int64_t k = 1; k < c; k++) {
                    const __m256 t = _mm256_sub_ps(
                        _mm256_loadu_ps(planes32 + k * stride + x), colf[k]);
                    dc = _mm256_fmadd_ps(t, t, dc);
                }
                unsigned in = m & (unsigned)_mm256_movemask_ps(
                                      _mm256_cmp_ps(dc, sure_in, _CMP_LT_OQ));
                const unsigned maybe = m & (unsigned)_mm256_movemask_ps(
                                               _mm256_cmp_ps(dc, sure_out, _CMP_LE_OQ));
                const unsigned band = maybe & ~in;
                /* float32 cannot tell: the float64 test of the other forms */
                if (__builtin_expect(band != 0, 0))
                    in = ms__image_band_test(g, x, col, in, band);
                rn += ms_popcount64(in);
                const __m256i sel = _mm256_set1_epi32((int)in);
                const __m256i mask = _mm256_cmpeq_epi32(_mm256_and_si256(sel, bit), bit);
                vx = _mm256_add_epi32(vx, _mm256_and_si256(mask, lane_x[j]));
                if (narrow) {
                    for (int64_t k = 0; k < c; k++)
                        vc[k] = _mm256_add_epi32(
                            vc[k], masked_load(mask, narrow32 + k * stride + x));
                } else {
                    /* the two halves' masks on int64 lanes, their sums
                     * added before they join the accumulator */
                    const __m256i mlo =
                        _mm256_cvtepi32_epi64(_mm256_castsi256_si128(mask));
                    const __m256i mhi =
                        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(mask, 1));
                    for (int64_t k = 0; k < c; k++) {
                        const int64_t *q = qplanes + k * stride + x;
                        vc[k] = _mm256_add_epi64(
                            vc[k], _mm256_add_epi64(masked_load(mlo, q),
                                                    masked_load(mhi, q + 4)));
                    }
                }
            }
            pn += rn;
            sy += rn * y;
        }
        n += pn;
        sz += pn * z;
    }
    int64_t sc[MS_FLAT_REG_CHANNELS];
    const int64_t sx = n * x0 + hsum_epi32(vx);
    if (narrow) {
        /* the colours' own integer sums (below 2^31): exactly the int64
         * form's sums times its quantum */
        for (int64_t k = 0; k < c; k++) sc[k] = hsum_epi32(vc[k]);
        ms__image_flat_out_q(g, n, sz, sy, sx, sc, 1.0, out);
        return;
    }
    for (int64_t k = 0; k < c; k++) sc[k] = hsum_epi64(vc[k]);
    ms__image_flat_out(g, n, sz, sy, sx, sc, out);
}

/* One, two or any number of chunks a row. */
MS_AVX2_INLINE void flat_sums_avx2_c(const image_ctx *g, const double *st, double *out,
                                     const int64_t c, const int narrow)
{
    switch (g->avx2_chunks) {
    case 1: flat_sums_avx2_kc(g, st, out, c, 1, narrow); return;
    case 2: flat_sums_avx2_kc(g, st, out, c, 2, narrow); return;
    default: flat_sums_avx2_kc(g, st, out, c, g->avx2_chunks, narrow); return;
    }
}

/* The same with the channel counts that photographs and grey images have
 * as constants. */
MS_AVX2_INLINE void flat_sums_avx2_n(const image_ctx *g, const double *st, double *out,
                                     const int narrow)
{
    switch (g->c) {
    case 1: flat_sums_avx2_c(g, st, out, 1, narrow); return;
    case 3: flat_sums_avx2_c(g, st, out, 3, narrow); return;
    default: flat_sums_avx2_c(g, st, out, g->c, narrow); return;
    }
}

MS_AVX2_TARGET void ms__image_flat_sums_avx2(const image_ctx *g, const double *st,
                                             double *out)
{
    if (g->narrow != NULL)
        flat_sums_avx2_n(g, st, out, 1);
    else
        flat_sums_avx2_n(g, st, out, 0);
}

#else

/* Without AVX2 targets g->avx2 stays 0 and nothing calls this file. */
typedef int ms__image_flat_avx2_unused;

#endif
