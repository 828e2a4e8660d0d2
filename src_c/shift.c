/*
 * shift.c - instantiates the mean-shift loop (shift_impl.h) for float64 and
 * float32 data.
 */
#include <math.h>

#include "kdtree_decl.h"
#include "ms_internal.h"

/* Seeds per group in the grouped flat-kernel loop. */
#define MS_GROUP_SIZE 16

#define MS_T double
#define MS_TREE ms_tree_f64
#define MS_FN(name) name##_f64
#include "shift_impl.h"
#undef MS_T
#undef MS_TREE
#undef MS_FN

#define MS_T float
#define MS_TREE ms_tree_f32
#define MS_FN(name) name##_f32
#include "shift_impl.h"
#undef MS_T
#undef MS_TREE
#undef MS_FN
