/*
 * image_filter_flat.c - the flat kernel's window sums, in exact integers.
 *
 * With the flat kernel a step's sums are a count and plain sums over the
 * window's pixels.  Positions are integers, and colours are summed in
 * fixed point (image_ctx.qplanes: each colour rounded to a multiple of
 * image_ctx.quantum, small enough that no window's sum can overflow), so
 * every sum is an exact integer.  Exact sums do not depend on the order of
 * the additions: the portable form, its AVX2 clone, the AVX-512 form and
 * the AVX2 form (image_filter_flat_avx2.c) give the same bits whatever
 * their lane count, and two paths that reach
 * the same set of pixels reach the same state, which the table of states
 * then recognises.  Which pixels are in the window is decided on the
 * float64 colours and positions, with the same rounded tests as the other
 * kernels.  Integer colours (8- and 16-bit images) are exact integers
 * already: the float32-screened forms add them on 32-bit lanes
 * (image_ctx.narrow) where no window's sum can reach 2^31, which gives the
 * same sums.
 */
#include <math.h>

#include "image_filter_internal.h"

/* Any number of channels, one pixel at a time (sums in scratch). */
static void flat_sums_any(const image_ctx *g, const double *MS_RESTRICT st,
                          double *MS_RESTRICT out, int64_t *MS_RESTRICT sc)
{
    const int64_t c = g->c;
    const double pz = st[0], py = st[1], px = st[2];
    const double *col = st + 3;
    const double hs2 = g->hs2, hr2 = g->hr2;
    const int64_t x0 = ms__image_row_start(g, px);
    const int64_t x1 = x0 + g->chunks * LANES < g->nx ? x0 + g->chunks * LANES : g->nx;
    int64_t n = 0, sz = 0, sy = 0, sx = 0;
    for (int64_t k = 0; k < c; k++) sc[k] = 0;
    int64_t z0, z1;
    ms__image_index_range(pz - g->hs, pz + g->hs, g->nz - 1, &z0, &z1);
    for (int64_t z = z0; z <= z1; z++) {
        const double dz = (double)z - pz, dz2 = dz * dz;
        if (!(dz2 <= hs2)) continue;
        const double ry = sqrt(hs2 - dz2);
        int64_t y0, y1;
        ms__image_index_range(py - ry, py + ry, g->ny - 1, &y0, &y1);
        for (int64_t y = y0; y <= y1; y++) {
            const double dy = (double)y - py, dyz = dz2 + dy * dy;
            if (!(dyz <= hs2)) continue;
            const int64_t row = (z * g->ny + y) * g->nx;
            for (int64_t x = x0; x < x1; x++) {
                const double dx = (double)x - px;
                if (!(dyz + dx * dx <= hs2)) continue;
                if (!(ms__image_colour_dist2(g, row + x, col) <= hr2)) continue;
                n++;
                sz += z;
                sy += y;
                sx += x;
                for (int64_t k = 0; k < c; k++)
                    sc[k] += g->qplanes[k * g->stride + row + x];
            }
        }
    }
    ms__image_flat_out(g, n, sz, sy, sx, sc, out);
}

#if defined(__GNUC__) || defined(__clang__)
#define MS_FLAT_VECTORS 1
typedef double lanes_d __attribute__((vector_size(LANES * sizeof(double))));
typedef int64_t lanes_i __attribute__((vector_size(LANES * sizeof(double))));
typedef double lanes_du __attribute__((vector_size(LANES * sizeof(double)),
                                       aligned(sizeof(double)), may_alias));
typedef int64_t lanes_iu __attribute__((vector_size(LANES * sizeof(double)),
                                        aligned(sizeof(double)), may_alias));
#define LOAD_D(p) (*(const lanes_du *)(p))
#define LOAD_I(p) (*(const lanes_iu *)(p))
#define HSUM(v) ((v)[0] + (v)[1] + (v)[2] + (v)[3])

/* Up to MS_FLAT_REG_CHANNELS channels on LANES lanes; the row-end test
 * only for windows that reach past the image's last column (edge = 1). */
MS_ALWAYS_INLINE void flat_sums_kc(const image_ctx *g, const double *MS_RESTRICT st,
                                   double *MS_RESTRICT out, const int64_t c,
                                   const int edge)
{
    const double pz = st[0], py = st[1], px = st[2];
    lanes_d col[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) col[k] = (lanes_d){0.0} + st[3 + k];
    const double hs2 = g->hs2, hr2 = g->hr2;
    const lanes_d step = {0.0, 1.0, 2.0, 3.0};
    const lanes_i istep = {0, 1, 2, 3};
    const lanes_i zero = {0};
    lanes_i vy = zero, vx = zero, vc[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) vc[k] = zero;
    int64_t n = 0, sz = 0;
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
        lanes_i vn = zero; /* count in this plane */
        for (int64_t y = y0; y <= y1; y++) {
            const double dy = (double)y - py, dyz = dz2 + dy * dy;
            if (!(dyz <= hs2)) continue;
            const int64_t row = (z * g->ny + y) * g->nx;
            lanes_i rn = zero; /* count in this row */
            lanes_d xx = (double)x0 + step;
            lanes_i xi = x0 + istep;
            for (int64_t j = 0, x = row + x0; j < g->chunks;
                 j++, x += LANES, xx += (double)LANES, xi += LANES) {
                const lanes_d dx = xx - px;
                const lanes_d ds = dyz + dx * dx;
                const lanes_d t0 = LOAD_D(g->planes + x) - col[0];
                lanes_d dc = t0 * t0;
                for (int64_t k = 1; k < c; k++) {
                    const lanes_d t = LOAD_D(g->planes + k * g->stride + x) - col[k];
                    dc += t * t;
                }
                lanes_i in = (ds <= hs2) & (dc <= hr2);
                if (edge) in &= (xx <= xlast);
                rn -= in; /* in is -1 or 0 */
                vx += in & xi;
                for (int64_t k = 0; k < c; k++)
                    vc[k] += in & LOAD_I(g->qplanes + k * g->stride + x);
            }
            vn += rn;
            vy += rn * y;
        }
        const int64_t pn = HSUM(vn);
        n += pn;
        sz += pn * z;
    }
    int64_t sc[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) sc[k] = HSUM(vc[k]);
    ms__image_flat_out(g, n, sz, HSUM(vy), HSUM(vx), sc, out);
}

MS_ALWAYS_INLINE void flat_sums_c(const image_ctx *g, const double *st, double *out,
                                  const int64_t c)
{
    if (ms__image_row_start(g, st[2]) + g->chunks * LANES <= g->nx)
        flat_sums_kc(g, st, out, c, 0);
    else
        flat_sums_kc(g, st, out, c, 1);
}

MS_SIMD_CLONES
static void flat_sums_vec(const image_ctx *g, const double *st, double *out)
{
    switch (g->c) {
    case 1: flat_sums_c(g, st, out, 1); return;
    case 3: flat_sums_c(g, st, out, 3); return;
    default: flat_sums_c(g, st, out, g->c); return;
    }
}
#endif

#ifdef MS_AVX512_TARGET
#include <immintrin.h>

/* Sixteen columns of a row at a time with AVX-512: the spatial test in
 * float64 as above, the colour test screened in float32 (half the lanes'
 * work of float64) with a band around the radius where float32 cannot
 * decide; pixels in the band take the float64 test of the other forms, so
 * every form takes the same pixels.  The sums add the fixed-point colours
 * under the mask, in two halves of eight int64 lanes. */
MS_ALWAYS_INLINE MS_AVX512_TARGET void
flat_sums_avx512_kc(const image_ctx *g, const double *MS_RESTRICT st,
                    double *MS_RESTRICT out, const int64_t c, const int64_t one_chunk,
                    const int narrow)
{
    const double pz = st[0], py = st[1], px = st[2];
    const double *col = st + 3;
    const float *MS_RESTRICT planes32 = g->planes32;
    const int64_t *MS_RESTRICT qplanes = g->qplanes;
    const int64_t stride = g->stride, ny = g->ny, nx = g->nx;
    const double hs2_d = g->hs2;
    __m512 colf[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) colf[k] = _mm512_set1_ps((float)col[k]);
    const __m512 sure_in = _mm512_set1_ps(g->screen_in);
    const __m512 sure_out = _mm512_set1_ps(g->screen_out);
    const __m512d hs2 = _mm512_set1_pd(hs2_d);
    const int64_t x0 = ms__image_row_start(g, px);
    /* one_chunk: a constant, 1 where g->one_chunk says a row takes one
     * chunk of sixteen, so that the compiler drops the loops over chunks */
    const int64_t n16 = one_chunk ? 1 : (g->chunks * LANES + 15) / 16;
    /* per chunk of 16 columns: squared x offsets (two halves), infinite
     * past the image's last column so that the spatial test drops those
     * lanes, and each lane's column from x0 */
    __m512d dx2[2 * MS_FLAT_AVX512_CHUNKS];
    __m512i lane_x[MS_FLAT_AVX512_CHUNKS];
    const __m512d step = _mm512_set_pd(7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0);
    const __m512d last = _mm512_set1_pd((double)(nx - 1));
    const __m512d inf = _mm512_set1_pd(INFINITY);
    const __m512i lanes =
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (int64_t j = 0; j < n16; j++) {
        for (int h = 0; h < 2; h++) {
            const __m512d xx =
                _mm512_add_pd(_mm512_set1_pd((double)(x0 + 16 * j + 8 * h)), step);
            const __m512d dx = _mm512_sub_pd(xx, _mm512_set1_pd(px));
            const __mmask8 in_image = _mm512_cmp_pd_mask(xx, last, _CMP_LE_OQ);
            dx2[2 * j + h] = _mm512_mask_mul_pd(inf, in_image, dx, dx);
        }
        lane_x[j] = _mm512_add_epi32(_mm512_set1_epi32((int)(16 * j)), lanes);
    }
    const __m512i zero = _mm512_setzero_si512();
    __m512i vx = zero, vlo[MS_FLAT_REG_CHANNELS], vhi[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) vlo[k] = vhi[k] = zero;
    int64_t n = 0, sz = 0, sy = 0;

    int64_t z0, z1;
    ms__image_index_range(pz - g->hs, pz + g->hs, g->nz - 1, &z0, &z1);
    for (int64_t z = z0; z <= z1; z++) {
        const double dz = (double)z - pz, dz2 = dz * dz;
        if (!(dz2 <= hs2_d)) continue;
        const double ry = sqrt(hs2_d - dz2);
        int64_t y0, y1;
        ms__image_index_range(py - ry, py + ry, ny - 1, &y0, &y1);
        int64_t pn = 0;
        for (int64_t y = y0; y <= y1; y++) {
            const double dy = (double)y - py, dyz = dz2 + dy * dy;
            if (!(dyz <= hs2_d)) continue;
            const __m512d vdyz = _mm512_set1_pd(dyz);
            const int64_t row = (z * ny + y) * nx + x0;
            int64_t rn = 0;
            for (int64_t j = 0; j < n16; j++) {
                const int64_t x = row + 16 * j;
                const __mmask8 m0 =
                    _mm512_cmp_pd_mask(_mm512_add_pd(vdyz, dx2[2 * j]), hs2, _CMP_LE_OQ);
                const __mmask8 m1 = _mm512_cmp_pd_mask(
                    _mm512_add_pd(vdyz, dx2[2 * j + 1]), hs2, _CMP_LE_OQ);
                const __mmask16 m = _mm512_kunpackb(m1, m0);
                const __m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(planes32 + x), colf[0]);
                __m512 dc = _mm512_mul_ps(t0, t0);
                for (int64_t k = 1; k < c; k++) {
                    const __m512 t = _mm512_sub_ps(
                        _mm512_loadu_ps(planes32 + k * stride + x), colf[k]);
                    dc = _mm512_fmadd_ps(t, t, dc);
                }
                __mmask16 in = _mm512_mask_cmp_ps_mask(m, dc, sure_in, _CMP_LT_OQ);
                const __mmask16 maybe =
                    _mm512_mask_cmp_ps_mask(m, dc, sure_out, _CMP_LE_OQ);
                const __mmask16 band = _mm512_kandn(in, maybe);
                /* float32 cannot tell: the float64 test of the other forms */
                if (__builtin_expect(!_mm512_kortestz(band, band), 0))
                    in = (__mmask16)ms__image_band_test(g, x, col, _mm512_mask2int(in),
                                                        _mm512_mask2int(band));
                rn += __builtin_popcount((unsigned)_mm512_mask2int(in));
                vx = _mm512_mask_add_epi32(vx, in, vx, lane_x[j]);
                if (narrow) {
                    for (int64_t k = 0; k < c; k++)
                        vlo[k] = _mm512_mask_add_epi32(
                            vlo[k], in, vlo[k],
                            _mm512_loadu_si512(g->narrow + k * stride + x));
                } else {
                    const __mmask8 in0 = (__mmask8)in, in1 = (__mmask8)(in >> 8);
                    for (int64_t k = 0; k < c; k++) {
                        const int64_t *q = qplanes + k * stride + x;
                        vlo[k] = _mm512_mask_add_epi64(vlo[k], in0, vlo[k],
                                                       _mm512_loadu_si512(q));
                        vhi[k] = _mm512_mask_add_epi64(vhi[k], in1, vhi[k],
                                                       _mm512_loadu_si512(q + 8));
                    }
                }
            }
            pn += rn;
            sy += rn * y;
        }
        n += pn;
        sz += pn * z;
    }
    int64_t sc[MS_FLAT_REG_CHANNELS];
    const int64_t sx = n * x0 + (int64_t)_mm512_reduce_add_epi32(vx);
    if (narrow) {
        /* the colours' own integer sums (below 2^31): exactly the int64
         * form's sums times its quantum */
        for (int64_t k = 0; k < c; k++) sc[k] = (int64_t)_mm512_reduce_add_epi32(vlo[k]);
        ms__image_flat_out_q(g, n, sz, sy, sx, sc, 1.0, out);
        return;
    }
    for (int64_t k = 0; k < c; k++)
        sc[k] = _mm512_reduce_add_epi64(_mm512_add_epi64(vlo[k], vhi[k]));
    ms__image_flat_out(g, n, sz, sy, sx, sc, out);
}

/* The window's sums for c channels, one chunk or more, 64- or 32-bit. */
MS_ALWAYS_INLINE MS_AVX512_TARGET void flat_sums_avx512_c(const image_ctx *g,
                                                          const double *st, double *out,
                                                          const int64_t c,
                                                          const int narrow)
{
    if (g->one_chunk)
        flat_sums_avx512_kc(g, st, out, c, 1, narrow);
    else
        flat_sums_avx512_kc(g, st, out, c, 0, narrow);
}

/* The same with the channel counts that photographs and grey images
 * have as constants. */
MS_ALWAYS_INLINE MS_AVX512_TARGET void
flat_sums_avx512_n(const image_ctx *g, const double *st, double *out, const int narrow)
{
    switch (g->c) {
    case 1: flat_sums_avx512_c(g, st, out, 1, narrow); return;
    case 3: flat_sums_avx512_c(g, st, out, 3, narrow); return;
    default: flat_sums_avx512_c(g, st, out, g->c, narrow); return;
    }
}

MS_AVX512_TARGET static void flat_sums_avx512(const image_ctx *g, const double *st,
                                              double *out)
{
    if (g->narrow != NULL)
        flat_sums_avx512_n(g, st, out, 1);
    else
        flat_sums_avx512_n(g, st, out, 0);
}

/* Lanes whose float32 distance falls in the band: the float64 test. */
MS_AVX512_TARGET static __mmask16 first_band(const image_ctx *g, int64_t p0,
                                             int64_t delta, __mmask16 in, unsigned band)
{
    unsigned bits = in;
    double col[MS_FLAT_REG_CHANNELS];
    while (band) {
        const int b = __builtin_ctz(band);
        band &= band - 1;
        for (int64_t k = 0; k < g->c; k++) col[k] = g->planes[k * g->stride + p0 + b];
        if (ms__image_colour_dist2(g, p0 + b + delta, col) <= g->hr2) bits |= 1u << b;
    }
    return (__mmask16)bits;
}

MS_ALWAYS_INLINE MS_AVX512_TARGET void first_sums_avx512_c(const image_ctx *g, int64_t y,
                                                           int64_t x0, double *out,
                                                           const int64_t c)
{
    const int64_t p0 = y * g->nx + x0, stride = g->stride;
    const float *MS_RESTRICT planes32 = g->planes32;
    const int64_t *MS_RESTRICT qplanes = g->qplanes;
    __m512 colf[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) colf[k] = _mm512_loadu_ps(planes32 + k * stride + p0);
    const __m512 sure_in = _mm512_set1_ps(g->screen_in);
    const __m512 sure_out = _mm512_set1_ps(g->screen_out);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i zero = _mm512_setzero_si512();
    __m512i cnt = zero, sdy = zero, sdx = zero;
    __m512i vlo[MS_FLAT_REG_CHANNELS], vhi[MS_FLAT_REG_CHANNELS];
    for (int64_t k = 0; k < c; k++) vlo[k] = vhi[k] = zero;
    for (int64_t o = 0; o < g->n_disk; o++) {
        const int64_t q = p0 + g->disk_delta[o];
        const __m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(planes32 + q), colf[0]);
        __m512 dc = _mm512_mul_ps(t0, t0);
        for (int64_t k = 1; k < c; k++) {
            const __m512 t =
                _mm512_sub_ps(_mm512_loadu_ps(planes32 + k * stride + q), colf[k]);
            dc = _mm512_fmadd_ps(t, t, dc);
        }
        __mmask16 in = _mm512_cmp_ps_mask(dc, sure_in, _CMP_LT_OQ);
        const __mmask16 band =
            _mm512_kandn(in, _mm512_cmp_ps_mask(dc, sure_out, _CMP_LE_OQ));
        if (__builtin_expect(!_mm512_kortestz(band, band), 0))
            in = first_band(g, p0, g->disk_delta[o], in, _mm512_mask2int(band));
        cnt = _mm512_mask_add_epi32(cnt, in, cnt, one);
        sdy = _mm512_mask_add_epi32(sdy, in, sdy, _mm512_set1_epi32(g->disk_dy[o]));
        sdx = _mm512_mask_add_epi32(sdx, in, sdx, _mm512_set1_epi32(g->disk_dx[o]));
        const __mmask8 in0 = (__mmask8)in, in1 = (__mmask8)(in >> 8);
        for (int64_t k = 0; k < c; k++) {
            const int64_t *qk = qplanes + k * stride + q;
            vlo[k] = _mm512_mask_add_epi64(vlo[k], in0, vlo[k], _mm512_loadu_si512(qk));
            vhi[k] =
                _mm512_mask_add_epi64(vhi[k], in1, vhi[k], _mm512_loadu_si512(qk + 8));
        }
    }
    int32_t n[MS_FIRST_PIXELS], ry[MS_FIRST_PIXELS], rx[MS_FIRST_PIXELS];
    int64_t sc[MS_FLAT_REG_CHANNELS][MS_FIRST_PIXELS];
    _mm512_storeu_si512(n, cnt);
    _mm512_storeu_si512(ry, sdy);
    _mm512_storeu_si512(rx, sdx);
    for (int64_t k = 0; k < c; k++) {
        _mm512_storeu_si512(sc[k], vlo[k]);
        _mm512_storeu_si512(sc[k] + 8, vhi[k]);
    }
    for (int64_t l = 0; l < MS_FIRST_PIXELS; l++) {
        const int64_t nl = n[l], xl = x0 + l;
        int64_t scl[MS_FLAT_REG_CHANNELS];
        for (int64_t k = 0; k < c; k++) scl[k] = sc[k][l];
        ms__image_flat_out(g, nl, 0, nl * y + ry[l], nl * xl + rx[l], scl,
                           out + l * (4 + c));
    }
}

MS_AVX512_TARGET static void first_sums_avx512(const image_ctx *g, int64_t y, int64_t x0,
                                               double *out)
{
    switch (g->c) {
    case 1: first_sums_avx512_c(g, y, x0, out, 1); return;
    case 3: first_sums_avx512_c(g, y, x0, out, 3); return;
    default: first_sums_avx512_c(g, y, x0, out, g->c); return;
    }
}

#endif

int ms__image_flat_screen_setup(image_ctx *g, double maxabs)
{
    g->avx512 = 0;
    g->avx2 = 0;
    g->avx2_chunks = 0;
    g->one_chunk = 0;
    int avx512 = 0, avx2 = 0;
    const int64_t columns = g->chunks * LANES;
#ifdef MS_AVX512_TARGET
    avx512 = MS_CPU_HAS_AVX512() && (columns + 15) / 16 <= MS_FLAT_AVX512_CHUNKS;
#endif
#ifdef MS_AVX2_TARGET
    avx2 = !avx512 && MS_CPU_HAS_AVX2() && (columns + 7) / 8 <= MS_FLAT_AVX2_CHUNKS;
#endif
    if (!(avx512 || avx2) || g->c > MS_FLAT_REG_CHANNELS) return 0;
    /* The float32 colours are within a = maxabs 2^-22 of the float64 ones
     * (half of it from rounding the colours and the centre, the rest for
     * the difference's rounding, relative 2^-24).  Over at most four
     * channels the squared distance (its squares added with or without
     * fused multiply-adds) then errs by at most
     * 4 a |t| + 2^-21 |t|^2 + 4 a^2 (|t|: the distance); for distances up to
     * twice the radius, delta below bounds that, and beyond them the
     * screen's value only grows (the radius is at least 64 a).  So a float32
     * distance below hr2 - delta is inside, one above hr2 + delta outside,
     * and the band between takes the float64 test.  Colours far from the
     * float32 range, or radii too small for the bound, take the other
     * forms. */
    const double hr2 = g->hr2;
    if (maxabs != 0.0 && !(maxabs >= 0x1p-60 && maxabs <= 0x1p60)) return 0;
    if (!(hr2 <= 0x1p120)) return 0;
    const double a = ldexp(maxabs, -22);
    if (!(hr2 >= 4096.0 * a * a)) return 0;
    const double delta = 16.0 * a * sqrt(hr2) + ldexp(hr2, -16) + 8.0 * a * a;
    float lo = (float)(hr2 - delta), hi = (float)(hr2 + delta);
    if ((double)lo > hr2 - delta) lo = nextafterf(lo, -INFINITY);
    if ((double)hi < hr2 + delta) hi = nextafterf(hi, INFINITY);
    g->screen_in = lo;
    g->screen_out = hi;
    /* The disk's columns in a row run from x0 = floor(px - hs) to at most
     * floor(px + hs + e), e (the radius test's rounding) far below 2^-30:
     * at most ceil(2 hs + e) columns past x0, so one chunk of sixteen
     * holds them for radii below 7.5 (the window's width, g->chunks,
     * allows for more), and k chunks of eight for radii below 4 k - 0.5. */
    const double span = 2.0 * g->hs + 0x1p-30;
    if (avx512) {
        g->avx512 = 1;
        g->one_chunk = span <= 15.0;
    } else {
        /* the fewest chunks k with span <= 8 k - 1, at most the width's */
        const double need = ceil((span + 1.0) / 8.0); /* huge for huge radii */
        const int64_t most = (columns + 7) / 8;
        g->avx2 = 1;
        g->avx2_chunks = need < (double)most ? (int64_t)need : most;
    }
    return 1;
}

/* The first steps: a pixel's window is then centred on the pixel, so its
 * spatial test is the same disk of integer offsets for every pixel (dy^2 +
 * dx^2 <= hs2, exact in float64, as the other forms compute it), and the
 * sixteen pixels of a tile row take the disk offset by offset, each lane
 * testing its own pixel's neighbour at that offset against its own colour.
 * Which pixels each window takes, and so its exact integer sums, are those
 * of the other forms; but no lane falls outside the disk, and a row's
 * setup is paid once for sixteen windows. */
#ifdef MS_FLAT_VECTORS
/* Four pixels at a time on the vector lanes, the colour test in float64 as
 * flat_sums_kc takes it. */
MS_ALWAYS_INLINE void first_sums_vec_c(const image_ctx *g, int64_t y, int64_t x0,
                                       double *out, const int64_t c)
{
    const int64_t stride = g->stride;
    const double hr2 = g->hr2;
    for (int64_t g4 = 0; g4 < MS_FIRST_PIXELS; g4 += LANES) {
        const int64_t p0 = y * g->nx + x0 + g4;
        lanes_d col[MS_FLAT_REG_CHANNELS];
        for (int64_t k = 0; k < c; k++) col[k] = LOAD_D(g->planes + k * stride + p0);
        const lanes_i zero = {0};
        lanes_i cnt = zero, sdy = zero, sdx = zero, vc[MS_FLAT_REG_CHANNELS];
        for (int64_t k = 0; k < c; k++) vc[k] = zero;
        for (int64_t o = 0; o < g->n_disk; o++) {
            const int64_t q = p0 + g->disk_delta[o];
            const lanes_d t0 = LOAD_D(g->planes + q) - col[0];
            lanes_d dc = t0 * t0;
            for (int64_t k = 1; k < c; k++) {
                const lanes_d t = LOAD_D(g->planes + k * stride + q) - col[k];
                dc += t * t;
            }
            const lanes_i in = dc <= hr2; /* -1 or 0 */
            cnt -= in;
            sdy += in & (int64_t)g->disk_dy[o];
            sdx += in & (int64_t)g->disk_dx[o];
            for (int64_t k = 0; k < c; k++)
                vc[k] += in & LOAD_I(g->qplanes + k * stride + q);
        }
        for (int64_t l = 0; l < LANES; l++) {
            const int64_t nl = cnt[l];
            int64_t scl[MS_FLAT_REG_CHANNELS];
            for (int64_t k = 0; k < c; k++) scl[k] = vc[k][l];
            ms__image_flat_out(g, nl, 0, nl * y + sdy[l], nl * (x0 + g4 + l) + sdx[l],
                               scl, out + (g4 + l) * (4 + c));
        }
    }
}

MS_SIMD_CLONES
static void first_sums_vec(const image_ctx *g, int64_t y, int64_t x0, double *out)
{
    switch (g->c) {
    case 1: first_sums_vec_c(g, y, x0, out, 1); return;
    case 3: first_sums_vec_c(g, y, x0, out, 3); return;
    default: first_sums_vec_c(g, y, x0, out, g->c); return;
    }
}
#endif

void ms__image_flat_first_setup(image_ctx *g)
{
    g->n_disk = 0;
    g->disk_reach = 0;
    /* exact integer sums over up to MS_FLAT_REG_CHANNELS channels, in a
     * form that takes them: AVX-512 or the vector lanes */
    int form = 0;
#ifdef MS_AVX512_TARGET
    form |= g->avx512;
#endif
#ifdef MS_FLAT_VECTORS
    form = 1;
#endif
    if (!form || !(g->quantum > 0.0) || g->nz != 1 || g->c > MS_FLAT_REG_CHANNELS) return;
    /* integer offsets with dx^2 <= hs2 reach floor(hs) (hs2's square root
     * is at most hs), at most MS_FIRST_REACH_MAX */
    if (!(g->hs < MS_FIRST_REACH_MAX + 1.0)) return;
    const int64_t r = (int64_t)floor(g->hs);
    int64_t m = 0;
    for (int64_t dy = -r; dy <= r; dy++)
        for (int64_t dx = -r; dx <= r; dx++) {
            const double fy = (double)dy, fx = (double)dx;
            if (!(fy * fy + fx * fx <= g->hs2)) continue;
            g->disk_dy[m] = (int32_t)dy;
            g->disk_dx[m] = (int32_t)dx;
            g->disk_delta[m] = dy * g->nx + dx;
            m++;
        }
    g->n_disk = m;
    g->disk_reach = r;
}

int ms__image_flat_first_sums(const image_ctx *g, int64_t y, int64_t x0, double *out)
{
    const int64_t r = g->disk_reach;
    if (g->n_disk == 0 || y < r || y + r >= g->ny || x0 < r ||
        x0 + MS_FIRST_PIXELS - 1 + r >= g->nx)
        return 0;
#ifdef MS_AVX512_TARGET
    if (g->avx512) {
        first_sums_avx512(g, y, x0, out);
        return 1;
    }
#endif
#ifdef MS_FLAT_VECTORS
    first_sums_vec(g, y, x0, out);
    return 1;
#else
    (void)out;
    return 0;
#endif
}

void ms__image_flat_sums(const image_ctx *g, const double *st, double *out,
                         int64_t *scratch)
{
#ifdef MS_AVX512_TARGET
    if (g->avx512) {
        flat_sums_avx512(g, st, out);
        return;
    }
#endif
#ifdef MS_AVX2_TARGET
    if (g->avx2) {
        ms__image_flat_sums_avx2(g, st, out);
        return;
    }
#endif
#ifdef MS_FLAT_VECTORS
    if (g->c <= MS_FLAT_REG_CHANNELS) {
        flat_sums_vec(g, st, out);
        return;
    }
#endif
    flat_sums_any(g, st, out, scratch);
}
