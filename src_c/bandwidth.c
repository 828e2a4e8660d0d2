/*
 * bandwidth.c - instantiates the k-th neighbour distances
 * (bandwidth_impl.h) for float64 and float32 data.
 */
#include <math.h>

#include "bounds.h"
#include "parallel.h"
#include "tree.h"

/* Collect the distances between two radii once at most this many points
 * lie there. */
#define MS_SHELL_CAP 4096

#define MS_IMPL "bandwidth_impl.h"
#include "ms_instantiate.h"
