/*
 * block_sums_avx2.h - the AVX2 form of each step in block_sums.h (same
 * signatures, same bits), on CPUs that have AVX2, FMA and POPCNT.  Pairs
 * and seeds are screened eight at a time in float32 (the subset sums'
 * pairs and the seed sides sixteen at a time where the CPU has AVX-512);
 * the exact double test is taken only where the float32 distance lies
 * within a proven error bound of the radius (ms_screen_bounds).
 */
#ifndef MS_BLOCK_SUMS_AVX2_H
#define MS_BLOCK_SUMS_AVX2_H

#include "block_sums.h"

#ifdef MS_AVX2_TARGET
#include <immintrin.h>

/* The seeds as the float32 screens see them: with a a seed's offset from
 * the group's centre in float32, -2 a and |a|^2 (the pair screen expands
 * |b - a|^2 = |b|^2 - 2 a.b + |a|^2), a itself by feature (for the block
 * screen), and the largest offset per feature. */
typedef struct ms_seed_screen {
    double cen[MS_SOA_MAX_D], amax[MS_SOA_MAX_D];
    float a32[MS_GROUP_MAX][MS_SOA_MAX_D + 1];
    float x32[MS_SOA_MAX_D][MS_GROUP_MAX]; /* the offsets a, by feature */
    int avx512; /* the pair screen takes sixteen points at a time */
} ms_seed_screen;

static void ms_screen_init_avx2(ms_seed_screen *sc, const double *cols, int64_t m,
                                const double *glo, const double *ghi, int64_t d)
{
    for (int64_t j = 0; j < d; j++) {
        const double c = 0.5 * glo[j] + 0.5 * ghi[j];
        double amax = 0.0;
        for (int64_t k = 0; k < m; k++) {
            const double a = cols[j * m + k] - c;
            sc->a32[k][j] = (float)a;
            sc->x32[j][k] = (float)a;
            amax = fabs(a) > amax ? fabs(a) : amax;
        }
        sc->cen[j] = c;
        sc->amax[j] = amax;
    }
    for (int64_t k = 0; k < m; k++) {
        float a2 = 0.0f;
        for (int64_t j = 0; j < d; j++) {
            a2 += sc->a32[k][j] * sc->a32[k][j];
            sc->a32[k][j] *= -2.0f;
        }
        sc->a32[k][MS_SOA_MAX_D] = a2;
    }
#ifdef MS_AVX512_TARGET
    sc->avx512 = MS_CPU_HAS_AVX512();
#else
    sc->avx512 = 0;
#endif
}

#define MS_AVX2_INLINE static inline __attribute__((always_inline)) MS_AVX2_TARGET
#ifdef MS_AVX512_TARGET
/* The steps' AVX-512 forms inline the AVX2 helpers, so they take both. */
#define MS_AVX512_STEP_TARGET __attribute__((target("avx2,fma,popcnt,avx512f,avx512dq")))
#endif

/* One point's weighted coordinates and weight on lanes, as in
 * ms_subset_table: part 1 carries the weight for d = 4. */
MS_AVX2_INLINE void ms_point_avx2(const double pb[][MS_UNDECIDED_BUF], int64_t i,
                                  __m256d *p0, __m256d *p1, const int64_t d)
{
    const __m256d w = _mm256_set1_pd(pb[MS_SOA_MAX_D][i]);
    __m256d v;
    *p1 = _mm256_setzero_pd();
    if (d == 1)
        v = _mm256_set_pd(0.0, 0.0, 1.0, pb[0][i]);
    else if (d == 2)
        v = _mm256_set_pd(0.0, 1.0, pb[1][i], pb[0][i]);
    else if (d == 3)
        v = _mm256_set_pd(1.0, pb[2][i], pb[1][i], pb[0][i]);
    else {
        v = _mm256_set_pd(pb[3][i], pb[2][i], pb[1][i], pb[0][i]);
        *p1 = _mm256_mul_pd(_mm256_set_pd(0.0, 0.0, 0.0, 1.0), w);
    }
    *p0 = _mm256_mul_pd(v, w);
}

/* ms_subset_table on vectors: lanes 0..3 of part 0 hold the coordinates
 * and weight for d < 4; for d = 4 part 1 holds the weight. */
MS_AVX2_INLINE void ms_subset_table_avx2(const double pb[][MS_UNDECIDED_BUF], int64_t i0,
                                         __m256d T[16][2], const int64_t d)
{
    T[0][0] = T[0][1] = _mm256_setzero_pd();
    for (int b = 0; b < 4; b++) {
        __m256d p0, p1;
        ms_point_avx2(pb, i0 + b, &p0, &p1, d);
        const int lo = 1 << b;
        for (int s = 0; s < lo; s++) {
            T[lo + s][0] = _mm256_add_pd(T[s][0], p0);
            if (d == 4) T[lo + s][1] = _mm256_add_pd(T[s][1], p1);
        }
    }
}

/* A float32 threshold on the far side of the double x: below it (down)
 * or above it. */
static inline float ms_float_beyond(double x, int down)
{
    float f = (float)x;
    if (down ? (double)f > x : (double)f < x) {
        /* x > 0 is normal in float32, so one step of the bit pattern is
         * the neighbouring float on that side. */
        union {
            float f;
            uint32_t u;
        } v = {f};
        v.u = down ? v.u - 1 : v.u + 1;
        f = v.f;
    }
    return f;
}

/* The float32 thresholds of a screen whose error stays below 2^-19 S (S
 * bounding the squared offsets it compares): a margin of 2^-17 S, plus
 * 2^-40 r2 for rounding the thresholds, on each side of r2.  Returns 0,
 * for the exact test everywhere, where S or r2 leave float32's
 * comfortable range or the margin is not small against r2. */
static inline int ms_screen_bounds(double S, double r2, float *lo, float *hi)
{
    const double eps = S * 0x1p-17 + r2 * 0x1p-40;
    if (!(r2 >= 0x1p-100 && r2 <= 0x1p100 && S >= 0x1p-100 && S <= 0x1p100 &&
          eps <= 0.0625 * r2))
        return 0;
    *lo = ms_float_beyond(r2 - eps, 1);
    *hi = ms_float_beyond(r2 + eps, 0);
    return 1;
}

/* in, with the bits of todo set where the exact test puts point i0 + bit
 * within the radius of seed k: the screens' fallback for the pairs they
 * leave in doubt (or for all of them). */
MS_ALWAYS_INLINE unsigned ms_exact_bits(const double pb[][MS_UNDECIDED_BUF], int64_t i0,
                                        const double *MS_RESTRICT cols, int64_t m,
                                        int64_t k, double r2, unsigned in, unsigned todo,
                                        const int64_t d)
{
    while (todo) {
        const int b = __builtin_ctz(todo);
        todo &= todo - 1;
        in |= (unsigned)(ms_pair_r2(pb, i0 + b, cols, m, k, d) <= r2) << b;
    }
    return in;
}

/* ms_subset_sums_d, eight points at a time.  Error bound of the screen,
 * with A and B a seed's and a point's offsets from the centre and
 * S = sum_j (max|A_j| + max|B_j|)^2: rounding A and B to float32 moves the
 * squared distance by at most 2^-23 S; each of the at most 13 roundings of
 * the expanded float32 sum (|b|^2, the fused terms of -2 a.b, |a|^2, the
 * last add) errs by at most 2^-24 S, and the double expression by 2^-50 S:
 * together less than 2^-19 S, so the margin of ms_screen_bounds separates
 * the sure cases. */
MS_AVX2_INLINE void ms_subset_sums_avx2_d(double pb[][MS_UNDECIDED_BUF], int64_t np,
                                          const double *MS_RESTRICT cols, int64_t m,
                                          const int64_t *MS_RESTRICT list, int64_t nl,
                                          const ms_seed_screen *sc,
                                          double *MS_RESTRICT acc, double r2,
                                          const int64_t d)
{
    const int64_t E = MS_SEED_SUMS_STRIDE(d);
    __m256d T0[16][2], T1[16][2];
    np = ms_pad_buffer(pb, np, 8, d);
    for (int64_t i0 = 0; i0 < np; i0 += 8) {
        ms_subset_table_avx2(pb, i0, T0, d);
        ms_subset_table_avx2(pb, i0 + 4, T1, d);
        __m256 B[MS_SOA_MAX_D], b2 = _mm256_setzero_ps();
        double S = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const __m256d c = _mm256_set1_pd(sc->cen[j]), sign = _mm256_set1_pd(-0.0);
            const __m256d lo = _mm256_sub_pd(_mm256_loadu_pd(&pb[j][i0]), c);
            const __m256d hi = _mm256_sub_pd(_mm256_loadu_pd(&pb[j][i0 + 4]), c);
            B[j] = _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
            b2 = _mm256_fmadd_ps(B[j], B[j], b2);
            const __m256d mx =
                _mm256_max_pd(_mm256_andnot_pd(sign, lo), _mm256_andnot_pd(sign, hi));
            double v[4];
            _mm256_storeu_pd(v, mx);
            const double b01 = v[0] > v[1] ? v[0] : v[1], b23 = v[2] > v[3] ? v[2] : v[3];
            const double g = sc->amax[j] + (b01 > b23 ? b01 : b23);
            S += g * g;
        }
        float flo = 0.0f, fhi = 0.0f;
        const int screen = ms_screen_bounds(S, r2, &flo, &fhi);
        const __m256 vlo = _mm256_set1_ps(flo), vhi = _mm256_set1_ps(fhi);
        for (int64_t l = 0; l < nl; l++) {
            const int64_t k = list[l];
            int in = 0;
            if (screen) {
                const float *a = sc->a32[k];
                __m256 r = b2;
                for (int64_t j = 0; j < d; j++)
                    r = _mm256_fmadd_ps(_mm256_broadcast_ss(a + j), B[j], r);
                r = _mm256_add_ps(r, _mm256_broadcast_ss(a + MS_SOA_MAX_D));
                in = _mm256_movemask_ps(_mm256_cmp_ps(r, vlo, _CMP_LE_OQ));
                const int unsure =
                    _mm256_movemask_ps(_mm256_cmp_ps(r, vhi, _CMP_LE_OQ)) & ~in;
                in = (int)ms_exact_bits(pb, i0, cols, m, k, r2, (unsigned)in,
                                        (unsigned)unsure, d);
            } else {
                in = (int)ms_exact_bits(pb, i0, cols, m, k, r2, 0, 0xFFu, d);
            }
            double *a = acc + k * E;
            __m256d s = _mm256_add_pd(_mm256_loadu_pd(a), T0[in & 15][0]);
            _mm256_storeu_pd(a, _mm256_add_pd(s, T1[in >> 4][0]));
            if (d == 4) {
                s = _mm256_add_pd(_mm256_loadu_pd(a + 4), T0[in & 15][1]);
                _mm256_storeu_pd(a + 4, _mm256_add_pd(s, T1[in >> 4][1]));
            }
        }
    }
}

#ifdef MS_AVX512_TARGET
/* ms_subset_sums_avx2_d, sixteen points at a time on AVX-512: the same
 * float32 screen (its bound S taken over the sixteen), the same exact
 * test where it leaves doubt, and each seed's sums taking the four
 * subset tables of the sixteen in order, as two rounds of eight take
 * them: the same decisions and the same additions, so the same bits. */
static inline __attribute__((always_inline)) MS_AVX512_STEP_TARGET void
ms_subset_sums_avx512_d(double pb[][MS_UNDECIDED_BUF], int64_t np,
                        const double *MS_RESTRICT cols, int64_t m,
                        const int64_t *MS_RESTRICT list, int64_t nl,
                        const ms_seed_screen *sc, double *MS_RESTRICT acc, double r2,
                        const int64_t d)
{
    const int64_t E = MS_SEED_SUMS_STRIDE(d);
    __m256d T[4][16][2];
    np = ms_pad_buffer(pb, np, 16, d);
    for (int64_t i0 = 0; i0 < np; i0 += 16) {
        for (int q = 0; q < 4; q++) ms_subset_table_avx2(pb, i0 + 4 * q, T[q], d);
        __m512 B[MS_SOA_MAX_D], b2 = _mm512_setzero_ps();
        double S = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const __m512d c = _mm512_set1_pd(sc->cen[j]);
            const __m512d lo = _mm512_sub_pd(_mm512_loadu_pd(&pb[j][i0]), c);
            const __m512d hi = _mm512_sub_pd(_mm512_loadu_pd(&pb[j][i0 + 8]), c);
            B[j] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)),
                                      _mm512_cvtpd_ps(hi), 1);
            b2 = _mm512_fmadd_ps(B[j], B[j], b2);
            const double b =
                _mm512_reduce_max_pd(_mm512_max_pd(_mm512_abs_pd(lo), _mm512_abs_pd(hi)));
            const double g = sc->amax[j] + b;
            S += g * g;
        }
        float flo = 0.0f, fhi = 0.0f;
        const int screen = ms_screen_bounds(S, r2, &flo, &fhi);
        const __m512 vlo = _mm512_set1_ps(flo), vhi = _mm512_set1_ps(fhi);
        for (int64_t l = 0; l < nl; l++) {
            const int64_t k = list[l];
            unsigned in = 0;
            if (screen) {
                const float *a = sc->a32[k];
                __m512 r = b2;
                for (int64_t j = 0; j < d; j++)
                    r = _mm512_fmadd_ps(_mm512_set1_ps(a[j]), B[j], r);
                r = _mm512_add_ps(r, _mm512_set1_ps(a[MS_SOA_MAX_D]));
                in = _mm512_cmp_ps_mask(r, vlo, _CMP_LE_OQ);
                const unsigned unsure = _mm512_cmp_ps_mask(r, vhi, _CMP_LE_OQ) & ~in;
                in = ms_exact_bits(pb, i0, cols, m, k, r2, in, unsure, d);
            } else {
                in = ms_exact_bits(pb, i0, cols, m, k, r2, 0, 0xFFFFu, d);
            }
            double *a = acc + k * E;
            __m256d s = _mm256_loadu_pd(a);
            for (int q = 0; q < 4; q++)
                s = _mm256_add_pd(s, T[q][(in >> (4 * q)) & 15][0]);
            _mm256_storeu_pd(a, s);
            if (d == 4) {
                s = _mm256_loadu_pd(a + 4);
                for (int q = 0; q < 4; q++)
                    s = _mm256_add_pd(s, T[q][(in >> (4 * q)) & 15][1]);
                _mm256_storeu_pd(a + 4, s);
            }
        }
    }
}

MS_AVX512_STEP_TARGET static void
ms_subset_sums_avx512(double pb[][MS_UNDECIDED_BUF], int64_t np, const double *cols,
                      int64_t m, const int64_t *list, int64_t nl,
                      const ms_seed_screen *sc, double *acc, double r2, int64_t d)
{
    switch (d) {
    case 1: ms_subset_sums_avx512_d(pb, np, cols, m, list, nl, sc, acc, r2, 1); break;
    case 2: ms_subset_sums_avx512_d(pb, np, cols, m, list, nl, sc, acc, r2, 2); break;
    case 3: ms_subset_sums_avx512_d(pb, np, cols, m, list, nl, sc, acc, r2, 3); break;
    default: ms_subset_sums_avx512_d(pb, np, cols, m, list, nl, sc, acc, r2, 4); break;
    }
}
#endif

MS_AVX2_TARGET static void ms_subset_sums_avx2(double pb[][MS_UNDECIDED_BUF], int64_t np,
                                               const double *cols, int64_t m,
                                               const int64_t *list, int64_t nl,
                                               const ms_seed_screen *sc, double *acc,
                                               double r2, int64_t d)
{
#ifdef MS_AVX512_TARGET
    if (sc->avx512) {
        ms_subset_sums_avx512(pb, np, cols, m, list, nl, sc, acc, r2, d);
        return;
    }
#endif
    switch (d) {
    case 1: ms_subset_sums_avx2_d(pb, np, cols, m, list, nl, sc, acc, r2, 1); break;
    case 2: ms_subset_sums_avx2_d(pb, np, cols, m, list, nl, sc, acc, r2, 2); break;
    case 3: ms_subset_sums_avx2_d(pb, np, cols, m, list, nl, sc, acc, r2, 3); break;
    default: ms_subset_sums_avx2_d(pb, np, cols, m, list, nl, sc, acc, r2, 4); break;
    }
}

/* Appends to list (at n) the seeds k + b for the bits b of the 4-bit
 * mask, in order, and returns the new length.  The store writes four slots
 * but advances by the seeds it holds: with n <= k and k + 4 <= m it stays
 * inside the m slots. */
MS_AVX2_INLINE int64_t ms_pack_seeds(int64_t *MS_RESTRICT list, int64_t n, int64_t k,
                                     int mask)
{
    static const int64_t pack[16][4] = {
        {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0},
        {2, 0, 0, 0}, {0, 2, 0, 0}, {1, 2, 0, 0}, {0, 1, 2, 0},
        {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0},
        {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3}};
    _mm256_storeu_si256(
        (__m256i *)(list + n),
        _mm256_add_epi64(_mm256_set1_epi64x(k),
                         _mm256_loadu_si256((const __m256i *)pack[mask])));
    return n + __builtin_popcount((unsigned)mask);
}

/* The seeds k + bit (bits of todo) against the box [blo, bhi] by
 * ms_box_reach's arithmetic: bit set in *all where the box lies within
 * the seed's radius, in *any where it reaches it.  The sides' screens'
 * fallback for the seeds they leave in doubt. */
MS_ALWAYS_INLINE void ms_exact_sides(const double *MS_RESTRICT cols, int64_t m, int64_t k,
                                     const double *blo, const double *bhi, double r2,
                                     unsigned todo, unsigned *all, unsigned *any,
                                     const int64_t d)
{
    while (todo) {
        const int bit = __builtin_ctz(todo);
        todo &= todo - 1;
        const ms_gap g = ms_point_box_reach(cols + k + bit, m, blo, bhi, d);
        *all = (*all & ~(1u << bit)) | ((unsigned)(g.far2 <= r2) << bit);
        *any = (*any & ~(1u << bit)) | ((unsigned)(g.near2 <= r2) << bit);
    }
}

#ifdef MS_AVX512_TARGET
/* The screened part of ms_block_sides_avx2_d, sixteen seeds at a time on
 * AVX-512 with the same float32 operations per seed, so the same sides;
 * the seeds it leaves (k onwards) go on as there.  Returns that k. */
static inline __attribute__((always_inline)) MS_AVX512_STEP_TARGET int64_t
ms_block_sides_avx512_d(const double *MS_RESTRICT cols, int64_t m, const double *blo,
                        const double *bhi, double r2, const ms_seed_screen *sc, float flo,
                        float fhi, int64_t *MS_RESTRICT all, int64_t *na,
                        int64_t *MS_RESTRICT some, int64_t *ns, const int64_t d)
{
    const __m512 tlo = _mm512_set1_ps(flo), thi = _mm512_set1_ps(fhi);
    const __m512 zero = _mm512_setzero_ps();
    const __m512i step = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    __m512 L[MS_SOA_MAX_D], H[MS_SOA_MAX_D];
    for (int64_t j = 0; j < d; j++) {
        L[j] = _mm512_set1_ps((float)(blo[j] - sc->cen[j]));
        H[j] = _mm512_set1_ps((float)(bhi[j] - sc->cen[j]));
    }
    int64_t k = 0;
    for (; k + 16 <= m; k += 16) {
        __m512 a = zero, b = zero;
        for (int64_t j = 0; j < d; j++) {
            const __m512 x = _mm512_loadu_ps(&sc->x32[j][k]);
            const __m512 u = _mm512_sub_ps(x, L[j]), v = _mm512_sub_ps(H[j], x);
            const __m512 near =
                _mm512_max_ps(_mm512_sub_ps(zero, _mm512_min_ps(u, v)), zero);
            const __m512 far = _mm512_max_ps(u, v);
            a = _mm512_fmadd_ps(near, near, a);
            b = _mm512_fmadd_ps(far, far, b);
        }
        unsigned ma = _mm512_cmp_ps_mask(b, tlo, _CMP_LE_OQ);
        unsigned mn = _mm512_cmp_ps_mask(a, tlo, _CMP_LE_OQ);
        unsigned unsure = (_mm512_cmp_ps_mask(b, thi, _CMP_LE_OQ) & ~ma) |
                          (_mm512_cmp_ps_mask(a, thi, _CMP_LE_OQ) & ~mn);
        ms_exact_sides(cols, m, k, blo, bhi, r2, unsure, &ma, &mn, d);
        const unsigned ms = mn & ~ma;
        for (int h = 0; h < 16; h += 8) {
            const __m512i ids = _mm512_add_epi64(_mm512_set1_epi64(k + h), step);
            const __mmask8 fa = (__mmask8)(ma >> h), fs = (__mmask8)(ms >> h);
            _mm512_mask_compressstoreu_epi64(all + *na, fa, ids);
            _mm512_mask_compressstoreu_epi64(some + *ns, fs, ids);
            *na += __builtin_popcount(fa);
            *ns += __builtin_popcount(fs);
        }
    }
    return k;
}

MS_AVX512_STEP_TARGET static int64_t
ms_block_sides_avx512(const double *cols, int64_t m, const double *blo, const double *bhi,
                      double r2, const ms_seed_screen *sc, float flo, float fhi,
                      int64_t *all, int64_t *na, int64_t *some, int64_t *ns, int64_t d)
{
    switch (d) {
    case 1:
        return ms_block_sides_avx512_d(cols, m, blo, bhi, r2, sc, flo, fhi, all, na, some,
                                       ns, 1);
    case 2:
        return ms_block_sides_avx512_d(cols, m, blo, bhi, r2, sc, flo, fhi, all, na, some,
                                       ns, 2);
    case 3:
        return ms_block_sides_avx512_d(cols, m, blo, bhi, r2, sc, flo, fhi, all, na, some,
                                       ns, 3);
    default:
        return ms_block_sides_avx512_d(cols, m, blo, bhi, r2, sc, flo, fhi, all, na, some,
                                       ns, 4);
    }
}
#endif

/* ms_block_sides_d, eight seeds at a time through a float32 screen of the
 * two bounds, with the seeds' offsets from the group's centre: bounds
 * within a proven error of r2 are computed again as ms_box_reach does,
 * so the lists are the same.  Error bound, with S = sum_j (max|a_j| +
 * max(|lo_j - c_j|, |hi_j - c_j|))^2: rounding the offsets and the box to
 * float32 and the difference moves each gap by at most 2^-22 M_j (M_j the
 * term of S), so its square by at most 2^-20.9 M_j^2; the fused sums add
 * at most 3 roundings of 2^-24 S, and the double bounds err by 2^-50 S:
 * less than 2^-20 S in all, inside the margin of ms_screen_bounds. */
MS_AVX2_INLINE void ms_block_sides_avx2_d(const double *MS_RESTRICT cols, int64_t m,
                                          const double *blo, const double *bhi, double r2,
                                          const ms_seed_screen *sc,
                                          int64_t *MS_RESTRICT all, int64_t *n_all,
                                          int64_t *MS_RESTRICT some, int64_t *n_some,
                                          const int64_t d)
{
    int64_t na = 0, ns = 0, k = 0;
    double S = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double l = fabs(blo[j] - sc->cen[j]), h = fabs(bhi[j] - sc->cen[j]);
        const double g = sc->amax[j] + (l > h ? l : h);
        S += g * g;
    }
    float flo, fhi;
    const int screened = ms_screen_bounds(S, r2, &flo, &fhi);
#ifdef MS_AVX512_TARGET
    if (screened && sc->avx512)
        k = ms_block_sides_avx512(cols, m, blo, bhi, r2, sc, flo, fhi, all, &na, some,
                                  &ns, d);
#endif
    if (screened) {
        const __m256 tlo = _mm256_set1_ps(flo), thi = _mm256_set1_ps(fhi);
        const __m256 zero = _mm256_setzero_ps();
        __m256 L[MS_SOA_MAX_D], H[MS_SOA_MAX_D];
        for (int64_t j = 0; j < d; j++) {
            L[j] = _mm256_set1_ps((float)(blo[j] - sc->cen[j]));
            H[j] = _mm256_set1_ps((float)(bhi[j] - sc->cen[j]));
        }
        for (; k + 8 <= m; k += 8) {
            __m256 a = zero, b = zero;
            for (int64_t j = 0; j < d; j++) {
                const __m256 x = _mm256_loadu_ps(&sc->x32[j][k]);
                const __m256 u = _mm256_sub_ps(x, L[j]), v = _mm256_sub_ps(H[j], x);
                const __m256 near =
                    _mm256_max_ps(_mm256_sub_ps(zero, _mm256_min_ps(u, v)), zero);
                const __m256 far = _mm256_max_ps(u, v);
                a = _mm256_fmadd_ps(near, near, a);
                b = _mm256_fmadd_ps(far, far, b);
            }
            unsigned ma = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(b, tlo, _CMP_LE_OQ));
            unsigned mn = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(a, tlo, _CMP_LE_OQ));
            const unsigned unsure =
                ((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(b, thi, _CMP_LE_OQ)) & ~ma) |
                ((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(a, thi, _CMP_LE_OQ)) & ~mn);
            ms_exact_sides(cols, m, k, blo, bhi, r2, unsure, &ma, &mn, d);
            for (int h = 0; h < 8; h += 4) {
                na = ms_pack_seeds(all, na, k + h, (int)((ma >> h) & 15));
                ns = ms_pack_seeds(some, ns, k + h, (int)(((mn & ~ma) >> h) & 15));
            }
        }
    }
    /* The rest (or every seed, outside the screen's range) four at a time
     * in double, with ms_box_reach's arithmetic: of below, above and 0 at
     * most one is positive, so their maximum is the nearest gap. */
    const __m256d R2 = _mm256_set1_pd(r2), zero = _mm256_setzero_pd();
    for (; k + 4 <= m; k += 4) {
        __m256d a = zero, b = zero;
        for (int64_t j = 0; j < d; j++) {
            const __m256d x = _mm256_loadu_pd(cols + j * m + k);
            const __m256d lo = _mm256_set1_pd(blo[j]), hi = _mm256_set1_pd(bhi[j]);
            const __m256d near = _mm256_max_pd(
                _mm256_max_pd(_mm256_sub_pd(x, hi), _mm256_sub_pd(lo, x)), zero);
            const __m256d far = _mm256_max_pd(_mm256_sub_pd(x, lo), _mm256_sub_pd(hi, x));
            a = _mm256_add_pd(a, _mm256_mul_pd(near, near));
            b = _mm256_add_pd(b, _mm256_mul_pd(far, far));
        }
        const __m256d bin = _mm256_cmp_pd(b, R2, _CMP_LE_OQ);
        const __m256d ain = _mm256_cmp_pd(a, R2, _CMP_LE_OQ);
        na = ms_pack_seeds(all, na, k, _mm256_movemask_pd(bin));
        ns = ms_pack_seeds(some, ns, k, _mm256_movemask_pd(_mm256_andnot_pd(bin, ain)));
    }
    for (; k < m; k++) {
        const ms_gap g = ms_point_box_reach(cols + k, m, blo, bhi, d);
        all[na] = k;
        some[ns] = k;
        na += g.far2 <= r2;
        ns += (g.near2 <= r2) & (g.far2 > r2);
    }
    *n_all = na;
    *n_some = ns;
}

MS_AVX2_TARGET static void ms_block_sides_avx2(const double *cols, int64_t m,
                                               const double *blo, const double *bhi,
                                               double r2, const ms_seed_screen *sc,
                                               int64_t *all, int64_t *n_all,
                                               int64_t *some, int64_t *n_some, int64_t d)
{
    switch (d) {
    case 1:
        ms_block_sides_avx2_d(cols, m, blo, bhi, r2, sc, all, n_all, some, n_some, 1);
        break;
    case 2:
        ms_block_sides_avx2_d(cols, m, blo, bhi, r2, sc, all, n_all, some, n_some, 2);
        break;
    case 3:
        ms_block_sides_avx2_d(cols, m, blo, bhi, r2, sc, all, n_all, some, n_some, 3);
        break;
    default:
        ms_block_sides_avx2_d(cols, m, blo, bhi, r2, sc, all, n_all, some, n_some, 4);
        break;
    }
}

/* ms_buffer_box on vectors: minima and maxima are exact, so the box is
 * the same. */
MS_AVX2_TARGET static void ms_buffer_box_avx2(const double pb[][MS_UNDECIDED_BUF],
                                              int64_t np, double *lo, double *hi,
                                              int64_t d)
{
    for (int64_t j = 0; j < d; j++) {
        const double *x = pb[j];
        __m256d a = _mm256_set1_pd(x[0]), b = a;
        int64_t i = 0;
        for (; i + 4 <= np; i += 4) {
            const __m256d v = _mm256_loadu_pd(x + i);
            a = _mm256_min_pd(a, v);
            b = _mm256_max_pd(b, v);
        }
        double va[4], vb[4];
        _mm256_storeu_pd(va, a);
        _mm256_storeu_pd(vb, b);
        for (int l = 1; l < 4; l++) {
            va[0] = va[l] < va[0] ? va[l] : va[0];
            vb[0] = vb[l] > vb[0] ? vb[l] : vb[0];
        }
        for (; i < np; i++) {
            va[0] = x[i] < va[0] ? x[i] : va[0];
            vb[0] = x[i] > vb[0] ? x[i] : vb[0];
        }
        lo[j] = va[0];
        hi[j] = vb[0];
    }
}

/* ms_add_whole on vectors, with the same sums. */
MS_AVX2_TARGET static void ms_add_whole_avx2(const double pb[][MS_UNDECIDED_BUF],
                                             int64_t np, const int64_t *all,
                                             int64_t n_all, double *acc, int64_t d)
{
    const int64_t E = MS_SEED_SUMS_STRIDE(d);
    __m256d u0 = _mm256_setzero_pd(), u1 = _mm256_setzero_pd();
    for (int64_t i = 0; i < np; i++) {
        __m256d p0, p1;
        ms_point_avx2(pb, i, &p0, &p1, d);
        u0 = _mm256_add_pd(u0, p0);
        u1 = _mm256_add_pd(u1, p1);
    }
    for (int64_t l = 0; l < n_all; l++) {
        double *a = acc + all[l] * E;
        _mm256_storeu_pd(a, _mm256_add_pd(_mm256_loadu_pd(a), u0));
        if (d == 4) _mm256_storeu_pd(a + 4, _mm256_add_pd(_mm256_loadu_pd(a + 4), u1));
    }
}

/* ms_route_d, four points per vector (lane i % 4 is the vector lane), the
 * undecided ones packed with a permutation table.  A point inside adds
 * (in & w) * x, as ms_route_d adds win * x; unit weights add in & x, the
 * same bits without the product. */
MS_AVX2_INLINE int64_t ms_route_avx2_d(const double *MS_RESTRICT soa, int64_t n,
                                       const double *MS_RESTRICT weights, int64_t c,
                                       int64_t len, const double *av, const double *bv,
                                       double r2, double pb[][MS_UNDECIDED_BUF],
                                       double *u, const int64_t d, const int weighted)
{
    static const int32_t pack[16][8] = {
        {0, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0}, {2, 3, 0, 0, 0, 0, 0, 0},
        {0, 1, 2, 3, 0, 0, 0, 0}, {4, 5, 0, 0, 0, 0, 0, 0}, {0, 1, 4, 5, 0, 0, 0, 0},
        {2, 3, 4, 5, 0, 0, 0, 0}, {0, 1, 2, 3, 4, 5, 0, 0}, {6, 7, 0, 0, 0, 0, 0, 0},
        {0, 1, 6, 7, 0, 0, 0, 0}, {2, 3, 6, 7, 0, 0, 0, 0}, {0, 1, 2, 3, 6, 7, 0, 0},
        {4, 5, 6, 7, 0, 0, 0, 0}, {0, 1, 4, 5, 6, 7, 0, 0}, {2, 3, 4, 5, 6, 7, 0, 0},
        {0, 1, 2, 3, 4, 5, 6, 7}};
    const __m256d R2 = _mm256_set1_pd(r2), one = _mm256_set1_pd(1.0);
    __m256d L[MS_SOA_MAX_D + 1];
    for (int64_t j = 0; j <= d; j++) L[j] = _mm256_setzero_pd();
    int64_t nb = 0;
    /* Each store writes four slots but advances by the points it keeps:
     * nb <= i keeps it inside the buffer. */
    for (int64_t i = 0; i < len; i += 4) {
        __m256d a, b, w = one, x[MS_SOA_MAX_D];
        if (i + 4 <= len) {
            a = _mm256_loadu_pd(av + i);
            b = _mm256_loadu_pd(bv + i);
            if (weighted) w = _mm256_loadu_pd(weights + c + i);
            for (int64_t j = 0; j < d; j++) x[j] = _mm256_loadu_pd(soa + j * n + c + i);
        } else { /* the last points; the missing lanes lie outside every ball */
            double ta[4], tb[4], tw[4], tx[MS_SOA_MAX_D][4];
            for (int64_t l = 0; l < 4; l++) {
                const int ok = i + l < len;
                ta[l] = ok ? av[i + l] : INFINITY;
                tb[l] = ok ? bv[i + l] : INFINITY;
                tw[l] = ok && weighted ? weights[c + i + l] : 1.0;
                for (int64_t j = 0; j < d; j++)
                    tx[j][l] = ok ? soa[j * n + c + i + l] : 0.0;
            }
            a = _mm256_loadu_pd(ta);
            b = _mm256_loadu_pd(tb);
            w = _mm256_loadu_pd(tw);
            for (int64_t j = 0; j < d; j++) x[j] = _mm256_loadu_pd(tx[j]);
        }
        const __m256d in = _mm256_cmp_pd(b, R2, _CMP_LE_OQ);
        const __m256d win = _mm256_and_pd(in, w);
        const int keep =
            _mm256_movemask_pd(_mm256_andnot_pd(in, _mm256_cmp_pd(a, R2, _CMP_LE_OQ)));
        const __m256i perm = _mm256_loadu_si256((const __m256i *)pack[keep]);
        for (int64_t j = 0; j < d; j++) {
            const __m256d add =
                weighted ? _mm256_mul_pd(win, x[j]) : _mm256_and_pd(in, x[j]);
            L[j] = _mm256_add_pd(L[j], add);
            _mm256_storeu_pd(&pb[j][nb], _mm256_castps_pd(_mm256_permutevar8x32_ps(
                                             _mm256_castpd_ps(x[j]), perm)));
        }
        L[d] = _mm256_add_pd(L[d], win);
        _mm256_storeu_pd(&pb[MS_SOA_MAX_D][nb], _mm256_castps_pd(_mm256_permutevar8x32_ps(
                                                    _mm256_castpd_ps(w), perm)));
        nb += __builtin_popcount((unsigned)keep);
    }
    for (int64_t j = 0; j <= d; j++) {
        double v[4];
        _mm256_storeu_pd(v, L[j]);
        u[j] = (v[0] + v[1]) + (v[2] + v[3]);
    }
    return nb;
}

MS_AVX2_TARGET static int64_t ms_route_avx2(const double *soa, int64_t n,
                                            const double *weights, int64_t c, int64_t len,
                                            const double *av, const double *bv, double r2,
                                            double pb[][MS_UNDECIDED_BUF], double *u,
                                            int64_t d)
{
    if (weights) switch (d) {
        case 1: return ms_route_avx2_d(soa, n, weights, c, len, av, bv, r2, pb, u, 1, 1);
        case 2: return ms_route_avx2_d(soa, n, weights, c, len, av, bv, r2, pb, u, 2, 1);
        case 3: return ms_route_avx2_d(soa, n, weights, c, len, av, bv, r2, pb, u, 3, 1);
        default: return ms_route_avx2_d(soa, n, weights, c, len, av, bv, r2, pb, u, 4, 1);
        }
    switch (d) {
    case 1: return ms_route_avx2_d(soa, n, NULL, c, len, av, bv, r2, pb, u, 1, 0);
    case 2: return ms_route_avx2_d(soa, n, NULL, c, len, av, bv, r2, pb, u, 2, 0);
    case 3: return ms_route_avx2_d(soa, n, NULL, c, len, av, bv, r2, pb, u, 3, 0);
    default: return ms_route_avx2_d(soa, n, NULL, c, len, av, bv, r2, pb, u, 4, 0);
    }
}

#endif /* MS_AVX2_TARGET */

#endif /* MS_BLOCK_SUMS_AVX2_H */
