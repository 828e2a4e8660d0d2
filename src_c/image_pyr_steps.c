/*
 * image_pyr_steps.c - the mean-shift steps of the pyramid filter, with
 * the bytes OpenCV's cv::pyrMeanShiftFiltering writes: a pixel's window
 * sums (square window, colour test in integers), its moves, and a row of
 * pixels.  The window sums are most of the filter's time, so they run on
 * uint16 SIMD lanes; the row is the unit that gets an AVX2 clone, so
 * everything it calls is inlined into it here.
 */
#include <stdint.h>

#include "image_pyr_internal.h"

/* The uint16 lane sums hold at most this many window rows at once. */
#define PYR_ROW_BLOCK 256
/* The uint16 lanes can test squared colour distances up to this bound
 * (three clamped squares of at most bound + 1 each fit in 16 bits). */
#define PYR_LANE_MAX_R2 21844

/* lane_mask + PYR_LANES - n: n lanes on, the rest off. */
static const uint16_t lane_mask[2 * PYR_LANES] = {
    0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF,
    0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF,
    0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF,
    0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF};

/* Whether 16-bit lane l passes the colour test against (c0, c1, c2):
 * 0xFFFF or 0.  Each square is clamped to r2 + 1, so that three stay in 16
 * bits and a clamped one alone already fails. */
MS_ALWAYS_INLINE uint16_t lane_test(int16_t v0, int16_t v1, int16_t v2, int16_t c0,
                                    int16_t c1, int16_t c2, uint16_t cap, uint16_t r2)
{
    const int16_t d0 = (int16_t)(v0 - c0), d1 = (int16_t)(v1 - c1),
                  d2 = (int16_t)(v2 - c2);
    uint16_t e0 = (uint16_t)(d0 * d0), e1 = (uint16_t)(d1 * d1), e2 = (uint16_t)(d2 * d2);
    e0 = e0 < cap ? e0 : cap;
    e1 = e1 < cap ? e1 : cap;
    e2 = e2 < cap ? e2 : cap;
    return (uint16_t)((uint16_t)(e0 + e1 + e2) <= r2 ? 0xFFFF : 0);
}

/* The sum of v[0..L), L in {8, 16, 32}, in 32 bits: halves folded onto
 * each other, which the vectoriser turns into whole-vector adds. */
MS_ALWAYS_INLINE uint32_t lane_total(const uint16_t *v, const int L)
{
    uint32_t w[PYR_LANES];
    for (int l = 0; l < L; l++) w[l] = v[l];
    if (L > 16)
        for (int l = 0; l < 16; l++) w[l] += w[l + 16];
    if (L > 8)
        for (int l = 0; l < 8; l++) w[l] += w[l + 8];
    for (int l = 0; l < 4; l++) w[l] += w[l + 4];
    return w[0] + w[1] + w[2] + w[3];
}

/* Window rows [y0, y0 + rows) (rows <= PYR_ROW_BLOCK), columns [x0, x0 +
 * n) with n <= L <= PYR_LANES: lane l reads column x0 + l, for every one
 * of the L lanes, and the lanes at l >= n are masked (masked = 0 promises
 * n = L).  Written for the vectoriser (L and masked are constants where it
 * is inlined): fixed-width uint16 lanes, no branches, sums widened to 32
 * bits only at the end. */
MS_ALWAYS_INLINE void lanes_sum(const pyr_planes *pl, const int L, const int masked,
                                int64_t x0, int64_t y0, int64_t rows, int n,
                                const int32_t c[3], uint16_t r2, win_sums *acc)
{
    /* cum[l] sums, over the rows, the count of lane l so far: the row sum
     * is rows * count - sum(cum), one add per row instead of two. */
    uint16_t cnt[PYR_LANES], a0[PYR_LANES], a1[PYR_LANES], a2[PYR_LANES], cum[PYR_LANES];
    const uint16_t *valid = lane_mask + PYR_LANES - n;
    const int16_t c0 = (int16_t)c[0], c1 = (int16_t)c[1], c2 = (int16_t)c[2];
    const uint16_t cap = (uint16_t)(r2 + 1);
    for (int l = 0; l < L; l++) cnt[l] = a0[l] = a1[l] = a2[l] = cum[l] = 0;
    const int64_t stride = pl->stride, base = y0 * stride + x0;
    const int16_t *MS_RESTRICT q0 = pl->p[0] + base;
    const int16_t *MS_RESTRICT q1 = pl->p[1] + base;
    const int16_t *MS_RESTRICT q2 = pl->p[2] + base;
    for (int64_t r = 0; r < rows; r++, q0 += stride, q1 += stride, q2 += stride) {
        for (int l = 0; l < L; l++) {
            uint16_t m = lane_test(q0[l], q1[l], q2[l], c0, c1, c2, cap, r2);
            if (masked) m &= valid[l];
            cnt[l] = (uint16_t)(cnt[l] - m); /* m is 0 or -1 */
            a0[l] = (uint16_t)(a0[l] + ((uint16_t)q0[l] & m));
            a1[l] = (uint16_t)(a1[l] + ((uint16_t)q1[l] & m));
            a2[l] = (uint16_t)(a2[l] + ((uint16_t)q2[l] & m));
            cum[l] = (uint16_t)(cum[l] + cnt[l]);
        }
    }
    /* One loop per sum: each vectorises as a plain reduction. */
    const uint32_t count = lane_total(cnt, L), sc = lane_total(cum, L);
    const uint32_t s0 = lane_total(a0, L), s1 = lane_total(a1, L), s2 = lane_total(a2, L);
    uint32_t sx = 0;
    for (int l = 0; l < L; l++) sx += (uint32_t)cnt[l] * (uint32_t)l;
    acc->count += count;
    acc->sx += (int64_t)sx + x0 * (int64_t)count;
    acc->sy += (rows + y0) * (int64_t)count - (int64_t)sc;
    acc->s[0] += s0;
    acc->s[1] += s1;
    acc->s[2] += s2;
}

/* Window column x, rows [y0, y0 + n) with n <= L, in one step across the
 * lanes of the transposed planes (lanes at l >= n masked). */
MS_ALWAYS_INLINE void column_sum(const pyr_planes *pl, const int L, int64_t x, int64_t y0,
                                 int n, const int32_t c[3], uint16_t r2, win_sums *acc)
{
    const uint16_t *valid = lane_mask + PYR_LANES - n;
    const int16_t c0 = (int16_t)c[0], c1 = (int16_t)c[1], c2 = (int16_t)c[2];
    const uint16_t cap = (uint16_t)(r2 + 1);
    const int64_t base = x * pl->tstride + y0;
    const int16_t *MS_RESTRICT q0 = pl->t[0] + base;
    const int16_t *MS_RESTRICT q1 = pl->t[1] + base;
    const int16_t *MS_RESTRICT q2 = pl->t[2] + base;
    uint32_t count = 0, sy = 0, s0 = 0, s1 = 0, s2 = 0;
    for (int l = 0; l < L; l++) {
        const uint16_t m = lane_test(q0[l], q1[l], q2[l], c0, c1, c2, cap, r2) & valid[l];
        count += (uint32_t)(m & 1);
        sy += (uint32_t)(m & (uint16_t)l);
        s0 += (uint32_t)((uint16_t)q0[l] & m);
        s1 += (uint32_t)((uint16_t)q1[l] & m);
        s2 += (uint32_t)((uint16_t)q2[l] & m);
    }
    acc->count += count;
    acc->sx += x * (int64_t)count;
    acc->sy += (int64_t)sy + y0 * (int64_t)count;
    acc->s[0] += s0;
    acc->s[1] += s1;
    acc->s[2] += s2;
}

/* Window columns [minx, maxx] in groups of L lanes, rows in blocks. */
MS_ALWAYS_INLINE void lane_groups(const pyr_planes *pl, const int L, const int masked,
                                  int64_t minx, int64_t maxx, int64_t miny, int64_t maxy,
                                  const int32_t c[3], uint16_t r2, win_sums *acc)
{
    for (int64_t x = minx; x <= maxx; x += L) {
        const int n = maxx - x + 1 < L ? (int)(maxx - x + 1) : L;
        for (int64_t y = miny; y <= maxy; y += PYR_ROW_BLOCK) {
            const int64_t rows =
                maxy - y + 1 < PYR_ROW_BLOCK ? maxy - y + 1 : PYR_ROW_BLOCK;
            lanes_sum(pl, L, masked, x, y, rows, n, c, r2, acc);
        }
    }
}

/* The same sums for window columns [x0, x1], one pixel at a time. */
static void scalar_sum(const pyr_planes *pl, int64_t x0, int64_t x1, int64_t y0,
                       int64_t y1, const int32_t c[3], int32_t r2, win_sums *acc)
{
    for (int64_t y = y0; y <= y1; y++) {
        const int64_t o = y * pl->stride;
        int64_t n = 0;
        for (int64_t x = x0; x <= x1; x++) {
            const int32_t v0 = pl->p[0][o + x], v1 = pl->p[1][o + x],
                          v2 = pl->p[2][o + x];
            const int32_t d0 = v0 - c[0], d1 = v1 - c[1], d2 = v2 - c[2];
            if (d0 * d0 + d1 * d1 + d2 * d2 <= r2) {
                n++;
                acc->sx += x;
                acc->s[0] += v0;
                acc->s[1] += v1;
                acc->s[2] += v2;
            }
        }
        acc->count += n;
        acc->sy += y * n;
    }
}

MS_ALWAYS_INLINE void window_sums(const pyr_planes *pl, int64_t minx, int64_t maxx,
                                  int64_t miny, int64_t maxy, const int32_t c[3],
                                  int32_t r2, win_sums *acc)
{
    if (r2 > PYR_LANE_MAX_R2) {
        scalar_sum(pl, minx, maxx, miny, maxy, c, r2, acc);
        return;
    }
    const uint16_t r2u = (uint16_t)r2;
    int64_t x = minx;
    /* Full groups of 32 and 16 columns, unmasked. */
    for (; maxx - x + 1 >= PYR_LANES; x += PYR_LANES)
        lane_groups(pl, PYR_LANES, 0, x, x + PYR_LANES - 1, miny, maxy, c, r2u, acc);
    if (maxx - x + 1 >= 16) {
        lane_groups(pl, 16, 0, x, x + 15, miny, maxy, c, r2u, acc);
        x += 16;
    }
    const int64_t left = maxx - x + 1;
    if (left <= 0) return;
    if (left <= 2) {
        /* One or two columns past the last group (odd windows: 2 sp + 1 =
         * 16 k + 1), each down its length in the transposed planes. */
        for (; x <= maxx; x++)
            for (int64_t y = miny; y <= maxy; y += PYR_LANES) {
                const int64_t n = maxy - y + 1 < PYR_LANES ? maxy - y + 1 : PYR_LANES;
                column_sum(pl, PYR_LANES, x, y, (int)n, c, r2u, acc);
            }
    } else if (left > 16) {
        lane_groups(pl, PYR_LANES, 1, x, maxx, miny, maxy, c, r2u, acc);
    } else if (left > 8) {
        lane_groups(pl, 16, 1, x, maxx, miny, maxy, c, r2u, acc);
    } else {
        lane_groups(pl, 8, 1, x, maxx, miny, maxy, c, r2u, acc);
    }
}

/* Filter the pixel at (x, y) of the level; its final colour goes to out. */
MS_ALWAYS_INLINE void shift_pixel(const pyr_planes *pl, int64_t x, int64_t y,
                                  const uint8_t *colour, const step_params *sp,
                                  pyr_memo *memo, uint8_t *out)
{
    int64_t x0 = x, y0 = y;
    int32_t c[3] = {colour[0], colour[1], colour[2]};
    for (int it = 0; it < sp->max_iter; it++) {
        /* the first step of a pixel starts from a state of its own */
        pyr_memo *slot = NULL;
        const int hit = it > 0 ? pyr_memo_get(memo, &x0, &y0, c, &slot) : -1;
        if (hit == 1) break;
        if (hit == 0) continue;
        int64_t minx, maxx, miny, maxy;
        pyr_window(pl, sp, x0, y0, &minx, &maxx, &miny, &maxy);
        win_sums acc = {0, 0, 0, {0, 0, 0}};
        window_sums(pl, minx, maxx, miny, maxy, c, sp->r2, &acc);
        const int stop = acc.count == 0 || pyr_move(&acc, sp, &x0, &y0, c);
        pyr_memo_put(slot, x0, y0, c, stop);
        if (stop) break;
    }
    for (int k = 0; k < 3; k++) out[k] = (uint8_t)c[k];
}

/* Filter row y of the level (the pixels with mask set; all when mask is
 * NULL): one dispatch to the SIMD variant per row. */
MS_SIMD_CLONES void ms__pyr_filter_row(const pyr_planes *pl, int64_t y,
                                       const uint8_t *src, const uint8_t *mask,
                                       const step_params *sp, pyr_memo *memo,
                                       uint8_t *dst)
{
    for (int64_t x = 0; x < pl->w; x++) {
        if (mask && !mask[x]) continue;
        shift_pixel(pl, x, y, src + x * 3, sp, memo, dst + x * 3);
    }
}
