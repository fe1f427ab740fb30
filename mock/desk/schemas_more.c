/* schemas_more.c -- the modules around tickets: activities (tasks, calls,
 * events), time entries, ticket attachments and approvals, the knowledge
 * base (articles, translations, feedback, root categories, sections), instant
 * messaging (sessions, messages) and agents' presence and channel
 * preferences. Same row helpers and rules as schemas.c. */
#include "desk/schema_rows.h"

#include <stddef.h>

/* A person in the knowledge base: an article's author, owner, creator. */
static const dm_attr kb_person_a[] = {
    KFROM("id", DM_T_ID, NULL),        KFROM("name", DM_T_STR, "@name"),
    KFROM("photoURL", DM_T_STR, NULL), {.name = "status", .type = DM_T_STR, .dflt = "\"ACTIVE\""},
    KFROM("zuid", DM_T_ID, NULL),
};
static const dm_schema kb_person = {SHAPE("person (knowledge base)", kb_person_a)};

static const char *const activity_priorities[] = {"Lowest", "Low",     "Normal", "Medium",
                                                  "High",   "Highest", NULL};
static const char *const list_activity[] = {
    "departmentId", "departmentIds", "status",  "priority", "ownerId", "ticketId",
    "contactId",    "sortBy",        "include", "fields",   NULL};

/* ==== Tasks, calls, events ==== */

/* What the three activities share: who owns it and what it is about, after
 * their own keys; then its times and custom fields. */
#define ACTIVITY_LINKS                                                                             \
    KR("ownerId", N | RW, "agent"), KEMBED("owner", dm_agent_embed, "ownerId", "agent"),           \
        K("creatorId", DM_T_ID, N | DM_A_CREATOR), KR("departmentId", RW | REQ, "department"),     \
        KR("ticketId", N | RW, "ticket"), KR("contactId", N | RW, "contact")
#define ACTIVITY_TIMES                                                                             \
    K("createdTime", DM_T_TIME, DM_A_CREATED), K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),        \
        K("completedTime", DM_T_TIME, N), KCF

static const char *const task_statuses[] = {"Not Started", "In Progress", "Waiting on someone else",
                                            "Deferred",    "Completed",   NULL};

static const dm_attr task_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("subject", RW | REQ, 300),
    KS("description", N | RW, 32000),
    K("dueDate", DM_T_TIME, N | RW),
    {.name = "priority", .type = DM_T_ENUM, .flags = N | RW, .choices = activity_priorities},
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = task_statuses,
     .dflt = "\"Not Started\""},
    KS("category", N | RW, 120),
    ACTIVITY_LINKS,
    KD("isCommented", DM_T_BOOL, 0, "false"),
    ACTIVITY_TIMES,
    KURL("webUrl", DESK_URL "Tasks/dv/{id}"),
};

static const dm_event_def task_events[] = {
    EV("Task_Add", "create", DEPTS),
    EV("Task_Update", "update", DEPTS | PREV),
    EV("Task_Delete", "delete", 0),
};

const dm_schema dm_task_schema = {
    SHAPE("task", task_a),
    .title = "Task",
    .doc = "A to-do of an agent, often about a ticket: `GET/POST /api/v1/tasks`, `GET/PATCH/DELETE "
           "/api/v1/tasks/{id}`.",
    EVENTS(task_events),
    .list_params = list_activity,
    .evidence = "Desk's activities API.",
    .path = "tasks",
    .scope = "Desk.activities",
    .ops = ALL_OPS,
    .dept = DM_DEPT_OWN,
    .org_key = "tasks",
    .count_key = "taskCount",
    .list_max = 100,
    .list_default = 10,
};

static const char *const call_statuses[] = {"Scheduled", "In Progress", "Completed", "Cancelled",
                                            NULL};
static const char *const call_directions[] = {"inbound", "outbound", NULL};

static const dm_attr call_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("subject", RW | REQ, 300),
    KS("description", N | RW, 32000),
    {.name = "direction", .type = DM_T_ENUM, .flags = RW | REQ, .choices = call_directions},
    {.name = "startTime", .type = DM_T_TIME, .flags = RW | REQ},
    {.name = "duration", .type = DM_T_COUNT, .flags = RW, .dflt = "\"0\""},
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = call_statuses,
     .dflt = "\"Scheduled\""},
    {.name = "priority", .type = DM_T_ENUM, .flags = N | RW, .choices = activity_priorities},
    ACTIVITY_LINKS,
    ACTIVITY_TIMES,
    KURL("webUrl", DESK_URL "Calls/dv/{id}"),
};

static const dm_event_def call_events[] = {
    EV("Call_Add", "create", DEPTS),
    EV("Call_Update", "update", DEPTS | PREV),
    EV("Call_Delete", "delete", 0),
};

const dm_schema dm_call_schema = {
    SHAPE("call", call_a),
    .title = "Call",
    .doc = "A phone call logged or scheduled by an agent: `GET/POST /api/v1/calls`, "
           "`GET/PATCH/DELETE /api/v1/calls/{id}`.",
    EVENTS(call_events),
    .list_params = list_activity,
    .evidence = "Desk's activities API.",
    .path = "calls",
    .scope = "Desk.activities",
    .ops = ALL_OPS,
    .dept = DM_DEPT_OWN,
    .org_key = "calls",
    .list_max = 100,
    .list_default = 10,
};

static const dm_attr event_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("subject", RW | REQ, 300),
    KS("description", N | RW, 32000),
    {.name = "startTime", .type = DM_T_TIME, .flags = RW | REQ},
    {.name = "duration", .type = DM_T_COUNT, .flags = RW, .dflt = "\"3600\""},
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = call_statuses,
     .dflt = "\"Scheduled\""},
    {.name = "priority", .type = DM_T_ENUM, .flags = N | RW, .choices = activity_priorities},
    KS("category", N | RW, 120),
    ACTIVITY_LINKS,
    ACTIVITY_TIMES,
    KURL("webUrl", DESK_URL "Events/dv/{id}"),
};

static const dm_event_def event_events[] = {
    EV("Event_Add", "create", DEPTS),
    EV("Event_Update", "update", DEPTS | PREV),
    EV("Event_Delete", "delete", 0),
};

const dm_schema dm_event_schema = {
    SHAPE("event", event_a),
    .title = "Event",
    .doc = "A meeting or visit on an agent's calendar: `GET/POST /api/v1/events`, "
           "`GET/PATCH/DELETE /api/v1/events/{id}`.",
    EVENTS(event_events),
    .list_params = list_activity,
    .evidence = "Desk's activities API.",
    .path = "events",
    .scope = "Desk.activities",
    .ops = ALL_OPS,
    .dept = DM_DEPT_OWN,
    .org_key = "events",
    .list_max = 100,
    .list_default = 10,
};

/* ==== Time entries ==== */

static const char *const billing_types[] = {"FIXED_COST_FOR_TICKETS", "FIXED_COST_FOR_AGENTS",
                                            "SPECIFIC_COST_PER_AGENT", "NONE", NULL};

static const dm_attr time_entry_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("ticketId", DM_T_ID, 0),
    KR("ownerId", N | RW, "agent"),
    KEMBED("owner", dm_agent_embed, "ownerId", "agent"),
    {.name = "executedTime", .type = DM_T_TIME, .flags = RW | REQ},
    {.name = "hoursSpent", .type = DM_T_COUNT, .flags = RW, .dflt = "\"0\""},
    {.name = "minutesSpent", .type = DM_T_COUNT, .flags = RW, .dflt = "\"0\""},
    {.name = "secondsSpent", .type = DM_T_COUNT, .flags = RW, .dflt = "\"0\""},
    KS("description", N | RW, 5000),
    {.name = "isBillable", .type = DM_T_BOOL, .flags = RW, .dflt = "true"},
    {.name = "billingType",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = billing_types,
     .dflt = "\"FIXED_COST_FOR_AGENTS\""},
    {.name = "agentCostPerHour", .type = DM_T_STR, .flags = RW, .dflt = "\"0.0\""},
    {.name = "additionalCost", .type = DM_T_STR, .flags = RW, .dflt = "\"0.0\""},
    {.name = "totalCost", .type = DM_T_STR, .dflt = "\"0.0\""},
    K("creatorId", DM_T_ID, N | DM_A_CREATOR),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    KCF,
};

static const dm_event_def time_entry_events[] = {
    EV("TimeEntry_Add", "create", 0),
    EV("TimeEntry_Update", "update", PREV),
    EV("TimeEntry_Delete", "delete", 0),
};

const dm_schema dm_time_entry_schema = {
    SHAPE("timeEntry", time_entry_a),
    .title = "Time entry",
    .doc = "Time an agent spent on a ticket: `GET/POST /api/v1/tickets/{id}/timeEntry`, "
           "`GET/PATCH/DELETE /api/v1/tickets/{id}/timeEntry/{entryId}`.",
    EVENTS(time_entry_events),
    .evidence = "Desk's time entry API.",
    .path = "tickets/{}/timeEntry",
    .scope = "Desk.tickets",
    .ops = ALL_OPS,
    .dept = DM_DEPT_TICKET,
    .parent = "ticketId",
    .parent_module = "ticket",
    .count_key = "timeEntryCount",
    .list_max = 100,
    .list_default = 50,
};

/* ==== Ticket attachments and approvals ==== */

static const dm_attr attachment_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("ticketId", DM_T_ID, 0),
    KS("name", DM_A_CREATE | REQ, 255),
    {.name = "size", .type = DM_T_COUNT, .flags = DM_A_CREATE, .dflt = "\"0\""},
    {.name = "isPublic", .type = DM_T_BOOL, .flags = RW, .dflt = "false"},
    K("creatorId", DM_T_ID, N | DM_A_CREATOR),
    KEMBED("creator", dm_agent_embed, "creatorId", "agent"),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    KURL("href", "https://desk.zoho.com/api/v1/tickets/{ticketId}/attachments/{id}/content"),
};

static const dm_event_def attachment_events[] = {
    EV("Ticket_Attachment_Add", "create", DEPTS),
    EV("Ticket_Attachment_Update", "update", DEPTS),
    EV("Ticket_Attachment_Delete", "delete", 0),
};

const dm_schema dm_attachment_schema = {
    SHAPE("attachment", attachment_a),
    .title = "Ticket attachment",
    .doc = "A file on a ticket: `GET/POST /api/v1/tickets/{id}/attachments` (the mock takes "
           "the file's `name` and `size` as JSON, not its bytes), `PATCH/DELETE "
           "/api/v1/tickets/{id}/attachments/{attachmentId}`.",
    EVENTS(attachment_events),
    .evidence = "Desk's ticket attachment API.",
    .path = "tickets/{}/attachments",
    .scope = "Desk.tickets",
    .ops = ALL_OPS,
    .dept = DM_DEPT_TICKET,
    .parent = "ticketId",
    .parent_module = "ticket",
    .count_key = "attachmentCount",
    .list_max = 100,
    .list_default = 50,
};

static const char *const approval_statuses[] = {"Pending", "Approved", "Rejected", NULL};

static const dm_attr approval_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("ticketId", DM_T_ID, 0),
    KS("subject", DM_A_CREATE | REQ, 255),
    KS("description", N | DM_A_CREATE, 5000),
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = DM_A_UPDATE,
     .choices = approval_statuses,
     .dflt = "\"Pending\""},
    K("requesterId", DM_T_ID, N | DM_A_CREATOR),
    KEMBED("requester", dm_agent_embed, "requesterId", "agent"),
    {.name = "approverIds", .type = DM_T_IDS, .flags = DM_A_CREATE | REQ, .ref = "agent"},
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("processedTime", DM_T_TIME, N),
    K("processedById", DM_T_ID, N),
};

static const dm_event_def approval_events[] = {
    EV("Ticket_Approval_Add", "create", 0),
    EV("Ticket_Approval_Update", "update", PREV),
};

const dm_schema dm_approval_schema = {
    SHAPE("approval", approval_a),
    .title = "Ticket approval",
    .doc = "A request on a ticket for agents to approve: `GET/POST "
           "/api/v1/tickets/{id}/approvals`; an approver decides with `PATCH "
           "/api/v1/tickets/{id}/approvals/{approvalId}` (`status` `Approved` or `Rejected`).",
    EVENTS(approval_events),
    .evidence = "Desk's ticket approval API.",
    .path = "tickets/{}/approvals",
    .scope = "Desk.tickets",
    .ops = DM_OP_LIST | DM_OP_GET | DM_OP_CREATE | DM_OP_UPDATE,
    .dept = DM_DEPT_TICKET,
    .parent = "ticketId",
    .parent_module = "ticket",
    .count_key = "approvalCount",
    .list_max = 100,
    .list_default = 50,
};

/* ==== Knowledge base ==== */

static const char *const article_statuses[] = {"Draft",   "Published",   "Review",
                                               "Expired", "Unpublished", NULL};
static const char *const permissions[] = {"ALL", "REGISTEREDUSERS", "AGENTS", NULL};

static const dm_attr category_ref_a[] = {
    KFROM("id", DM_T_ID, NULL),
    KFROM("locale", DM_T_STR, NULL),
    KFROM("name", DM_T_STR, NULL),
};
static const dm_schema category_ref = {SHAPE("category (embedded)", category_ref_a)};

static const dm_attr metrics_a[] = {
    KD("dislikeCount", DM_T_COUNT, 0, "\"0\""), KD("feedbackCount", DM_T_COUNT, 0, "\"0\""),
    K("lastActivityTime", DM_T_TIME, N),        K("lastUsageTime", DM_T_TIME, N),
    KD("likeCount", DM_T_COUNT, 0, "\"0\""),    KD("unlikeCount", DM_T_COUNT, 0, "\"0\""),
    KD("usageCount", DM_T_COUNT, 0, "\"0\""),   KD("viewCount", DM_T_COUNT, 0, "\"0\""),
};
static const dm_schema metrics_shape = {SHAPE("metrics", metrics_a)};

static const dm_attr seo_a[] = {
    K("description", DM_T_STR, N),
    K("keywords", DM_T_STR, N),
    K("title", DM_T_STR, N),
};
static const dm_schema seo_shape = {SHAPE("seo", seo_a)};

static const char *const list_kb[] = {"categoryId", "status",  "locale", "authorId", "sortBy",
                                      "permission", "include", "fields", NULL};

static const dm_attr article_a[] = {
    KD("attachmentCount", DM_T_COUNT, 0, "\"0\""),
    KD("attachments", DM_T_ARR, 0, "[]"),
    {.name = "author",
     .type = DM_T_OBJ,
     .flags = N | DM_A_EMBED,
     .sub = &kb_person,
     .ref = "authorId",
     .ref_module = "agent"},
    K("authorId", DM_T_ID, N | DM_A_CREATOR),
    KD("availableLocaleTranslations", DM_T_ARR, 0, "[]"),
    {.name = "category",
     .type = DM_T_OBJ,
     .flags = N | DM_A_EMBED,
     .sub = &category_ref,
     .ref = "categoryId",
     .ref_module = "kbSection"},
    KR("categoryId", RW | REQ, "kbSection"),
    KD("commentCount", DM_T_COUNT, 0, "\"0\""),
    {.name = "createdBy",
     .type = DM_T_OBJ,
     .flags = N | DM_A_EMBED,
     .sub = &kb_person,
     .ref = "creatorId",
     .ref_module = "agent"},
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("creatorId", DM_T_ID, N | DM_A_CREATOR),
    K("departmentId", DM_T_ID, N),
    KD("dislikeCount", DM_T_COUNT, 0, "\"0\""),
    K("expiryDate", DM_T_TIME, N | RW),
    KD("feedbackCount", DM_T_COUNT, 0, "\"0\""),
    K("id", DM_T_ID, DM_A_ID),
    KD("isLocked", DM_T_BOOL, 0, "false"),
    KD("isTrashed", DM_T_BOOL, 0, "false"),
    K("latestPublishedVersion", DM_T_STR, N),
    KD("latestVersion", DM_T_STR, 0, "\"1.0\""),
    K("latestVersionStatus", DM_T_STR, N),
    KD("likeCount", DM_T_COUNT, 0, "\"0\""),
    {.name = "locale", .type = DM_T_STR, .flags = DM_A_CREATE, .dflt = "\"en\""},
    {.name = "metrics",
     .type = DM_T_OBJ,
     .sub = &metrics_shape,
     .dflt = "{\"dislikeCount\":\"0\",\"feedbackCount\":\"0\",\"lastActivityTime\":null,"
             "\"lastUsageTime\":null,\"likeCount\":\"0\",\"unlikeCount\":\"0\","
             "\"usageCount\":\"0\",\"viewCount\":\"0\"}"},
    {.name = "modifiedBy",
     .type = DM_T_OBJ,
     .flags = N | DM_A_EMBED,
     .sub = &kb_person,
     .ref = "modifierId",
     .ref_module = "agent"},
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    K("modifierId", DM_T_ID, N | DM_A_MODIFIER),
    {.name = "owner",
     .type = DM_T_OBJ,
     .flags = N | DM_A_EMBED,
     .sub = &kb_person,
     .ref = "ownerId",
     .ref_module = "agent"},
    K("ownerId", DM_T_ID, N | DM_A_CREATOR),
    KS("permalink", N | RW, 255),
    {.name = "permission",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = permissions,
     .dflt = "\"ALL\""},
    K("portalUrl", DM_T_STR, 0),
    KD("position", DM_T_COUNT, 0, "\"0\""),
    K("reviewedBy", DM_T_OBJ, N),
    K("reviewedTime", DM_T_TIME, N),
    K("rootCategoryId", DM_T_ID, N),
    {.name = "seo",
     .type = DM_T_OBJ,
     .sub = &seo_shape,
     .dflt = "{\"description\":null,\"keywords\":null,\"title\":null}"},
    {.name = "sourceLocale", .type = DM_T_STR, .dflt = "\"en\""},
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = article_statuses,
     .dflt = "\"Draft\""},
    KS("summary", N | RW, 1000),
    {.name = "tags", .type = DM_T_STRS, .flags = RW, .dflt = "[]"},
    KS("title", RW | REQ, 255),
    K("translationId", DM_T_ID, N),
    K("translationSource", DM_T_STR, N),
    K("translationState", DM_T_STR, N),
    KD("usageCount", DM_T_COUNT, 0, "\"0\""),
    KD("viewCount", DM_T_COUNT, 0, "\"0\""),
    KURL("webUrl", DESK_URL "Solutions/dv/{id}/{locale}"),
    /* the article's text: a write's input only; payloads do not carry it */
    {.name = "answer", .type = DM_T_STR, .flags = DM_A_INPUT | RW | REQ},
};

static const dm_event_def article_events[] = {
    EV("Article_Add", "create", 0),
    EV("Article_Update", "update", PREV),
    EV("Article_Delete", "delete", 0),
};

const dm_schema dm_article_schema = {
    SHAPE("article", article_a),
    .title = "Article",
    .doc = "A knowledge base article: `GET/POST /api/v1/articles`, `GET/PATCH/DELETE "
           "/api/v1/articles/{id}`. The text (`answer`) is written but, as in Desk's payloads, "
           "not sent back.",
    EVENTS(article_events),
    .list_params = list_kb,
    .evidence = "a real Article_Update payload, key for key (people as {id, name, photoURL, "
                "status, zuid}; webUrl the agent-side URL; no answer).",
    .path = "articles",
    .scope = "Desk.articles",
    .ops = ALL_OPS,
    .dept = DM_DEPT_NONE,
    .org_key = "articles",
    .list_max = 50,
    .list_default = 10,
};

static const dm_attr translation_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("articleId", DM_T_ID, 0),
    {.name = "locale", .type = DM_T_STR, .flags = DM_A_CREATE | REQ},
    KS("title", RW | REQ, 255),
    KS("permalink", N | RW, 255),
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = article_statuses,
     .dflt = "\"Draft\""},
    {.name = "author",
     .type = DM_T_OBJ,
     .flags = N | DM_A_EMBED,
     .sub = &kb_person,
     .ref = "authorId",
     .ref_module = "agent"},
    K("authorId", DM_T_ID, N | DM_A_CREATOR),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    {.name = "answer", .type = DM_T_STR, .flags = DM_A_INPUT | RW | REQ},
};

static const dm_event_def translation_events[] = {
    EV("Article_Translation_Add", "create", 0),
    EV("Article_Translation_Update", "update", PREV),
    EV("Article_Translation_Delete", "delete", 0),
};

const dm_schema dm_translation_schema = {
    SHAPE("articleTranslation", translation_a),
    .title = "Article translation",
    .doc = "An article in another language: `GET/POST /api/v1/articles/{id}/translations`, "
           "`GET/PATCH/DELETE /api/v1/articles/{id}/translations/{translationId}`.",
    EVENTS(translation_events),
    .evidence = "Desk's article translation API; shape partly a guess.",
    .path = "articles/{}/translations",
    .scope = "Desk.articles",
    .ops = ALL_OPS,
    .parent = "articleId",
    .parent_module = "article",
    .list_max = 50,
    .list_default = 50,
};

static const dm_attr feedback_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("articleId", DM_T_ID, 0),
    {.name = "locale", .type = DM_T_STR, .flags = DM_A_CREATE, .dflt = "\"en\""},
    KS("feedback", DM_A_CREATE | REQ, 5000),
    KR("contactId", N | DM_A_CREATE, "contact"),
    K("email", DM_T_EMAIL, N | DM_A_CREATE),
    K("contactName", DM_T_STR, N),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
};

static const dm_event_def feedback_events[] = {
    EV("Article_Feedback_Add", "create", 0),
};

const dm_schema dm_feedback_schema = {
    SHAPE("articleFeedback", feedback_a),
    .title = "Article feedback",
    .doc = "What a reader of the help centre said about an article: `GET "
           "/api/v1/articles/{id}/feedbacks`; given through `/mock/v1/actions` "
           "(`article-feedback`), as readers write it in the help centre, not through the API.",
    EVENTS(feedback_events),
    .evidence = "shape a guess.",
    .path = "articles/{}/feedbacks",
    .scope = "Desk.articles",
    .ops = DM_OP_LIST | DM_OP_GET,
    .parent = "articleId",
    .parent_module = "article",
    .list_max = 50,
    .list_default = 50,
};

static const char *const category_statuses[] = {"SHOW_IN_HELPCENTER", "HIDE_IN_HELPCENTER", NULL};
static const char *const visibilities[] = {"ALL_USERS", "REGISTERED_USERS", "AGENTS_ONLY", NULL};

static const dm_attr root_category_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("name", RW | REQ, 255),
    KS("description", N | RW, 5000),
    KR("departmentId", RW | REQ, "department"),
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = category_statuses,
     .dflt = "\"SHOW_IN_HELPCENTER\""},
    {.name = "visibility",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = visibilities,
     .dflt = "\"ALL_USERS\""},
    {.name = "locale", .type = DM_T_STR, .flags = DM_A_CREATE, .dflt = "\"en\""},
    KD("isTrashed", DM_T_BOOL, 0, "false"),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    K("createdById", DM_T_ID, N | DM_A_CREATOR),
    K("modifiedById", DM_T_ID, N | DM_A_MODIFIER),
};

static const dm_event_def root_category_events[] = {
    EV("KBRootCategory_Add", "create", 0),
    EV("KBRootCategory_Update", "update", PREV),
    EV("KBRootCategory_Delete", "delete", 0),
};

const dm_schema dm_root_category_schema = {
    SHAPE("kbRootCategory", root_category_a),
    .title = "Knowledge base root category",
    .doc = "A department's top-level knowledge base category: `GET/POST "
           "/api/v1/kbRootCategories`, `GET/PATCH/DELETE /api/v1/kbRootCategories/{id}`.",
    EVENTS(root_category_events),
    .evidence = "shape partly a guess; event names as Desk's webhook page spells them.",
    .path = "kbRootCategories",
    .scope = "Desk.articles",
    .ops = ALL_OPS,
    .dept = DM_DEPT_OWN,
    .org_key = "kbRootCategories",
    .list_max = 50,
    .list_default = 50,
};

static const dm_attr section_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    KS("name", RW | REQ, 255),
    KS("description", N | RW, 5000),
    K("rootCategoryId", DM_T_ID, 0),
    KR("parentCategoryId", RW, "kbSection"),
    K("departmentId", DM_T_ID, N),
    {.name = "visibility",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = visibilities,
     .dflt = "\"ALL_USERS\""},
    {.name = "locale", .type = DM_T_STR, .flags = DM_A_CREATE, .dflt = "\"en\""},
    KD("isTrashed", DM_T_BOOL, 0, "false"),
    K("createdTime", DM_T_TIME, DM_A_CREATED),
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
    K("createdById", DM_T_ID, N | DM_A_CREATOR),
    K("modifiedById", DM_T_ID, N | DM_A_MODIFIER),
};

static const dm_event_def section_events[] = {
    EV("KBSection_Add", "create", 0),
    EV("KBSection_Update", "update", PREV),
    EV("KBSection_Delete", "delete", 0),
};

const dm_schema dm_section_schema = {
    SHAPE("kbSection", section_a),
    .title = "Knowledge base section",
    .doc = "A section of a root category, holding articles: `GET/POST "
           "/api/v1/kbRootCategories/{id}/sections`, `GET/PATCH/DELETE "
           "/api/v1/kbRootCategories/{id}/sections/{sectionId}`.",
    EVENTS(section_events),
    .evidence = "shape partly a guess.",
    .path = "kbRootCategories/{}/sections",
    .scope = "Desk.articles",
    .ops = ALL_OPS,
    .dept = DM_DEPT_OWN,
    .parent = "rootCategoryId",
    .parent_module = "kbRootCategory",
    .org_key = "kbSections",
    .list_max = 50,
    .list_default = 50,
};

/* ==== Instant messaging ==== */

static const char *const im_session_statuses[] = {"OPEN", "ON_HOLD", "ENDED", "BLOCKED", NULL};
static const char *const im_integrations[] = {"WHATSAPP",  "TELEGRAM", "LINE", "WECHAT", "FACEBOOK",
                                              "INSTAGRAM", "TWITTER",  "SMS",  NULL};

static const dm_attr im_session_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("channelId", DM_T_ID, 0),
    {.name = "integration",
     .type = DM_T_ENUM,
     .flags = DM_A_CREATE,
     .choices = im_integrations,
     .dflt = "\"WHATSAPP\""},
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = RW,
     .choices = im_session_statuses,
     .dflt = "\"OPEN\""},
    K("previousStatus", DM_T_STR, N),
    KR("departmentId", RW | REQ, "department"),
    KR("assigneeId", N | RW, "agent"),
    KR("contactId", N | DM_A_CREATE, "contact"),
    KD("meta", DM_T_OBJ, 0, "{}"),
    /* IM events carry epoch milliseconds as strings */
    K("modifiedTime", DM_T_COUNT, 0),
};

static const dm_event_def im_session_events[] = {
    EV("IM_Session_Status", "update", DEPTS),
};

const dm_schema dm_im_session_schema = {
    SHAPE("imSession", im_session_a),
    .title = "IM session",
    .doc = "A conversation on a messaging channel (WhatsApp, Telegram, ...). Customers and "
           "channels start and move them, so they change through `/mock/v1/actions` "
           "(`im-session`, `im-session-status`); each status change raises "
           "IM_Session_Status.",
    EVENTS(im_session_events),
    .evidence = "shape a guess; epoch-millisecond times as Desk's IM events have them.",
    .dept = DM_DEPT_OWN,
};

static const char *const im_directions[] = {"IN", "OUT", NULL};
static const char *const im_message_statuses[] = {"SAVED", "SENT",   "DELIVERED",
                                                  "READ",  "FAILED", NULL};

static const char *const im_status_keys[] = {
    "id", "sessionId", "channelId", "integration", "direction", "status", "modifiedTime", NULL};

static const dm_attr im_message_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("sessionId", DM_T_ID, 0),
    K("channelId", DM_T_ID, 0),
    K("integration", DM_T_STR, 0),
    {.name = "direction",
     .type = DM_T_ENUM,
     .flags = DM_A_CREATE,
     .choices = im_directions,
     .dflt = "\"IN\""},
    {.name = "messageType", .type = DM_T_STR, .flags = DM_A_CREATE, .dflt = "\"TEXT\""},
    KS("text", DM_A_CREATE | REQ, 4000),
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = DM_A_UPDATE,
     .choices = im_message_statuses,
     .dflt = "\"SAVED\""},
    K("actor", DM_T_OBJ, 0),
    KD("meta", DM_T_OBJ, 0, "{}"),
    K("departmentId", DM_T_ID, N | DM_A_OPT),
    K("createdTime", DM_T_COUNT, 0),
    K("modifiedTime", DM_T_COUNT, DM_A_OPT),
};

static const dm_event_def im_message_events[] = {
    EV("IM_Message_Add", "create", DEPTS),
    {"IM_Message_Status", "update", DEPTS, im_status_keys},
};

const dm_schema dm_im_message_schema = {
    SHAPE("imMessage", im_message_a),
    .title = "IM message",
    .doc = "A message in an IM session, in or out; through `/mock/v1/actions` "
           "(`im-message`, `im-message-status`).",
    EVENTS(im_message_events),
    .evidence = "shape a guess.",
    .dept = DM_DEPT_OWN,
};

/* ==== Agents' presence and channels ==== */

static const char *const presence_statuses[] = {"ONLINE", "OFFLINE", "AWAY", "BUSY", NULL};

static const dm_attr presence_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("agentId", DM_T_ID, 0),
    {.name = "status",
     .type = DM_T_ENUM,
     .flags = DM_A_UPDATE,
     .choices = presence_statuses,
     .dflt = "\"OFFLINE\""},
    {.name = "channels",
     .type = DM_T_OBJ,
     .flags = DM_A_UPDATE,
     .dflt = "{\"EMAIL\":\"OFFLINE\",\"CHAT\":\"OFFLINE\",\"PHONE\":\"OFFLINE\"}"},
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
};

static const dm_event_def presence_events[] = {
    EV("Agent_Presence_Update", "update", PREV),
};

const dm_schema dm_presence_schema = {
    SHAPE("agentPresence", presence_a),
    .title = "Agent presence",
    .doc = "Whether an agent is online, per channel; one per agent, changed by the agent in the "
           "app: through `/mock/v1/actions` (`agent-presence`).",
    EVENTS(presence_events),
    .evidence = "shape a guess.",
};

static const dm_attr channel_pref_a[] = {
    K("id", DM_T_ID, DM_A_ID),
    K("agentId", DM_T_ID, 0),
    {.name = "channelPreferences",
     .type = DM_T_OBJ,
     .flags = DM_A_UPDATE,
     .dflt = "{\"EMAIL\":true,\"CHAT\":true,\"PHONE\":true}"},
    K("modifiedTime", DM_T_TIME, DM_A_MODIFIED),
};

static const dm_event_def channel_pref_events[] = {
    EV("Agent_Channel_Preference_Update", "update", PREV),
};

const dm_schema dm_channel_pref_schema = {
    SHAPE("agentChannelPreference", channel_pref_a),
    .title = "Agent channel preferences",
    .doc = "Which channels an agent takes work from; one per agent, changed in the app: "
           "through `/mock/v1/actions` (`agent-channel-preference`).",
    EVENTS(channel_pref_events),
    .evidence = "shape a guess.",
};
