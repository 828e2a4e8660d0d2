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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meanshift.h"
#include "check.h"

/* A NaN or infinite colour is refused (the flat kernel's fixed-point
 * sums converted it to int64: undefined behaviour). */
static void test_image_filter_nonfinite(void)
{
    enum { NY = 5, NX = 6, C = 3, N = NY * NX * C };
    double img[N], out[N];
    const double bad[] = {NAN, INFINITY, -INFINITY};
    const ms_kernel kernels[] = {MS_KERNEL_FLAT, MS_KERNEL_GAUSSIAN,
                                 MS_KERNEL_EPANECHNIKOV};
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

/* A thread count beyond what can start runs on MS_MAX_THREADS threads,
 * with the results of one thread (libgomp exited the process, or crashed,
 * on a team of INT_MAX or 100000 threads). */
static void test_huge_thread_count(void)
{
    enum { N = 200, D = 2 };
    double X[N * D];
    for (int i = 0; i < N * D; i++) X[i] = (double)((i * 7919) % 101) * 0.05;
    ms_config one = ms_config_default(), huge = ms_config_default();
    huge.n_threads = INT_MAX;
    int64_t lab1[N], labh[N];
    check(ms_nearest_center_f64(X, N, D, X, 5, -1.0, &one, lab1, NULL) == MS_OK &&
              ms_nearest_center_f64(X, N, D, X, 5, -1.0, &huge, labh, NULL) == MS_OK &&
              memcmp(lab1, labh, sizeof lab1) == 0,
          "nearest_center with n_threads = INT_MAX");
    ms_tree_f64 *t = NULL;
    check(ms_tree_build_f64(X, NULL, N, D, 0, MS_KERNEL_FLAT, &huge, &t) == MS_OK,
          "tree_build with n_threads = INT_MAX");
    if (t) {
        const ms_shift_params p = {MS_KERNEL_FLAT, 0.3, 1e-3, 300, 0.0};
        double m1[N * D], mh[N * D], i1[N], ih[N];
        int64_t it1[N], ith[N];
        check(ms_shift_seeds_f64(t, X, N, &p, &one, m1, i1, it1, NULL) == MS_OK &&
                  ms_shift_seeds_f64(t, X, N, &p, &huge, mh, ih, ith, NULL) == MS_OK &&
                  memcmp(m1, mh, sizeof m1) == 0 && memcmp(i1, ih, sizeof i1) == 0,
              "shift_seeds with n_threads = INT_MAX");
    }
    ms_tree_free_f64(t);
}

int main(void)
{
    test_image_filter_nonfinite();
    test_huge_thread_count();
    printf("%d passed, %d failed\n", n_passed, n_failed);
    return n_failed == 0 ? 0 : 1;
}
