/*
 * shift.c - instantiates the mean-shift loop (shift_impl.h) for float64 and
 * float32 data.
 */
#include <math.h>

#include "kdtree_decl.h"
#include "ms_internal.h"

/* Seeds per group in the grouped flat-kernel loop: a larger group shares
 * one traversal among more seeds but decides fewer points for all of them
 * at once.  Groups are the leaves of a median-split tree over the seeds,
 * n / 2^k seeds each; k is chosen so that they lie within a factor sqrt(2)
 * of this target.  Measured on blobs and uniform data, 1 to 32 features:
 * groups of 16 cost 1.5 to 3 times as much.  Up to MS_SOA_MAX_D features
 * the seeds are also measured against data blocks (MS_BLOCK_POINTS), which
 * makes larger groups pay: on 1M 3-D blobs the first round took 0.95 of
 * its CPU time with groups of 244 rather than 122, and the later rounds,
 * whose seeds have gathered near the modes, 0.85 with groups near 360. */
#define MS_GROUP_TARGET(d, first)                                                        \
    ((d) <= 1 ? 45.0 : (d) > MS_SOA_MAX_D ? 90.0 : (first) ? 180.0 : 360.0)
/* Fewer seeds than this take the per-seed loop. */
#define MS_GROUP_MIN_SEEDS 64

#define MS_IMPL "shift_impl.h"
#include "ms_instantiate.h"
