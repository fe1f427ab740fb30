/* store.h -- the mock's state: one org and the objects of every Desk module
 * (desk/schemas.c), held as Desk-shaped JSON objects: tickets with their
 * threads and comments, and a collection for each other module. What GET
 * returns is exactly the stored object, so an event's payload and a later
 * GET agree. Every write goes through a function here and produces one
 * dm_change, with the resource before and after, for the observer. */
#ifndef DM_STORE_H
#define DM_STORE_H

#include "desk/schema.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/map.h"
#include "util/origin.h"
#include "util/vec.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dm_change {
    const char *resource; /* "ticket", "thread", "comment", "contact" */
    const char *action;   /* "create", "update", "delete" */
    const char *id;
    const char *ticket_id; /* threads and comments: their ticket */
    const cJSON *before;   /* NULL on create */
    const cJSON *after;    /* NULL on delete */
    const dm_origin *origin;
    char *text[2]; /* before, after printed once, lazily (dm_change_text) */
} dm_change;

/* before (which 0) or after (1) as JSON text, printed once per change. */
const char *dm_change_text(const dm_change *c, int which);

typedef void (*dm_change_fn)(void *ud, const dm_change *change);

typedef struct dm_ticket {
    cJSON *obj;
    /* obj as GET sends it, printed once per write generation (see
     * dm_store.write_gen); owned, NULL until first read */
    char *text;
    size_t text_len;
    uint64_t text_gen;
    dm_vec threads;  /* cJSON *, oldest first */
    dm_vec comments; /* cJSON *, oldest first */
} dm_ticket;

typedef struct dm_token {
    char *token;
    char *role;            /* "admin", "agent", ... */
    const cJSON *agent;    /* borrowed from the store; NULL for non-agents */
    cJSON *scopes;         /* owned array of strings */
    char *installation_id; /* extension tokens: their installation; else NULL */
} dm_token;

/* The objects of one module other than tickets, threads and comments. */
typedef struct dm_coll {
    const dm_schema *schema;
    dm_vec items; /* cJSON *, oldest first */
    dm_map *by_id;
} dm_coll;

/* Choices the mock makes where Desk's sources disagree (README, "Known
 * differences"). */
typedef struct dm_desk_opts {
    const char *thread_content_type; /* a thread's contentType: "text/html" (default) or "html" */
} dm_desk_opts;

typedef struct dm_store {
    dm_clock *clock;
    dm_ids *ids;
    cJSON *org;
    char portal[64];
    dm_desk_opts opts;
    dm_coll *colls; /* one per module of dm_schemas that is not a ticket, thread or comment */
    size_t ncolls;
    dm_vec tickets; /* dm_ticket * */
    dm_vec tokens;  /* dm_token * */
    dm_map *tickets_by_id, *threads_by_id, *comments_by_id, *tokens_by_value;
    cJSON *layouts;   /* {"<department id>": "<its tickets' layout id>"} */
    cJSON *cf_labels; /* {"ticket": {"cf_x": "Label"}, ...} from the org file */
    long next_ticket_number;
    uint64_t write_gen; /* bumped by every request that may write: caches go stale */
    dm_change_fn observer;
    void *observer_ud;
} dm_store;

dm_store *dm_store_new(dm_clock *clock, dm_ids *ids);
void dm_store_free(dm_store *s); /* NULL does nothing */
void dm_store_set_observer(dm_store *s, dm_change_fn fn, void *ud);

/* Replaces all state with the org described by spec (the org file format,
 * fixtures/orgs/README.md). On error returns DM_EINVAL, leaves the store
 * empty, and writes "<json path>: <problem>" into err. Emits no changes. */
int dm_store_load(dm_store *s, const cJSON *spec, char *err, size_t errlen);

/* The collection of a module (NULL for tickets, threads and comments, and for
 * names that are no module). */
dm_coll *dm_store_coll(const dm_store *s, const char *module);
/* An object of module by id, whatever its storage; NULL when unknown. */
const cJSON *dm_store_get(const dm_store *s, const char *module, const char *id);
/* The module an id belongs to ("ticket", "comment", ...), or NULL. */
const char *dm_store_module_of(const dm_store *s, const char *id);

/* Lookups; NULL when unknown. */
const cJSON *dm_store_department(const dm_store *s, const char *id);
const cJSON *dm_store_agent(const dm_store *s, const char *id);
const cJSON *dm_store_contact(const dm_store *s, const char *id);
dm_ticket *dm_store_ticket(const dm_store *s, const char *id);
const dm_token *dm_store_token(const dm_store *s, const char *token);
/* The first token with role, or NULL. */
const dm_token *dm_store_token_for_role(const dm_store *s, const char *role);

/* Registers a token (copied) with role, acting agent (borrowed, may be
 * NULL), scopes (copied array) and installation id (copied, may be NULL). */
const dm_token *dm_store_add_token(dm_store *s, const char *token, const char *role,
                                   const cJSON *agent, const cJSON *scopes,
                                   const char *installation_id);
/* Revokes a token; unknown tokens are ignored. */
void dm_store_remove_token(dm_store *s, const char *token);
/* Revokes every token that acts as agent (an agent being deleted). */
void dm_store_remove_tokens_of(dm_store *s, const cJSON *agent);

/* The ticket's JSON text as GET sends it, printed at most once between
 * writes (borrowed; valid until the next write or the ticket's deletion). */
const char *dm_store_ticket_text(dm_store *s, dm_ticket *t, size_t *len);
/* Frees a ticket with its threads' and comments' objects (not the maps'
 * entries: the caller removes those). */
void dm_ticket_free(dm_ticket *t);

/* A fresh id not used by any resource. */
void dm_store_new_id(dm_store *s, char out[DM_ID_MAX]);

/* Emits a change to the observer. */
void dm_store_emit(dm_store *s, const char *resource, const char *action, const char *id,
                   const char *ticket_id, const cJSON *before, const cJSON *after,
                   const dm_origin *origin);

/* ==== Objects of a collection (objects.c) ==== */

/* Creates an object of c's module from in (borrowed): a checked REST body,
 * whose keys a create may set are taken, or trusted input (an org file's
 * entry, what an action builds), whose every key the module's objects hold
 * is. Acts as actor_id (may be NULL); id NULL takes a fresh one. Emits the
 * create when origin is not NULL. Returns the stored object. */
cJSON *dm_coll_create(dm_store *s, dm_coll *c, const cJSON *in, const char *id,
                      const char *actor_id, const dm_origin *origin, int trusted);
/* Applies in (a checked PATCH body) to obj, an object of sc; when that
 * changes anything, touches its modified keys, re-derives the tickets that
 * embed it, and emits the update. Returns 1 when it changed. A PATCH that
 * changes nothing is no change at all. */
int dm_store_update(dm_store *s, const dm_schema *sc, cJSON *obj, const cJSON *in,
                    const dm_origin *origin);
/* dm_store_update for an object of a collection. */
int dm_coll_update(dm_store *s, dm_coll *c, cJSON *obj, const cJSON *in, const dm_origin *origin);
/* Removes obj and emits the delete. */
void dm_coll_delete(dm_store *s, dm_coll *c, cJSON *obj, const dm_origin *origin);
/* The objects of c whose key equals value, into out (borrowed). */
void dm_coll_where(const dm_coll *c, const char *key, const char *value, dm_vec *out);

/* ==== Derived keys (derive.c) ==== */

/* Keeps obj's derived keys true (schema.h's DM_A_CREATED ... DM_A_EMBED, and
 * each module's own: a ticket's statusType and status times, a thread's
 * summary and author, ...). before is the object before the write (NULL on a
 * create); actor_id acts (may be NULL). */
void dm_derive(dm_store *s, const dm_schema *sc, cJSON *obj, const cJSON *before,
               const char *actor_id, int64_t now);
/* After a write that changed obj: its modified time and modifier. */
void dm_derive_touch(const dm_schema *sc, cJSON *obj, const char *actor_id, int64_t now);
/* Re-derives every ticket that embeds the object of module id (a contact, an
 * agent, a department that changed), without a change of their own. */
void dm_derive_embedders(dm_store *s, const char *module, const char *id, int64_t now);
/* The thread's summary: its content without markup, at most 100 characters. */
void dm_derive_summary(const char *content, char *out, size_t outlen);
/* merges in into obj: keys replace, except cf, whose named fields replace
 * (custom fields merge). Input-only keys are skipped. */
void dm_merge(const dm_schema *sc, cJSON *obj, const cJSON *in);

#endif
