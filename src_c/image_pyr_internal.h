/*
 * image_pyr_internal.h - what the files of the pyramid filter share: the
 * form in which a level reaches the mean-shift steps, and the steps
 * between levels and within one that the driver (image_pyr.c) calls.
 */
#ifndef MS_IMAGE_PYR_INTERNAL_H
#define MS_IMAGE_PYR_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ms_internal.h"

/* Most window columns scanned together on SIMD lanes: the planes are
 * padded by as many columns (and, transposed, rows). */
#define PYR_LANES 32

/* One level's source image, as three int16 planes (stride columns per
 * row, at least w + PYR_LANES - 1, so that a full lane group may start at
 * any column of the window) and the same planes transposed (t[k][x *
 * tstride + y], tstride >= h + PYR_LANES - 1), which hold a window column
 * in consecutive lanes. */
typedef struct pyr_planes {
    const int16_t *p[3], *t[3];
    int64_t h, w, stride, tstride;
} pyr_planes;

/* Per-level constants of the steps. */
typedef struct step_params {
    float sp;          /* window half-side at this level */
    int32_t r2;        /* round(sr^2), clamped to 3 * 255^2 */
    int max_iter;      /* 1..100 */
    int64_t eps_floor; /* the stop test |dx| + |dy| + |dc|^2 <= eps, in integers */
    int64_t isp;       /* sp where x +- sp is exact in float for every x, else -1 */
} step_params;

/* Integer sums over the pixels of a window that pass the colour test. */
typedef struct win_sums {
    int64_t count, sx, sy, s[3];
} win_sums;

/* A thread's table of steps already taken on a level: the state (x, y,
 * colour) a step started from and the state it reached.  A step depends
 * on its state alone, so a path that meets a recorded state may take the
 * recorded move instead of its window sums, with the same bytes; paths of
 * neighbouring pixels often meet once they near a mode.  Direct-mapped:
 * a new entry replaces the old one in its slot. */
#define PYR_MEMO_BITS 13
#define PYR_MEMO_SIZE ((int64_t)1 << PYR_MEMO_BITS)
/* Bit of c1 that says the steps stop at the reached state. */
#define PYR_MEMO_STOP (1 << 24)
typedef struct pyr_memo {
    int32_t x, y, c;    /* the state; x < 0: empty slot */
    int32_t x1, y1, c1; /* the next state; c1 has PYR_MEMO_STOP */
} pyr_memo;

/* Whether a level's coordinates fit the table's int32 fields. */
MS_ALWAYS_INLINE int pyr_memo_fits(int64_t h, int64_t w)
{
    return h < INT32_MAX && w < INT32_MAX;
}

MS_ALWAYS_INLINE int32_t pyr_pack(const int32_t c[3])
{
    return c[0] | c[1] << 8 | c[2] << 16;
}

/* The slot of state (x, y, packed colour). */
MS_ALWAYS_INLINE pyr_memo *pyr_memo_slot(pyr_memo *memo, int64_t x, int64_t y, int32_t c)
{
    const uint64_t k = (uint64_t)x * 0x9E3779B97F4A7C15u ^
                       (uint64_t)y * 0xC2B2AE3D27D4EB4Fu ^
                       (uint64_t)c * 0x165667B19E3779F9u;
    return memo + (k >> (64 - PYR_MEMO_BITS));
}

/* The step from (x0, y0, c) in the table (memo may be NULL): on a hit,
 * the state moves and the result is 1 (stop there) or 0 (go on); on a
 * miss the result is -1 and *slot, when not NULL, awaits pyr_memo_put. */
MS_ALWAYS_INLINE int pyr_memo_get(pyr_memo *memo, int64_t *x0, int64_t *y0, int32_t c[3],
                                  pyr_memo **slot)
{
    *slot = NULL;
    if (memo == NULL) return -1;
    const int32_t key = pyr_pack(c);
    pyr_memo *e = pyr_memo_slot(memo, *x0, *y0, key);
    if (e->x == *x0 && e->y == *y0 && e->c == key) {
        *x0 = e->x1;
        *y0 = e->y1;
        c[0] = e->c1 & 0xFF;
        c[1] = e->c1 >> 8 & 0xFF;
        c[2] = e->c1 >> 16 & 0xFF;
        return (e->c1 & PYR_MEMO_STOP) != 0;
    }
    e->x = (int32_t)*x0;
    e->y = (int32_t)*y0;
    e->c = key;
    *slot = e;
    return -1;
}

/* Record in slot (from pyr_memo_get; NULL: nothing) the state reached. */
MS_ALWAYS_INLINE void pyr_memo_put(pyr_memo *slot, int64_t x1, int64_t y1,
                                   const int32_t c[3], int stop)
{
    if (slot == NULL) return;
    slot->x1 = (int32_t)x1;
    slot->y1 = (int32_t)y1;
    slot->c1 = pyr_pack(c) | (stop ? PYR_MEMO_STOP : 0);
}

/* The window of the step at (x0, y0): its ends rounded as cvRound rounds
 * a float (to nearest, ties to even: the default rounding mode), clipped
 * to the level. */
MS_ALWAYS_INLINE void pyr_window(const pyr_planes *pl, const step_params *sp, int64_t x0,
                                 int64_t y0, int64_t *minx, int64_t *maxx, int64_t *miny,
                                 int64_t *maxy)
{
    int64_t x_lo, y_lo, x_hi, y_hi;
    if (sp->isp >= 0) {
        /* the float sums are whole numbers below 2^24: exact */
        x_lo = x0 - sp->isp;
        y_lo = y0 - sp->isp;
        x_hi = x0 + sp->isp;
        y_hi = y0 + sp->isp;
    } else {
        x_lo = (int64_t)lrintf((float)x0 - sp->sp);
        y_lo = (int64_t)lrintf((float)y0 - sp->sp);
        x_hi = (int64_t)lrintf((float)x0 + sp->sp);
        y_hi = (int64_t)lrintf((float)y0 + sp->sp);
    }
    *minx = x_lo < 0 ? 0 : x_lo;
    *miny = y_lo < 0 ? 0 : y_lo;
    *maxx = x_hi > pl->w - 1 ? pl->w - 1 : x_hi;
    *maxy = y_hi > pl->h - 1 ? pl->h - 1 : y_hi;
}

/* One move from the window sums acc (count > 0): (x0, y0, c) become the
 * rounded means; returns whether the steps stop there. */
MS_ALWAYS_INLINE int pyr_move(const win_sums *acc, const step_params *sp, int64_t *x0,
                              int64_t *y0, int32_t c[3])
{
    /* OpenCV multiplies by the rounded reciprocal, not divides. */
    const double inv = 1.0 / (double)acc->count;
    const int64_t x1 = (int64_t)llrint((double)acc->sx * inv);
    const int64_t y1 = (int64_t)llrint((double)acc->sy * inv);
    int64_t moved = llabs(x1 - *x0) + llabs(y1 - *y0);
    for (int k = 0; k < 3; k++) {
        const int32_t c1 = (int32_t)llrint((double)acc->s[k] * inv);
        moved += (int64_t)(c1 - c[k]) * (c1 - c[k]);
        c[k] = c1;
    }
    const int stop = (*x0 == x1 && *y0 == y1) || moved <= sp->eps_floor;
    *x0 = x1;
    *y0 = y1;
    return stop;
}

/* Between levels (image_pyr_levels.c), with OpenCV's rounding and borders. */
ms_status ms__pyr_down(ms_runtime *rt, const uint8_t *src, int64_t h, int64_t w,
                       uint8_t *dst, int64_t dh, int64_t dw);
void ms__pyr_up_row(const uint8_t *src, int64_t h, int64_t w, int64_t y, uint8_t *dst,
                    int64_t dw, int32_t *rows);
int64_t ms__pyr_mark_row(const uint8_t *coarse, int64_t h1, int64_t w1, int32_t r2,
                         int64_t y, int64_t w, uint8_t *row);
void ms__pyr_dilated_row(const uint8_t *marks, int64_t h, int64_t w, int64_t y,
                         uint8_t *out);

/* Within a level (image_pyr_steps.c): filter row y, the pixels with mask
 * set (all when mask is NULL), with the thread's table of steps (NULL:
 * none). */
void ms__pyr_filter_row(const pyr_planes *pl, int64_t y, const uint8_t *src,
                        const uint8_t *mask, const step_params *sp, pyr_memo *memo,
                        uint8_t *dst);

/* The same row on AVX2 (image_pyr_avx2.c), where the toolchain can build
 * it and the CPU runs it: ms__pyr_avx2_fits says whether a level may use
 * it (its windows and colour radius fit the kernel's lanes). */
int ms__pyr_avx2_fits(const pyr_planes *pl, const step_params *sp);
void ms__pyr_filter_row_avx2(const pyr_planes *pl, int64_t y, const uint8_t *src,
                             const uint8_t *mask, const step_params *sp, pyr_memo *memo,
                             uint8_t *dst);

#endif /* MS_IMAGE_PYR_INTERNAL_H */
