/*
 * image_segment.c - regions of a filtered image: neighbouring pixels whose
 * modes are close join one region, then regions smaller than a minimum
 * merge into the neighbour with the nearest mode.
 *
 * The neighbour tests, the joins and the region pairs run in bands of
 * rows on the threads; the merges are serial.  The labels are a function
 * of the modes alone: a region is a connected set whatever order its
 * pixels join in, it is numbered by its first pixel, and the merges choose
 * by size, mode distance and id, never by the order of a list.
 */
#include <stdlib.h>
#include <string.h>

#include "ms_internal.h"
#include "parallel.h"

/* Most bands of rows the parallel passes split an image into, and fewest
 * rows in a band: a band's joins end at its last row, and the pairs
 * across its edge join afterwards, serially. */
#define MAX_BANDS 64
#define MIN_BAND_ROWS 16

/* Pixel and region ids fit in int32_t: images have at most INT32_MAX
 * pixels, and int32_t halves the memory the passes over them stream. */
static int32_t find_root(int32_t *parent, int32_t a)
{
    int32_t r = a;
    while (parent[r] != r) r = parent[r];
    while (parent[a] != r) {
        const int32_t next = parent[a];
        parent[a] = r;
        a = next;
    }
    return r;
}

/* The sets of a and b made one; the lower root stays, so a set's root is
 * always its first pixel, whatever order the joins come in. */
static void join(int32_t *parent, int32_t a, int32_t b)
{
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

/* A neighbour that comes later in raster order: the index step to it, and
 * the box of pixels whose neighbour there lies in the image (z < z1,
 * y0 <= y < y1, x0 <= x < x1), so that the loops over it test nothing. */
typedef struct forward_offset {
    int64_t delta, z1, y0, y1, x0, x1;
} forward_offset;

/* Neighbour offsets (dz, dy, dx) later in raster order with at most
 * `rank` non-zero components; returns their count (at most 13).  The
 * first is always the right-hand neighbour (0, 0, 1). */
static int forward_offsets(int rank, int64_t nz, int64_t ny, int64_t nx,
                           forward_offset off[13])
{
    int m = 0;
    for (int64_t dz = 0; dz <= (nz > 1 ? 1 : 0); dz++)
        for (int64_t dy = -1; dy <= 1; dy++)
            for (int64_t dx = -1; dx <= 1; dx++) {
                if (dz == 0 && (dy < 0 || (dy == 0 && dx <= 0))) continue;
                const int nonzero = (dz != 0) + (dy != 0) + (dx != 0);
                if (nonzero > rank) continue;
                off[m] = (forward_offset){
                    (dz * ny + dy) * nx + dx, nz - dz,        dy < 0 ? 1 : 0,
                    ny - (dy > 0 ? 1 : 0),    dx < 0 ? 1 : 0, nx - (dx > 0 ? 1 : 0)};
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

/* Bit o of close[i]: pixel i's mode lies within r2 of its neighbour's at
 * offset o, for the pixels of rows [r0, r1) (a row: one (z, y), nx
 * pixels).  A row's tests of every offset run together, so that the
 * modes stream through the cache once; c is a constant where the caller's
 * switch makes it one. */
MS_ALWAYS_INLINE void close_bits_c(const double *MS_RESTRICT modes,
                                   const forward_offset *off, int n_off, int64_t ny,
                                   int64_t nx, int64_t r0, int64_t r1, int64_t c,
                                   double r2, uint16_t *MS_RESTRICT close)
{
    for (int64_t r = r0; r < r1; r++) {
        const int64_t z = r / ny, y = r % ny, row = r * nx;
        for (int64_t x = 0; x < nx; x++) close[row + x] = 0;
        for (int o = 0; o < n_off; o++) {
            if (z >= off[o].z1 || y < off[o].y0 || y >= off[o].y1) continue;
            const uint16_t bit = (uint16_t)(1u << o);
            const int64_t d = off[o].delta;
            for (int64_t i = row + off[o].x0; i < row + off[o].x1; i++)
                close[i] |=
                    sq_dist(modes + i * c, modes + (i + d) * c, c) <= r2 ? bit : 0;
        }
    }
}

static void close_bits(const double *modes, const forward_offset *off, int n_off,
                       int64_t ny, int64_t nx, int64_t r0, int64_t r1, int64_t c,
                       double r2, uint16_t *close)
{
    switch (c) {
    case 1: close_bits_c(modes, off, n_off, ny, nx, r0, r1, 1, r2, close); return;
    case 3: close_bits_c(modes, off, n_off, ny, nx, r0, r1, 3, r2, close); return;
    default: close_bits_c(modes, off, n_off, ny, nx, r0, r1, c, r2, close); return;
    }
}

/* The sets of close neighbours among the pixels [p0, p1) (whole rows):
 * each pixel joins its close neighbours that lie before p1; the others
 * are left to stitch.  The right-hand neighbours (off[0]) join first: a
 * row's runs of close pixels take their first pixel as parent, with no
 * search for roots.  Then each pixel's other close neighbours: a pair
 * with one parent, or with the parents of the last pair joined, is in one
 * set already (sets only grow) and needs no search either; along a run
 * that is most pairs.  Every parent lies in [p0, p1), at or before its
 * pixel. */
static void join_close(const uint16_t *close, const forward_offset *off, int n_off,
                       int64_t p0, int64_t p1, int64_t nx, int32_t *parent)
{
    for (int64_t row = p0; row < p1; row += nx) {
        parent[row] = (int32_t)row;
        for (int64_t i = row; i < row + nx - 1; i++)
            parent[i + 1] = (close[i] & 1u) ? parent[i] : (int32_t)(i + 1);
    }
    int32_t last_p = -1, last_q = -1;
    for (int64_t i = p0; i < p1; i++) {
        if (close[i] <= 1u) continue;
        for (int o = 1; o < n_off; o++) {
            if (!(close[i] & (1u << o))) continue;
            const int64_t q = i + off[o].delta;
            if (q >= p1) continue;
            const int32_t p_i = parent[i], p_q = parent[q];
            if (p_i == p_q || (p_i == last_p && p_q == last_q)) continue;
            last_p = p_i;
            last_q = p_q;
            join(parent, (int32_t)i, (int32_t)q);
        }
    }
}

/* The pairs join_close left at the end of a band [.., p1): the close
 * neighbours at or beyond p1 of the pixels in its last `reach` pixels. */
static void stitch_close(const uint16_t *close, const forward_offset *off, int n_off,
                         int64_t p0, int64_t p1, int64_t reach, int32_t *parent)
{
    for (int64_t i = p1 - reach > p0 ? p1 - reach : p0; i < p1; i++) {
        if (close[i] <= 1u) continue;
        for (int o = 1; o < n_off; o++) {
            const int64_t q = i + off[o].delta;
            if ((close[i] & (1u << o)) && q >= p1) join(parent, (int32_t)i, (int32_t)q);
        }
    }
}

/* A heap entry: a region's size in the high half, its id in the low
 * half, so that one integer comparison orders by size, then id.  Sizes
 * and ids are below 2^31 (images have at most INT32_MAX pixels). */
typedef uint64_t heap_key;

static heap_key heap_entry(int64_t size, int32_t id)
{
    return (uint64_t)size << 32 | (uint32_t)id;
}

/* Restore the heap order below slot i, which holds x. */
static void heap_sift_down(heap_key *h, int64_t len, int64_t i, heap_key x)
{
    for (;;) {
        int64_t child = 2 * i + 1;
        if (child >= len) break;
        if (child + 1 < len && h[child + 1] < h[child]) child++;
        if (h[child] >= x) break;
        h[i] = h[child];
        i = child;
    }
    h[i] = x;
}

static void heap_push(heap_key *h, int64_t *len, heap_key x)
{
    int64_t i = (*len)++;
    while (i > 0) {
        const int64_t up = (i - 1) / 2;
        if (h[up] <= x) break;
        h[i] = h[up];
        i = up;
    }
    h[i] = x;
}

static heap_key heap_pop(heap_key *h, int64_t *len)
{
    const heap_key top = h[0];
    --(*len);
    if (*len > 0) heap_sift_down(h, *len, 0, h[*len]);
    return top;
}

/* The pairs of different regions on either side of neighbour offset o,
 * for the rows [r0, r1) of its box, appended to pairs (a, b interleaved)
 * without a branch per pixel: a pair that repeats the one just before it
 * along a row (a boundary that runs along the row) is written over.
 * Returns the pairs' count; pairs holds two int32_t for each pixel of the
 * rows' part of the box. */
static int64_t region_pairs(const int32_t *region, const forward_offset *o, int64_t ny,
                            int64_t nx, int64_t r0, int64_t r1, int32_t *pairs)
{
    int64_t m = 0;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t z = r / ny, y = r % ny;
        if (z >= o->z1 || y < o->y0 || y >= o->y1) continue;
        const int32_t *ra = region + r * nx, *rb = ra + o->delta;
        int32_t last_a = -1, last_b = -1;
        for (int64_t x = o->x0; x < o->x1; x++) {
            const int32_t a = ra[x], b = rb[x];
            pairs[2 * m] = a;
            pairs[2 * m + 1] = b;
            const int keep = (a != b) & ((a != last_a) | (b != last_b));
            m += keep;
            last_a = keep ? a : last_a;
            last_b = keep ? b : last_b;
        }
    }
    return m;
}

/* Rows [r0, r1) of offset o's box: how many pixels. */
static int64_t box_rows_pixels(const forward_offset *o, int64_t ny, int64_t r0,
                               int64_t r1)
{
    if (o->x1 <= o->x0) return 0;
    int64_t rows = 0;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t z = r / ny, y = r % ny;
        rows += z < o->z1 && y >= o->y0 && y < o->y1;
    }
    return rows * (o->x1 - o->x0);
}

/* Every pair of different regions across every offset, in the order of
 * the offsets, then of the rows (as one pass over them would list them),
 * each offset's rows in bands on the threads.  Returns the count, or -1
 * without memory; *pairs_out is the array. */
static int64_t all_region_pairs(ms_runtime *rt, const int32_t *region,
                                const forward_offset *off, int n_off, int64_t rows,
                                int64_t ny, int64_t nx, int64_t n_bands, int n_threads,
                                int32_t **pairs_out)
{
    const int64_t n_items = (int64_t)n_off * n_bands;
    int64_t at[13 * MAX_BANDS + 1], got[13 * MAX_BANDS];
    at[0] = 0;
    for (int64_t it = 0; it < n_items; it++) {
        const int64_t b = it % n_bands;
        at[it + 1] = at[it] + box_rows_pixels(&off[it / n_bands], ny, rows * b / n_bands,
                                              rows * (b + 1) / n_bands);
    }
    int32_t *pairs = ms_alloc(rt, (size_t)(2 * at[n_items] + 2), sizeof(int32_t));
    if (pairs == NULL) return -1;
    int64_t it;
    MS_OMP(parallel for num_threads(n_threads) schedule(dynamic, 1))
    for (it = 0; it < n_items; it++) {
        const int64_t b = it % n_bands;
        got[it] = region_pairs(region, &off[it / n_bands], ny, nx, rows * b / n_bands,
                               rows * (b + 1) / n_bands, pairs + 2 * at[it]);
    }
    int64_t m = 0;
    for (int64_t it = 0; it < n_items; it++) {
        memmove(pairs + 2 * m, pairs + 2 * at[it],
                (size_t)(2 * got[it]) * sizeof(int32_t));
        m += got[it];
    }
    *pairs_out = pairs;
    return m;
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
    forward_offset off[13];
    const int n_off = forward_offsets(rank, nz, ny, nx, off);

    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    ms_status st = MS_ERR_NOMEM;
    int32_t *parent = ms_alloc(&rt, (size_t)n, sizeof(int32_t));
    int32_t *region = ms_alloc(&rt, (size_t)n, sizeof(int32_t));
    uint16_t *close = ms_alloc(&rt, (size_t)n, sizeof(uint16_t));
    int64_t *count = NULL, *start = NULL, *stamp = NULL;
    int64_t *len = NULL;
    int32_t *rparent = NULL, *pairs = NULL, *adj = NULL, *next = NULL, *tail = NULL;
    double *sums = NULL, *mean = NULL;
    heap_key *heap = NULL;
    int32_t n_reg = 0;
    if (!parent || !region || !close) goto done;

    /* 1. Pixels joined with their neighbours whose modes lie within the
     * radius, band by band, then across the bands' edges.  Then, in raster
     * order, each pixel's parent becomes its root (its parent's parent:
     * the parent came earlier and already points at the root), and each
     * root numbers a region. */
    const int64_t rows = nz * ny;
    int64_t n_bands = rows / MIN_BAND_ROWS < MAX_BANDS ? rows / MIN_BAND_ROWS : MAX_BANDS;
    const int n_threads = ms_num_threads(cfg);
    if (n_bands > 4 * (int64_t)n_threads) n_bands = 4 * (int64_t)n_threads;
    if (n_bands < 1) n_bands = 1;
    int64_t b;
    MS_OMP(parallel for num_threads(n_threads) schedule(dynamic, 1))
    for (b = 0; b < n_bands; b++) {
        const int64_t r0 = rows * b / n_bands, r1 = rows * (b + 1) / n_bands;
        close_bits(modes, off, n_off, ny, nx, r0, r1, c, r2, close);
        join_close(close, off, n_off, r0 * nx, r1 * nx, nx, parent);
    }
    /* the farthest forward neighbour: the next plane's next row */
    const int64_t reach = (nz > 1 ? ny * nx : 0) + nx + 1;
    for (int64_t b = 0; b + 1 < n_bands; b++)
        stitch_close(close, off, n_off, rows * b / n_bands * nx,
                     rows * (b + 1) / n_bands * nx, reach, parent);
    ms_free(close);
    close = NULL;
    for (int64_t i = 0; i < n; i++) {
        const int32_t p = parent[parent[i]];
        parent[i] = p;
        region[i] = p == i ? n_reg++ : region[p];
    }

    count = ms_alloc(&rt, (size_t)n_reg, sizeof(int64_t));
    sums = ms_alloc(&rt, (size_t)n_reg * (size_t)c, sizeof(double));
    rparent = ms_alloc(&rt, (size_t)n_reg, sizeof(int32_t));
    if (!count || !sums || !rparent) goto done;
    memset(count, 0, (size_t)n_reg * sizeof(int64_t));
    memset(sums, 0, (size_t)n_reg * (size_t)c * sizeof(double));
    for (int32_t r = 0; r < n_reg; r++) rparent[r] = r;
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = region[i];
        count[r]++;
        for (int64_t k = 0; k < c; k++) sums[r * c + k] += modes[i * c + k];
    }

    int64_t n_small = 0;
    for (int32_t r = 0; r < n_reg; r++) n_small += count[r] < min_region;
    if (n_small > 0) {
        /* 2. Each region's neighbours once, in its segment of adj (CSR).  A
         * region's list is a chain of segments: its own, then those of the
         * regions merged into it (next, with the chain's last in tail). */
        start = ms_alloc(&rt, (size_t)n_reg + 1, sizeof(int64_t));
        stamp = ms_alloc(&rt, (size_t)n_reg, sizeof(int64_t));
        len = ms_alloc(&rt, (size_t)n_reg, sizeof(int64_t));
        next = ms_alloc(&rt, (size_t)n_reg, sizeof(int32_t));
        tail = ms_alloc(&rt, (size_t)n_reg, sizeof(int32_t));
        heap = ms_alloc(&rt, (size_t)n_reg * 2, sizeof(heap_key));
        mean = ms_alloc(&rt, (size_t)n_reg * (size_t)c, sizeof(double));
        if (!start || !stamp || !len || !next || !tail || !heap || !mean) goto done;
        for (int64_t e = 0; e < (int64_t)n_reg * c; e++)
            mean[e] = sums[e] / (double)count[e / c];
        const int64_t n_pairs = all_region_pairs(&rt, region, off, n_off, rows, ny, nx,
                                                 n_bands, n_threads, &pairs);
        if (n_pairs < 0) goto done;
        adj = ms_alloc(&rt, (size_t)(2 * n_pairs + 1), sizeof(int32_t));
        if (adj == NULL) goto done;
        memset(start, 0, ((size_t)n_reg + 1) * sizeof(int64_t));
        for (int64_t e = 0; e < 2 * n_pairs; e++) start[pairs[e] + 1]++;
        for (int32_t r = 0; r < n_reg; r++) start[r + 1] += start[r];
        memcpy(stamp, start, (size_t)n_reg * sizeof(int64_t)); /* write positions */
        for (int64_t e = 0; e < n_pairs; e++) {
            const int32_t a = pairs[2 * e], b = pairs[2 * e + 1];
            adj[stamp[a]++] = b;
            adj[stamp[b]++] = a;
        }
        ms_free(pairs);
        pairs = NULL;
        for (int32_t r = 0; r < n_reg; r++) stamp[r] = -1;
        for (int32_t r = 0; r < n_reg; r++) {
            int64_t m = 0;
            for (int64_t e = start[r]; e < start[r + 1]; e++) {
                const int32_t b = adj[e];
                if (stamp[b] == r) continue;
                stamp[b] = r;
                adj[start[r] + m++] = b;
            }
            len[r] = m;
            next[r] = -1;
            tail[r] = r;
        }

        /* 3. Small regions, smallest first (ties: lower id, the first
         * pixel's), each into the neighbour with the nearest mode (ties:
         * lower id); neither choice depends on the order of the lists.  Single pixels,
         * most of the small regions, come first in id order without the heap: no region
         * shrinks, so none becomes one, and the heap holds the others (a region that
         * grows is pushed again with its new size; its old entry is stale). */
        int64_t heap_len = 0;
        for (int32_t r = 0; r < n_reg; r++)
            if (count[r] > 1 && count[r] < min_region)
                heap[heap_len++] = heap_entry(count[r], r);
        for (int64_t i = heap_len / 2 - 1; i >= 0; i--)
            heap_sift_down(heap, heap_len, i, heap[i]);
        for (int32_t r = 0; r < n_reg; r++) stamp[r] = -1;
        int64_t scan = 0;   /* stamp[b] == scan: b seen in this scan */
        int32_t single = 0; /* the next region to try as a single pixel */
        const int singles = min_region > 1;
        for (;;) {
            heap_key top;
            if (singles && single < n_reg)
                top = heap_entry(1, single++);
            else if (heap_len > 0)
                top = heap_pop(heap, &heap_len);
            else
                break;
            const int32_t r = (int32_t)(top & 0xffffffffu);
            if (rparent[r] != r || count[r] != (int64_t)(top >> 32)) continue; /* stale */
            scan++;
            int32_t best = -1, prev = -1;
            double best_d = 0.0;
            /* The chain's segments, each compacted to its live, unseen
             * neighbours' roots; emptied ones after the first unlinked. */
            for (int32_t s = r; s >= 0;) {
                int32_t *seg = adj + start[s];
                int64_t m = 0;
                for (int64_t e = 0; e < len[s]; e++) {
                    const int32_t b = find_root(rparent, seg[e]);
                    if (b == r || stamp[b] == scan) continue;
                    stamp[b] = scan;
                    seg[m++] = b;
                    const double d =
                        sq_dist(mean + (int64_t)r * c, mean + (int64_t)b * c, c);
                    if (best < 0 || d < best_d || (d == best_d && b < best)) {
                        best = b;
                        best_d = d;
                    }
                }
                len[s] = m;
                const int32_t after = next[s];
                if (m == 0 && s != r) {
                    next[prev] = after;
                    if (tail[r] == s) tail[r] = prev;
                } else {
                    prev = s;
                }
                s = after;
            }
            if (best < 0) continue; /* alone: nothing to merge into */
            /* The merged region keeps the lower id, so that a region's id
             * is always its first pixel's: the ties above and in the heap
             * go to the region whose first pixel comes first. */
            const int32_t keep = r < best ? r : best, gone = r < best ? best : r;
            rparent[gone] = keep;
            count[keep] = count[r] + count[best];
            for (int64_t k = 0; k < c; k++) {
                sums[keep * c + k] = sums[r * c + k] + sums[best * c + k];
                mean[keep * c + k] = sums[keep * c + k] / (double)count[keep];
            }
            next[tail[keep]] = gone;
            tail[keep] = tail[gone];
            if (count[keep] < min_region)
                heap_push(heap, &heap_len, heap_entry(count[keep], keep));
        }
    }

    /* 4. Labels 0..k-1 in raster order of each region's first pixel. */
    for (int32_t r = 0; r < n_reg; r++) count[r] = -1;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const int32_t r = find_root(rparent, region[i]);
        if (count[r] < 0) count[r] = k++;
        labels[i] = (int32_t)count[r];
    }
    *n_regions = k;
    st = MS_OK;
done:
    ms_free(mean);
    ms_free(heap);
    ms_free(tail);
    ms_free(next);
    ms_free(len);
    ms_free(adj);
    ms_free(pairs);
    ms_free(stamp);
    ms_free(start);
    ms_free(rparent);
    ms_free(sums);
    ms_free(count);
    ms_free(close);
    ms_free(region);
    ms_free(parent);
    return st;
}

ms_status ms_image_region_means(const double *modes, const int32_t *labels, int64_t n,
                                int64_t c, int64_t k, int64_t *sizes, double *means)
{
    if (n < 0 || c < 1 || k < 0 || (n > 0 && (modes == NULL || labels == NULL)) ||
        (k > 0 && (sizes == NULL || means == NULL)))
        return MS_ERR_INVALID;
    for (int64_t r = 0; r < k; r++) sizes[r] = 0;
    for (int64_t e = 0; e < k * c; e++) means[e] = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = labels[i];
        if (r < 0 || r >= k) return MS_ERR_INVALID;
        sizes[r]++;
        for (int64_t j = 0; j < c; j++) means[r * c + j] += modes[i * c + j];
    }
    for (int64_t e = 0; e < k * c; e++)
        if (sizes[e / c] > 0) means[e] /= (double)sizes[e / c];
    return MS_OK;
}
