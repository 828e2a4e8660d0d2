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
 * groups of 16 cost 1.5 to 3 times as much; groups of 61 against 122 at
 * 1M 3-D points, and of 73 against 37 at 300k, are 1.4x and 1.1x faster. */
#define MS_GROUP_TARGET(d) ((d) <= 1 ? 45.0 : (d) <= 4 ? 80.0 : 90.0)
/* Fewer seeds than this take the per-seed loop. */
#define MS_GROUP_MIN_SEEDS 64

#define MS_IMPL "shift_impl.h"
#include "ms_instantiate.h"
