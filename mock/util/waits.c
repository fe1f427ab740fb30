/* waits.c -- a list of entries, oldest first. Ending takes one matching entry
 * out before calling its end callback, so a callback that ends or adds other
 * waits cannot trip the walk. */
#include "util/waits.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    uint64_t id;
    char *what, *owner;
    unsigned ends;
    dm_wait_end_fn end;
    void *ud;
} entry;

struct dm_waits {
    entry *items;
    size_t n, cap;
    uint64_t next_id;
};

dm_waits *dm_waits_new(void)
{
    dm_waits *w = dm_xcalloc(1, sizeof *w);
    w->next_id = 1;
    return w;
}

static void entry_free(entry *e)
{
    free(e->what);
    free(e->owner);
}

void dm_waits_free(dm_waits *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++)
        entry_free(&w->items[i]);
    free(w->items);
    free(w);
}

uint64_t dm_waits_add(dm_waits *w, const char *what, const char *owner, unsigned ends,
                      dm_wait_end_fn end, void *ud)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->items = dm_xrealloc(w->items, w->cap * sizeof *w->items);
    }
    entry *e = &w->items[w->n++];
    e->id = w->next_id++;
    e->what = dm_xstrdup(what ? what : "?");
    e->owner = owner ? dm_xstrdup(owner) : NULL;
    e->ends = ends | DM_END_SHUTDOWN;
    e->end = end;
    e->ud = ud;
    return e->id;
}

/* Takes entry i out, keeping the order of the rest. */
static entry take(dm_waits *w, size_t i)
{
    entry e = w->items[i];
    memmove(&w->items[i], &w->items[i + 1], (w->n - i - 1) * sizeof *w->items);
    w->n--;
    return e;
}

void dm_waits_done(dm_waits *w, uint64_t id)
{
    for (size_t i = 0; i < w->n; i++) {
        if (w->items[i].id != id) continue;
        entry e = take(w, i);
        entry_free(&e);
        return;
    }
}

static int ended_by(const entry *e, dm_wait_end how, const char *owner)
{
    if (!(e->ends & how)) return 0;
    if (how != DM_END_OWNER) return 1;
    return e->owner && owner && strcmp(e->owner, owner) == 0;
}

size_t dm_waits_end(dm_waits *w, dm_wait_end how, const char *owner, const char *why)
{
    size_t ended = 0;
    for (;;) {
        size_t i = 0;
        while (i < w->n && !ended_by(&w->items[i], how, owner))
            i++;
        if (i == w->n) return ended;
        entry e = take(w, i);
        e.end(e.ud, how, why);
        entry_free(&e);
        ended++;
    }
}

size_t dm_waits_count(const dm_waits *w)
{
    return w->n;
}

void dm_waits_describe(const dm_waits *w, dm_buf *out)
{
    for (size_t i = 0; i < w->n; i++) {
        dm_buf_puts(out, w->items[i].what);
        if (w->items[i].owner) dm_buf_printf(out, " (%s)", w->items[i].owner);
        dm_buf_putc(out, '\n');
    }
}
