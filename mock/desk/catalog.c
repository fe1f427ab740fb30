/* catalog.c -- the event types, read from the modules' schemas, and "did
 * you mean". */
#include "desk/catalog.h"
#include "util/text.h"

#include <string.h>

const dm_event_type *dm_event_type_find(const char *name)
{
    const dm_event_def *def = NULL;
    return dm_schema_for_event(name, &def) ? def : NULL;
}

const dm_event_type *dm_event_type_at(size_t i)
{
    for (const dm_schema *const *s = dm_schemas; *s; s++) {
        if (i < (*s)->nevents) return &(*s)->events[i];
        i -= (*s)->nevents;
    }
    return NULL;
}

const char *dm_event_type_suggest(const char *name)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    const dm_event_type *t;
    for (size_t i = 0; (t = dm_event_type_at(i)); i++) {
        size_t d = dm_edit_distance(name, t->type);
        if (d < best_d) {
            best_d = d;
            best = t->type;
        }
    }
    /* close enough: a few edits, and less than a third of the name */
    size_t len = strlen(name);
    return best && best_d <= 4 && best_d * 3 <= len + 2 ? best : NULL;
}
