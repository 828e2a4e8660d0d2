/*
 * image_pyr_internal.h - what the files of the pyramid filter share: the
 * form in which a level reaches the mean-shift steps, and the steps
 * between levels and within one that the driver (image_pyr.c) calls.
 */
#ifndef MS_IMAGE_PYR_INTERNAL_H
#define MS_IMAGE_PYR_INTERNAL_H

#include <stdint.h>

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
} step_params;

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
 * set (all when mask is NULL). */
void ms__pyr_filter_row(const pyr_planes *pl, int64_t y, const uint8_t *src,
                        const uint8_t *mask, const step_params *sp, uint8_t *dst);

#endif /* MS_IMAGE_PYR_INTERNAL_H */
