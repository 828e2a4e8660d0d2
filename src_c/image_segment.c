/*
 * image_segment.c - regions of a filtered image: neighbouring pixels whose
 * modes are close join one region, then regions smaller than a minimum
 * merge into the neighbour with the nearest mode.
 *
 * Serial and in a fixed order throughout, so that the labels are a
 * function of the modes alone.
 */
#include <stdlib.h>
#include <string.h>

#include "ms_internal.h"

static int64_t find_root(int64_t *parent, int64_t a)
{
    int64_t r = a;
    while (parent[r] != r) r = parent[r];
    while (parent[a] != r) {
        const int64_t next = parent[a];
        parent[a] = r;
        a = next;
    }
    return r;
}

/* Neighbour offsets (dz, dy, dx) that come later in raster order, with at
 * most `rank` non-zero components; returns their count (at most 13). */
static int forward_offsets(int rank, int is_volume, int64_t off[13][3])
{
    int m = 0;
    for (int64_t dz = 0; dz <= (is_volume ? 1 : 0); dz++)
        for (int64_t dy = -1; dy <= 1; dy++)
            for (int64_t dx = -1; dx <= 1; dx++) {
                if (dz == 0 && (dy < 0 || (dy == 0 && dx <= 0))) continue;
                const int nonzero = (dz != 0) + (dy != 0) + (dx != 0);
                if (nonzero > rank) continue;
                off[m][0] = dz;
                off[m][1] = dy;
                off[m][2] = dx;
                m++;
            }
    return m;
}

static double sq_dist(const double *a, const double *b, int64_t c)
{
    double s = 0.0;
    for (int64_t k = 0; k < c; k++) {
        const double t = a[k] - b[k];
        s += t * t;
    }
    return s;
}

/* A growable list of region ids. */
typedef struct id_list {
    int64_t *v;
    int64_t len, cap;
} id_list;

typedef struct heap_item {
    int64_t size, id;
} heap_item;

static int heap_less(heap_item a, heap_item b)
{
    return a.size < b.size || (a.size == b.size && a.id < b.id);
}

static void heap_push(heap_item *h, int64_t *len, heap_item x)
{
    int64_t i = (*len)++;
    while (i > 0) {
        const int64_t up = (i - 1) / 2;
        if (!heap_less(x, h[up])) break;
        h[i] = h[up];
        i = up;
    }
    h[i] = x;
}

static heap_item heap_pop(heap_item *h, int64_t *len)
{
    const heap_item top = h[0];
    const heap_item last = h[--(*len)];
    int64_t i = 0;
    for (;;) {
        int64_t child = 2 * i + 1;
        if (child >= *len) break;
        if (child + 1 < *len && heap_less(h[child + 1], h[child])) child++;
        if (!heap_less(h[child], last)) break;
        h[i] = h[child];
        i = child;
    }
    if (*len > 0) h[i] = last;
    return top;
}

/* Append b's ids to a, growing a's buffer; 0 when out of memory. */
static int list_extend(ms_runtime *rt, id_list *a, const id_list *b)
{
    if (a->len + b->len > a->cap) {
        int64_t cap = a->cap < 4 ? 4 : a->cap;
        while (cap < a->len + b->len) cap *= 2;
        int64_t *v = ms_alloc(rt, (size_t)cap, sizeof(int64_t));
        if (v == NULL) return 0;
        if (a->len) memcpy(v, a->v, (size_t)a->len * sizeof(int64_t));
        ms_free(a->v);
        a->v = v;
        a->cap = cap;
    }
    if (b->len) memcpy(a->v + a->len, b->v, (size_t)b->len * sizeof(int64_t));
    a->len += b->len;
    return 1;
}

ms_status ms_image_segment(const double *modes, int64_t nz, int64_t ny, int64_t nx,
                           int64_t c, double join_radius, int rank, int64_t min_region,
                           const ms_config *cfg, int32_t *labels, int64_t *n_regions)
{
    if (nz < 1 || ny < 1 || nx < 1 || c < 1 || modes == NULL || labels == NULL ||
        n_regions == NULL || rank < 1 || rank > 3 || !(join_radius >= 0.0))
        return MS_ERR_INVALID;
    if (nz > INT64_MAX / ny || nz * ny > INT64_MAX / nx) return MS_ERR_INVALID;
    const int64_t n = nz * ny * nx;
    if (n > INT32_MAX) return MS_ERR_INVALID;
    const double r2 = ms_radius_sq(join_radius);
    int64_t off[13][3];
    const int n_off = forward_offsets(rank, nz > 1, off);

    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    ms_status st = MS_ERR_NOMEM;
    int64_t *parent = ms_alloc(&rt, (size_t)n, sizeof(int64_t));
    int64_t *region = ms_alloc(&rt, (size_t)n, sizeof(int64_t));
    int64_t *count = NULL, *rparent = NULL, *start = NULL, *adj = NULL, *stamp = NULL;
    double *sums = NULL;
    id_list *lists = NULL;
    heap_item *heap = NULL;
    int64_t n_reg = 0;
    if (!parent || !region) goto done;

    /* 1. Pixels joined with their neighbours whose modes lie within the
     * radius; the root of a set is its first pixel in raster order. */
    for (int64_t i = 0; i < n; i++) parent[i] = i;
    for (int64_t z = 0; z < nz; z++)
        for (int64_t y = 0; y < ny; y++)
            for (int64_t x = 0; x < nx; x++) {
                const int64_t i = (z * ny + y) * nx + x;
                int64_t a = -1; /* i's root, found on its first join */
                for (int o = 0; o < n_off; o++) {
                    const int64_t qz = z + off[o][0], qy = y + off[o][1],
                                  qx = x + off[o][2];
                    if (qz >= nz || qy < 0 || qy >= ny || qx < 0 || qx >= nx) continue;
                    const int64_t q = (qz * ny + qy) * nx + qx;
                    if (sq_dist(modes + i * c, modes + q * c, c) > r2) continue;
                    if (a < 0) a = find_root(parent, i);
                    const int64_t b = find_root(parent, q);
                    /* the lower root stays, so a remains i's root */
                    if (a < b) {
                        parent[b] = a;
                    } else if (b < a) {
                        parent[a] = b;
                        a = b;
                    }
                }
            }
    /* Regions numbered by their first pixel. */
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = find_root(parent, i);
        region[i] = r == i ? n_reg++ : region[r];
    }

    count = ms_alloc(&rt, (size_t)n_reg, sizeof(int64_t));
    sums = ms_alloc(&rt, (size_t)(n_reg * c), sizeof(double));
    rparent = ms_alloc(&rt, (size_t)n_reg, sizeof(int64_t));
    if (!count || !sums || !rparent) goto done;
    memset(count, 0, (size_t)n_reg * sizeof(int64_t));
    memset(sums, 0, (size_t)(n_reg * c) * sizeof(double));
    for (int64_t r = 0; r < n_reg; r++) rparent[r] = r;
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = region[i];
        count[r]++;
        for (int64_t k = 0; k < c; k++) sums[r * c + k] += modes[i * c + k];
    }

    int64_t n_small = 0;
    for (int64_t r = 0; r < n_reg; r++) n_small += count[r] < min_region;
    if (n_small > 0) {
        /* 2. Adjacency lists, in CSR form then one list per region. */
        start = ms_alloc(&rt, (size_t)(n_reg + 1), sizeof(int64_t));
        stamp = ms_alloc(&rt, (size_t)n_reg, sizeof(int64_t));
        lists = ms_alloc(&rt, (size_t)n_reg, sizeof(id_list));
        if (lists) memset(lists, 0, (size_t)n_reg * sizeof(id_list)); /* freed at done */
        heap = ms_alloc(&rt, (size_t)(2 * n_reg), sizeof(heap_item));
        if (!start || !stamp || !lists || !heap) goto done;
        memset(start, 0, (size_t)(n_reg + 1) * sizeof(int64_t));
        for (int pass = 0; pass < 2; pass++) {
            for (int64_t z = 0; z < nz; z++)
                for (int64_t y = 0; y < ny; y++)
                    for (int64_t x = 0; x < nx; x++) {
                        const int64_t i = (z * ny + y) * nx + x, a = region[i];
                        for (int o = 0; o < n_off; o++) {
                            const int64_t qz = z + off[o][0], qy = y + off[o][1],
                                          qx = x + off[o][2];
                            if (qz >= nz || qy < 0 || qy >= ny || qx < 0 || qx >= nx)
                                continue;
                            const int64_t b = region[(qz * ny + qy) * nx + qx];
                            if (a == b) continue;
                            if (pass == 0) {
                                start[a + 1]++;
                                start[b + 1]++;
                            } else {
                                adj[start[a]++] = b;
                                adj[start[b]++] = a;
                            }
                        }
                    }
            if (pass == 0) {
                for (int64_t r = 0; r < n_reg; r++) start[r + 1] += start[r];
                adj = ms_alloc(&rt, (size_t)start[n_reg], sizeof(int64_t));
                if (adj == NULL) goto done;
            } else {
                for (int64_t r = n_reg; r > 0; r--) start[r] = start[r - 1];
                start[0] = 0;
            }
        }
        /* Each region's neighbours once, in an owned list. */
        for (int64_t r = 0; r < n_reg; r++) stamp[r] = -1;
        for (int64_t r = 0; r < n_reg; r++) {
            int64_t m = 0;
            for (int64_t e = start[r]; e < start[r + 1]; e++) {
                const int64_t b = adj[e];
                if (stamp[b] == r) continue;
                stamp[b] = r;
                adj[start[r] + m++] = b;
            }
            const id_list part = {adj + start[r], m, m};
            if (m > 0 && !list_extend(&rt, &lists[r], &part)) goto done;
        }
        ms_free(adj);
        adj = NULL;

        /* 3. Small regions, smallest first (ties: lower id), each into
         * the neighbour with the nearest mode (ties: lower id). */
        int64_t heap_len = 0;
        for (int64_t r = 0; r < n_reg; r++)
            if (count[r] < min_region)
                heap_push(heap, &heap_len, (heap_item){count[r], r});
        for (int64_t r = 0; r < n_reg; r++) stamp[r] = -1;
        double *ma = ms_alloc(&rt, (size_t)(2 * c), sizeof(double));
        if (ma == NULL) goto done;
        double *mb = ma + c;
        int64_t scan = 0; /* stamp[b] == scan: b seen in this scan */
        while (heap_len > 0) {
            const heap_item top = heap_pop(heap, &heap_len);
            const int64_t r = top.id;
            if (rparent[r] != r || count[r] != top.size) continue; /* stale */
            scan++;
            for (int64_t k = 0; k < c; k++) ma[k] = sums[r * c + k] / (double)count[r];
            id_list *L = &lists[r];
            int64_t m = 0, best = -1;
            double best_d = 0.0;
            for (int64_t e = 0; e < L->len; e++) {
                const int64_t b = find_root(rparent, L->v[e]);
                if (b == r || stamp[b] == scan) continue;
                stamp[b] = scan;
                L->v[m++] = b;
                for (int64_t k = 0; k < c; k++)
                    mb[k] = sums[b * c + k] / (double)count[b];
                const double d = sq_dist(ma, mb, c);
                if (best < 0 || d < best_d || (d == best_d && b < best)) {
                    best = b;
                    best_d = d;
                }
            }
            L->len = m;
            if (best < 0) continue; /* alone: nothing to merge into */
            /* r joins best; the longer list absorbs the shorter. */
            rparent[r] = best;
            count[best] += count[r];
            for (int64_t k = 0; k < c; k++) sums[best * c + k] += sums[r * c + k];
            id_list *B = &lists[best];
            if (L->len > B->len) {
                const id_list t = *L;
                *L = *B;
                *B = t;
            }
            if (!list_extend(&rt, B, L)) {
                ms_free(ma);
                goto done;
            }
            ms_free(L->v);
            L->v = NULL;
            L->len = L->cap = 0;
            if (count[best] < min_region)
                heap_push(heap, &heap_len, (heap_item){count[best], best});
        }
        ms_free(ma);
    }

    /* 4. Labels 0..k-1 in raster order of each region's first pixel. */
    for (int64_t r = 0; r < n_reg; r++) count[r] = -1;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = find_root(rparent, region[i]);
        if (count[r] < 0) count[r] = k++;
        labels[i] = (int32_t)count[r];
    }
    *n_regions = k;
    st = MS_OK;
done:
    if (lists)
        for (int64_t r = 0; r < n_reg; r++) ms_free(lists[r].v);
    ms_free(lists);
    ms_free(heap);
    ms_free(adj);
    ms_free(stamp);
    ms_free(start);
    ms_free(rparent);
    ms_free(sums);
    ms_free(count);
    ms_free(region);
    ms_free(parent);
    return st;
}
