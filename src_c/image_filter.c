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
 */
#include <math.h>
#include <string.h>

#include "parallel.h"

/* Pixels measured side by side along a row: the sums are kept in this
 * many partial sums (lane l takes the pixels x0 + l, x0 + l + LANES, ...)
 * and added in a fixed order, which the compiler can run on SIMD lanes
 * without reordering any addition. */
#define LANES 4

/* The LANES partial sums added in a fixed order (a macro: it serves both
 * arrays and vectors). */
#define FOLD(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))

/* Most channels summed in registers; more go through a scratch buffer. */
#define REG_CHANNELS 4

/* States of one path kept for the table (the first ones: later states
 * are rarely reached by other paths before this one ends). */
#define PATH_STATES 64

/* Columns of the tiles a thread filters, row by row within a tile: on
 * astronaut (hs 6, hr 4.5) tiles of 16 took 6% fewer window scans than
 * whole rows, 32 and 64 a little less. */
#define TILE 16

/* Most slots of a thread's table of states. */
#define TABLE_SLOTS 4096

/* Slots probed per table look-up; a full run of slots overwrites the
 * first. */
#define TABLE_PROBES 4

typedef struct image_ctx {
    /* c planes of n + LANES doubles: channel k of pixel i at k * stride + i;
     * the padding lets a row's last lanes read past its end */
    const double *planes;
    int64_t stride;
    /* groups of LANES pixels scanned per row of a window: the same count
     * for every row, so that the loop's exit is predictable; pixels outside
     * the disk weigh nothing */
    int64_t chunks;
    int64_t nz, ny, nx, c, n;
    int kernel;
    double hs, hr;       /* radii */
    double hs2, hr2;     /* ms_radius_sq of the radii: inclusive tests */
    double hs_sq, hr_sq; /* hs * hs, hr * hr: kernel normalisation */
    int64_t max_iter;
    double tol2;
} image_ctx;

/* State of a path: position (z, y, x) then colour. */
typedef struct state_table {
    double *slots; /* cap slots of `stride` doubles: key, colour, steps */
    int64_t cap, key_len, stride;
} state_table;

static uint64_t key_hash(const double *key, int64_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15u;
    for (int64_t j = 0; j < len; j++) {
        uint64_t b;
        memcpy(&b, key + j, sizeof b);
        h = (h ^ b) * 0xBF58476D1CE4E5B9u;
        h ^= h >> 31;
    }
    h *= 0x94D049BB133111EBu;
    return h ^ (h >> 29);
}

/* The slot holding exactly this key (bit for bit), or NULL. */
static const double *table_find(const state_table *t, const double *key)
{
    const uint64_t mask = (uint64_t)(t->cap - 1);
    uint64_t h = key_hash(key, t->key_len) & mask;
    for (int p = 0; p < TABLE_PROBES; p++, h = (h + 1) & mask) {
        const double *s = t->slots + (int64_t)h * t->stride;
        if (s[t->stride - 1] < 0.0) return NULL; /* empty */
        if (memcmp(s, key, (size_t)t->key_len * sizeof(double)) == 0) return s;
    }
    return NULL;
}

static void table_put(state_table *t, const double *key, const double *colour,
                      int64_t colour_len, int64_t steps)
{
    const uint64_t mask = (uint64_t)(t->cap - 1);
    const uint64_t h0 = key_hash(key, t->key_len) & mask;
    uint64_t h = h0;
    double *s = NULL;
    for (int p = 0; p < TABLE_PROBES; p++, h = (h + 1) & mask) {
        double *cand = t->slots + (int64_t)h * t->stride;
        if (cand[t->stride - 1] < 0.0 ||
            memcmp(cand, key, (size_t)t->key_len * sizeof(double)) == 0) {
            s = cand;
            break;
        }
    }
    if (s == NULL) s = t->slots + (int64_t)h0 * t->stride;
    memcpy(s, key, (size_t)t->key_len * sizeof(double));
    memcpy(s + t->key_len, colour, (size_t)colour_len * sizeof(double));
    s[t->stride - 1] = (double)steps;
}

/* First x scanned in every row of the window centred at x = px (the
 * scan covers every pixel within hs of px). */
MS_ALWAYS_INLINE int64_t row_start(const image_ctx *g, double px)
{
    const double x0 = floor(px - g->hs);
    return x0 < 0.0 ? 0 : (int64_t)x0;
}

/* [ceil(a) - 1, floor(b) + 1] clamped to [0, hi], computed in double so
 * that no out-of-range double is converted. */
MS_ALWAYS_INLINE void index_range(double a, double b, int64_t hi, int64_t *lo_out,
                                  int64_t *hi_out)
{
    double lo = ceil(a) - 1.0, up = floor(b) + 1.0;
    if (lo < 0.0) lo = 0.0;
    if (up > (double)hi) up = (double)hi;
    *lo_out = (int64_t)lo;
    *hi_out = (int64_t)up;
}

MS_ALWAYS_INLINE double kernel_weight(const int kernel, double u)
{
    if (kernel == MS_KERNEL_GAUSSIAN) return exp(-0.5 * u);
    if (kernel == MS_KERNEL_EPANECHNIKOV) return u < 1.0 ? 1.0 - u : 0.0;
    return 1.0;
}

#if defined(__GNUC__) || defined(__clang__)
#define MS_IMAGE_VECTORS 1
/* LANES doubles side by side: element-wise IEEE arithmetic, as in the
 * scalar loop of window_sums_any, so both give the same bits. */
typedef double lanes_d __attribute__((vector_size(LANES * sizeof(double))));
typedef int64_t lanes_i __attribute__((vector_size(LANES * sizeof(double))));

/* LANES doubles read from any double-aligned address. */
typedef double lanes_u __attribute__((vector_size(LANES * sizeof(double)),
                                      aligned(sizeof(double)), may_alias));
#define LOAD_LANES(p) (*(const lanes_u *)(p))
/* (a macro: vector arguments of functions draw ABI warnings) */

/* Window sums at state st = (z, y, x, colour) for c <= REG_CHANNELS
 * channels: out receives the total weight, then the weighted sums of z, y,
 * x and of every channel.  Lane l of a row takes its pixels x0 + l,
 * x0 + l + LANES, ...; pixels past the row's end (read from the next row
 * or the planes' padding) weigh nothing. */
MS_ALWAYS_INLINE void window_sums_kc(const image_ctx *g, const double *MS_RESTRICT st,
                                     double *MS_RESTRICT out, const int kernel,
                                     const int64_t c)
{
    const double pz = st[0], py = st[1], px = st[2];
    lanes_d col[REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) col[k] = (lanes_d){0.0} + st[3 + k];
    const double hs2 = g->hs2, hr2 = g->hr2;
    const double inv_s = 1.0 / g->hs_sq, inv_r = 1.0 / g->hr_sq;
    const lanes_d step = {0.0, 1.0, 2.0, 3.0};
    const lanes_d zero = {0.0}, one = zero + 1.0;
    lanes_d ax = zero, ay = zero, ac[REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) ac[k] = zero;
    double total = 0.0, sz = 0.0;
    const int64_t x0 = row_start(g, px);
    const double xlast = (double)(g->nx - 1);

    int64_t z0, z1;
    index_range(pz - g->hs, pz + g->hs, g->nz - 1, &z0, &z1);
    for (int64_t z = z0; z <= z1; z++) {
        const double dz = (double)z - pz, dz2 = dz * dz;
        if (!(dz2 <= hs2)) continue;
        const double ry = sqrt(hs2 - dz2);
        int64_t y0, y1;
        index_range(py - ry, py + ry, g->ny - 1, &y0, &y1);
        lanes_d aw = zero; /* weight in this plane */
        for (int64_t y = y0; y <= y1; y++) {
            const double dy = (double)y - py, dyz = dz2 + dy * dy;
            if (!(dyz <= hs2)) continue;
            const double *v[REG_CHANNELS];
            for (int64_t k = 0; k < c; k++)
                v[k] = g->planes + k * g->stride + (z * g->ny + y) * g->nx;
            lanes_d rw = zero; /* weight in this row */
            lanes_d xx = (double)x0 + step;
            for (int64_t j = 0, x = x0; j < g->chunks;
                 j++, x += LANES, xx += (double)LANES) {
                const lanes_d dx = xx - px;
                const lanes_d ds = dyz + dx * dx;
                /* 0 + t * t is t * t: a square is never -0 */
                const lanes_d t0 = LOAD_LANES(v[0] + x) - col[0];
                lanes_d dc = t0 * t0;
                for (int64_t k = 1; k < c; k++) {
                    const lanes_d t = LOAD_LANES(v[k] + x) - col[k];
                    dc += t * t;
                }
                const lanes_i in = (ds <= hs2) & (dc <= hr2) & (xx <= xlast);
                if (kernel == MS_KERNEL_FLAT) {
                    /* weight 1 or 0: masking gives the products' bits */
                    rw += (lanes_d)(in & (lanes_i)one);
                    ax += (lanes_d)(in & (lanes_i)xx);
                    for (int64_t k = 0; k < c; k++)
                        ac[k] += (lanes_d)(in & (lanes_i)LOAD_LANES(v[k] + x));
                } else {
                    const lanes_d u = ds * inv_s + dc * inv_r;
                    lanes_d w;
                    for (int l = 0; l < LANES; l++) w[l] = kernel_weight(kernel, u[l]);
                    w = (lanes_d)(in & (lanes_i)w);
                    rw += w;
                    ax += w * xx;
                    for (int64_t k = 0; k < c; k++) ac[k] += w * LOAD_LANES(v[k] + x);
                }
            }
            aw += rw;
            ay += rw * (double)y;
        }
        const double pw = FOLD(aw);
        total += pw;
        sz += pw * (double)z;
    }
    out[0] = total;
    out[1] = sz;
    out[2] = FOLD(ay);
    out[3] = FOLD(ax);
    for (int64_t k = 0; k < c; k++) out[4 + k] = FOLD(ac[k]);
}
#endif

/* The same sums, in the same lanes and order, for any number of channels;
 * partial sums of the channels in scratch (c * LANES doubles). */
static void window_sums_any(const image_ctx *g, const double *MS_RESTRICT st,
                            double *MS_RESTRICT out, double *MS_RESTRICT scratch)
{
    const int64_t c = g->c;
    const int kernel = g->kernel;
    const double pz = st[0], py = st[1], px = st[2];
    const double *col = st + 3;
    const double hs2 = g->hs2, hr2 = g->hr2;
    const double inv_s = 1.0 / g->hs_sq, inv_r = 1.0 / g->hr_sq;
    double ax[LANES] = {0.0}, ay[LANES] = {0.0};
    double *acs = scratch;
    for (int64_t j = 0; j < c * LANES; j++) acs[j] = 0.0;
    double total = 0.0, sz = 0.0;
    const int64_t x0 = row_start(g, px);
    int64_t z0, z1;
    index_range(pz - g->hs, pz + g->hs, g->nz - 1, &z0, &z1);
    for (int64_t z = z0; z <= z1; z++) {
        const double dz = (double)z - pz, dz2 = dz * dz;
        if (!(dz2 <= hs2)) continue;
        const double ry = sqrt(hs2 - dz2);
        int64_t y0, y1;
        index_range(py - ry, py + ry, g->ny - 1, &y0, &y1);
        double aw[LANES] = {0.0};
        for (int64_t y = y0; y <= y1; y++) {
            const double dy = (double)y - py, dyz = dz2 + dy * dy;
            if (!(dyz <= hs2)) continue;
            const int64_t row = (z * g->ny + y) * g->nx;
            double rw[LANES] = {0.0};
            for (int64_t x = x0; x < x0 + g->chunks * LANES; x++) {
                const int l = (int)((x - x0) % LANES);
                const double xx = (double)x, dx = xx - px;
                const double ds = dyz + dx * dx;
                double dc = 0.0;
                for (int64_t k = 0; k < c; k++) {
                    const double t = g->planes[k * g->stride + row + x] - col[k];
                    dc += t * t;
                }
                const int in = (ds <= hs2) & (dc <= hr2) & (x <= g->nx - 1);
                double w = kernel_weight(kernel, ds * inv_s + dc * inv_r);
                w = in ? w : 0.0;
                rw[l] += w;
                ax[l] += w * xx;
                for (int64_t k = 0; k < c; k++)
                    acs[k * LANES + l] += w * g->planes[k * g->stride + row + x];
            }
            for (int l = 0; l < LANES; l++) {
                aw[l] += rw[l];
                ay[l] += rw[l] * (double)y;
            }
        }
        const double pw = FOLD(aw);
        total += pw;
        sz += pw * (double)z;
    }
    out[0] = total;
    out[1] = sz;
    out[2] = FOLD(ay);
    out[3] = FOLD(ax);
    for (int64_t k = 0; k < c; k++) out[4 + k] = FOLD(acs + k * LANES);
}

MS_ALWAYS_INLINE void window_sums_k(const image_ctx *g, const double *st, double *out,
                                    double *scratch, const int kernel)
{
#ifdef MS_IMAGE_VECTORS
    switch (g->c) {
    case 1: window_sums_kc(g, st, out, kernel, 1); return;
    case 3: window_sums_kc(g, st, out, kernel, 3); return;
    default:
        if (g->c <= REG_CHANNELS) {
            window_sums_kc(g, st, out, kernel, g->c);
            return;
        }
    }
#endif
    (void)kernel;
    window_sums_any(g, st, out, scratch);
}

MS_SIMD_CLONES
static void window_sums_flat(const image_ctx *g, const double *st, double *out,
                             double *scratch)
{
    window_sums_k(g, st, out, scratch, MS_KERNEL_FLAT);
}

MS_SIMD_CLONES
static void window_sums_gaussian(const image_ctx *g, const double *st, double *out,
                                 double *scratch)
{
    window_sums_k(g, st, out, scratch, MS_KERNEL_GAUSSIAN);
}

MS_SIMD_CLONES
static void window_sums_epanechnikov(const image_ctx *g, const double *st, double *out,
                                     double *scratch)
{
    window_sums_k(g, st, out, scratch, MS_KERNEL_EPANECHNIKOV);
}

static void window_sums(const image_ctx *g, const double *st, double *out,
                        double *scratch)
{
    if (g->kernel == MS_KERNEL_GAUSSIAN)
        window_sums_gaussian(g, st, out, scratch);
    else if (g->kernel == MS_KERNEL_EPANECHNIKOV)
        window_sums_epanechnikov(g, st, out, scratch);
    else
        window_sums_flat(g, st, out, scratch);
}

/* Per-thread buffers, carved from one block of scratch. */
typedef struct worker {
    state_table table;
    double *cur;    /* 3 + c: the state */
    double *sums;   /* 4 + c */
    double *path;   /* PATH_STATES x (3 + c): states the path went on from */
    int64_t *steps; /* PATH_STATES: steps taken on reaching each */
    double *scratch;
} worker;

/* Filter pixel i, writing its colour to out (c doubles). */
static void filter_pixel(const image_ctx *g, worker *wk, int64_t i, double *out)
{
    const int64_t c = g->c, klen = 3 + c;
    double *MS_RESTRICT cur = wk->cur;
    double *MS_RESTRICT sums = wk->sums;
    const int64_t x = i % g->nx, y = (i / g->nx) % g->ny, z = i / (g->nx * g->ny);
    cur[0] = (double)z;
    cur[1] = (double)y;
    cur[2] = (double)x;
    for (int64_t k = 0; k < c; k++) cur[3 + k] = g->planes[k * g->stride + i];
    const double *result = cur + 3;
    int64_t it = 0, n_path = 0;
    int ended = 0; /* the path stopped by itself (not by max_iter) */
    while (it < g->max_iter) {
        window_sums(g, cur, sums, wk->scratch);
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
        const double *hit = table_find(&wk->table, cur);
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
            wk->steps[n_path++] = it;
        }
    }
    for (int64_t k = 0; k < c; k++) out[k] = result[k];
    if (ended)
        for (int64_t s = 0; s < n_path; s++)
            table_put(&wk->table, wk->path + s * klen, out, c, it - wk->steps[s]);
}

/* Doubles in a worker's block, for a table of cap slots. */
static size_t worker_len(const image_ctx *g, int64_t cap)
{
    const int64_t c = g->c, klen = 3 + c;
    /* table, then cur, sums and the scratch partial sums, then the path
     * and its steps (int64_t, as wide as a double) */
    return (size_t)(cap * (klen + c + 1) + klen + 4 + c + (2 + c) * LANES +
                    PATH_STATES * klen + PATH_STATES);
}

static void worker_init(worker *wk, double *block, const image_ctx *g, int64_t cap)
{
    const int64_t c = g->c, klen = 3 + c;
    wk->table.cap = cap;
    wk->table.key_len = klen;
    wk->table.stride = klen + c + 1;
    wk->table.slots = block;
    wk->cur = wk->table.slots + cap * wk->table.stride;
    wk->sums = wk->cur + klen;
    wk->scratch = wk->sums + 4 + c;
    wk->path = wk->scratch + (2 + c) * LANES;
    wk->steps = (int64_t *)(wk->path + PATH_STATES * klen);
    for (int64_t s = 0; s < cap; s++)
        wk->table.slots[s * wk->table.stride + klen + c] = -1.0;
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
    const int64_t stride = n + chunks * LANES;
    double *planes = ms_alloc(&rt, (size_t)(stride * c), sizeof(double));
    if (planes == NULL) return MS_ERR_NOMEM;
    for (int64_t k = 0; k < c; k++)
        for (int64_t i = 0; i < stride; i++)
            planes[k * stride + i] = i < n ? image[i * c + k] : 0.0;

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

    const int n_threads = ms_num_threads(cfg);
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
        MS_OMP(for schedule(dynamic, 1))
        for (int64_t b = 0; b < n_chunks; b++) {
            if (ms_loop_halted(&loop, block)) continue;
            const int64_t r0 = b * chunk, r1 = r0 + chunk < rows ? r0 + chunk : rows;
            /* Tiles of TILE columns: a pixel's neighbours in the rows
             * above are then still in the thread's table. */
            for (int64_t t0 = 0; t0 < nx && !ms_loop_halted(&loop, block); t0 += TILE) {
                const int64_t t1 = t0 + TILE < nx ? t0 + TILE : nx;
                for (int64_t r = r0; r < r1; r++)
                    for (int64_t i = r * nx + t0; i < r * nx + t1; i++)
                        filter_pixel(&g, &wk, i, out + i * c);
                /* the chunk's rows count once their last tile is done */
                ms_loop_tick(&loop, t1 == nx ? r1 - r0 : 0, &mine);
            }
        }
        ms_free(block);
    }
    ms_free(planes);
    return ms_loop_status(&loop);
}
