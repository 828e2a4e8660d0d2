/*
 * image_filter_internal.h - what the files of the exact image filter
 * share: the filter's constants (image_ctx), the window sums
 * (image_filter_window.c) and the table of visited states
 * (image_filter_table.c) that the driver (image_filter.c) calls.
 */
#ifndef MS_IMAGE_FILTER_INTERNAL_H
#define MS_IMAGE_FILTER_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "ms_internal.h"

/* Pixels measured side by side along a row: the sums are kept in this
 * many partial sums (lane l takes the pixels x0 + l, x0 + l + LANES, ...)
 * and added in a fixed order, which the compiler can run on SIMD lanes
 * without reordering any addition. */
#define LANES 4

/* Integer offsets within a first step's reach (image_ctx.disk_reach, at
 * most MS_FIRST_REACH_MAX): the most its disk can hold. */
#define MS_FIRST_REACH_MAX 15
#define MS_FIRST_DISK_MAX ((2 * MS_FIRST_REACH_MAX + 1) * (2 * MS_FIRST_REACH_MAX + 1))

/* Pixels whose first steps are summed together: one vector's lanes. */
#define MS_FIRST_PIXELS 16

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
    /* flat kernel: quantum > 0 where its sums take the colours in fixed
     * point (each rounded to quantum times an integer, in qplanes, laid
     * out as `planes`), 0 where they take them as they are; avx512: the
     * sums use AVX-512, screening the colours in float32 (planes32, laid
     * out as `planes`): a squared distance below screen_in is inside the
     * range radius, one above screen_out outside, others are measured in
     * float64 */
    double quantum;
    const int64_t *qplanes;
    /* where every colour is an integer and no window's colour sum can
     * reach 2^31 (8- and 16-bit images), the colours themselves in int32
     * (laid out as `planes`), which the float32-screened sums add on 32-bit
     * lanes rather than twice as many 64-bit ones: the same exact
     * integers, half the bytes; NULL otherwise */
    const int32_t *narrow;
    int avx512;
    int one_chunk; /* the AVX-512 sums read sixteen columns a row */
    /* avx2: without AVX-512, the sums use AVX2 with the same float32
     * screen, eight columns at a time, avx2_chunks of them a row */
    int avx2;
    int64_t avx2_chunks;
    const float *planes32;
    float screen_in, screen_out;
    /* the first step of a pixel of a 2-D image, whose window is centred on
     * the pixel itself, with the AVX-512 sums: the disk's n_disk offsets
     * (dy, dx, and the index step dy * nx + dx), reaching disk_reach
     * pixels from the centre along either axis; n_disk 0 where the first
     * steps take the window sums as every other step does */
    int64_t n_disk, disk_reach;
    int32_t disk_dy[MS_FIRST_DISK_MAX], disk_dx[MS_FIRST_DISK_MAX];
    int64_t disk_delta[MS_FIRST_DISK_MAX];
} image_ctx;

/* Most channels summed in registers by the flat kernel's vector forms. */
#define MS_FLAT_REG_CHANNELS 4
/* Most chunks of 16 columns in a row for the flat kernel's AVX-512 form
 * (windows up to 64 pixels wide); wider windows take the other forms. */
#define MS_FLAT_AVX512_CHUNKS 4
/* Most chunks of 8 columns for the AVX2 form (the same widths). */
#define MS_FLAT_AVX2_CHUNKS 8

/* First x scanned in every row of the window centred at x = px (the
 * scan covers every pixel within hs of px). */
MS_ALWAYS_INLINE int64_t ms__image_row_start(const image_ctx *g, double px)
{
    const double x0 = floor(px - g->hs);
    return x0 < 0.0 ? 0 : (int64_t)x0;
}

/* [ceil(a) - 1, floor(b) + 1] clamped to [0, hi], computed in double so
 * that no out-of-range double is converted. */
MS_ALWAYS_INLINE void ms__image_index_range(double a, double b, int64_t hi,
                                            int64_t *lo_out, int64_t *hi_out)
{
    double lo = ceil(a) - 1.0, up = floor(b) + 1.0;
    if (lo < 0.0) lo = 0.0;
    if (up > (double)hi) up = (double)hi;
    *lo_out = (int64_t)lo;
    *hi_out = (int64_t)up;
}

/* Squared colour distance of pixel i from col, in float64: the range
 * test every form of the window sums takes (or falls back to). */
MS_ALWAYS_INLINE double ms__image_colour_dist2(const image_ctx *g, int64_t i,
                                               const double *col)
{
    double dc = 0.0;
    for (int64_t k = 0; k < g->c; k++) {
        const double t = g->planes[k * g->stride + i] - col[k];
        dc += t * t;
    }
    return dc;
}

/* The window's sums as image_ctx readers expect them: the count, the
 * coordinate sums, then the colour sums sc (integers) times quantum, in
 * the working units. */
MS_ALWAYS_INLINE void ms__image_flat_out_q(const image_ctx *g, int64_t n, int64_t sz,
                                           int64_t sy, int64_t sx, const int64_t *sc,
                                           double quantum, double *out)
{
    out[0] = (double)n;
    out[1] = (double)sz;
    out[2] = (double)sy;
    out[3] = (double)sx;
    for (int64_t k = 0; k < g->c; k++) out[4 + k] = (double)sc[k] * quantum;
}

MS_ALWAYS_INLINE void ms__image_flat_out(const image_ctx *g, int64_t n, int64_t sz,
                                         int64_t sy, int64_t sx, const int64_t *sc,
                                         double *out)
{
    ms__image_flat_out_q(g, n, sz, sy, sx, sc, g->quantum, out);
}

/* The float32 screens' band: of the pixels x + b for the bits b of band,
 * whose float32 colour distance from col is too near the radius for
 * float32 to tell, those the float64 test of the other forms takes, added
 * to the bits of in. */
static inline unsigned ms__image_band_test(const image_ctx *g, int64_t x,
                                           const double *col, unsigned in, unsigned band)
{
    while (band) {
        const int b = ms_ctz64(band);
        band &= band - 1;
        if (ms__image_colour_dist2(g, x + b, col) <= g->hr2) in |= 1u << b;
    }
    return in;
}

/* State of a path: position (z, y, x) then colour. */
typedef struct state_table {
    double *slots; /* cap slots of `stride` doubles: key, colour, steps, hash */
    int64_t cap, key_len, stride;
} state_table;

/* The kernel-weighted sums over the window at state st = (z, y, x,
 * colour): out receives the total weight, then the weighted sums of z, y,
 * x and of every channel (4 + c doubles); scratch holds c * LANES. */
void ms__image_window_sums(const image_ctx *g, const double *st, double *out,
                           double *scratch);

/* The same sums for the flat kernel from the fixed-point colours (g->quantum
 * > 0), exact integers whatever the CPU; scratch holds c int64s. */
void ms__image_flat_sums(const image_ctx *g, const double *st, double *out,
                         int64_t *scratch);
/* The first steps of the MS_FIRST_PIXELS pixels x0, x0 + 1, ... of row y
 * of a 2-D image, each from its own position and colour: out receives
 * each pixel's window sums in turn, as ms__image_window_sums gives them
 * (4 + c doubles a pixel).  Returns 0, writing nothing, where the pixels'
 * windows reach past the image (or the row ends before x0 + 15) or g->n_disk
 * is 0: their first steps then take ms__image_window_sums. */
int ms__image_flat_first_sums(const image_ctx *g, int64_t y, int64_t x0, double *out);
/* Sets g's disk (n_disk 0 where the first steps cannot take it). */
void ms__image_flat_first_setup(image_ctx *g);
/* Whether the flat sums can take a form that screens the colours in
 * float32 (AVX-512 or AVX2) for this image, whose colours lie within
 * maxabs of zero; if so, sets g's screen thresholds and g->avx512 or
 * g->avx2 (and its chunks). */
int ms__image_flat_screen_setup(image_ctx *g, double maxabs);
#ifdef MS_AVX2_TARGET
/* The AVX2 form of ms__image_flat_sums (g->avx2 set). */
void ms__image_flat_sums_avx2(const image_ctx *g, const double *st, double *out);
#endif

/* A table of cap slots (a power of two) over slots (cap * (key_len +
 * colour_len + 2) doubles), all empty. */
void ms__state_table_init(state_table *t, double *slots, int64_t cap, int64_t key_len,
                          int64_t colour_len);
/* The hash of a key, which find and put take: a path hashes each state
 * once, for its look-up and for its record. */
uint64_t ms__state_table_hash(const state_table *t, const double *key);
/* The slot holding exactly this key (bit for bit), or NULL: its colour
 * follows the key, then the steps from the key to the path's end. */
const double *ms__state_table_find(const state_table *t, const double *key,
                                   uint64_t hash);
void ms__state_table_put(state_table *t, const double *key, uint64_t hash,
                         const double *colour, int64_t colour_len, int64_t steps);

#endif /* MS_IMAGE_FILTER_INTERNAL_H */
