/* map.c -- open addressing with linear probing and tombstones. */
#include "util/map.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOMB ((char *)1)

struct dm_map {
    char **keys; /* NULL = empty, TOMB = deleted */
    void **vals;
    size_t cap;  /* power of two */
    size_t used; /* live + tombstones */
    size_t live;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

dm_map *dm_map_new(void)
{
    dm_map *m = dm_xcalloc(1, sizeof *m);
    m->cap = 16;
    m->keys = dm_xcalloc(m->cap, sizeof *m->keys);
    m->vals = dm_xcalloc(m->cap, sizeof *m->vals);
    return m;
}

void dm_map_clear(dm_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] && m->keys[i] != TOMB) free(m->keys[i]);
        m->keys[i] = NULL;
    }
    m->used = m->live = 0;
}

void dm_map_free(dm_map *m)
{
    if (!m) return;
    dm_map_clear(m);
    free(m->keys);
    free(m->vals);
    free(m);
}

static size_t find(const dm_map *m, const char *key)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
        if (!m->keys[i]) return i;
        if (m->keys[i] != TOMB && strcmp(m->keys[i], key) == 0) return i;
    }
}

void *dm_map_get(const dm_map *m, const char *key)
{
    size_t i = find(m, key);
    return m->keys[i] ? m->vals[i] : NULL;
}

static void grow(dm_map *m)
{
    char **okeys = m->keys;
    void **ovals = m->vals;
    size_t ocap = m->cap;
    if (m->live * 2 >= m->cap) m->cap *= 2;
    m->keys = dm_xcalloc(m->cap, sizeof *m->keys);
    m->vals = dm_xcalloc(m->cap, sizeof *m->vals);
    m->used = m->live;
    for (size_t i = 0; i < ocap; i++) {
        if (!okeys[i] || okeys[i] == TOMB) continue;
        size_t j = find(m, okeys[i]);
        m->keys[j] = okeys[i];
        m->vals[j] = ovals[i];
    }
    free(okeys);
    free(ovals);
}

void dm_map_put(dm_map *m, const char *key, void *value)
{
    size_t i = find(m, key);
    if (m->keys[i]) {
        m->vals[i] = value;
        return;
    }
    if ((m->used + 1) * 4 > m->cap * 3) {
        grow(m);
        i = find(m, key);
    }
    m->keys[i] = dm_xstrdup(key);
    m->vals[i] = value;
    m->used++;
    m->live++;
}

void *dm_map_del(dm_map *m, const char *key)
{
    size_t i = find(m, key);
    if (!m->keys[i]) return NULL;
    void *v = m->vals[i];
    free(m->keys[i]);
    m->keys[i] = TOMB;
    m->vals[i] = NULL;
    m->live--;
    return v;
}

size_t dm_map_count(const dm_map *m)
{
    return m->live;
}
