/*
 * image_filter_table.c - a thread's table of the states that finished
 * paths went through, and the steps each took from there to its end.  A
 * pixel's path depends on its state alone, so a later path that reaches
 * a recorded state (bit for bit) can stop with the recorded answer and
 * give exactly what its own steps would.  The table is small and lossy:
 * a state that finds no slot simply costs its steps again.
 */
#include <stdint.h>
#include <string.h>

#include "image_filter_internal.h"

/* Slots probed per table look-up; a full run of slots overwrites the
 * first. */
#define TABLE_PROBES 4

/* A slot: the key, the colour, the steps, then the key's hash (its bits
 * in a double's place), compared before the key: most probes are misses,
 * and a hash tells most of them at one comparison.  An empty slot holds a
 * negative step count. */
void ms__state_table_init(state_table *t, double *slots, int64_t cap, int64_t key_len,
                          int64_t colour_len)
{
    t->slots = slots;
    t->cap = cap;
    t->key_len = key_len;
    t->stride = key_len + colour_len + 2;
    for (int64_t s = 0; s < cap; s++) slots[s * t->stride + t->stride - 2] = -1.0;
}

static uint64_t key_hash(const double *key, int64_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15u;
    for (int64_t j = 0; j < len; j++) {
        uint64_t b;
        memcpy(&b, key + j, sizeof b);
        h = (h ^ b) * 0xBF58476D1CE4E5B9u;
        h ^= h >> 31;
    }
    h *= 0x94D049BB133111EBu;
    return h ^ (h >> 29);
}

/* Bitwise equality of two keys (memcmp's meaning, without its call: keys
 * are a handful of doubles and the look-up runs once per step). */
static inline int same_key(const double *a, const double *b, int64_t len)
{
    uint64_t diff = 0;
    for (int64_t j = 0; j < len; j++) {
        uint64_t x, y;
        memcpy(&x, a + j, sizeof x);
        memcpy(&y, b + j, sizeof y);
        diff |= x ^ y;
    }
    return diff == 0;
}

uint64_t ms__state_table_hash(const state_table *t, const double *key)
{
    return key_hash(key, t->key_len);
}

static inline int slot_holds(const state_table *t, const double *s, const double *key,
                             uint64_t hash)
{
    uint64_t sh;
    memcpy(&sh, s + t->stride - 1, sizeof sh);
    return sh == hash && same_key(s, key, t->key_len);
}

const double *ms__state_table_find(const state_table *t, const double *key, uint64_t hash)
{
    const uint64_t mask = (uint64_t)(t->cap - 1);
    uint64_t h = hash & mask;
    for (int p = 0; p < TABLE_PROBES; p++, h = (h + 1) & mask) {
        const double *s = t->slots + (int64_t)h * t->stride;
        if (s[t->stride - 2] < 0.0) return NULL; /* empty */
        if (slot_holds(t, s, key, hash)) return s;
    }
    return NULL;
}

void ms__state_table_put(state_table *t, const double *key, uint64_t hash,
                         const double *colour, int64_t colour_len, int64_t steps)
{
    const uint64_t mask = (uint64_t)(t->cap - 1);
    const uint64_t h0 = hash & mask;
    uint64_t h = h0;
    double *s = NULL;
    for (int p = 0; p < TABLE_PROBES; p++, h = (h + 1) & mask) {
        double *cand = t->slots + (int64_t)h * t->stride;
        if (cand[t->stride - 2] < 0.0 || slot_holds(t, cand, key, hash)) {
            s = cand;
            break;
        }
    }
    if (s == NULL) s = t->slots + (int64_t)h0 * t->stride;
    memcpy(s, key, (size_t)t->key_len * sizeof(double));
    memcpy(s + t->key_len, colour, (size_t)colour_len * sizeof(double));
    s[t->stride - 2] = (double)steps;
    memcpy(s + t->stride - 1, &hash, sizeof hash);
}
