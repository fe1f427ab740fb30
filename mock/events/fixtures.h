/* fixtures.h -- the event fixture library the mock can trigger: the shipped
 * one (fixtures/events, compiled in) plus the user's folders (--fixtures
 * DIR), where a user fixture with the same <Event_Type>/<name> wins. */
#ifndef DM_FIXTURES_H
#define DM_FIXTURES_H

#include "app.h"

/* Adds every DIR/<Event_Type>/<name>.json (read now, kept in memory).
 * Returns the number added, or DM_EIO with a reason in err. */
int dm_fixtures_add_dir(dm_app *app, const char *dir, char *err, size_t errlen);

/* The text of fixture name ("Ticket_Update/status-change", or a bare
 * "status-change" when only one type has it); NULL when unknown or
 * ambiguous (then why says which). Borrowed. */
const char *dm_fixture_find(const dm_app *app, const char *name, size_t *len, char *why,
                            size_t whylen);

/* Appends {"data":[{"name","source"}]} of every fixture to out. */
void dm_fixtures_list(const dm_app *app, dm_buf *out);

void dm_fixtures_free(dm_app *app);

#endif
