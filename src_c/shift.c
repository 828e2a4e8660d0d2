/*
 * shift.c - instantiates the mean-shift loop (shift_impl.h) for float64 and
 * float32 data.
 */
#include <math.h>

#include "kdtree_decl.h"
#include "ms_internal.h"

/* Seeds per group in the grouped flat-kernel loop. */
#define MS_GROUP_SIZE 16

#define MS_IMPL "shift_impl.h"
#include "ms_instantiate.h"
