/* store.h -- the mock's state: one org with departments, agents, contacts,
 * tickets and their threads and comments, held as Desk-shaped JSON objects.
 * What GET returns is exactly the stored object, so an event's payload and a
 * later GET agree. Every write goes through a function here and produces one
 * dm_change, with the resource before and after, for the observer. */
#ifndef DM_STORE_H
#define DM_STORE_H

#include "util/clock.h"
#include "util/ids.h"
#include "util/map.h"
#include "util/origin.h"
#include "util/vec.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dm_change {
    const char *resource;  /* "ticket", "thread", "comment", "contact" */
    const char *action;    /* "create", "update", "delete" */
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
    char *role;          /* "admin", "agent", ... */
    const cJSON *agent;  /* borrowed from the store; NULL for non-agents */
    cJSON *scopes;       /* owned array of strings */
    char *installation_id; /* extension tokens: their installation; else NULL */
} dm_token;

typedef struct dm_store {
    dm_clock *clock;
    dm_ids *ids;
    cJSON *org;
    char portal[64];
    dm_vec departments, agents, contacts; /* cJSON * */
    dm_vec tickets;                       /* dm_ticket * */
    dm_vec tokens;                        /* dm_token * */
    dm_map *departments_by_id, *agents_by_id, *contacts_by_id;
    dm_map *tickets_by_id, *threads_by_id, *comments_by_id, *tokens_by_value;
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

/* ==== Shapes (shapes.c): full Desk objects built from short specs ==== */

/* Each builder takes the validated input (borrowed) and returns an owned
 * object with every key Desk sends. */
cJSON *dm_shape_ticket(dm_store *s, const cJSON *in, const char *id, const char *actor_id,
                       int64_t now);
cJSON *dm_shape_thread(dm_store *s, const cJSON *in, const char *id, const char *ticket_id,
                       const char *actor_id, int64_t now);
cJSON *dm_shape_comment(dm_store *s, const cJSON *in, const char *id, const char *ticket_id,
                        const char *actor_id, int64_t now);
cJSON *dm_shape_contact(dm_store *s, const cJSON *in, const char *id, int64_t now);
cJSON *dm_shape_department(const cJSON *in, int64_t now);
cJSON *dm_shape_agent(const cJSON *in);

/* Re-derives a ticket's embedded objects (department, contact, assignee),
 * statusType and the status times after its plain fields changed. */
void dm_shape_ticket_derive(dm_store *s, cJSON *ticket, const cJSON *before, int64_t now);
/* The thread's summary: its content without markup, at most 100 characters. */
void dm_shape_summary(const char *content, char *out, size_t outlen);

#endif
