/*
 * test_api_edges.c - the public entry points of the C core (src_c/meanshift.h)
 * at the edges of their arguments: values the header refuses must give an
 * error code, and values it accepts a result, never undefined behaviour or
 * an exit of the process.  Build it as tests/c/test_tree.c is built
 * (tests/test_c_core.py does, with -fsanitize=address,undefined where the
 * compiler has them); it prints "N passed, M failed".
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meanshift.h"

static int n_passed = 0, n_failed = 0;

static void check(int ok, const char *fmt, ...)
{
    if (ok) {
        n_passed++;
        return;
    }
    n_failed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* A NaN or infinite colour is refused (the flat kernel's fixed-point
 * sums converted it to int64: undefined behaviour). */
static void test_image_filter_nonfinite(void)
{
    enum { NY = 5, NX = 6, C = 3, N = NY * NX * C };
    double img[N], out[N];
    const double bad[] = {NAN, INFINITY, -INFINITY};
    const ms_kernel kernels[] = {MS_KERNEL_FLAT, MS_KERNEL_GAUSSIAN, MS_KERNEL_EPANECHNIKOV};
    ms_config cfg = ms_config_default();
    for (int k = 0; k < 3; k++) {
        const ms_image_params p = {kernels[k], 2.0, 10.0, 20, 0.01};
        for (int i = 0; i < N; i++) img[i] = (double)((i * 37) % 256);
        check(ms_image_filter(img, 1, NY, NX, C, &p, &cfg, out) == MS_OK,
              "image_filter kernel %d: finite colours", k);
        for (int b = 0; b < 3; b++)
            for (int at = 0; at < N; at += N / 3 + 1) {
                for (int i = 0; i < N; i++) img[i] = (double)((i * 37) % 256);
                img[at] = bad[b];
                check(ms_image_filter(img, 1, NY, NX, C, &p, &cfg, out) == MS_ERR_INVALID,
                      "image_filter kernel %d refuses %g at %d", k, bad[b], at);
            }
    }
}

int main(void)
{
    test_image_filter_nonfinite();
    printf("%d passed, %d failed\n", n_passed, n_failed);
    return n_failed == 0 ? 0 : 1;
}
