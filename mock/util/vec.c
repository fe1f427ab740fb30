/* vec.c -- see vec.h. Allocation failure aborts, as in buf.c. */
#include "util/vec.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

void dm_vec_push(dm_vec *v, void *item)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->items = dm_xrealloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->n++] = item;
}

int dm_vec_remove(dm_vec *v, const void *item)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i] != item) continue;
        memmove(v->items + i, v->items + i + 1, (v->n - i - 1) * sizeof *v->items);
        v->n--;
        return 1;
    }
    return 0;
}

void dm_vec_free(dm_vec *v)
{
    free(v->items);
    memset(v, 0, sizeof *v);
}
