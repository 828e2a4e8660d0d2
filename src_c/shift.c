/*
 * shift.c - instantiates the mean-shift loop (shift_impl.h) for float64 and
 * float32 data.
 */
#include <math.h>

#include "kdtree_decl.h"
#include "ms_internal.h"

/* Seeds per group in the grouped flat-kernel loop: a larger group shares
 * one traversal among more seeds but decides fewer points for all of them
 * at once.  Measured on blobs and uniform data, 1 to 32 features, 16 seeds
 * per group cost 1.5 to 3 times as much as these sizes; since points are
 * measured against a group in one fused loop, 128 beats 64 from two
 * features on (uniform 3-D: 1.4x), and 64 stays ahead in one. */
#define MS_GROUP_SIZE(d) ((d) <= 1 ? 64 : 128)
/* Fewer seeds than this take the per-seed loop. */
#define MS_GROUP_MIN_SEEDS 64

#define MS_IMPL "shift_impl.h"
#include "ms_instantiate.h"
