/* schemas.c -- the Desk modules the mock holds, one table each: the keys of
 * an object as Desk sends it, in Desk's order, with their types, which a
 * REST write may set, what a new object starts with, the events its changes
 * raise, and its REST routes' shape. schema.c says how the tables are used;
 * desk/derive.c keeps the derived keys true. Evidence for each shape is in
 * ../shared/reference/desk-facts.md and docs/desk-semantics.md. */
#include "desk/schema_rows.h"

#include <stddef.h>

/* ==== Shapes embedded in others ==== */

static const dm_attr department_embed_a[] = {
    KFROM("id", DM_T_ID, NULL),
    KFROM("name", DM_T_STR, NULL),
};
static const dm_schema department_embed = {SHAPE("department (embedded)", department_embed_a)};

static const dm_attr contact_embed_a[] = {
    KFROM("id", DM_T_ID, NULL),        KFROM("firstName", DM_T_STR, NULL),
    KFROM("lastName", DM_T_STR, NULL), KFROM("email", DM_T_STR, NULL),
    KFROM("phone", DM_T_STR, NULL),    KFROM("mobile", DM_T_STR, NULL),
    KFROM("type", DM_T_STR, NULL),     {.name = "isSpam", .type = DM_T_BOOL, .dflt = "false"},
    KFROM("account", DM_T_ANY, NULL),
};
static const dm_schema contact_embed = {SHAPE("contact (embedded)", contact_embed_a)};

static const dm_attr agent_embed_a[] = {
    KFROM("id", DM_T_ID, NULL),        KFROM("firstName", DM_T_STR, NULL),
    KFROM("lastName", DM_T_STR, NULL), KFROM("email", DM_T_STR, "emailId"),
    KFROM("photoURL", DM_T_STR, NULL),
};
const dm_schema dm_agent_embed = {SHAPE("agent (embedded)", agent_embed_a)};

static const dm_attr layout_a[] = {
    K("id", DM_T_ID, N),
    K("layoutName", DM_T_STR, N),
};
static const dm_schema layout_shape = {SHAPE("layoutDetails", layout_a)};

static const dm_attr source_a[] = {
    KD("type", DM_T_STR, 0, "\"SYSTEM\""), K("appName", DM_T_STR, N),     K("extId", DM_T_STR, N),
    K("permalink", DM_T_STR, N),           K("appPhotoURL", DM_T_STR, N),
};
static const dm_schema source_shape = {SHAPE("source", source_a)};

/* A thread's author or a comment's commenter: an agent or an end user. */
static const char *const author_types[] = {"AGENT", "END_USER", NULL};
static const dm_attr author_a[] = {
    K("id", DM_T_ID, N),         K("name", DM_T_STR, N),  K("firstName", DM_T_STR, N),
    K("lastName", DM_T_STR, N),  K("email", DM_T_STR, N), K("photoURL", DM_T_STR, N),
    KE("type", 0, author_types),
};
static const dm_schema author_shape = {SHAPE("author", author_a)};

static const dm_attr commenter_a[] = {
    K("id", DM_T_ID, N),         K("name", DM_T_STR, N),     K("firstName", DM_T_STR, N),
    K("lastName", DM_T_STR, N),  K("email", DM_T_STR, N),    K("photoURL", DM_T_STR, N),
    KE("type", 0, author_types), K("roleName", DM_T_STR, N),
};
static const dm_schema commenter_shape = {SHAPE("commenter", commenter_a)};

static const dm_attr attachment_ref_a[] = {
    K("id", DM_T_ID, DM_A_OPT),           K("name", DM_T_STR, 0), K("size", DM_T_COUNT, 0),
    K("contentType", DM_T_STR, DM_A_OPT), K("href", DM_T_STR, 0),
};
static const dm_schema attachment_ref = {
    SHAPE("attachment (in a thread or comment)", attachment_ref_a)};

static const dm_attr mention_a[] = {
    K("id", DM_T_ID, 0),     K("firstName", DM_T_STR, N), K("lastName", DM_T_STR, N),
    K("email", DM_T_STR, N), K("photoURL", DM_T_STR, N),  KD("type", DM_T_STR, 0, "\"AGENT\""),
};
static const dm_schema mention_shape = {SHAPE("mention", mention_a)};

/* ==== Ticket ==== */

static const char *const ticket_statuses[] = {"Open", "On Hold", "Escalated", "Closed", NULL};
static const char *const status_types[] = {"Open", "On Hold", "Closed", NULL};
static const char *const priorities[] = {"Low", "Medium", "High", "Urgent", NULL};
static const char *const classifications[] = {"Question", "Problem", "Request", "Others", NULL};

static const dm_attr ticket_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("ticketNumber", DM_T_COUNT, 0),
    KS("subject", RW | REQ, 255),
    KS("description", N | RW, 65535),
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = ticket_statuses,
     .dflt = "\"Open\""},
    {.name = "statusType", .type = DM_T_ENUM, .choices = status_types, .dflt = "\"Open\""},
    KE("priority", N | RW, priorities),
    {.name = "channel", .type = DM_T_STR, .flags = RW, .maxlen = 100, .dflt = "\"Email\""},
    K("channelCode", DM_T_STR, N),
    KE("classification", N | RW, classifications),
    KS("category", N | RW, 120),
    KS("subCategory", N | RW, 120),
    {.name = "language", .type = DM_T_STR, .flags = RW, .maxlen = 50, .dflt = "\"English\""},
    KR("departmentId", RW | REQ, "department"),
    KEMBED("department", department_embed, "departmentId", "department"),
    KR("contactId", RW, "contact"),
    KEMBED("contact", contact_embed, "contactId", "contact"),
    KR("accountId", N, "account"),
    KR("assigneeId", N | RW, "agent"),
    KEMBED("assignee", dm_agent_embed, "assigneeId", "agent"),
    KR("teamId", N | RW, "team"),
    K("team", DM_T_OBJ, N),
    K("email", DM_T_EMAIL, N | RW),
    KS("phone", N | RW, 50),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    K("createdBy", DM_T_ID, N | DM_A_CREATOR),
    K("modifiedBy", DM_T_ID, N | DM_A_MODIFIER),
    K("closedTime", DM_T_TIME, N),
    K("onholdTime", DM_T_TIME, N),
    K("dueDate", DM_T_TIME, N | RW),
    K("responseDueDate", DM_T_TIME, N | RW),
    K("customerResponseTime", DM_T_TIME, N),
    KD("threadCount", DM_T_COUNT, 0, "\"0\""),
    KD("commentCount", DM_T_COUNT, 0, "\"0\""),
    KD("attachmentCount", DM_T_COUNT, 0, "\"0\""),
    KD("approvalCount", DM_T_COUNT, 0, "\"0\""),
    KD("taskCount", DM_T_COUNT, 0, "\"0\""),
    KD("timeEntryCount", DM_T_COUNT, 0, "\"0\""),
    KD("tagCount", DM_T_COUNT, 0, "\"0\""),
    KD("followerCount", DM_T_COUNT, 0, "\"0\""),
    KD("childTicketCount", DM_T_COUNT, 0, "\"0\""),
    KD("isSpam", DM_T_BOOL, 0, "false"),
    KD("isTrashed", DM_T_BOOL, 0, "false"),
    KD("isArchived", DM_T_BOOL, 0, "false"),
    KD("isDeleted", DM_T_BOOL, 0, "false"),
    KD("isEscalated", DM_T_BOOL, 0, "false"),
    KD("isOverDue", DM_T_BOOL, 0, "false"),
    KD("isResponseOverdue", DM_T_BOOL, 0, "false"),
    KD("isFollowing", DM_T_BOOL, 0, "false"),
    KD("isRead", DM_T_BOOL, 0, "false"),
    KURL("webUrl", DESK_URL "Cases/dv/{id}"),
    K("layoutId", DM_T_ID, N),
    KOBJ("layoutDetails", N, layout_shape),
    KOBJ("source", 0, source_shape),
    KCF,
    KCUSTOM,
    KR("productId", N | RW, "product"),
    K("product", DM_T_OBJ, N),
    K("slaId", DM_T_ID, N),
    K("sentiment", DM_T_STR, N),
    KS("resolution", N | RW, 65535),
    {.name = "secondaryContacts", .type = DM_T_IDS, .flags = RW, .dflt = "[]", .ref = "contact"},
    KD("sharedDepartments", DM_T_ARR, 0, "[]"),
    KD("entitySkills", DM_T_ARR, 0, "[]"),
    K("channelRelatedInfo", DM_T_OBJ, N),
    K("relationshipType", DM_T_STR, N),
    K("lastThread", DM_T_OBJ, N),
    /* Ticket_Add of an email ticket only: the first thread */
    {.name = "firstThread", .type = DM_T_OBJ, .flags = DM_A_OPT, .sub = &dm_thread_schema},
};

static const dm_event_def ticket_events[] = {
    EV("Ticket_Add", "create", DEPTS),
    EV("Ticket_Update", "update", DEPTS | PREV | DM_OPT_FIELDS),
    EV("Ticket_Delete", "delete", 0),
};

static const char *const ticket_params[] = {"departmentId", "departmentIds", "status",   "assignee",
                                            "assigneeId",   "channel",       "priority", "sortBy",
                                            "include",      "viewId",        "fields",   NULL};

const dm_schema dm_ticket_schema = {
    SHAPE("ticket", ticket_a),
    .title = "Ticket",
    .doc = "A customer's request: `GET/PATCH /api/v1/tickets/{id}`, `POST /api/v1/tickets`, "
           "`POST /api/v1/tickets/moveToTrash`; the payload of every `Ticket_*` event but the "
           "thread, comment, attachment and approval ones.",
    EVENTS(ticket_events),
    .list_params = ticket_params,
    .evidence = "a real GET /tickets/{id} response, key for key; childTicketCount, isRead, "
                "lastThread and relationshipType from real list rows; firstThread from three "
                "receivers written against live email tickets; channelCode null and layouts as "
                "real rows have them.",
    .path = "tickets",
    .scope = "Desk.tickets",
    .ops = DM_OP_LIST | DM_OP_GET | DM_OP_CREATE | DM_OP_UPDATE | DM_OP_DELETE,
    .dept = DM_DEPT_OWN,
    .org_key = "tickets",
    .list_max = 100,
    .list_default = 10,
};

/* ==== Thread ==== */

static const char *const directions[] = {"in", "out", NULL};
static const char *const visibilities[] = {"public", "private", NULL};
static const char *const thread_channels[] = {"EMAIL",    "FORUMS", "TWITTER", "FACEBOOK",
                                              "CHAT",     "WEB",    "PHONE",   "CUSTOMERPORTAL",
                                              "FEEDBACK", NULL};
static const char *const reply_content_types[] = {"html", "plainText", NULL};

static const dm_attr thread_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("ticketId", DM_T_ID, 0),
    K("departmentId", DM_T_ID, N),
    KE("direction", 0, directions),
    {.name = "visibility", .type = DM_T_ENUM, .choices = visibilities, .dflt = "\"public\""},
    KD("isDescriptionThread", DM_T_BOOL, 0, "false"),
    {.name = "channel", .type = DM_T_ENUM, .flags = DM_A_CREATE | REQ, .choices = thread_channels},
    {.name = "content", .type = DM_T_STR, .flags = DM_A_CREATE | REQ | DM_A_OPT},
    /* the thread's own: "text/html" or "text/plain" (--thread-content-type) */
    K("contentType", DM_T_STR, 0),
    KS("summary", 0, 100),
    KD("status", DM_T_STR, 0, "\"SUCCESS\""),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    {.name = "fromEmailAddress", .type = DM_T_EMAIL, .flags = N | DM_A_CREATE},
    KS("to", N | DM_A_CREATE, 1000),
    KS("cc", N | DM_A_CREATE, 1000),
    KS("bcc", N | DM_A_CREATE, 1000),
    KOBJ("author", 0, author_shape),
    K("responderId", DM_T_ID, N),
    KD("hasAttach", DM_T_BOOL, 0, "false"),
    KD("attachmentCount", DM_T_COUNT, 0, "\"0\""),
    {.name = "attachments", .type = DM_T_ARR, .dflt = "[]", .sub = &attachment_ref},
    KD("canReply", DM_T_BOOL, 0, "true"),
    {.name = "isForward", .type = DM_T_BOOL, .flags = DM_A_CREATE, .dflt = "false"},
    /* sendReply's input: the reply's format */
    {.name = "contentType",
     .type = DM_T_ENUM,
     .flags = DM_A_INPUT | DM_A_CREATE,
     .choices = reply_content_types},
    {.name = "attachmentIds",
     .type = DM_T_IDS,
     .flags = DM_A_INPUT | DM_A_CREATE,
     .ref = "attachment"},
};

static const dm_event_def thread_events[] = {
    EV("Ticket_Thread_Add", "create", DEPTS | DM_OPT_DIRECTION),
};

const dm_schema dm_thread_schema = {
    SHAPE("thread", thread_a),
    .title = "Thread",
    .doc = "A message on a ticket: an incoming email or chat (`direction` `in`), or an agent's "
           "reply (`out`, `POST /api/v1/tickets/{id}/sendReply`). Lists leave out `content`.",
    EVENTS(thread_events),
    .evidence = "Desk's thread API; departmentId and attachments from receivers written against "
                "live deliveries.",
    .path = "tickets/{}/threads",
    .scope = "Desk.tickets",
    .ops = DM_OP_LIST | DM_OP_GET,
    .dept = DM_DEPT_TICKET,
    .parent = "ticketId",
    .parent_module = "ticket",
    .list_max = 200,
    .list_default = 100,
};

/* ==== Comment ==== */

static const char *const comment_content_types[] = {"html", "plainText", NULL};

static const dm_attr comment_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("ticketId", DM_T_ID, 0),
    {.name = "content", .type = DM_T_STR, .flags = RW | REQ},
    {.name = "contentType",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = comment_content_types,
     .dflt = "\"html\""},
    {.name = "isPublic", .type = DM_T_BOOL, .flags = RW, .dflt = "false"},
    K("commenterId", DM_T_ID, N | DM_A_CREATOR),
    KOBJ("commenter", 0, commenter_shape),
    K("commentedTime", DM_T_TIME, DM_A_CREATED),
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    {.name = "attachments", .type = DM_T_ARR, .dflt = "[]", .sub = &attachment_ref},
    {.name = "mention", .type = DM_T_ARR, .dflt = "[]", .sub = &mention_shape},
    {.name = "attachmentIds", .type = DM_T_IDS, .flags = DM_A_INPUT | RW, .ref = "attachment"},
};

static const dm_event_def comment_events[] = {
    EV("Ticket_Comment_Add", "create", DEPTS),
    EV("Ticket_Comment_Update", "update", DEPTS),
};

const dm_schema dm_comment_schema = {
    SHAPE("comment", comment_a),
    .title = "Comment",
    .doc = "An agent's note on a ticket, public or private: `GET/POST "
           "/api/v1/tickets/{id}/comments`, `PATCH .../comments/{commentId}`. `mention` lists "
           "the agents a `zsu[@user:<id>]zsu` in the content names.",
    EVENTS(comment_events),
    .evidence = "Desk's comment API and its documented sample (mention).",
    .path = "tickets/{}/comments",
    .scope = "Desk.tickets",
    .ops = DM_OP_LIST | DM_OP_GET | DM_OP_CREATE | DM_OP_UPDATE | DM_OP_DELETE,
    .dept = DM_DEPT_TICKET,
    .parent = "ticketId",
    .parent_module = "ticket",
    .list_max = 100,
    .list_default = 100,
};

/* ==== Contact ==== */

static const dm_attr contact_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("firstName", N | RW, 100),
    KS("lastName", RW | REQ, 100),
    K("email", DM_T_EMAIL, N | RW | DM_A_UNIQUE),
    K("secondaryEmail", DM_T_EMAIL, N | RW),
    KS("phone", N | RW, 50),
    KS("mobile", N | RW, 50),
    KS("type", N | RW, 100),
    KS("title", N | RW, 100),
    KS("description", N | RW, 5000),
    KS("street", N | RW, 250),
    KS("city", N | RW, 100),
    KS("state", N | RW, 100),
    KS("zip", N | RW, 30),
    KS("country", N | RW, 100),
    KS("twitter", N | RW, 100),
    KS("facebook", N | RW, 100),
    KD("isSpam", DM_T_BOOL, 0, "false"),
    KD("isAnonymous", DM_T_BOOL, 0, "false"),
    KD("isDeleted", DM_T_BOOL, 0, "false"),
    KD("isFollowing", DM_T_BOOL, 0, "false"),
    KR("accountId", N | RW, "account"),
    K("account", DM_T_OBJ, N),
    KR("ownerId", N | RW, "agent"),
    K("photoURL", DM_T_STR, N),
    K("zohoCRMContact", DM_T_OBJ, N),
    K("layoutId", DM_T_ID, N),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    K("createdBy", DM_T_ID, N | DM_A_CREATOR),
    K("modifiedBy", DM_T_ID, N | DM_A_MODIFIER),
    KCF,
    KCUSTOM,
    KURL("webUrl", DESK_URL "Contacts/dv/{id}"),
};

static const dm_event_def contact_events[] = {
    EV("Contact_Add", "create", 0),
    EV("Contact_Update", "update", PREV),
    EV("Contact_Delete", "delete", 0),
};

static const char *const contact_params[] = {"sortBy", "include", "viewId", "fields", NULL};

static const dm_schema contact_schema = {
    SHAPE("contact", contact_a),
    .title = "Contact",
    .doc = "A customer: `GET/POST /api/v1/contacts`, `GET/PATCH/DELETE /api/v1/contacts/{id}`.",
    EVENTS(contact_events),
    .list_params = contact_params,
    .evidence = "Desk's contact API.",
    .path = "contacts",
    .scope = "Desk.contacts",
    .ops = DM_OP_LIST | DM_OP_GET | DM_OP_CREATE | DM_OP_UPDATE | DM_OP_DELETE,
    .org_key = "contacts",
    .list_max = 100,
    .list_default = 10,
};

/* ==== Account ==== */

static const dm_attr account_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("accountName", RW | REQ, 200),
    K("email", DM_T_EMAIL, N | RW),
    KS("website", N | RW, 255),
    KS("phone", N | RW, 50),
    KS("fax", N | RW, 50),
    KS("industry", N | RW, 120),
    KS("description", N | RW, 5000),
    KS("code", N | RW, 50),
    KS("street", N | RW, 250),
    KS("city", N | RW, 100),
    KS("state", N | RW, 100),
    KS("zip", N | RW, 30),
    KS("country", N | RW, 100),
    K("annualrevenue", DM_T_STR, N | RW),
    KR("ownerId", N | RW, "agent"),
    KEMBED("owner", dm_agent_embed, "ownerId", "agent"),
    KD("isDeleted", DM_T_BOOL, 0, "false"),
    KD("isFollowing", DM_T_BOOL, 0, "false"),
    KD("associatedSLAIds", DM_T_ARR, 0, "[]"),
    K("layoutId", DM_T_ID, N),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    K("createdBy", DM_T_ID, N | DM_A_CREATOR),
    K("modifiedBy", DM_T_ID, N | DM_A_MODIFIER),
    KCF,
    KCUSTOM,
    KURL("webUrl", DESK_URL "Accounts/dv/{id}"),
};

static const dm_event_def account_events[] = {
    EV("Account_Add", "create", 0),
    EV("Account_Update", "update", PREV),
    EV("Account_Delete", "delete", 0),
};

static const dm_schema account_schema = {
    SHAPE("account", account_a),
    .title = "Account",
    .doc = "A customer company: `GET/POST /api/v1/accounts`, `GET/PATCH/DELETE "
           "/api/v1/accounts/{id}`.",
    EVENTS(account_events),
    .list_params = contact_params,
    .evidence = "Desk's account API.",
    .path = "accounts",
    .scope = "Desk.contacts",
    .ops = DM_OP_LIST | DM_OP_GET | DM_OP_CREATE | DM_OP_UPDATE | DM_OP_DELETE,
    .org_key = "accounts",
    .list_max = 100,
    .list_default = 10,
};

/* ==== Department ==== */

static const char *const chat_statuses[] = {"AVAILABLE", "DISABLED", "NOT_CREATED", NULL};

static const dm_attr department_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("name", RW | REQ, 100),
    KS("description", N | RW, 1000),
    KD("isDefault", DM_T_BOOL, 0, "false"),
    {.name = "isEnabled", .type = DM_T_BOOL, .flags = RW, .dflt = "true"},
    K("creatorId", DM_T_ID, N | DM_A_CREATOR),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    KD("hasLogo", DM_T_BOOL, 0, "false"),
    KS("nameInCustomerPortal", N | RW, 100),
    {.name = "isVisibleInCustomerPortal", .type = DM_T_BOOL, .flags = RW, .dflt = "true"},
    KD("isAssignToTeamEnabled", DM_T_BOOL, 0, "false"),
    {.name = "chatStatus", .type = DM_T_ENUM, .choices = chat_statuses, .dflt = "\"NOT_CREATED\""},
    {.name = "associatedAgentIds",
     .type = DM_T_IDS,
     .flags = DM_A_INPUT | DM_A_CREATE,
     .ref = "agent"},
};

static const dm_event_def department_events[] = {
    EV("Department_Add", "create", 0),
    EV("Department_Update", "update", PREV),
};

static const dm_schema department_schema = {
    SHAPE("department", department_a),
    .title = "Department",
    .doc = "A part of the help desk that owns tickets: `GET /api/v1/departments[/{id}]`; an "
           "admin adds or changes one with `POST /api/v1/departments`, `PATCH "
           "/api/v1/departments/{id}`.",
    EVENTS(department_events),
    .evidence = "Desk's department API.",
    .path = "departments",
    .scope = "Desk.basic",
    .ops = DM_OP_LIST | DM_OP_GET | DM_OP_CREATE | DM_OP_UPDATE,
    .dept = DM_DEPT_OWN,
    .org_key = "departments",
    .list_max = 200,
    .list_default = 100,
};

/* ==== Agent ==== */

static const char *const agent_statuses[] = {"ACTIVE", "DISABLED", NULL};

static const dm_attr agent_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("firstName", N | RW, 50),
    KS("lastName", RW | REQ, 50),
    K("name", DM_T_STR, 0),
    {.name = "emailId", .type = DM_T_EMAIL, .flags = DM_A_CREATE | REQ | DM_A_UNIQUE},
    KS("phone", N | RW, 50),
    KS("mobile", N | RW, 50),
    {.name = "status", .type = DM_T_ENUM, .choices = agent_statuses, .dflt = "\"ACTIVE\""},
    {.name = "roleName", .type = DM_T_STR, .dflt = "\"Agent\""},
    {.name = "profileName", .type = DM_T_STR, .dflt = "\"Support Agent\""},
    {.name = "isConfirmed", .type = DM_T_BOOL, .dflt = "false"},
    K("zuid", DM_T_ID, N),
    K("photoURL", DM_T_STR, N),
    {.name = "langCode", .type = DM_T_STR, .flags = RW, .dflt = "\"en_US\""},
    {.name = "timeZone", .type = DM_T_STR, .flags = RW, .dflt = "\"Etc/UTC\""},
    {.name = "associatedDepartmentIds",
     .type = DM_T_IDS,
     .flags = RW,
     .dflt = "[]",
     .ref = "department"},
};

static const dm_event_def agent_events[] = {
    EV("Agent_Add", "create", 0),
    EV("Agent_Update", "update", PREV),
    EV("Agent_Delete", "delete", 0),
};

static const dm_schema agent_schema = {
    SHAPE("agent", agent_a),
    .title = "Agent",
    .doc = "A help desk user: `GET /api/v1/agents[/{id}]`; an admin invites, changes or deletes "
           "one with `POST /api/v1/agents`, `PATCH/DELETE /api/v1/agents/{id}`. Presence and "
           "channel preferences change through `/mock/v1/actions` (an agent does that in the "
           "app, not through the API).",
    EVENTS(agent_events),
    .evidence = "Desk's agent API.",
    .path = "agents",
    .scope = "Desk.basic",
    .ops = DM_OP_LIST | DM_OP_GET | DM_OP_CREATE | DM_OP_UPDATE | DM_OP_DELETE,
    .org_key = "agents",
    .list_max = 200,
    .list_default = 100,
};

/* ==== All ==== */

/* schemas_more.c */
extern const dm_schema dm_task_schema, dm_call_schema, dm_event_schema, dm_time_entry_schema,
    dm_attachment_schema, dm_approval_schema, dm_article_schema, dm_translation_schema,
    dm_feedback_schema, dm_root_category_schema, dm_section_schema, dm_im_session_schema,
    dm_im_message_schema, dm_presence_schema, dm_channel_pref_schema;

/* In the docs' order. */
const dm_schema *const dm_schemas[] = {
    &dm_ticket_schema,
    &dm_thread_schema,
    &dm_comment_schema,
    &dm_attachment_schema,
    &dm_approval_schema,
    &dm_time_entry_schema,
    &department_schema,
    &agent_schema,
    &dm_presence_schema,
    &dm_channel_pref_schema,
    &account_schema,
    &contact_schema,
    &dm_task_schema,
    &dm_call_schema,
    &dm_event_schema,
    &dm_root_category_schema,
    &dm_section_schema,
    &dm_article_schema,
    &dm_translation_schema,
    &dm_feedback_schema,
    &dm_im_session_schema,
    &dm_im_message_schema,
    NULL,
};
