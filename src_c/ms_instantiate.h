/*
 * ms_instantiate.h - compiles a precision-generic file twice.
 *
 * Define MS_IMPL as the file to include, then include this header: the file
 * is compiled once with MS_T = double (names suffixed _f64) and once with
 * MS_T = float (_f32).  No include guard: each user includes it once.
 */
#ifndef MS_IMPL
#error "define MS_IMPL before including ms_instantiate.h"
#endif

#define MS_T double
#define MS_TREE ms_tree_f64
#define MS_FN(name) name##_f64
#include MS_IMPL
#undef MS_T
#undef MS_TREE
#undef MS_FN

#define MS_T float
#define MS_TREE ms_tree_f32
#define MS_FN(name) name##_f32
#include MS_IMPL
#undef MS_T
#undef MS_TREE
#undef MS_FN

#undef MS_IMPL
