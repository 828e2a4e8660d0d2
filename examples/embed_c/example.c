/*
 * example.c - cluster a few points with the meanshift-fast C core, without
 * Python: the public header src_c/meanshift.h and the sources in src_c/.
 *
 *   cc -O2 -std=c99 -fopenmp -Isrc_c src_c/*.c examples/embed_c/example.c -lm -o example
 *   ./example
 *
 * (Drop -fopenmp for a serial build.)  Prints the centres in scikit-learn's
 * order and the label of every point.
 */
#include <stdio.h>
#include <stdlib.h>

#include "meanshift.h"

#define N 10
#define D 2

int main(void)
{
    /* Two groups of points and a straggler (the layout is kept by hand). */
    /* clang-format off */
    static const double X[N * D] = {
        1.0,  1.0,  2.0,  1.0,  1.0,  0.0,  1.5,  0.5,  /* group A */
        8.0,  8.0,  9.0,  8.0,  8.0,  9.0,  9.0,  9.0,  /* group B */
        8.5,  8.5,                                      /* group B */
        20.0, 0.0                                       /* straggler */
    };
    /* clang-format on */
    const double bandwidth = 2.0;

    ms_config cfg = ms_config_default();
    cfg.n_threads = ms_default_num_threads();

    ms_tree_f64 *tree = NULL;
    double means[N * D], intensity[N], centers[N * D];
    int64_t n_iter[N], order[N], labels[N], k = 0;
    ms_status st = ms_tree_build_f64(X, NULL, N, D, 0, MS_KERNEL_FLAT, &cfg, &tree);
    if (st != MS_OK) {
        fprintf(stderr, "tree build failed: %d\n", (int)st);
        return 1;
    }

    /* Every point is a seed; the flat kernel stops a seed once its step is
     * at most 1e-3 * bandwidth, as scikit-learn does. */
    ms_shift_params params;
    params.kernel = MS_KERNEL_FLAT;
    params.bandwidth = bandwidth;
    params.stop_thresh = 1e-3 * bandwidth;
    params.max_iter = 300;
    params.gaussian_tol = 0.0;
    st = ms_shift_seeds_f64(tree, X, N, &params, &cfg, means, intensity, n_iter, NULL);
    if (st == MS_OK)
        st = ms_merge_centers(means, intensity, N, D, ms_radius_sq(bandwidth), &cfg,
                              order, &k);
    ms_tree_free_f64(tree);
    if (st != MS_OK || k == 0) {
        fprintf(stderr, "mean shift failed: %d\n", (int)st);
        return 1;
    }
    for (int64_t c = 0; c < k; c++)
        for (int j = 0; j < D; j++) centers[c * D + j] = means[order[c] * D + j];
    st = ms_nearest_center_f64(X, N, D, centers, k, -1.0, &cfg, labels, NULL);
    if (st != MS_OK) {
        fprintf(stderr, "labelling failed: %d\n", (int)st);
        return 1;
    }

    printf("%lld centres\n", (long long)k);
    for (int64_t c = 0; c < k; c++) {
        printf("centre %lld:", (long long)c);
        for (int j = 0; j < D; j++) printf(" %.17g", centers[c * D + j]);
        printf("\n");
    }
    printf("labels:");
    for (int i = 0; i < N; i++) printf(" %lld", (long long)labels[i]);
    printf("\n");
    return 0;
}
