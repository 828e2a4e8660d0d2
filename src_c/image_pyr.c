/*
 * image_pyr.c - pyramid mean-shift filtering of 8-bit, 3-channel images,
 * with the bytes OpenCV's cv::pyrMeanShiftFiltering writes.
 *
 * OpenCV's procedure, restated:
 *   - A Gaussian pyramid of max_level levels below the image is built with
 *     pyrDown (a 5x5 binomial kernel, reflect-101 borders, (sum + 128) >> 8).
 *   - The coarsest level is filtered whole.  Each finer level starts as the
 *     pyrUp of the filtered level above it (taps 1 6 1 and 4 4 in each
 *     direction, (sum + 32) >> 6, its own borders: see pyr_up), and only
 *     the pixels near a colour edge of the coarser result are filtered
 *     again.
 *   - Filtering a pixel: from (x, y, c) = (its column, its row, its colour),
 *     take the pixels of the square window [x - sp, x + sp] x [y - sp, y + sp]
 *     (ends rounded half to even in float, clipped to the image) whose
 *     squared colour distance to c is at most round(sr^2); move to the
 *     rounded means of their positions and colours.  Stop when the window
 *     holds none, when the position did not move, when |dx| + |dy| + |dc|^2
 *     <= eps, or after max_iter steps.  The pixel becomes the last c.
 *   - sp halves from level to level (never below 1).
 * Every pixel depends only on the level's source image, so rows run in
 * parallel and the bytes do not depend on the thread count.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meanshift.h"
#include "parallel.h"

/* OpenCV's limits: at most 8 levels below the image, 1..100 steps. */
#define PYR_MAX_LEVEL 8
#define PYR_MAX_ITER 100
/* Largest accepted radii: beyond them OpenCV's int conversions overflow,
 * and windows or colour balls this large already hold everything. */
#define PYR_MAX_SP 1e6
#define PYR_MAX_SR 1e4

/* Most window columns scanned together on SIMD lanes. */
#define PYR_LANES 32
/* The uint16 lane sums hold at most this many window rows at once. */
#define PYR_ROW_BLOCK 256
/* Levels with fewer pixel tests than this (filtered pixels times window
 * area, one step each: about a millisecond) are filtered on one thread. */
#define PYR_SMALL_WORK 2.0e6
/* The uint16 lanes can test squared colour distances up to this bound
 * (three clamped squares of at most bound + 1 each fit in 16 bits). */
#define PYR_LANE_MAX_R2 21844

/* OpenCV's borderInterpolate for BORDER_REFLECT_101. */
static int64_t reflect101(int64_t p, int64_t n)
{
    if (n == 1) return 0;
    while (p < 0 || p >= n) p = p < 0 ? -p : 2 * (n - 1) - p;
    return p;
}

/* ---- pyramid steps ------------------------------------------------------ */

/* dst (dh x dw, dh = (h + 1) / 2, dw = (w + 1) / 2) = pyrDown(src (h x w)):
 * weights 1 4 6 4 1 in each direction, reflect-101 borders.  The integer
 * sums are exact, so the vertical pass may come first. */
static ms_status pyr_down(ms_runtime *rt, const uint8_t *src, int64_t h, int64_t w,
                          uint8_t *dst, int64_t dh, int64_t dw)
{
    static const int k5[5] = {1, 4, 6, 4, 1};
    int32_t *col = ms_alloc(rt, (size_t)(w * 3), sizeof(int32_t));
    int64_t *xs = ms_alloc(rt, (size_t)(dw * 5), sizeof(int64_t));
    if (col == NULL || xs == NULL) {
        ms_free(col);
        ms_free(xs);
        return MS_ERR_NOMEM;
    }
    for (int64_t x = 0; x < dw; x++)
        for (int t = 0; t < 5; t++) xs[x * 5 + t] = reflect101(2 * x + t - 2, w) * 3;
    for (int64_t y = 0; y < dh; y++) {
        const uint8_t *r[5];
        for (int t = 0; t < 5; t++) r[t] = src + reflect101(2 * y + t - 2, h) * w * 3;
        for (int64_t i = 0; i < w * 3; i++)
            col[i] = r[0][i] + 4 * (r[1][i] + r[3][i]) + 6 * r[2][i] + r[4][i];
        uint8_t *out = dst + y * dw * 3;
        for (int64_t x = 0; x < dw; x++) {
            const int64_t *sx = xs + x * 5;
            for (int c = 0; c < 3; c++) {
                int32_t s = 0;
                for (int t = 0; t < 5; t++) s += k5[t] * col[sx[t] + c];
                out[x * 3 + c] = (uint8_t)((s + 128) >> 8);
            }
        }
    }
    ms_free(col);
    ms_free(xs);
    return MS_OK;
}

/* One row of pyrUp's horizontal pass: out[2x] = s[x-1] + 6 s[x] + s[x+1],
 * out[2x+1] = 4 (s[x] + s[x+1]), reflect-101 on the left and the last
 * pixel repeated on the right (OpenCV's pyrUp treats its two sides
 * differently). */
static void pyr_up_row(const uint8_t *s, int64_t w, int32_t *out)
{
    for (int64_t x = 0; x < w; x++) {
        const int64_t xl = x > 0 ? x - 1 : (w > 1 ? 1 : 0);
        const int64_t xr = x + 1 < w ? x + 1 : w - 1;
        for (int c = 0; c < 3; c++) {
            const int32_t a = s[xl * 3 + c], b = s[x * 3 + c], d = s[xr * 3 + c];
            out[(2 * x) * 3 + c] = a + 6 * b + d;
            out[(2 * x + 1) * 3 + c] = 4 * (b + d);
        }
    }
}

/* Row y of dst (dh x dw, dh in {2h - 1, 2h}, likewise dw) = pyrUp(src
 * (h x w)); rows (3 x 2 w x 3) is scratch.  Vertically, source row s
 * stands for row reflect101(2 s, 2 h) / 2, which is reflect-101 at the top
 * and the last row repeated at the bottom; even rows take taps 1 6 1 of
 * source rows y/2 - 1, y/2, y/2 + 1, odd rows 4 4 of rows y/2, y/2 + 1. */
static void pyr_up_out_row(const uint8_t *src, int64_t h, int64_t w, int64_t y,
                           uint8_t *dst, int64_t dw, int32_t *rows)
{
    const int64_t half = y / 2;
    const int odd = (int)(y % 2);
    int32_t *r[3];
    for (int t = odd; t < 3; t++) {
        r[t] = rows + t * 2 * w * 3;
        const int64_t sy = reflect101(2 * (half + t - 1), 2 * h) / 2;
        pyr_up_row(src + sy * w * 3, w, r[t]);
    }
    uint8_t *out = dst + y * dw * 3;
    if (odd)
        for (int64_t i = 0; i < dw * 3; i++)
            out[i] = (uint8_t)((4 * (r[1][i] + r[2][i]) + 32) >> 6);
    else
        for (int64_t i = 0; i < dw * 3; i++)
            out[i] = (uint8_t)((r[0][i] + 6 * r[1][i] + r[2][i] + 32) >> 6);
}

/* Squared colour distance of two interleaved pixels. */
MS_ALWAYS_INLINE int32_t colour_d2(const uint8_t *a, const uint8_t *b)
{
    const int32_t d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
    return d0 * d0 + d1 * d1 + d2 * d2;
}

/* The pixels of a finer level (h x w) that are filtered again: OpenCV
 * marks, for every inner pixel (i, j) of the coarser result (h1 x w1) with
 * a neighbour at squared colour distance >= r2, the pixel (2 i + 1,
 * 2 j - 1) of the finer level, then dilates the marks by a 3x3 square.
 * mark_row writes row y (all w entries) of the marks and returns their
 * number; dilated_row, once every row is marked, row y of the dilated
 * marks. */
static int64_t mark_row(const uint8_t *coarse, int64_t h1, int64_t w1, int32_t r2,
                        int64_t y, int64_t w, uint8_t *row)
{
    memset(row, 0, (size_t)w);
    const int64_t i = (y - 1) / 2;
    int64_t n = 0;
    if (y % 2 == 0 || i < 1 || i >= h1 - 1) return 0;
    for (int64_t j = 1; j < w1 - 1; j++) {
        const uint8_t *p = coarse + (i * w1 + j) * 3;
        int edge = 0;
        for (int64_t dy = -1; dy <= 1 && !edge; dy++)
            for (int64_t dx = -1; dx <= 1; dx++) {
                if ((dy | dx) == 0) continue;
                if (colour_d2(p, p + (dy * w1 + dx) * 3) >= r2) {
                    edge = 1;
                    break;
                }
            }
        row[2 * j - 1] = (uint8_t)edge;
        n += edge;
    }
    return n;
}

static void dilated_row(const uint8_t *marks, int64_t h, int64_t w, int64_t y,
                        uint8_t *out)
{
    const uint8_t *up = marks + (y > 0 ? y - 1 : y) * w, *mid = marks + y * w;
    const uint8_t *down = marks + (y + 1 < h ? y + 1 : y) * w;
    for (int64_t x = 0; x < w; x++) out[x] = up[x] | mid[x] | down[x];
    uint8_t left = 0;
    for (int64_t x = 0; x < w; x++) {
        const uint8_t here = out[x], right = x + 1 < w ? out[x + 1] : 0;
        out[x] = left | here | right;
        left = here;
    }
}

/* ---- the mean-shift steps ----------------------------------------------- */

/* One level's source image, as three int16 planes (stride columns per
 * row, at least w + PYR_LANES - 1, so that a full lane group may start at
 * any column of the window) and the same planes transposed (t[k][x *
 * tstride + y], tstride >= h + PYR_LANES - 1), which hold a window column
 * in consecutive lanes. */
typedef struct pyr_planes {
    const int16_t *p[3], *t[3];
    int64_t h, w, stride, tstride;
} pyr_planes;

/* Integer sums over the pixels of a window that pass the colour test. */
typedef struct win_sums {
    int64_t count, sx, sy, s[3];
} win_sums;

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

/* Per-level constants of the steps. */
typedef struct step_params {
    float sp;          /* window half-side at this level */
    int32_t r2;        /* round(sr^2), clamped to 3 * 255^2 */
    int max_iter;      /* 1..100 */
    int64_t eps_floor; /* the stop test |dx| + |dy| + |dc|^2 <= eps, in integers */
} step_params;

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

/* cvRound of a float and of a double: to nearest, ties to even (the
 * default rounding mode). */
MS_ALWAYS_INLINE int64_t round_f(float v) { return (int64_t)lrintf(v); }
MS_ALWAYS_INLINE int64_t round_d(double v) { return (int64_t)llrint(v); }

/* Filter the pixel at (x, y) of the level; its final colour goes to out. */
MS_ALWAYS_INLINE void shift_pixel(const pyr_planes *pl, int64_t x, int64_t y,
                                  const uint8_t *colour, const step_params *sp,
                                  uint8_t *out)
{
    int64_t x0 = x, y0 = y;
    int32_t c[3] = {colour[0], colour[1], colour[2]};
    for (int it = 0; it < sp->max_iter; it++) {
        int64_t minx = round_f((float)x0 - sp->sp), miny = round_f((float)y0 - sp->sp);
        int64_t maxx = round_f((float)x0 + sp->sp), maxy = round_f((float)y0 + sp->sp);
        if (minx < 0) minx = 0;
        if (miny < 0) miny = 0;
        if (maxx > pl->w - 1) maxx = pl->w - 1;
        if (maxy > pl->h - 1) maxy = pl->h - 1;
        win_sums acc = {0, 0, 0, {0, 0, 0}};
        window_sums(pl, minx, maxx, miny, maxy, c, sp->r2, &acc);
        if (acc.count == 0) break;
        /* OpenCV multiplies by the rounded reciprocal, not divides. */
        const double inv = 1.0 / (double)acc.count;
        const int64_t x1 = round_d((double)acc.sx * inv);
        const int64_t y1 = round_d((double)acc.sy * inv);
        int32_t c1[3];
        int64_t moved = llabs(x1 - x0) + llabs(y1 - y0);
        for (int k = 0; k < 3; k++) {
            c1[k] = (int32_t)round_d((double)acc.s[k] * inv);
            moved += (int64_t)(c1[k] - c[k]) * (c1[k] - c[k]);
        }
        const int stop = (x0 == x1 && y0 == y1) || moved <= sp->eps_floor;
        x0 = x1;
        y0 = y1;
        for (int k = 0; k < 3; k++) c[k] = c1[k];
        if (stop) break;
    }
    for (int k = 0; k < 3; k++) out[k] = (uint8_t)c[k];
}

/* Filter row y of the level (the pixels with mask set; all when mask is
 * NULL): one dispatch to the SIMD variant per row. */
MS_SIMD_CLONES static void filter_row(const pyr_planes *pl, int64_t y, const uint8_t *src,
                                      const uint8_t *mask, const step_params *sp,
                                      uint8_t *dst)
{
    for (int64_t x = 0; x < pl->w; x++) {
        if (mask && !mask[x]) continue;
        shift_pixel(pl, x, y, src + x * 3, sp, dst + x * 3);
    }
}

/* ---- the driver --------------------------------------------------------- */

typedef struct pyr_level {
    int64_t h, w;
    uint8_t *src; /* pyrDown of the level below (level 0: the input) */
    uint8_t *dst; /* filtered (level 0: the output) */
} pyr_level;

/* Filter one level.  The top level: every pixel.  A finer level (coarse
 * = the filtered level above it, else NULL): the pyrUp of coarse, with the
 * pixels near its colour edges (edge_r2) filtered again; marks (h x w) is
 * scratch.  The edge marks and the int16 planes are made on the calling
 * thread; then, in one parallel region with no barrier but its end, each
 * row gets its pyrUp, its mask and its steps.  Levels with little to do
 * run on one thread: threads that wait at a barrier cost more than such
 * a level on a loaded machine. */
static ms_status filter_level(ms_runtime *rt, const pyr_level *lv,
                              const pyr_level *coarse, int32_t edge_r2, uint8_t *marks,
                              const step_params *sp, int64_t *rows_done,
                              int64_t rows_total)
{
    const int64_t h = lv->h, w = lv->w, stride = w + PYR_LANES, tstride = h + PYR_LANES;
    int16_t *planes =
        ms_alloc(rt, (size_t)(3 * (h * stride + w * tstride)), sizeof(int16_t));
    if (planes == NULL) return MS_ERR_NOMEM;
    int16_t *tplanes = planes + 3 * h * stride;
    pyr_planes pl = {{planes, planes + h * stride, planes + 2 * h * stride},
                     {tplanes, tplanes + w * tstride, tplanes + 2 * w * tstride},
                     h,
                     w,
                     stride,
                     tstride};
    /* pixels filtered: at most nine per mark */
    int64_t n_pixels = h * w;
    if (coarse) {
        int64_t n_marks = 0;
        for (int64_t y = 0; y < h; y++)
            n_marks +=
                mark_row(coarse->dst, coarse->h, coarse->w, edge_r2, y, w, marks + y * w);
        if (9 * n_marks < n_pixels) n_pixels = 9 * n_marks;
    }
    for (int64_t y = 0; y < h; y++)
        for (int k = 0; k < 3; k++) {
            int16_t *row = planes + k * h * stride + y * stride;
            for (int64_t x = 0; x < w; x++) row[x] = lv->src[(y * w + x) * 3 + k];
            for (int64_t x = w; x < stride; x++) row[x] = 0;
        }
    /* The transposed planes, in 32 x 32 tiles that stay in cache. */
    for (int k = 0; k < 3; k++) {
        const int16_t *p = pl.p[k];
        int16_t *t = tplanes + k * w * tstride;
        for (int64_t y0 = 0; y0 < h; y0 += 32)
            for (int64_t x0 = 0; x0 < w; x0 += 32) {
                const int64_t y1 = y0 + 32 < h ? y0 + 32 : h,
                              x1 = x0 + 32 < w ? x0 + 32 : w;
                for (int64_t x = x0; x < x1; x++)
                    for (int64_t y = y0; y < y1; y++)
                        t[x * tstride + y] = p[y * stride + x];
            }
        for (int64_t x = 0; x < w; x++)
            for (int64_t y = h; y < tstride; y++) t[x * tstride + y] = 0;
    }
    const double side = 2.0 * (double)sp->sp + 1.0;
    int n_threads = ms_num_threads(rt->cfg);
    if ((double)n_pixels * side * side < PYR_SMALL_WORK) n_threads = 1;
    ms_loop loop;
    ms_loop_init(&loop, rt, rows_total, 1);
    loop.done = *rows_done; /* the count runs on from the coarser levels */
    /* per thread, on a finer level: pyrUp's expanded rows, then one row of
     * the mask */
    const int64_t up_len = coarse ? 3 * 2 * coarse->w * 3 : 0;
    MS_OMP(parallel num_threads(n_threads) if (n_threads > 1))
    {
        int32_t *up = NULL;
        uint8_t *mrow = NULL;
        if (coarse) {
            up = ms_loop_scratch(&loop, (size_t)(up_len + (w + 3) / 4), sizeof(int32_t));
            if (up != NULL) mrow = (uint8_t *)(up + up_len);
        }
        /* the coarsest level needs no scratch */
        const void *scratch = coarse ? (const void *)up : (const void *)lv;
        int64_t mine = 0;
        MS_OMP(for schedule(dynamic, 1))
        for (int64_t y = 0; y < h; y++) {
            if (ms_loop_halted(&loop, scratch)) continue;
            if (coarse) {
                pyr_up_out_row(coarse->dst, coarse->h, coarse->w, y, lv->dst, w, up);
                dilated_row(marks, h, w, y, mrow);
            }
            filter_row(&pl, y, lv->src + y * w * 3, mrow, sp, lv->dst + y * w * 3);
            ms_loop_tick(&loop, 1, &mine);
        }
        ms_free(up);
    }
    ms_free(planes);
    *rows_done = loop.done;
    const ms_status st = ms_loop_status(&loop);
    if (st != MS_OK) return st;
    /* The master thread may have had no row to report after: ask once
     * more, so that every level gives the callback a chance to stop. */
    if (ms_report_progress(rt->cfg, loop.done, rows_total)) return MS_ERR_INTERRUPTED;
    return MS_OK;
}

ms_status ms_pyr_mean_shift_u8c3(const uint8_t *src, int64_t height, int64_t width,
                                 double sp, double sr, int max_level, int max_iter,
                                 double eps, const ms_config *cfg, uint8_t *dst)
{
    if (src == NULL || dst == NULL || height < 1 || width < 1 || !(sp > 0.0) ||
        !(sp <= PYR_MAX_SP) || !(sr >= 0.0) || !(sr <= PYR_MAX_SR) || max_level < 0 ||
        max_level > PYR_MAX_LEVEL || max_iter < 1 || max_iter > PYR_MAX_ITER ||
        !(eps >= 0.0))
        return MS_ERR_INVALID;
    if (height > INT64_MAX / 4 / width) return MS_ERR_INVALID;
    const ms_config fallback = ms_config_default();
    ms_runtime rt;
    ms_runtime_init(&rt, cfg ? cfg : &fallback);

    pyr_level lv[PYR_MAX_LEVEL + 1];
    memset(lv, 0, sizeof(lv));
    lv[0].h = height;
    lv[0].w = width;
    lv[0].src = (uint8_t *)src; /* read only */
    lv[0].dst = dst;
    ms_status st = MS_OK;
    int64_t rows_total = 0, rows_done = 0;
    uint8_t *marks = NULL;
    for (int l = 1; l <= max_level; l++) {
        lv[l].h = (lv[l - 1].h + 1) / 2;
        lv[l].w = (lv[l - 1].w + 1) / 2;
        const size_t n = (size_t)(lv[l].h * lv[l].w * 3);
        lv[l].src = ms_alloc(&rt, n, 1);
        lv[l].dst = ms_alloc(&rt, n, 1);
        if (lv[l].src == NULL || lv[l].dst == NULL) {
            st = MS_ERR_NOMEM;
            goto done;
        }
    }
    for (int l = 0; l <= max_level; l++) rows_total += lv[l].h;
    if (max_level > 0) {
        marks = ms_alloc(&rt, (size_t)(height * width), 1);
        if (marks == NULL) {
            st = MS_ERR_NOMEM;
            goto done;
        }
    }
    for (int l = 1; l <= max_level && st == MS_OK; l++)
        st = pyr_down(&rt, lv[l - 1].src, lv[l - 1].h, lv[l - 1].w, lv[l].src, lv[l].h,
                      lv[l].w);

    step_params p;
    /* OpenCV's round(sr^2) for the steps and MAX(round(sr^2), 16) for the
     * edge marks.  Past 3 * 255^2 every colour passes the steps' test and
     * no pair is an edge: the same tests, kept in 32 bits. */
    const int64_t sr2 = llrint(sr * sr);
    const int64_t max_d2 = 3 * 255 * 255;
    p.r2 = (int32_t)(sr2 < max_d2 ? sr2 : max_d2);
    const int32_t edge_r2 = (int32_t)(sr2 < 16 ? 16 : (sr2 <= max_d2 ? sr2 : max_d2 + 1));
    p.max_iter = max_iter;
    p.eps_floor = eps >= 9.0e18 ? INT64_MAX : (int64_t)floor(eps);
    for (int l = max_level; l >= 0 && st == MS_OK; l--) {
        float spl = (float)(sp / (double)(1 << l));
        p.sp = spl > 1.0f ? spl : 1.0f;
        st = filter_level(&rt, &lv[l], l < max_level ? &lv[l + 1] : NULL, edge_r2, marks,
                          &p, &rows_done, rows_total);
    }
done:
    ms_free(marks);
    for (int l = 1; l <= max_level; l++) {
        ms_free(lv[l].src);
        ms_free(lv[l].dst);
    }
    return st;
}
