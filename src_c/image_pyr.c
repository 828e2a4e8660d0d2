/*
 * image_pyr.c - pyramid mean-shift filtering of 8-bit, 3-channel images,
 * with the bytes OpenCV's cv::pyrMeanShiftFiltering writes.
 *
 * OpenCV's procedure, restated:
 *   - A Gaussian pyramid of max_level levels below the image is built with
 *     pyrDown (a 5x5 binomial kernel, reflect-101 borders, (sum + 128) >> 8).
 *   - The coarsest level is filtered whole.  Each finer level starts as the
 *     pyrUp of the filtered level above it (taps 1 6 1 and 4 4 in each
 *     direction, (sum + 32) >> 6, its own borders: see image_pyr_levels.c), and only
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
 *
 * This file is the driver: the levels, their order, and the parallel loop
 * over the rows of each.  The steps between levels are in
 * image_pyr_levels.c, the mean-shift steps in image_pyr_steps.c.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "image_pyr_internal.h"
#include "meanshift.h"
#include "parallel.h"

/* OpenCV's limits: at most 8 levels below the image, 1..100 steps. */
#define PYR_MAX_LEVEL 8
#define PYR_MAX_ITER 100
/* Largest accepted radii: beyond them OpenCV's int conversions overflow,
 * and windows or colour balls this large already hold everything. */
#define PYR_MAX_SP 1e6
#define PYR_MAX_SR 1e4
/* Levels with fewer pixel tests than this (filtered pixels times window
 * area, one step each: about a millisecond) are filtered on one thread. */
#define PYR_SMALL_WORK 2.0e6

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
            n_marks += ms__pyr_mark_row(coarse->dst, coarse->h, coarse->w, edge_r2, y, w,
                                        marks + y * w);
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
    const int avx2 = ms__pyr_avx2_fits(&pl, sp);
    const double side = 2.0 * (double)sp->sp + 1.0;
    int n_threads = ms_num_threads(rt->cfg);
    if ((double)n_pixels * side * side < PYR_SMALL_WORK) n_threads = 1;
    (void)n_threads; /* read only by the OpenMP directive */
    ms_loop loop;
    ms_loop_init(&loop, rt, rows_total, 1);
    loop.done = *rows_done; /* the count runs on from the coarser levels */
    /* per thread: the table of steps, then on a finer level a row of
     * pyrUp's vertical sums and one row of the mask */
    const int64_t up_len = coarse ? coarse->w * 3 : 0;
    const int64_t memo_len = PYR_MEMO_SIZE * (int64_t)sizeof(pyr_memo) / 4;
    MS_OMP(parallel num_threads(n_threads) if (n_threads > 1))
    {
        int32_t *scratch = ms_loop_scratch(
            &loop, (size_t)(memo_len + up_len + (coarse ? (w + 3) / 4 : 0)),
            sizeof(int32_t));
        pyr_memo *memo = NULL;
        int32_t *up = NULL;
        uint8_t *mrow = NULL;
        if (scratch != NULL) {
            if (pyr_memo_fits(h, w)) {
                memo = (pyr_memo *)scratch;
                for (int64_t i = 0; i < PYR_MEMO_SIZE; i++) memo[i].x = -1;
            }
            up = scratch + memo_len;
            if (coarse) mrow = (uint8_t *)(up + up_len);
        }
        int64_t mine = 0;
        int64_t y;
        MS_OMP(for schedule(dynamic, 1))
        for (y = 0; y < h; y++) {
            if (ms_loop_halted(&loop, scratch)) continue;
            if (coarse) {
                ms__pyr_up_row(coarse->dst, coarse->h, coarse->w, y, lv->dst, w, up);
                ms__pyr_dilated_row(marks, h, w, y, mrow);
            }
            if (avx2)
                ms__pyr_filter_row_avx2(&pl, y, lv->src + y * w * 3, mrow, sp, memo,
                                        lv->dst + y * w * 3);
            else
                ms__pyr_filter_row(&pl, y, lv->src + y * w * 3, mrow, sp, memo,
                                   lv->dst + y * w * 3);
            ms_loop_tick(&loop, 1, &mine);
        }
        ms_free(scratch);
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
        st = ms__pyr_down(&rt, lv[l - 1].src, lv[l - 1].h, lv[l - 1].w, lv[l].src,
                          lv[l].h, lv[l].w);

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
        /* whole sp: the window's ends x +- sp need no float rounding
         * while every x + sp stays below 2^24 */
        const int64_t side = lv[l].h > lv[l].w ? lv[l].h : lv[l].w;
        p.isp = p.sp == floorf(p.sp) && (double)p.sp + (double)side < 16777216.0
                    ? (int64_t)p.sp
                    : -1;
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
