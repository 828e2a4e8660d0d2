/*
 * image_pyr_avx2.c - the pyramid's window sums on AVX2, for the CPUs that
 * have it: the same integer sums as image_pyr_steps.c, so the same bytes.
 *
 * The colour test runs on 16 uint16 lanes: a square of a difference of
 * two bytes fits in 16 bits, and a saturating sum of three fails any
 * radius below 65535 once it saturates.  Each block of up to
 * PYR_AVX2_BLOCK window rows keeps its sums in uint16 lanes; they are
 * widened once per block by multiply-adds (vpmaddwd) into int32 lanes,
 * which are folded across lanes once per step.  Where the portable
 * code's vectoriser spent more on those folds than on the test itself,
 * here they are a small part of a step.
 */
#include "image_pyr_internal.h"

#ifdef MS_AVX2_TARGET
#include <immintrin.h>

/* Window rows per block: the block's colour sums (at most 255 per row and
 * lane) and counts stay below 2^15, as vpmaddwd's signed operands. */
#define PYR_AVX2_BLOCK 128
/* Largest window side on this kernel: relative coordinates stay int16
 * operands, and a step's int32 lane sums (at most side^3 / 8 for the
 * coordinates) do not overflow. */
#define PYR_AVX2_MAX_SIDE 1024
/* Largest squared colour radius: one below the saturated sum. */
#define PYR_AVX2_MAX_R2 65534

#define MS_AVX2_INLINE static inline __attribute__((always_inline)) MS_AVX2_TARGET

/* The int32 lane sums of one step, relative to the window's corner. */
typedef struct lane_acc {
    __m256i n, sx, sy, s0, s1, s2;
} lane_acc;

/* The step's colour and radius broadcast to the lanes. */
typedef struct lane_colour {
    __m256i c0, c1, c2, r2;
} lane_colour;

/* lane_ones + 16 - n: n lanes of -1, then zeros. */
static const int16_t lane_ones[32] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                      -1, -1, -1, -1, -1, 0,  0,  0,  0,  0,  0,
                                      0,  0,  0,  0,  0,  0,  0,  0,  0,  0};

/* All ones where lane (v0, v1, v2) is within the colour radius. */
MS_AVX2_INLINE __m256i colour_test(__m256i v0, __m256i v1, __m256i v2,
                                   const lane_colour *lc)
{
    const __m256i d0 = _mm256_sub_epi16(v0, lc->c0);
    const __m256i d1 = _mm256_sub_epi16(v1, lc->c1);
    const __m256i d2 = _mm256_sub_epi16(v2, lc->c2);
    const __m256i e = _mm256_adds_epu16(
        _mm256_adds_epu16(_mm256_mullo_epi16(d0, d0), _mm256_mullo_epi16(d1, d1)),
        _mm256_mullo_epi16(d2, d2));
    return _mm256_cmpeq_epi16(_mm256_min_epu16(e, lc->r2), e);
}

/* h window rows of 16 columns, from q0 in plane 0 down, into acc = {cnt,
 * cum, a0, a1, a2}: a lane's count, its running total (cum adds cnt after
 * each row, so that the sum of the lane's rows is h cnt - cum: one add
 * per row) and its colour sums.  The lanes off in valid are skipped
 * (masked = 0 promises all on). */
MS_AVX2_INLINE void lane_rows(const pyr_planes *pl, const int16_t *q0, int64_t h,
                              const int masked, __m256i valid, const lane_colour *lc,
                              __m256i acc[5])
{
    const int64_t stride = pl->stride, off1 = pl->p[1] - pl->p[0],
                  off2 = pl->p[2] - pl->p[0];
    __m256i cnt = acc[0], cum = acc[1], a0 = acc[2], a1 = acc[3], a2 = acc[4];
    for (int64_t r = 0; r < h; r++, q0 += stride) {
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)q0);
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(q0 + off1));
        const __m256i v2 = _mm256_loadu_si256((const __m256i *)(q0 + off2));
        __m256i m = colour_test(v0, v1, v2, lc);
        if (masked) m = _mm256_and_si256(m, valid);
        cnt = _mm256_sub_epi16(cnt, m);
        a0 = _mm256_add_epi16(_mm256_and_si256(v0, m), a0);
        a1 = _mm256_add_epi16(_mm256_and_si256(v1, m), a1);
        a2 = _mm256_add_epi16(_mm256_and_si256(v2, m), a2);
        cum = _mm256_add_epi16(cum, cnt);
    }
    acc[0] = cnt;
    acc[1] = cum;
    acc[2] = a0;
    acc[3] = a1;
    acc[4] = a2;
}

/* Rows [yr, yr + rows) of the window (relative to its corner, rows <=
 * PYR_AVX2_BLOCK), 16 columns from column xr (q0 in plane 0), masked as
 * in lane_rows, widened into the step's int32 lane sums. */
MS_AVX2_INLINE void row_block(const pyr_planes *pl, const int16_t *q0, int64_t xr,
                              int64_t yr, int64_t rows, const int masked, __m256i valid,
                              const lane_colour *lc, lane_acc *acc)
{
    const __m256i zero = _mm256_setzero_si256();
    __m256i sums[5] = {zero, zero, zero, zero, zero};
    lane_rows(pl, q0, rows, masked, valid, lc, sums);
    const __m256i cnt = sums[0], cum = sums[1], a0 = sums[2], a1 = sums[3], a2 = sums[4];
    const __m256i one = _mm256_set1_epi16(1);
    const __m256i xs = _mm256_add_epi16(
        _mm256_set1_epi16((int16_t)xr),
        _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    acc->n = _mm256_add_epi32(acc->n, _mm256_madd_epi16(cnt, one));
    acc->sx = _mm256_add_epi32(acc->sx, _mm256_madd_epi16(cnt, xs));
    acc->sy = _mm256_add_epi32(
        acc->sy,
        _mm256_sub_epi32(_mm256_madd_epi16(cnt, _mm256_set1_epi16((int16_t)(yr + rows))),
                         _mm256_madd_epi16(cum, one)));
    acc->s0 = _mm256_add_epi32(acc->s0, _mm256_madd_epi16(a0, one));
    acc->s1 = _mm256_add_epi32(acc->s1, _mm256_madd_epi16(a1, one));
    acc->s2 = _mm256_add_epi32(acc->s2, _mm256_madd_epi16(a2, one));
}

/* Rows [yr, yr + n) (n <= 16) of window column xr, across the lanes of the
 * transposed planes from q0: the column left over past the last group of
 * 16 when only one or two are. */
MS_AVX2_INLINE void column_block(const pyr_planes *pl, const int16_t *q0, int64_t xr,
                                 int64_t yr, int64_t n, const lane_colour *lc,
                                 lane_acc *acc)
{
    const int64_t off1 = pl->t[1] - pl->t[0], off2 = pl->t[2] - pl->t[0];
    const __m256i v0 = _mm256_loadu_si256((const __m256i *)q0);
    const __m256i v1 = _mm256_loadu_si256((const __m256i *)(q0 + off1));
    const __m256i v2 = _mm256_loadu_si256((const __m256i *)(q0 + off2));
    const __m256i valid = _mm256_loadu_si256((const __m256i *)(lane_ones + 16 - n));
    const __m256i m = _mm256_and_si256(colour_test(v0, v1, v2, lc), valid);
    const __m256i one = _mm256_set1_epi16(1), bit = _mm256_and_si256(m, one);
    const __m256i ys = _mm256_add_epi16(
        _mm256_set1_epi16((int16_t)yr),
        _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    acc->n = _mm256_add_epi32(acc->n, _mm256_madd_epi16(bit, one));
    acc->sx =
        _mm256_add_epi32(acc->sx, _mm256_madd_epi16(bit, _mm256_set1_epi16((int16_t)xr)));
    acc->sy = _mm256_add_epi32(acc->sy, _mm256_madd_epi16(bit, ys));
    acc->s0 = _mm256_add_epi32(acc->s0, _mm256_madd_epi16(_mm256_and_si256(v0, m), one));
    acc->s1 = _mm256_add_epi32(acc->s1, _mm256_madd_epi16(_mm256_and_si256(v1, m), one));
    acc->s2 = _mm256_add_epi32(acc->s2, _mm256_madd_epi16(_mm256_and_si256(v2, m), one));
}

/* The lane index 0..15. */
#define LANE_IOTA _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

/* The int32 sum of the 16 uint16 lanes of v in each int32 lane pair, then
 * of the six vectors' lanes folded across: out = {n, sx, sy, s0, s1, s2}. */
MS_AVX2_INLINE void fold6(__m256i n, __m256i sx, __m256i sy, __m256i s0, __m256i s1,
                          __m256i s2, int64_t out[6])
{
    /* pairwise adds within each 128-bit half, then the halves */
    const __m256i nx = _mm256_hadd_epi32(n, sx), y0 = _mm256_hadd_epi32(sy, s0);
    const __m256i s12 = _mm256_hadd_epi32(s1, s2);
    const __m256i nxy0 = _mm256_hadd_epi32(nx, y0), s1212 = _mm256_hadd_epi32(s12, s12);
    const __m128i a =
        _mm_add_epi32(_mm256_castsi256_si128(nxy0), _mm256_extracti128_si256(nxy0, 1));
    const __m128i b =
        _mm_add_epi32(_mm256_castsi256_si128(s1212), _mm256_extracti128_si256(s1212, 1));
    out[0] = _mm_cvtsi128_si32(a);
    out[1] = _mm_extract_epi32(a, 1);
    out[2] = _mm_extract_epi32(a, 2);
    out[3] = _mm_extract_epi32(a, 3);
    out[4] = _mm_cvtsi128_si32(b);
    out[5] = _mm_extract_epi32(b, 1);
}

/* The window sums from the folded lane totals (count, x and y offsets from
 * the window's corner, three colours). */
MS_AVX2_INLINE void sums_from_lanes(const int64_t t[6], int64_t minx, int64_t miny,
                                    win_sums *out)
{
    out->count = t[0];
    out->sx = t[1] + minx * t[0];
    out->sy = t[2] + miny * t[0];
    out->s[0] = t[3];
    out->s[1] = t[4];
    out->s[2] = t[5];
}

/* Windows at most PYR_SMALL_W columns and PYR_SMALL_H rows wide (those of
 * sp <= 8), with every sum in uint16 lanes held in registers: one group
 * of 16 columns (its spare lanes masked), then one or two columns left
 * over down the transposed planes, whose colour sums join the group's
 * lanes and whose positions get lanes of their own.  Every lane sum stays
 * below 2^15: (PYR_SMALL_H + PYR_SMALL_H / 16 + 1) * 255 for the colours. */
#define PYR_SMALL_W 18
#define PYR_SMALL_H 64
MS_AVX2_INLINE void window_sums_small(const pyr_planes *pl, int64_t minx, int64_t maxx,
                                      int64_t miny, int64_t maxy, const lane_colour *lc,
                                      win_sums *out)
{
    const int64_t w = maxx - minx + 1, h = maxy - miny + 1;
    const int64_t group = w >= 16 ? 16 : (w > 2 ? w : 0);
    const __m256i zero = _mm256_setzero_si256(), iota = LANE_IOTA;
    __m256i acc[5] = {zero, zero, zero, zero, zero}; /* cnt, cum, a0, a1, a2 */
    const int16_t *q0 = pl->p[0] + miny * pl->stride + minx;
    if (group == 16)
        lane_rows(pl, q0, h, 0, zero, lc, acc);
    else if (group > 0)
        lane_rows(pl, q0, h, 1,
                  _mm256_loadu_si256((const __m256i *)(lane_ones + 16 - group)), lc, acc);
    const __m256i cnt = acc[0], cum = acc[1];
    __m256i a0 = acc[2], a1 = acc[3], a2 = acc[4];
    /* lane sums of the count, and of x and y relative to the corner */
    __m256i n = cnt, sx = _mm256_mullo_epi16(cnt, iota),
            sy = _mm256_sub_epi16(_mm256_mullo_epi16(cnt, _mm256_set1_epi16((int16_t)h)),
                                  cum);
    const int64_t toff1 = pl->t[1] - pl->t[0], toff2 = pl->t[2] - pl->t[0];
    for (int64_t xr = group; xr < w; xr++) {
        const int16_t *q0 = pl->t[0] + (minx + xr) * pl->tstride + miny;
        const __m256i xs = _mm256_set1_epi16((int16_t)xr);
        for (int64_t yr = 0; yr < h; yr += 16, q0 += 16) {
            const int64_t left = h - yr < 16 ? h - yr : 16;
            const __m256i v0 = _mm256_loadu_si256((const __m256i *)q0);
            const __m256i v1 = _mm256_loadu_si256((const __m256i *)(q0 + toff1));
            const __m256i v2 = _mm256_loadu_si256((const __m256i *)(q0 + toff2));
            const __m256i valid =
                _mm256_loadu_si256((const __m256i *)(lane_ones + 16 - left));
            const __m256i m = _mm256_and_si256(colour_test(v0, v1, v2, lc), valid);
            n = _mm256_sub_epi16(n, m);
            sx = _mm256_add_epi16(sx, _mm256_and_si256(xs, m));
            sy = _mm256_add_epi16(
                sy, _mm256_and_si256(
                        _mm256_add_epi16(iota, _mm256_set1_epi16((int16_t)yr)), m));
            a0 = _mm256_add_epi16(_mm256_and_si256(v0, m), a0);
            a1 = _mm256_add_epi16(_mm256_and_si256(v1, m), a1);
            a2 = _mm256_add_epi16(_mm256_and_si256(v2, m), a2);
        }
    }
    const __m256i one = _mm256_set1_epi16(1);
    int64_t t[6];
    fold6(_mm256_madd_epi16(n, one), _mm256_madd_epi16(sx, one),
          _mm256_madd_epi16(sy, one), _mm256_madd_epi16(a0, one),
          _mm256_madd_epi16(a1, one), _mm256_madd_epi16(a2, one), t);
    sums_from_lanes(t, minx, miny, out);
}

/* The window sums over [minx, maxx] x [miny, maxy] against colour c. */
MS_AVX2_INLINE void window_sums_avx2(const pyr_planes *pl, int64_t minx, int64_t maxx,
                                     int64_t miny, int64_t maxy, const lane_colour *lcp,
                                     win_sums *out)
{
    const lane_colour lc = *lcp;
    const __m256i zero = _mm256_setzero_si256();
    lane_acc acc = {zero, zero, zero, zero, zero, zero};
    const int64_t w = maxx - minx + 1, h = maxy - miny + 1;
    /* One or two columns past the last group of 16 go down the transposed
     * planes; more get a group of their own, its spare lanes masked. */
    const int64_t rem = w % 16, groups_end = rem > 2 ? w : w - rem;
    const int16_t *corner = pl->p[0] + miny * pl->stride + minx;
    for (int64_t xr = 0; xr < groups_end; xr += 16) {
        const int64_t n = groups_end - xr;
        for (int64_t yr = 0; yr < h; yr += PYR_AVX2_BLOCK) {
            const int64_t rows = h - yr < PYR_AVX2_BLOCK ? h - yr : PYR_AVX2_BLOCK;
            const int16_t *q0 = corner + yr * pl->stride + xr;
            if (n >= 16)
                row_block(pl, q0, xr, yr, rows, 0, zero, &lc, &acc);
            else
                row_block(pl, q0, xr, yr, rows, 1,
                          _mm256_loadu_si256((const __m256i *)(lane_ones + 16 - n)), &lc,
                          &acc);
        }
    }
    for (int64_t xr = groups_end; xr < w; xr++) {
        const int16_t *col = pl->t[0] + (minx + xr) * pl->tstride + miny;
        for (int64_t yr = 0; yr < h; yr += 16)
            column_block(pl, col + yr, xr, yr, h - yr < 16 ? h - yr : 16, &lc, &acc);
    }
    int64_t t[6];
    fold6(acc.n, acc.sx, acc.sy, acc.s0, acc.s1, acc.s2, t);
    sums_from_lanes(t, minx, miny, out);
}

int ms__pyr_avx2_fits(const pyr_planes *pl, const step_params *sp)
{
    /* A window spans at most 2 sp + 2 columns and rows. */
    const double side = 2.0 * (double)sp->sp + 2.0;
    return MS_CPU_HAS_AVX2() && sp->r2 <= PYR_AVX2_MAX_R2 &&
           (side <= PYR_AVX2_MAX_SIDE || pl->w <= PYR_AVX2_MAX_SIDE) &&
           (side <= PYR_AVX2_MAX_SIDE || pl->h <= PYR_AVX2_MAX_SIDE);
}

/* First steps of 16 neighbouring pixels at once, one per lane: pixels
 * xb..xb + 15 of row y, whose windows (whole sp = isp <= PYR_LANE_ISP) lie
 * inside the level's columns.  A first step's window is the pixel's own,
 * so the lanes share its rows and take one load per window offset, each
 * lane testing against its own colour; the per-window folds, the column
 * past 16 and the setup of window_sums_small go.  Per lane: the count and
 * the sums of (dx) and (row - first row) fit 16 bits for isp <= 8, the
 * colour sums are widened to 32 bits every PYR_LANE_ROWS rows. */
#define PYR_LANE_ISP 8
#define PYR_LANE_ROWS 8
/* Fewest pixels to filter among the 16 for first_steps: the lanes of
 * pixels not filtered (at the finer levels) are wasted, and a lane costs
 * nearly as much as a window of window_sums_small. */
#define PYR_LANE_MIN 15
MS_AVX2_INLINE void first_steps(const pyr_planes *pl, int64_t xb, int64_t y, int64_t isp,
                                __m256i r2, win_sums out[16])
{
    const int64_t stride = pl->stride, off1 = pl->p[1] - pl->p[0],
                  off2 = pl->p[2] - pl->p[0];
    const int16_t *centre = pl->p[0] + y * stride + xb;
    const lane_colour lc = {_mm256_loadu_si256((const __m256i *)centre),
                            _mm256_loadu_si256((const __m256i *)(centre + off1)),
                            _mm256_loadu_si256((const __m256i *)(centre + off2)), r2};
    const int64_t y0 = y - isp < 0 ? 0 : y - isp;
    const int64_t y1 = y + isp > pl->h - 1 ? pl->h - 1 : y + isp;
    const __m256i zero = _mm256_setzero_si256(),
                  shift = _mm256_set1_epi16((int16_t)(isp + 1));
    __m256i cnt = zero, cum = zero, sxd = zero, a0 = zero, a1 = zero, a2 = zero;
    __m256i w32[6] = {zero, zero, zero, zero, zero, zero}; /* colours, lanes 0-7, 8-15 */
    for (int64_t yy = y0; yy <= y1; yy++) {
        const int16_t *q0 = pl->p[0] + yy * stride + xb - isp;
        __m256i cr = zero, cumr = zero;
        for (int64_t j = 0; j <= 2 * isp; j++) {
            const __m256i v0 = _mm256_loadu_si256((const __m256i *)(q0 + j));
            const __m256i v1 = _mm256_loadu_si256((const __m256i *)(q0 + off1 + j));
            const __m256i v2 = _mm256_loadu_si256((const __m256i *)(q0 + off2 + j));
            const __m256i m = colour_test(v0, v1, v2, &lc);
            cr = _mm256_sub_epi16(cr, m);
            cumr = _mm256_add_epi16(cumr, cr);
            a0 = _mm256_add_epi16(_mm256_and_si256(v0, m), a0);
            a1 = _mm256_add_epi16(_mm256_and_si256(v1, m), a1);
            a2 = _mm256_add_epi16(_mm256_and_si256(v2, m), a2);
        }
        /* the row's sum of dx = j - isp over the passing offsets: the
         * running counts cumr give sum (2 isp + 1 - j), as in lane_rows */
        sxd =
            _mm256_add_epi16(sxd, _mm256_sub_epi16(_mm256_mullo_epi16(cr, shift), cumr));
        cnt = _mm256_add_epi16(cnt, cr);
        cum = _mm256_add_epi16(cum, cnt);
        if ((yy - y0) % PYR_LANE_ROWS == PYR_LANE_ROWS - 1 || yy == y1) {
            const __m256i a[3] = {a0, a1, a2};
            for (int k = 0; k < 3; k++) {
                w32[2 * k] = _mm256_add_epi32(
                    w32[2 * k], _mm256_cvtepu16_epi32(_mm256_castsi256_si128(a[k])));
                w32[2 * k + 1] = _mm256_add_epi32(
                    w32[2 * k + 1],
                    _mm256_cvtepu16_epi32(_mm256_extracti128_si256(a[k], 1)));
            }
            a0 = a1 = a2 = zero;
        }
    }
    /* the rows' sum of (row - y0): as in lane_rows, (rows) cnt - cum */
    const __m256i syr = _mm256_sub_epi16(
        _mm256_mullo_epi16(cnt, _mm256_set1_epi16((int16_t)(y1 - y0 + 1))), cum);
    uint16_t n16[16], sy16[16];
    int16_t sx16[16];
    uint32_t c32[6][8];
    _mm256_storeu_si256((__m256i *)n16, cnt);
    _mm256_storeu_si256((__m256i *)sx16, sxd);
    _mm256_storeu_si256((__m256i *)sy16, syr);
    for (int k = 0; k < 6; k++) _mm256_storeu_si256((__m256i *)c32[k], w32[k]);
    for (int l = 0; l < 16; l++) {
        const int64_t n = n16[l];
        out[l].count = n;
        out[l].sx = (xb + l) * n + sx16[l];
        out[l].sy = y0 * n + sy16[l];
        for (int k = 0; k < 3; k++) out[l].s[k] = c32[2 * k + l / 8][l % 8];
    }
}

/* The steps of a pixel from step it on, at state (x0, y0, c). */
MS_AVX2_INLINE void path(const pyr_planes *pl, const step_params *sp, pyr_memo *memo,
                         __m256i r2, const int small, int it, int64_t x0, int64_t y0,
                         int32_t c[3])
{
    for (; it < sp->max_iter; it++) {
        /* the first step of a pixel starts from a state of its own */
        pyr_memo *slot = NULL;
        const int hit = it > 0 ? pyr_memo_get(memo, &x0, &y0, c, &slot) : -1;
        if (hit == 1) break;
        if (hit == 0) continue;
        int64_t minx, maxx, miny, maxy;
        pyr_window(pl, sp, x0, y0, &minx, &maxx, &miny, &maxy);
        const lane_colour lc = {_mm256_set1_epi16((int16_t)c[0]),
                                _mm256_set1_epi16((int16_t)c[1]),
                                _mm256_set1_epi16((int16_t)c[2]), r2};
        win_sums acc;
        if (small)
            window_sums_small(pl, minx, maxx, miny, maxy, &lc, &acc);
        else
            window_sums_avx2(pl, minx, maxx, miny, maxy, &lc, &acc);
        const int stop = acc.count == 0 || pyr_move(&acc, sp, &x0, &y0, c);
        pyr_memo_put(slot, x0, y0, c, stop);
        if (stop) break;
    }
}

/* The row's pixels, each through its steps; small: every window of the
 * level fits window_sums_small.  Where 16 pixels in a row have windows
 * inside the level's columns and most are to be filtered, their first
 * steps go through first_steps. */
MS_AVX2_INLINE void filter_row(const pyr_planes *pl, int64_t y, const uint8_t *src,
                               const uint8_t *mask, const step_params *sp, pyr_memo *memo,
                               uint8_t *dst, const int small)
{
    const __m256i r2 = _mm256_set1_epi16((int16_t)(uint16_t)sp->r2);
    const int64_t isp = small && sp->isp <= PYR_LANE_ISP ? sp->isp : -1;
    int64_t x = 0;
    while (x < pl->w) {
        if (isp >= 0 && x >= isp && x + 15 + isp <= pl->w - 1) {
            int marked = 16;
            if (mask)
                for (int l = 0; l < 16; l++) marked -= !mask[x + l];
            if (marked >= PYR_LANE_MIN) {
                win_sums acc[16];
                first_steps(pl, x, y, isp, r2, acc);
                for (int l = 0; l < 16; l++, x++) {
                    if (mask && !mask[x]) continue;
                    int64_t x0 = x, y0 = y;
                    int32_t c[3] = {src[x * 3], src[x * 3 + 1], src[x * 3 + 2]};
                    if (acc[l].count > 0 && !pyr_move(&acc[l], sp, &x0, &y0, c))
                        path(pl, sp, memo, r2, small, 1, x0, y0, c);
                    for (int k = 0; k < 3; k++) dst[x * 3 + k] = (uint8_t)c[k];
                }
                continue;
            }
        }
        if (!mask || mask[x]) {
            int32_t c[3] = {src[x * 3], src[x * 3 + 1], src[x * 3 + 2]};
            path(pl, sp, memo, r2, small, 0, x, y, c);
            for (int k = 0; k < 3; k++) dst[x * 3 + k] = (uint8_t)c[k];
        }
        x++;
    }
}

MS_AVX2_TARGET void ms__pyr_filter_row_avx2(const pyr_planes *pl, int64_t y,
                                            const uint8_t *src, const uint8_t *mask,
                                            const step_params *sp, pyr_memo *memo,
                                            uint8_t *dst)
{
    /* a window spans at most 2 sp + 2 columns and rows */
    const double side = 2.0 * (double)sp->sp + 2.0;
    if ((side <= PYR_SMALL_W || pl->w <= PYR_SMALL_W) &&
        (side <= PYR_SMALL_H || pl->h <= PYR_SMALL_H))
        filter_row(pl, y, src, mask, sp, memo, dst, 1);
    else
        filter_row(pl, y, src, mask, sp, memo, dst, 0);
}

#else

int ms__pyr_avx2_fits(const pyr_planes *pl, const step_params *sp)
{
    (void)pl;
    (void)sp;
    return 0;
}

void ms__pyr_filter_row_avx2(const pyr_planes *pl, int64_t y, const uint8_t *src,
                             const uint8_t *mask, const step_params *sp, pyr_memo *memo,
                             uint8_t *dst)
{
    ms__pyr_filter_row(pl, y, src, mask, sp, memo, dst);
}

#endif
