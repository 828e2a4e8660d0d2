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
 * groups of 16 cost 1.5 to 3 times as much.  Since the seeds are also
 * measured against data blocks (see MS_BLOCK_POINTS), groups of 122
 * against 61 at 1M 3-D points take 0.95 of the time, and 73 against 146
 * at 300k 0.85. */
#define MS_GROUP_TARGET(d) ((d) <= 1 ? 45.0 : 90.0)
/* Fewer seeds than this take the per-seed loop. */
#define MS_GROUP_MIN_SEEDS 64

#define MS_IMPL "shift_impl.h"
#include "ms_instantiate.h"
