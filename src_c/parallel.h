/*
 * parallel.h - the one pattern every parallel loop of the core follows.
 *
 * A loop over work items runs on cfg's threads.  Each thread takes its
 * own scratch space (through ms_alloc, so that the fault-injection build
 * can fail it); a thread without scratch marks the loop failed, and every
 * thread then skips the items left.  The master thread polls the progress
 * callback, which can stop the loop (Ctrl-C, or an error in the callback).
 * After the loop, ms_loop_status says what happened.  Results never
 * depend on which thread took an item: items write disjoint outputs.
 *
 *     ms_loop loop;
 *     ms_loop_init(&loop, &rt, n_items, 16);
 *     MS_OMP(parallel num_threads(ms_num_threads(cfg)))
 *     {
 *         double *scratch = ms_loop_scratch(&loop, len, sizeof(double));
 *         int64_t mine = 0, i;
 *         MS_OMP(for schedule(dynamic, 8))
 *         for (i = 0; i < n_items; i++) {
 *             if (ms_loop_halted(&loop, scratch)) continue;
 *             ... item i ...
 *             ms_loop_tick(&loop, 1, &mine);
 *         }
 *         ms_free(scratch);
 *     }
 *     return ms_loop_status(&loop);
 */
#ifndef MS_PARALLEL_H
#define MS_PARALLEL_H

#include "ms_internal.h"

/* An OpenMP directive, or nothing in a build without OpenMP.
 *
 * Directives stay within OpenMP 2.0 unless guarded by _OPENMP, as MSVC's
 * /openmp (the Windows wheels) implements no more: a loop's index is
 * declared before its directive (MSVC's C compiler rejects
 * "for (int64_t i = 0; ...)" after one, error C3015), and "atomic" takes
 * only the update form (no "atomic write", error C3005). */
#ifdef _OPENMP
#if defined(_MSC_VER)
#define MS_OMP(directive) __pragma(omp directive)
#else
#define MS_OMP_PRAGMA(x) _Pragma(#x)
#define MS_OMP(directive) MS_OMP_PRAGMA(omp directive)
#endif
#else
#define MS_OMP(directive)
#endif

typedef struct ms_loop {
    ms_runtime *rt;
    int64_t total;       /* items, for the progress callback */
    int64_t done;        /* items finished, all threads together */
    int64_t poll;        /* the master polls every `poll` of its ticks */
    volatile int failed; /* a thread got no scratch space */
    volatile int stop;   /* the progress callback asked to stop */
} ms_loop;

/* poll: how many of its ticks the master thread makes between two polls
 * of the progress callback; fewer for items that take longer. */
static inline void ms_loop_init(ms_loop *loop, ms_runtime *rt, int64_t total,
                                int64_t poll)
{
    loop->rt = rt;
    loop->total = total;
    loop->done = 0;
    loop->poll = poll > 0 ? poll : 1;
    loop->failed = 0;
    loop->stop = 0;
}

/* Raises a flag of ms_loop from any thread: an atomic update, the one form
 * of "atomic" that OpenMP 2.0 has. */
static inline void ms_flag_raise(volatile int *flag)
{
    MS_OMP(atomic)
    *flag |= 1;
}

/* This thread's scratch space (count x size bytes), or NULL, which fails
 * the loop. */
static inline void *ms_loop_scratch(ms_loop *loop, size_t count, size_t size)
{
    void *p = ms_alloc(loop->rt, count, size);
    if (p == NULL) ms_flag_raise(&loop->failed);
    return p;
}

/* Whether a thread skips its remaining items: it has no scratch (pass
 * a non-NULL pointer where it needs none), another thread had none (the
 * call fails anyway, so its work would be wasted), or the loop was
 * stopped. */
static inline int ms_loop_halted(const ms_loop *loop, const void *scratch)
{
    return scratch == NULL || loop->failed || loop->stop;
}

static inline int ms_loop_is_master(void)
{
#ifdef _OPENMP
    return omp_get_thread_num() == 0;
#else
    return 1;
#endif
}

/* n items finished.  *mine counts this thread's calls: the master thread
 * asks the progress callback at its first and then every loop->poll-th,
 * so that even a loop of few, long items can be stopped. */
static inline void ms_loop_tick(ms_loop *loop, int64_t n, int64_t *mine)
{
    MS_OMP(atomic)
    loop->done += n;
    if ((*mine)++ % loop->poll == 0 && ms_loop_is_master() &&
        ms_report_progress(loop->rt->cfg, loop->done, loop->total))
        loop->stop = 1;
}

/* After the loop: out of memory, interrupted, or done. */
static inline ms_status ms_loop_status(const ms_loop *loop)
{
    if (loop->failed) return MS_ERR_NOMEM;
    if (loop->stop) return MS_ERR_INTERRUPTED;
    return MS_OK;
}

#endif /* MS_PARALLEL_H */
