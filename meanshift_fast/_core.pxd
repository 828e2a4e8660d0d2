# cython: language_level=3
"""The C core's entry points, exported to other Cython extensions.

    from meanshift_fast._core cimport api_tree_build_f64, api_shift_seeds_f64

resolves at import time through meanshift_fast._core (no linking against
C sources needed).  api_NAME forwards to ms_NAME of src_c/meanshift.h; see
that header for the contracts.
"""
from libc.stdint cimport int64_t

from meanshift_fast.cmeanshift cimport (
    ms_config,
    ms_kernel,
    ms_shift_params,
    ms_status,
    ms_tree_f32,
    ms_tree_f64,
)

cdef ms_config api_config_default() noexcept nogil
cdef int api_openmp_enabled() noexcept nogil
cdef int api_default_num_threads() noexcept nogil
cdef int api_fault_injection_enabled() noexcept nogil
cdef double api_radius_sq(double h) noexcept nogil
cdef double api_flat_radius_sq(double h) noexcept nogil
cdef ms_status api_tree_build_f64(
        const double *X, const double *weights, int64_t n, int64_t d, int64_t leaf_size,
        ms_kernel kernel, const ms_config *cfg, ms_tree_f64 **out) noexcept nogil
cdef ms_status api_tree_build_f32(
        const float *X, const double *weights, int64_t n, int64_t d, int64_t leaf_size,
        ms_kernel kernel, const ms_config *cfg, ms_tree_f32 **out) noexcept nogil
cdef void api_tree_free_f64(ms_tree_f64 *tree) noexcept nogil
cdef void api_tree_free_f32(ms_tree_f32 *tree) noexcept nogil
cdef ms_status api_tree_kernel_sum_f64(
        const ms_tree_f64 *tree, const double *q, ms_kernel kernel, double h, double tol,
        double *wsum, double *wx) noexcept nogil
cdef ms_status api_tree_kernel_sum_f32(
        const ms_tree_f32 *tree, const double *q, ms_kernel kernel, double h, double tol,
        double *wsum, double *wx) noexcept nogil
cdef ms_status api_shift_seeds_f64(
        const ms_tree_f64 *tree, const double *seeds, int64_t n_seeds,
        const ms_shift_params *params, const ms_config *cfg, double *means, double *intensity,
        int64_t *n_iter, unsigned char *converged) noexcept nogil
cdef ms_status api_shift_seeds_f32(
        const ms_tree_f32 *tree, const double *seeds, int64_t n_seeds,
        const ms_shift_params *params, const ms_config *cfg, double *means, double *intensity,
        int64_t *n_iter, unsigned char *converged) noexcept nogil
cdef ms_status api_merge_centers(
        const double *means, const double *intensity, int64_t m, int64_t d, double r2,
        const ms_config *cfg, int64_t *order, int64_t *n_centers) noexcept nogil
cdef ms_status api_nearest_center_f64(
        const double *X, int64_t n, int64_t d, const double *centers, int64_t k, double r2,
        const ms_config *cfg, int64_t *labels, double *sq_dist) noexcept nogil
cdef ms_status api_nearest_center_f32(
        const float *X, int64_t n, int64_t d, const double *centers, int64_t k, double r2,
        const ms_config *cfg, int64_t *labels, double *sq_dist) noexcept nogil
cdef ms_status api_kth_neighbor_distance_f64(
        const ms_tree_f64 *tree, int64_t k, const ms_config *cfg, double *out) noexcept nogil
cdef ms_status api_kth_neighbor_distance_f32(
        const ms_tree_f32 *tree, int64_t k, const ms_config *cfg, double *out) noexcept nogil
