/*
 * group_points_avx2_impl.h - beyond MS_SOA_MAX_D features, which of the
 * seeds that reach a buffer of undecided points hold each point, on AVX2,
 * its blocks on AVX-512 where the CPU has it (see group_query_impl.h,
 * settle_buffer, for the portable form).  Written once for both
 * precisions (included inside a precision instantiation).
 *
 * Distances come as dot products: with a and b a point's and a seed's
 * offsets from the buffer's centre in float32, |a - b|^2 = |a|^2 + |b|^2 -
 * 2 a.b, eight (or sixteen) seeds by eight points at a time, fused
 * multiply-adds over the features.  That screen decides a pair only where
 * a proven bound on its error leaves no doubt about the exact double test
 * (bounds.h's expression, sum_j ((double)x_j - q_j)^2 in increasing j);
 * the pairs in that band take the exact test.  The decisions are
 * therefore the exact ones, which settle_buffer then sums as it sums the
 * portable form's: both forms give the same bits.
 */

/* Error bound of the screen, with u = 2^-24 and N = |a|^2 + |b|^2:
 * rounding the offsets to float32 moves the squared distance by at most
 * about 4 u N; the fused dot product errs by at most d u sum_j |a_j b_j|
 * <= d u N / 2, doubled by the factor 2; |a|^2 and |b|^2, summed in
 * double, by u each once rounded to float32; the last add and subtract by
 * 2 u N each; the double expression by (d + 2) 2^-53 N.  Together less
 * than (2 d + 9) u N.  The margin is twice that with S >= N for every
 * pair, plus 2^-40 r2 for rounding the thresholds.  Returns 0, for the
 * exact test everywhere, where S or r2 leave float32's comfortable range
 * or the margin is not small against r2. */
#ifndef MS_GROUP_POINTS_SHARED
#define MS_GROUP_POINTS_SHARED
static inline int ms_points_screen_bounds(double S, int64_t d, double r2, float *lo,
                                          float *hi)
{
    const double eps = S * (double)(4 * d + 18) * 0x1p-24 + r2 * 0x1p-40;
    if (!(r2 >= 0x1p-100 && r2 <= 0x1p100 && S <= 0x1p100 && eps <= 0.0625 * r2))
        return 0;
    *lo = ms_float_beyond(r2 - eps, 1);
    *hi = ms_float_beyond(r2 + eps, 0);
    return 1;
}

/* The 8 x 8 bit matrix of x transposed: bit 8 i + j goes to 8 j + i. */
static inline uint64_t ms_transpose_bits8(uint64_t x)
{
    uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
    x ^= t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
    x ^= t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
    return x ^ t ^ (t << 28);
}

/* The hits of seeds q0 .. q0 + 7 (at most na) over points b0 .. b0 + 7:
 * byte r of block holds the seeds that hold point b0 + r. */
MS_ALWAYS_INLINE void ms_put_hits8(uint64_t *hits, uint64_t block, int64_t q0, int64_t na,
                                   int64_t b0)
{
    if (block == 0) return;
    block = ms_transpose_bits8(block); /* byte k: the points seed q0 + k holds */
    for (int64_t k = 0; k < 8 && q0 + k < na; k++)
        hits[(q0 + k) * MS_HIT_WORDS + b0 / 64] |= ((block >> (8 * k)) & 0xff)
                                                   << (b0 % 64);
}
#endif

/* Four coordinates of a point as doubles. */
MS_AVX2_INLINE __m256d MS_FN(load4)(const MS_T *p)
{
    if (sizeof(MS_T) == sizeof(double))
        return _mm256_loadu_pd((const double *)(const void *)p);
    return _mm256_cvtps_pd(_mm_loadu_ps((const float *)(const void *)p));
}

/* The offsets x - c of d coordinates in float32, and their squared norm
 * (summed in double, on four lanes). */
MS_AVX2_INLINE double MS_FN(offsets_row)(const MS_T *x, const double *c, float *out,
                                         int64_t d)
{
    __m256d n2 = _mm256_setzero_pd();
    int64_t j = 0;
    for (; j + 4 <= d; j += 4) {
        const __m128 a =
            _mm256_cvtpd_ps(_mm256_sub_pd(MS_FN(load4)(x + j), _mm256_loadu_pd(c + j)));
        _mm_storeu_ps(out + j, a);
        const __m256d b = _mm256_cvtps_pd(a);
        n2 = _mm256_add_pd(n2, _mm256_mul_pd(b, b));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, n2);
    double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; j < d; j++) {
        const float a = (float)((double)x[j] - c[j]);
        out[j] = a;
        s += (double)a * (double)a;
    }
    return s;
}

/* The float32 offsets of the buffer's points from c, row by row (stride
 * d), zero rows up to a multiple of 8, and their squared norms; returns
 * the largest norm. */
MS_AVX2_TARGET static double MS_FN(points_offsets)(const MS_TREE *t, const int64_t *buf,
                                                   int64_t nb, const double *c, float *pf,
                                                   float *pn, int64_t d)
{
    double big = 0.0;
    const int64_t nb8 = (nb + 7) / 8 * 8;
    for (int64_t b = 0; b < nb; b++) {
        const double n2 = MS_FN(offsets_row)(t->pts + buf[b] * d, c, pf + b * d, d);
        pn[b] = (float)n2;
        big = n2 > big ? n2 : big;
    }
    for (int64_t b = nb; b < nb8; b++) {
        for (int64_t j = 0; j < d; j++) pf[b * d + j] = 0.0f;
        pn[b] = 0.0f;
    }
    return big;
}

/* Seeds act[0..na) (columns of cols, stride m) likewise, by feature
 * (stride np, na rounded up to the lanes of a block, zero lanes beyond). */
MS_AVX2_TARGET static double MS_FN(seeds_offsets)(const double *cols, int64_t m,
                                                  const int64_t *act, int64_t na,
                                                  int64_t np, const double *c, float *qf,
                                                  float *qn, int64_t d)
{
    double n2[MS_GROUP_MAX + 16];
    for (int64_t q = 0; q < np; q++) n2[q] = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double *cj = cols + j * m;
        float *fj = qf + j * np;
        for (int64_t q = 0; q < na; q++) {
            const float a = (float)(cj[act[q]] - c[j]);
            fj[q] = a;
            n2[q] += (double)a * (double)a;
        }
        for (int64_t q = na; q < np; q++) fj[q] = 0.0f;
    }
    double big = 0.0;
    for (int64_t q = 0; q < np; q++) {
        qn[q] = (float)n2[q];
        big = n2[q] > big ? n2[q] : big;
    }
    return big;
}

/* The exact test of one pair, the portable form's expression. */
MS_ALWAYS_INLINE int MS_FN(pair_within)(const MS_T *p, const double *cols, int64_t m,
                                        int64_t k, double r2, int64_t d)
{
    double s = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double u = (double)p[j] - cols[j * m + k];
        s += u * u;
    }
    return s <= r2;
}

/* in, with the seeds of band (bit k: seed act[k]) that the exact test
 * finds holding point p added: the pairs the screen left in doubt. */
MS_ALWAYS_INLINE uint32_t MS_FN(band_recheck)(const MS_T *p, const double *cols,
                                              int64_t m, const int64_t *act, uint32_t in,
                                              uint32_t band, double r2, int64_t d)
{
    while (band) {
        const int k = __builtin_ctz(band);
        band &= band - 1;
        if (MS_FN(pair_within)(p, cols, m, act[k], r2, d)) in |= 1u << k;
    }
    return in;
}

/* acc[r] = the dot products of point row r of p (stride d) with eight
 * seeds (qf, stride na8 per feature), in eight registers. */
MS_AVX2_INLINE void MS_FN(dot8x8)(const float *MS_RESTRICT p, const float *MS_RESTRICT qf,
                                  int64_t na8, int64_t d, __m256 *acc)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
           a7 = a0;
    for (int64_t j = 0; j < d; j++) {
        const __m256 s = _mm256_loadu_ps(qf + j * na8);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), s, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + d + j), s, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + 2 * d + j), s, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + 3 * d + j), s, a3);
        a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + 4 * d + j), s, a4);
        a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + 5 * d + j), s, a5);
        a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + 6 * d + j), s, a6);
        a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + 7 * d + j), s, a7);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
    acc[4] = a4, acc[5] = a5, acc[6] = a6, acc[7] = a7;
}

#ifdef MS_AVX512_TARGET
/* The screen's blocks on AVX-512: sixteen seeds (stride np = na rounded
 * up to 16) by eight points, the same float32 operations per pair as the
 * AVX2 blocks (a fused multiply-add per feature in increasing j, then the
 * same adds and subtract), so the same screened values and decisions, at
 * twice the lanes per instruction. */
MS_AVX512_TARGET static void
MS_FN(screen_blocks_avx512)(const MS_TREE *t, const int64_t *buf, int64_t nb,
                            const double *cols, int64_t m, const int64_t *act, int64_t na,
                            int64_t np, double r2, float lo, float hi, const float *pf,
                            const float *pn, const float *qf, const float *qn,
                            uint64_t *hits, int64_t d)
{
    const int64_t nb8 = (nb + 7) / 8 * 8;
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    for (int64_t q0 = 0; q0 < np; q0 += 16) {
        const __m512 nq = _mm512_loadu_ps(qn + q0);
        const uint32_t valid = q0 + 16 <= na ? 0xffffu : (1u << (na - q0)) - 1u;
        for (int64_t b0 = 0; b0 < nb8; b0 += 8) {
            const float *p = pf + b0 * d;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
                   a6 = a0, a7 = a0;
            for (int64_t j = 0; j < d; j++) {
                const __m512 s = _mm512_loadu_ps(qf + j * np + q0);
                a0 = _mm512_fmadd_ps(_mm512_set1_ps(p[j]), s, a0);
                a1 = _mm512_fmadd_ps(_mm512_set1_ps(p[d + j]), s, a1);
                a2 = _mm512_fmadd_ps(_mm512_set1_ps(p[2 * d + j]), s, a2);
                a3 = _mm512_fmadd_ps(_mm512_set1_ps(p[3 * d + j]), s, a3);
                a4 = _mm512_fmadd_ps(_mm512_set1_ps(p[4 * d + j]), s, a4);
                a5 = _mm512_fmadd_ps(_mm512_set1_ps(p[5 * d + j]), s, a5);
                a6 = _mm512_fmadd_ps(_mm512_set1_ps(p[6 * d + j]), s, a6);
                a7 = _mm512_fmadd_ps(_mm512_set1_ps(p[7 * d + j]), s, a7);
            }
            const __m512 acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
            uint64_t low = 0, high = 0; /* seeds q0 .. q0 + 7, q0 + 8 .. q0 + 15 */
            for (int r = 0; r < 8 && b0 + r < nb; r++) {
                const int64_t b = b0 + r;
                const __m512 D = _mm512_sub_ps(_mm512_add_ps(_mm512_set1_ps(pn[b]), nq),
                                               _mm512_add_ps(acc[r], acc[r]));
                const uint32_t in0 =
                    (uint32_t)_mm512_cmp_ps_mask(D, vlo, _CMP_LE_OQ) & valid;
                const uint32_t band =
                    (uint32_t)_mm512_cmp_ps_mask(D, vhi, _CMP_LE_OQ) & valid & ~in0;
                const uint32_t in = MS_FN(band_recheck)(t->pts + buf[b] * d, cols, m,
                                                        act + q0, in0, band, r2, d);
                low |= (uint64_t)(in & 0xff) << (8 * r);
                high |= (uint64_t)(in >> 8) << (8 * r);
            }
            ms_put_hits8(hits, low, q0, na, b0);
            ms_put_hits8(hits, high, q0 + 8, na, b0);
        }
    }
}
#endif

/* Which of the seeds act[0..na) of the group (columns of cols, stride m)
 * hold each of the buffer's nb points (buf, box in work): work->hits, on
 * AVX-512 where wide.  Returns 0, having decided nothing, where the screen
 * cannot work (ms_points_screen_bounds). */
MS_AVX2_TARGET static int MS_FN(screen_hits)(const MS_TREE *t, const int64_t *buf,
                                             int64_t nb, const double *cols, int64_t m,
                                             const int64_t *act, int64_t na, double r2,
                                             ms_group_work *work, int wide, int64_t d)
{
    double *c = work->cen;
    for (int64_t j = 0; j < d; j++) c[j] = 0.5 * work->blo[j] + 0.5 * work->bhi[j];
    float *pf = work->pf, *pn = work->pn, *qf = work->qf, *qn = work->qn;
    const int64_t lanes = wide ? 16 : 8, np = (na + lanes - 1) / lanes * lanes;
    const double S = MS_FN(points_offsets)(t, buf, nb, c, pf, pn, d) +
                     MS_FN(seeds_offsets)(cols, m, act, na, np, c, qf, qn, d);
    float lo, hi;
    if (!ms_points_screen_bounds(S, d, r2, &lo, &hi)) return 0;
    for (int64_t q = 0; q < na; q++)
        for (int64_t i = 0; i < MS_HIT_WORDS; i++) work->hits[q * MS_HIT_WORDS + i] = 0;
#ifdef MS_AVX512_TARGET
    if (wide) {
        MS_FN(screen_blocks_avx512)(t, buf, nb, cols, m, act, na, np, r2, lo, hi, pf, pn,
                                    qf, qn, work->hits, d);
        return 1;
    }
#endif
    const int64_t nb8 = (nb + 7) / 8 * 8;
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    for (int64_t q0 = 0; q0 < np; q0 += 8) {
        const __m256 nq = _mm256_loadu_ps(qn + q0);
        const uint32_t valid = q0 + 8 <= na ? 0xffu : (1u << (na - q0)) - 1u;
        for (int64_t b0 = 0; b0 < nb8; b0 += 8) {
            __m256 acc[8];
            MS_FN(dot8x8)(pf + b0 * d, qf + q0, np, d, acc);
            uint64_t block = 0; /* byte r: the seeds that hold point b0 + r */
            for (int r = 0; r < 8 && b0 + r < nb; r++) {
                const int64_t b = b0 + r;
                const __m256 D = _mm256_sub_ps(_mm256_add_ps(_mm256_set1_ps(pn[b]), nq),
                                               _mm256_add_ps(acc[r], acc[r]));
                const uint32_t in0 =
                    (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(D, vlo, _CMP_LE_OQ)) &
                    valid;
                const uint32_t band =
                    (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(D, vhi, _CMP_LE_OQ)) &
                    valid & ~in0;
                const uint32_t in = MS_FN(band_recheck)(t->pts + buf[b] * d, cols, m,
                                                        act + q0, in0, band, r2, d);
                block |= (uint64_t)in << (8 * r);
            }
            ms_put_hits8(work->hits, block, q0, na, b0);
        }
    }
    return 1;
}
