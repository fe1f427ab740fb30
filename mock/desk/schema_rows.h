/* schema_rows.h -- the row helpers the module tables (schemas.c,
 * schemas_more.c) are written with, and the shapes both embed. Private to
 * those two files. */
#ifndef DM_SCHEMA_ROWS_H
#define DM_SCHEMA_ROWS_H

#include "desk/schema.h"

/* A key of type t with flags f, and its variants: a default (JSON text), a
 * string of at most max characters, one of choices, an id that refers to a
 * module, an object embedded from another module's object (idkey names it),
 * a key copied from that object, a URL from a template, a nested shape. */
#define K(n, t, f)                                                                                 \
    {                                                                                              \
        .name = (n), .type = (t), .flags = (f)                                                     \
    }
#define KD(n, t, f, d)                                                                             \
    {                                                                                              \
        .name = (n), .type = (t), .flags = (f), .dflt = (d)                                        \
    }
#define KS(n, f, max)                                                                              \
    {                                                                                              \
        .name = (n), .type = DM_T_STR, .flags = (f), .maxlen = (max)                               \
    }
#define KE(n, f, c)                                                                                \
    {                                                                                              \
        .name = (n), .type = DM_T_ENUM, .flags = (f), .choices = (c)                               \
    }
#define KR(n, f, mod)                                                                              \
    {                                                                                              \
        .name = (n), .type = DM_T_ID, .flags = (f), .ref = (mod)                                   \
    }
#define KEMBED(n, sub_, idkey, mod)                                                                \
    {                                                                                              \
        .name = (n), .type = DM_T_OBJ, .flags = DM_A_NULL | DM_A_EMBED, .sub = &(sub_),            \
        .ref = (idkey), .ref_module = (mod)                                                        \
    }
#define KFROM(n, t, src)                                                                           \
    {                                                                                              \
        .name = (n), .type = (t), .flags = DM_A_NULL, .from = (src)                                \
    }
#define KURL(n, t)                                                                                 \
    {                                                                                              \
        .name = (n), .type = DM_T_STR, .flags = DM_A_URL, .tmpl = (t)                              \
    }
#define KOBJ(n, f, sub_)                                                                           \
    {                                                                                              \
        .name = (n), .type = DM_T_OBJ, .flags = (f), .sub = &(sub_)                                \
    }
/* custom fields: cf by API name (written), customFields by label (derived) */
#define KCF                                                                                        \
    {                                                                                              \
        .name = "cf", .type = DM_T_CF, .flags = DM_A_RW, .dflt = "{}"                              \
    }
#define KCUSTOM KD("customFields", DM_T_OBJ, 0, "{}")

#define N            DM_A_NULL
#define RW           DM_A_RW
#define REQ          DM_A_REQ
#define SHAPE(nm, a) .name = (nm), .attrs = (a), .nattrs = sizeof(a) / sizeof((a)[0])
#define EV(t, a, o)                                                                                \
    {                                                                                              \
        (t), (a), (o), NULL                                                                        \
    }
#define EVENTS(e) .events = (e), .nevents = sizeof(e) / sizeof((e)[0])
#define ALL_OPS   (DM_OP_LIST | DM_OP_GET | DM_OP_CREATE | DM_OP_UPDATE | DM_OP_DELETE)

#define DEPTS DM_OPT_DEPARTMENTS
#define PREV  DM_OPT_PREVSTATE

#define DESK_URL "https://desk.zoho.com/support/{portal}/ShowHomePage.do#"

/* An agent as a ticket's assignee, an activity's owner, an attachment's
 * creator: {id, firstName, lastName, email, photoURL} (schemas.c). */
extern const dm_schema dm_agent_embed;

#endif
