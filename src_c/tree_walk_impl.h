/*
 * tree_walk_impl.h - the one traversal of the k-d tree, on which every
 * query is built (included inside a precision instantiation).
 *
 * A query supplies two functions, inlined into the walk: `reach` bounds
 * the distances from the query (a point, or a seed group's box) to a
 * node's box (bounds.h), and `visit` acts on a node given that bound: it
 * skips the node, takes it whole, reads a leaf (or a small node) point by
 * point, or returns non-zero to have its children walked.  Children are
 * walked left first, or nearest first where the query asks (the Gaussian
 * kernel and the nearest point, whose pruning improves as they go).  Each
 * bound is taken once, when its node is pushed.
 */

typedef ms_gap (*MS_FN(walk_reach_fn))(void *query, int64_t nid, int64_t d);
typedef int (*MS_FN(walk_visit_fn))(void *query, int64_t nid, ms_gap g, int64_t d);

MS_ALWAYS_INLINE void MS_FN(tree_walk)(const MS_TREE *t, void *query,
                                       MS_FN(walk_reach_fn) reach,
                                       MS_FN(walk_visit_fn) visit,
                                       const int nearest_first, const int64_t d)
{
    struct {
        int64_t nid;
        ms_gap g;
    } stack[MS_STACK_DEPTH];
    int top = 0;
    stack[top].nid = 0;
    stack[top].g = reach(query, 0, d);
    top++;
    while (top > 0) {
        top--;
        const int64_t nid = stack[top].nid;
        if (!visit(query, nid, stack[top].g, d)) continue;
        const ms_node *nd = &t->nodes[nid];
        const ms_gap gl = reach(query, nd->left, d), gr = reach(query, nd->right, d);
        const int right_first = nearest_first && gr.near2 < gl.near2;
        stack[top].nid = right_first ? nd->left : nd->right;
        stack[top].g = right_first ? gl : gr;
        top++;
        stack[top].nid = right_first ? nd->right : nd->left;
        stack[top].g = right_first ? gr : gl;
        top++;
    }
}
