/*
 * group_query.c - instantiates the seed-group query (group_query_impl.h)
 * for float64 and float32 data.
 */
#include <math.h>

#include "block_sums_avx2.h"
#include "bounds.h"
#include "group_query.h"

#define MS_IMPL "group_query_impl.h"
#include "ms_instantiate.h"
