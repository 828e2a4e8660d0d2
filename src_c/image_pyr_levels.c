/*
 * image_pyr_levels.c - how the pyramid filter moves between levels, with
 * the bytes OpenCV writes: pyrDown builds the level above, pyrUp starts a
 * finer level from the filtered coarser one, and the marks near the
 * coarser level's colour edges say which pixels of the finer level are
 * filtered again.
 * Apart from the mean-shift steps (image_pyr_steps.c) because these are
 * integer resampling with OpenCV's rounding and borders, and run once per
 * pixel rather than once per window.
 */
#include <stdint.h>
#include <string.h>

#include "image_pyr_internal.h"

/* OpenCV's borderInterpolate for BORDER_REFLECT_101. */
static int64_t reflect101(int64_t p, int64_t n)
{
    if (n == 1) return 0;
    while (p < 0 || p >= n) p = p < 0 ? -p : 2 * (n - 1) - p;
    return p;
}

/* dst (dh x dw, dh = (h + 1) / 2, dw = (w + 1) / 2) = pyrDown(src (h x w)):
 * weights 1 4 6 4 1 in each direction, reflect-101 borders.  The integer
 * sums are exact, so the vertical pass may come first. */
ms_status ms__pyr_down(ms_runtime *rt, const uint8_t *src, int64_t h, int64_t w,
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
/* Row y of dst (dh x dw, dh in {2h - 1, 2h}, likewise dw) = pyrUp(src
 * (h x w)); rows (w x 3) is scratch.  Vertically, source row s stands for
 * row reflect101(2 s, 2 h) / 2, which is reflect-101 at the top and the
 * last row repeated at the bottom; even rows take taps 1 6 1 of source
 * rows y/2 - 1, y/2, y/2 + 1, odd rows 4 4 of rows y/2, y/2 + 1.
 * Horizontally, even columns take taps 1 6 1 of source columns x/2 - 1,
 * x/2, x/2 + 1 (reflect-101 at the left, the last column repeated at the
 * right), odd columns 4 4.  The 2-D sums are exact before the rounding
 * shift, so the vertical taps go first, on whole rows, and the
 * horizontal ones once per output row. */
void ms__pyr_up_row(const uint8_t *src, int64_t h, int64_t w, int64_t y, uint8_t *dst,
                    int64_t dw, int32_t *rows)
{
    const int64_t half = y / 2;
    const uint8_t *s[3];
    for (int t = 0; t < 3; t++)
        s[t] = src + reflect101(2 * (half + t - 1), 2 * h) / 2 * w * 3;
    int32_t *MS_RESTRICT v = rows;
    const uint8_t *MS_RESTRICT s0 = s[0], *MS_RESTRICT s1 = s[1], *MS_RESTRICT s2 = s[2];
    if (y % 2)
        for (int64_t i = 0; i < w * 3; i++) v[i] = 4 * (s1[i] + s2[i]);
    else
        for (int64_t i = 0; i < w * 3; i++) v[i] = s0[i] + 6 * s1[i] + s2[i];
    uint8_t *MS_RESTRICT out = dst + y * dw * 3;
    for (int64_t x = 0; x < w; x++) {
        const int64_t xl = x > 0 ? x - 1 : (w > 1 ? 1 : 0);
        const int64_t xr = x + 1 < w ? x + 1 : w - 1;
        for (int c = 0; c < 3; c++) {
            const int32_t a = v[xl * 3 + c], b = v[x * 3 + c], d = v[xr * 3 + c];
            out[2 * x * 3 + c] = (uint8_t)((a + 6 * b + d + 32) >> 6);
            if (2 * x + 1 < dw)
                out[(2 * x + 1) * 3 + c] = (uint8_t)((4 * (b + d) + 32) >> 6);
        }
    }
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
int64_t ms__pyr_mark_row(const uint8_t *coarse, int64_t h1, int64_t w1, int32_t r2,
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

void ms__pyr_dilated_row(const uint8_t *marks, int64_t h, int64_t w, int64_t y,
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
