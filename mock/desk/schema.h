/* schema.h -- one declarative description per Desk module (ticket, thread,
 * comment, contact, account, task, ...): its keys, their types, which are
 * null or absent at times, which a REST create or update may set, which one
 * must set, what a new object starts with; the events its changes raise and
 * the subscription options each accepts; the REST list filters. One table
 * drives REST validation (dm_schema_check_input), new objects
 * (dm_schema_new_object), the fixture linter and the tests
 * (dm_schema_check_object), the event catalog (catalog.c) and the reference
 * docs (dm_schema_markdown). No state and no I/O here. */
#ifndef DM_SCHEMA_H
#define DM_SCHEMA_H

#include "util/buf.h"
#include "util/fielderr.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* What a key holds, as Desk sends it. */
typedef enum dm_type {
    DM_T_ID,    /* "18920000000000401": a string of 1 to 19 digits */
    DM_T_COUNT, /* "0": a count, as a string of digits */
    DM_T_TIME,  /* "2026-01-05T09:15:00.000Z" */
    DM_T_DATE,  /* "2026-01-05" */
    DM_T_BOOL,
    DM_T_STR,   /* a string of at most maxlen characters */
    DM_T_ENUM,  /* one of choices */
    DM_T_EMAIL, /* a string with one @ */
    DM_T_NUM,   /* a JSON number */
    DM_T_OBJ,   /* an object: of sub's shape when sub is set */
    DM_T_ARR,   /* an array: of sub's shape when sub is set */
    DM_T_IDS,   /* an array of ids */
    DM_T_STRS,  /* an array of strings */
    DM_T_CF,    /* custom fields: {"cf_<name>": a string, number, boolean or null} */
    DM_T_ANY,   /* whatever Desk put there */
} dm_type;

/* What may happen to a key. */
enum {
    DM_A_NULL = 1u << 0,   /* may be null */
    DM_A_OPT = 1u << 1,    /* may be absent (Desk leaves it out at times) */
    DM_A_CREATE = 1u << 2, /* a REST create may set it */
    DM_A_UPDATE = 1u << 3, /* a REST update (PATCH) may set it */
    DM_A_REQ = 1u << 4,    /* a REST create must set it */
    DM_A_INPUT =
        1u << 5, /* only an input (a create or update may give it; objects never hold it) */
    /* Keys the mock keeps true by itself (desk/derive.c): */
    DM_A_CREATED = 1u << 6,  /* the time of the create */
    DM_A_MODIFIED = 1u << 7, /* the time of the create, then of each change */
    DM_A_CREATOR = 1u << 8,  /* the acting agent's id at the create */
    DM_A_MODIFIER = 1u << 9, /* the acting agent's id at the create, then at each change */
    DM_A_URL = 1u << 10,     /* tmpl with {portal} and {id} filled in */
    DM_A_EMBED = 1u << 11,   /* sub's keys copied from the ref_module object ref names */
    DM_A_ID = 1u << 12,      /* the object's own id */
    DM_A_UNIQUE = 1u << 13,  /* no two objects of the module share a non-null value */
};
#define DM_A_RW (DM_A_CREATE | DM_A_UPDATE)

typedef struct dm_schema dm_schema;

typedef struct dm_attr {
    const char *name;
    dm_type type;
    unsigned flags;             /* DM_A_* */
    const char *dflt;           /* JSON text a new object holds when the input does not set
                                   it; NULL: null (DM_A_OPT: absent) */
    const char *const *choices; /* DM_T_ENUM, NULL-terminated */
    const dm_schema *sub;       /* DM_T_OBJ / DM_T_ARR: the shape of the object or items */
    unsigned maxlen;            /* DM_T_STR: characters at most; 0: 65535 */
    const char *tmpl;           /* DM_A_URL: "https://desk.zoho.com/support/{portal}/...{id}" */
    const char *ref;            /* DM_A_EMBED: the key holding the embedded object's id;
                                   DM_T_ID: the module the id refers to (REST checks it) */
    const char *ref_module;     /* DM_A_EMBED: the module that id belongs to */
    const char *from;           /* in an embedded shape: the key to copy from the source
                                   object (NULL: the same name; "@name": first and last
                                   name joined) */
} dm_attr;

/* Subscription options an event type accepts (desk-facts.md). */
enum {
    DM_OPT_DEPARTMENTS = 1u << 0, /* departmentIds */
    DM_OPT_PREVSTATE = 1u << 1,   /* includePrevState */
    DM_OPT_FIELDS = 1u << 2,      /* fields (at most DM_FIELDS_MAX) */
    DM_OPT_DIRECTION = 1u << 3,   /* direction: "in" or "out" */
};
#define DM_FIELDS_MAX 5

/* An event type a module's changes raise. */
typedef struct dm_event_def {
    const char *type;        /* "Ticket_Update" */
    const char *action;      /* the change that raises it: "create", "update", "delete", or a
                                module's own ("status") */
    unsigned options;        /* DM_OPT_* its subscription accepts */
    const char *const *keys; /* the payload's keys when it carries only some of the
                                object's (NULL: all; a delete carries only id) */
} dm_event_def;

/* Where an event's department comes from (for departmentIds filters). */
enum { DM_DEPT_NONE, DM_DEPT_OWN, DM_DEPT_TICKET };

/* REST operations a module has. */
enum {
    DM_OP_LIST = 1u << 0,
    DM_OP_GET = 1u << 1,
    DM_OP_CREATE = 1u << 2,
    DM_OP_UPDATE = 1u << 3,
    DM_OP_DELETE = 1u << 4,
};

struct dm_schema {
    const char *name;  /* the resource, as change records name it: "ticket" */
    const char *title; /* for the docs: "Ticket" */
    const char *doc;   /* one sentence for the docs: what it is, where it lives */
    const dm_attr *attrs;
    size_t nattrs;
    const dm_event_def *events; /* NULL for embedded shapes */
    size_t nevents;
    const char *const *list_params; /* query parameters its list route takes besides
                                       from and limit; NULL-terminated */
    const char *evidence;           /* where the shape comes from */
    /* Modules only: */
    const char *path;          /* REST collection under /api/v1: "accounts", or under a
                                  ticket: "tickets/{}/attachments" */
    const char *scope;         /* OAuth scope family: "Desk.contacts" */
    unsigned ops;              /* DM_OP_* the REST API has */
    int dept;                  /* DM_DEPT_*: where its events' department comes from */
    const char *parent;        /* the key naming the object it belongs to ("ticketId"), or NULL */
    const char *parent_module; /* the module of that object ("ticket"); its REST path is
                                  under the parent's: "tickets/{}/attachments" */
    const char *org_key;       /* its list in an org file ("accounts"), or NULL */
    const char *count_key;     /* with a ticket parent: the ticket's count of them
                                  ("attachmentCount") */
    size_t list_max, list_default; /* limit's bounds on its list route */
};

#define DM_SCHEMA_ATTRS(a) (a), (sizeof(a) / sizeof((a)[0]))

/* ==== The modules (schemas.c) ==== */

/* Every module, in the docs' order; NULL-terminated. */
extern const dm_schema *const dm_schemas[];
/* The three the store keeps in their own structures (a ticket owns its
 * threads and comments); every other module lives in a collection. */
extern const dm_schema dm_ticket_schema, dm_thread_schema, dm_comment_schema;
/* The module called name, or NULL. */
const dm_schema *dm_schema_find(const char *name);
/* The module whose changes raise event type, with its definition in *def;
 * NULL when no module raises it. */
const dm_schema *dm_schema_for_event(const char *type, const dm_event_def **def);
/* The event type a module's change raises (action "create", ...), or NULL. */
const dm_event_def *dm_schema_event(const dm_schema *s, const char *action);
/* An attribute of s by name, or NULL. */
const dm_attr *dm_schema_attr(const dm_schema *s, const char *name);
/* The key objects of s hold under name (not an input-only one), or NULL. */
const dm_attr *dm_schema_output(const dm_schema *s, const char *name);

/* ==== Using a schema ==== */

enum { DM_INPUT_CREATE, DM_INPUT_UPDATE };

/* Checks a REST body against s for a create or an update: every key known
 * and settable by that kind of write, of its type; on a create every
 * required key present. Errors go to errs with JSON pointers under prefix
 * ("" for the body itself). Returns how many were added. */
size_t dm_schema_check_input(const dm_schema *s, const cJSON *body, int mode, const char *prefix,
                             dm_field_errs *errs);

/* A new object of s: each key in the schema's order, from in (borrowed, may
 * be NULL) where in sets it and the key is settable on a create (any_key:
 * any key objects hold, for trusted input such as an org file), else its
 * default. Keys only derivation can fill start as their default too. Owned
 * by the caller. */
cJSON *dm_schema_new_object(const dm_schema *s, const cJSON *in, int any_key);

/* What a check of an object found, one call per problem: the path
 * ("payload.assignee.email"), the node at fault (for positions) and the
 * message. */
typedef void (*dm_schema_report_fn)(void *ud, const char *path, const cJSON *node, int at_key,
                                    const char *message);

/* Checks obj against s: every key present (unless it is DM_A_OPT, or
 * partial: a changed-fields prevState), each of its type; keys the schema
 * does not know are reported only when strict. Returns the problems found. */
size_t dm_schema_check_object(const dm_schema *s, const cJSON *obj, const char *path, int partial,
                              int strict, dm_schema_report_fn fn, void *ud);

/* The reference of every module as Markdown (docs/desk-reference.md). */
void dm_schema_markdown(dm_buf *out);

#endif
