/*
 * image_filter.c - exact mean shift filtering of images and volumes in the
 * joint spatial-range domain (Comaniciu and Meer, 2002).
 *
 * Every pixel is a point (position, colour).  A step moves the state
 * (x, c) to the kernel-weighted mean of the pixels q with
 * |pos_q - x| <= hs and |colour_q - c| <= hr: a spatial disk (ball, for
 * volumes) times a colour ball.  A pixel's path is a function of its
 * state alone, so a state reached twice has the same future: finished
 * paths are kept in a per-thread table of states and a later path that
 * reaches one of them stops there with the recorded answer.  A table hit
 * gives exactly what the steps would give, so results do not depend on
 * which thread ran which pixel.
 *
 * This file follows each pixel's path and runs the pixels in parallel;
 * the window sums of a step are in image_filter_window.c, the table of
 * states in image_filter_table.c.
 */
#include <math.h>
#include <string.h>

#include "image_filter_internal.h"
#include "parallel.h"

/* States of one path kept for the table (the first ones: later states
 * are rarely reached by other paths before this one ends). */
#define PATH_STATES 64

/* Columns of the tiles a thread filters, row by row within a tile: on
 * astronaut (hs 6, hr 4.5) tiles of 16 took 6% fewer window scans than
 * whole rows, 32 and 64 a little less.  A tile row is also the
 * MS_FIRST_PIXELS pixels whose first steps are summed together. */
#define TILE MS_FIRST_PIXELS

/* Most slots of a thread's table of states. */
#define TABLE_SLOTS 4096

/* Per-thread buffers, carved from one block of scratch. */
typedef struct worker {
    state_table table;
    double *cur;      /* 3 + c: the state */
    double *sums;     /* 4 + c */
    double *path;     /* PATH_STATES x (3 + c): states the path went on from */
    int64_t *steps;   /* PATH_STATES: steps taken on reaching each */
    uint64_t *hashes; /* PATH_STATES: their hashes in the table */
    double *scratch;
    double *first; /* MS_FIRST_PIXELS x (4 + c): first steps' sums */
} worker;

/* Filter pixel i, at (z, y, x), writing its colour to out (c doubles);
 * first: the sums of its first step, or NULL to take them here. */
static void filter_pixel(const image_ctx *g, worker *wk, int64_t i, int64_t z, int64_t y,
                         int64_t x, const double *first, double *out)
{
    const int64_t c = g->c, klen = 3 + c;
    double *MS_RESTRICT cur = wk->cur;
    double *MS_RESTRICT sums = wk->sums;
    cur[0] = (double)z;
    cur[1] = (double)y;
    cur[2] = (double)x;
    for (int64_t k = 0; k < c; k++) cur[3 + k] = g->planes[k * g->stride + i];
    const double *result = cur + 3;
    int64_t it = 0, n_path = 0;
    int ended = 0; /* the path stopped by itself (not by max_iter) */
    while (it < g->max_iter) {
        if (it == 0 && first != NULL)
            memcpy(sums, first, (size_t)(4 + c) * sizeof(double));
        else
            ms__image_window_sums(g, cur, sums, wk->scratch);
        const double w = sums[0];
        if (!(w > 0.0)) {
            ended = 1;
            break;
        }
        double ds = 0.0, dc = 0.0;
        for (int64_t j = 0; j < 3; j++) {
            const double v = sums[1 + j] / w, u = v - cur[j];
            ds += u * u;
            cur[j] = v;
        }
        for (int64_t k = 0; k < c; k++) {
            const double v = sums[4 + k] / w, u = v - cur[3 + k];
            dc += u * u;
            cur[3 + k] = v;
        }
        it++;
        if (ds / g->hs_sq + dc / g->hr_sq <= g->tol2) {
            ended = 1;
            break;
        }
        if (it == g->max_iter) break;
        const uint64_t hash = ms__state_table_hash(&wk->table, cur);
        const double *hit = ms__state_table_find(&wk->table, cur, hash);
        if (hit != NULL) {
            const int64_t more = (int64_t)hit[klen + c];
            if (it + more <= g->max_iter) {
                result = hit + klen;
                it += more;
                ended = 1;
                break;
            }
        }
        if (n_path < PATH_STATES) {
            memcpy(wk->path + n_path * klen, cur, (size_t)klen * sizeof(double));
            wk->hashes[n_path] = hash;
            wk->steps[n_path++] = it;
        }
    }
    for (int64_t k = 0; k < c; k++) out[k] = result[k];
    if (ended)
        for (int64_t s = 0; s < n_path; s++)
            ms__state_table_put(&wk->table, wk->path + s * klen, wk->hashes[s], out, c,
                                it - wk->steps[s]);
}

/* Doubles in a worker's block, for a table of cap slots. */
static size_t worker_len(const image_ctx *g, int64_t cap)
{
    const int64_t c = g->c, klen = 3 + c;
    /* table, then cur, sums and the scratch partial sums, then the path,
     * its steps and its hashes (64-bit integers, as wide as a double) */
    return (size_t)(cap * (klen + c + 2) + klen + 4 + c + (2 + c) * LANES +
                    PATH_STATES * klen + 2 * PATH_STATES + MS_FIRST_PIXELS * (4 + c));
}

static void worker_init(worker *wk, double *block, const image_ctx *g, int64_t cap)
{
    const int64_t c = g->c, klen = 3 + c;
    ms__state_table_init(&wk->table, block, cap, klen, c);
    wk->cur = block + cap * wk->table.stride;
    wk->sums = wk->cur + klen;
    wk->scratch = wk->sums + 4 + c;
    wk->path = wk->scratch + (2 + c) * LANES;
    wk->steps = (int64_t *)(wk->path + PATH_STATES * klen);
    wk->hashes = (uint64_t *)(wk->steps + PATH_STATES);
    wk->first = (double *)(wk->hashes + PATH_STATES);
}

/* Most pixels a window's scan can take: its rows times its columns. */
static double window_pixels(int64_t nz, int64_t ny, int64_t nx, double hs)
{
    const double side = floor(2.0 * hs) + 3.0 + 8.0; /* with a chunk's overhang */
    const double sz = side < (double)nz ? side : (double)nz;
    const double sy = side < (double)ny ? side : (double)ny;
    const double sx = side < (double)nx ? side : (double)nx;
    return sz * sy * sx;
}

/* The quantum of the flat kernel's fixed-point colours: a power of two so
 * coarse that w pixels of magnitude at most maxabs, each rounded to a
 * multiple of it, sum to less than 2^62 multiples, and so fine that it
 * stays a normal number.  Integer colours are then multiples of it, and
 * are summed exactly; others are rounded by at most half of it, about
 * maxabs * w * 2^-62.  Returns 0 where no such quantum exists (colours
 * near the smallest doubles), or where it would not be far finer than the
 * range radius hr (a few colours far beyond the others, which would round
 * the rest away): the sums then take the colours as they are. */
static int fixed_point_quantum(double maxabs, double w, double hr, double *quantum)
{
    if (!(maxabs > 0.0)) {
        *quantum = 1.0;
        return 1;
    }
    int ea, ew;
    frexp(maxabs, &ea); /* maxabs < 2^ea */
    frexp(w, &ew);      /* w < 2^ew */
    const int e = ea + ew - 61;
    int er;
    frexp(hr, &er); /* hr >= 2^(er - 1) */
    if (e < -1000 || e > er - 1 - 40) return 0;
    *quantum = ldexp(1.0, e);
    return 1;
}

/* The planes' setup runs in this many blocks, shared among the threads. */
#define SETUP_BLOCKS 64

/* The colour planes from the interleaved image (zero past pixel n), on
 * n_threads; returns the largest colour magnitude (a maximum: the same
 * whatever the threads), or NaN where a colour is NaN or infinite. */
static double fill_planes(const double *MS_RESTRICT image, int64_t n, int64_t c,
                          int64_t stride, int n_threads, double *MS_RESTRICT planes)
{
    const int64_t len = (stride + SETUP_BLOCKS - 1) / SETUP_BLOCKS;
    double block_max[SETUP_BLOCKS];
    unsigned char block_bad[SETUP_BLOCKS];
    int64_t b;
    MS_OMP(parallel for num_threads(n_threads) schedule(static))
    for (b = 0; b < SETUP_BLOCKS; b++) {
        const int64_t i0 = b * len < stride ? b * len : stride;
        const int64_t i1 = i0 + len < stride ? i0 + len : stride;
        double m = 0.0;
        int bad = 0;
        for (int64_t i = i0; i < i1; i++)
            for (int64_t k = 0; k < c; k++) {
                const double v = i < n ? image[i * c + k] : 0.0;
                planes[k * stride + i] = v;
                m = fabs(v) > m ? fabs(v) : m;
                bad |= !isfinite(v);
            }
        block_max[b] = m;
        block_bad[b] = (unsigned char)bad;
    }
    double maxabs = 0.0;
    for (int64_t b = 0; b < SETUP_BLOCKS; b++) {
        if (block_bad[b]) return NAN;
        maxabs = block_max[b] > maxabs ? block_max[b] : maxabs;
    }
    return maxabs;
}

/* The len plane values in fixed point (multiples of quantum, a power of
 * two: the product by its inverse is the exact quotient) and, where
 * planes32 is not NULL, in float32; on n_threads.  Returns whether every
 * value is an integer (quantum below 1: its fixed point a multiple of
 * 1 / quantum). */
static int fill_fixed_point(const double *MS_RESTRICT planes, int64_t len, double quantum,
                            int n_threads, int64_t *MS_RESTRICT qplanes,
                            float *MS_RESTRICT planes32)
{
    const double inv = 1.0 / quantum;
    /* -1: no test.  From inv = 2^62 on, inv does not convert to int64 (a
     * quantum of 2^-794 for colours near 2^-739, say), and no integer but
     * 0 has a fixed point within the sums' range (|q| < 2^62): the mask of
     * every bit but the sign's tests for 0. */
    const int64_t frac = !(quantum < 1.0) ? -1
                         : inv < 0x1p62   ? (int64_t)inv - 1
                                          : INT64_MAX;
    int64_t bits = 0;
    int64_t i;
    MS_OMP(parallel for num_threads(n_threads) schedule(static) reduction(|:bits))
    for (i = 0; i < len; i++) {
        qplanes[i] = (int64_t)nearbyint(planes[i] * inv);
        bits |= qplanes[i] & frac;
        if (planes32 != NULL) planes32[i] = (float)planes[i];
    }
    return frac >= 0 && bits == 0;
}

/* The integer colours in int32 (see image_ctx.narrow), exactly. */
static void fill_narrow(const double *MS_RESTRICT planes, int64_t len, int n_threads,
                        int32_t *MS_RESTRICT narrow)
{
    int64_t i;
    MS_OMP(parallel for num_threads(n_threads) schedule(static))
    for (i = 0; i < len; i++) narrow[i] = (int32_t)planes[i];
}

ms_status ms_image_filter(const double *image, int64_t nz, int64_t ny, int64_t nx,
                          int64_t c, const ms_image_params *p, const ms_config *cfg,
                          double *out)
{
    if (nz < 1 || ny < 1 || nx < 1 || c < 1 || p == NULL || image == NULL || out == NULL)
        return MS_ERR_INVALID;
    if (!(p->spatial_radius > 0.0) || !(p->range_radius > 0.0) ||
        isinf(p->spatial_radius) || isinf(p->range_radius) || p->max_iter < 0 ||
        !(p->tol >= 0.0) || isinf(p->tol))
        return MS_ERR_INVALID;
    if (p->kernel != MS_KERNEL_FLAT && p->kernel != MS_KERNEL_GAUSSIAN &&
        p->kernel != MS_KERNEL_EPANECHNIKOV)
        return MS_ERR_INVALID;
    if (nz > INT64_MAX / ny || nz * ny > INT64_MAX / nx || nz * ny * nx > INT64_MAX / c)
        return MS_ERR_INVALID;
    const int64_t n = nz * ny * nx;

    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    /* A window's rows span at most floor(2 hs) + 3 pixels from row_start,
     * and no more than the image's width. */
    const double width_d = floor(2.0 * p->spatial_radius) + 3.0;
    const int64_t width = width_d < (double)nx ? (int64_t)width_d : nx;
    const int64_t chunks = (width + LANES - 1) / LANES;
    /* padding for the last row's chunks, of LANES or of 16 columns */
    const int64_t stride = n + chunks * LANES + 16;
    const int n_threads = ms_num_threads(cfg);
    double *planes = ms_alloc(&rt, (size_t)(stride * c), sizeof(double));
    if (planes == NULL) return MS_ERR_NOMEM;
    const double maxabs = fill_planes(image, n, c, stride, n_threads, planes);
    if (isnan(maxabs)) { /* a NaN or infinite colour (meanshift.h) */
        ms_free(planes);
        return MS_ERR_INVALID;
    }
    image_ctx g;
    g.planes = planes;
    g.stride = stride;
    g.chunks = chunks;
    g.nz = nz;
    g.ny = ny;
    g.nx = nx;
    g.c = c;
    g.n = n;
    g.kernel = p->kernel;
    g.hs = p->spatial_radius;
    g.hr = p->range_radius;
    g.hs2 = ms_radius_sq(g.hs);
    g.hr2 = ms_radius_sq(g.hr);
    g.hs_sq = g.hs * g.hs;
    g.hr_sq = g.hr * g.hr;
    g.max_iter = p->max_iter;
    g.tol2 = p->tol * p->tol;
    /* The flat kernel sums fixed-point colours where a quantum exists;
     * its AVX-512 and AVX2 forms also screen them in float32. */
    g.quantum = 0.0;
    g.qplanes = NULL;
    g.narrow = NULL;
    g.avx512 = 0;
    g.avx2 = 0;
    g.avx2_chunks = 0;
    g.one_chunk = 0;
    g.planes32 = NULL;
    int64_t *qplanes = NULL;
    float *planes32 = NULL;
    int32_t *narrow = NULL;
    const double w_pixels = window_pixels(nz, ny, nx, g.hs);
    if (p->kernel == MS_KERNEL_FLAT &&
        fixed_point_quantum(maxabs, w_pixels, g.hr, &g.quantum)) {
        qplanes = ms_alloc(&rt, (size_t)(stride * c), sizeof(int64_t));
        const int screen = qplanes != NULL && ms__image_flat_screen_setup(&g, maxabs);
        if (screen) planes32 = ms_alloc(&rt, (size_t)(stride * c), sizeof(float));
        if (qplanes == NULL || (screen && planes32 == NULL)) {
            ms_free(planes32);
            ms_free(qplanes);
            ms_free(planes);
            return MS_ERR_NOMEM;
        }
        const int integral =
            fill_fixed_point(planes, stride * c, g.quantum, n_threads, qplanes, planes32);
        g.qplanes = qplanes;
        g.planes32 = planes32;
        /* integer colours (8- and 16-bit images) summed on 32-bit lanes,
         * where no window's sum can reach 2^31; without the memory, the
         * 64-bit sums serve */
        if (screen && integral && maxabs * w_pixels < 0x1p31)
            narrow = ms_alloc(&rt, (size_t)(stride * c), sizeof(int32_t));
        if (narrow != NULL) {
            fill_narrow(planes, stride * c, n_threads, narrow);
            g.narrow = narrow;
        }
    }
    ms__image_flat_first_setup(&g);

    /* A table small enough to stay in a core's cache: neighbouring pixels
     * share paths, and a table of 2^16 slots, though it held 20% more
     * hits, cost more in misses than it saved. */
    int64_t cap = 1024;
    while (cap < n / n_threads && cap < TABLE_SLOTS) cap *= 2;

    const int64_t rows = nz * ny;
    int64_t chunk = rows / (16 * (int64_t)n_threads);
    if (chunk < 1) chunk = 1;
    const int64_t n_chunks = (rows + chunk - 1) / chunk;
    ms_loop loop;
    /* Progress counts rows, and the master thread reports after each of
     * its tiles: a chunk of rows can take long on a wide image. */
    ms_loop_init(&loop, &rt, rows, 1);
    MS_OMP(parallel num_threads(n_threads))
    {
        double *block = ms_loop_scratch(&loop, worker_len(&g, cap), sizeof(double));
        worker wk = {0};
        if (block != NULL) worker_init(&wk, block, &g, cap);
        int64_t mine = 0;
        int64_t b;
        MS_OMP(for schedule(dynamic, 1))
        for (b = 0; b < n_chunks; b++) {
            if (ms_loop_halted(&loop, block)) continue;
            const int64_t r0 = b * chunk, r1 = r0 + chunk < rows ? r0 + chunk : rows;
            /* Tiles of TILE columns: a pixel's neighbours in the rows
             * above are then still in the thread's table. */
            for (int64_t t0 = 0; t0 < nx && !ms_loop_halted(&loop, block); t0 += TILE) {
                const int64_t t1 = t0 + TILE < nx ? t0 + TILE : nx;
                for (int64_t r = r0; r < r1; r++) {
                    const int64_t z = r / ny, y = r % ny; /* once a row, not a pixel */
                    /* a tile's row, unless it is short or near a border */
                    const int first =
                        g.max_iter > 0 && ms__image_flat_first_sums(&g, y, t0, wk.first);
                    for (int64_t x = t0; x < t1; x++)
                        filter_pixel(&g, &wk, r * nx + x, z, y, x,
                                     first ? wk.first + (x - t0) * (4 + c) : NULL,
                                     out + (r * nx + x) * c);
                }
                /* the chunk's rows count once their last tile is done */
                ms_loop_tick(&loop, t1 == nx ? r1 - r0 : 0, &mine);
            }
        }
        ms_free(block);
    }
    ms_free(narrow);
    ms_free(planes32);
    ms_free(qplanes);
    ms_free(planes);
    const ms_status st = ms_loop_status(&loop);
    /* Only the master thread reports inside the loop: the last report
     * says that every row is done. */
    if (st == MS_OK && ms_report_progress(rt.cfg, rows, rows)) return MS_ERR_INTERRUPTED;
    return st;
}
