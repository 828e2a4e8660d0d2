/*
 * kdtree.c - instantiates the k-d tree (kdtree_impl.h) for float64 and
 * float32 data, and the suppression query the centre merge needs.
 */
#include <math.h>
#include <string.h>

#include "ms_internal.h"
#include "kdtree_decl.h"

#define MS_T double
#define MS_TREE ms_tree_f64
#define MS_FN(name) name##_f64
#include "kdtree_impl.h"
#undef MS_T
#undef MS_TREE
#undef MS_FN

#define MS_T float
#define MS_TREE ms_tree_f32
#define MS_FN(name) name##_f32
#include "kdtree_impl.h"
#undef MS_T
#undef MS_TREE
#undef MS_FN

void ms_tree_suppress_f64(const ms_tree_f64 *t, const double *q, double r2, int64_t after,
                          unsigned char *alive)
{
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        double mn, mx;
        box_dist_f64(t, nid, q, &mn, &mx);
        if (mn > r2) continue;
        const ms_node *nd = &t->nodes[nid];
        if (nd->left < 0) {
            for (int64_t i = nd->start; i < nd->end; i++)
                if (t->index[i] > after && point_dist_f64(t, i, q) <= r2)
                    alive[t->index[i]] = 0;
        } else {
            stack[top++] = nd->right;
            stack[top++] = nd->left;
        }
    }
}
