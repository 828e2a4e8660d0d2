/*
 * image_filter_window.c - the kernel-weighted sums over one window of the
 * joint spatial-range domain: a spatial disk (ball, for volumes) times a
 * colour ball.  Nearly all of the filter's time goes here.  The sums are
 * kept in LANES partial sums added in a fixed order, so that the vector
 * form (GCC and Clang, up to REG_CHANNELS channels) and the scalar form
 * (any compiler, any number of channels) give the same bits, and the
 * kernels each get their own AVX2 clone.  The flat kernel's sums are
 * exact integers instead (image_filter_flat.c), except for colours too
 * close to zero for its fixed point, which take the sums here.
 */
#include <math.h>

#include "image_filter_internal.h"

/* The LANES partial sums added in a fixed order (a macro: it serves both
 * arrays and vectors). */
#define FOLD(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))

/* Most channels summed in registers; more go through a scratch buffer. */
#define REG_CHANNELS 4

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
    const int64_t x0 = ms__image_row_start(g, px);
    const double xlast = (double)(g->nx - 1);

    int64_t z0, z1;
    ms__image_index_range(pz - g->hs, pz + g->hs, g->nz - 1, &z0, &z1);
    for (int64_t z = z0; z <= z1; z++) {
        const double dz = (double)z - pz, dz2 = dz * dz;
        if (!(dz2 <= hs2)) continue;
        const double ry = sqrt(hs2 - dz2);
        int64_t y0, y1;
        ms__image_index_range(py - ry, py + ry, g->ny - 1, &y0, &y1);
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
    const int64_t x0 = ms__image_row_start(g, px);
    int64_t z0, z1;
    ms__image_index_range(pz - g->hs, pz + g->hs, g->nz - 1, &z0, &z1);
    for (int64_t z = z0; z <= z1; z++) {
        const double dz = (double)z - pz, dz2 = dz * dz;
        if (!(dz2 <= hs2)) continue;
        const double ry = sqrt(hs2 - dz2);
        int64_t y0, y1;
        ms__image_index_range(py - ry, py + ry, g->ny - 1, &y0, &y1);
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
                const double dc = ms__image_colour_dist2(g, row + x, col);
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

void ms__image_window_sums(const image_ctx *g, const double *st, double *out,
                           double *scratch)
{
    if (g->kernel == MS_KERNEL_FLAT && g->quantum > 0.0)
        ms__image_flat_sums(g, st, out, (int64_t *)scratch);
    else if (g->kernel == MS_KERNEL_GAUSSIAN)
        window_sums_gaussian(g, st, out, scratch);
    else if (g->kernel == MS_KERNEL_EPANECHNIKOV)
        window_sums_epanechnikov(g, st, out, scratch);
    else
        window_sums_flat(g, st, out, scratch);
}
