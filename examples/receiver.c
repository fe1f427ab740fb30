/* receiver.c -- a Zoho Desk extension webhook receiver, shared by every
 * example: the HTTP server (libmicrohttpd, a thread per connection), the
 * onDeskAuthorise callback, the checks on each delivery, de-duplication, and
 * the one action -- a comment written back on each new ticket -- which a
 * worker thread does after the delivery has been answered. Talking to Desk
 * (verifying X-ZDesk-JWT, calling invoke) is in desk.c.
 *
 * The switches in rx_behaviour turn the correct receiver into each broken
 * one: read the code with RX_CORRECT in mind, and every "rx->b.xxx" marks a
 * place where a real receiver goes wrong.
 *
 * Nothing is persisted: the authorisation and the events seen live in
 * memory, so a restart forgets them. A real extension keeps both in its
 * database. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "receiver.h"
#include "desk.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_SECRET    "conformance-secret-0001"
#define DEFAULT_SOURCE_ID "7d1f2b7e-3c4a-4e1b-9a3f-5b6c7d8e9f01"

#define SEEN_MAX 4096 /* events remembered for de-duplication */
#define ID_MAX   40   /* Desk ids are 19 digits */

/* ==== State ==== */

typedef struct rx_server {
    rx_behaviour b;
    const char *mock, *secret, *source_id; /* from argv */
    const char *token;                     /* --register: our OAuth token */
    bool plain;                            /* --register: a plain webhook, no extension */
    desk_keys *keys;                       /* the JWKS cache; has its own lock */
    pthread_t worker;                      /* makes the write-backs */

    pthread_mutex_t lock; /* guards everything below */
    bool authorised;
    char org_id[64], security_context[256], installation_id[64];
    char webhook_id[ID_MAX]; /* the aud our deliveries carry; "" until known */
    char *seen[SEEN_MAX];    /* ring of de-duplication keys */
    size_t seen_next;
    struct job *head, *tail; /* write-backs waiting for the worker */
    pthread_cond_t wake;     /* signalled when a job is queued or on stop */
    bool stopping;
    bool poisoned; /* only the fragile receiver sets it */
} rx_server;

/* One write-back: a call to Desk, made as the installation that received
 * the event. */
typedef struct job {
    struct job *next;
    char method[8];
    char path[128];
    char *body; /* JSON */
    char org_id[64], security_context[256];
    char *key; /* the event's de-duplication key, forgotten if the write fails; may be NULL */
} job;

/* Lets the compiler check the format strings of our printf-like helpers. */
#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PRINTF_LIKE(fmt, args)
#endif

static void log_line(const rx_server *rx, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void log_line(const rx_server *rx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    flockfile(stderr);
    fprintf(stderr, "[%s] ", rx->b.name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

/* ==== De-duplication ==== */

/* Desk delivers at least once and gives no delivery id, so an event is known
 * by what it says: its type, the resource's id and the resource's
 * modifiedTime (eventTime when the payload has none). Returns a malloc'ed
 * key, or NULL when out of memory. */
static char *event_key(const cJSON *ev)
{
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(ev, "payload");
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "eventType"));
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "id"));
    const char *when =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "modifiedTime"));
    if (!when) when = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "eventTime"));
    if (!type) type = "?";
    if (!id) id = "?";
    if (!when) when = "?";
    size_t len = strlen(type) + strlen(id) + strlen(when) + 3;
    char *key = malloc(len);
    if (key) snprintf(key, len, "%s|%s|%s", type, id, when);
    return key;
}

/* Claims key: true when it was new (now remembered), false when it had been
 * seen. Checking and remembering under one lock makes two concurrent
 * deliveries of the same event claim it once. key is borrowed. */
static bool seen_claim(rx_server *rx, const char *key)
{
    bool fresh = true;
    pthread_mutex_lock(&rx->lock);
    for (size_t i = 0; i < SEEN_MAX && fresh; i++)
        if (rx->seen[i] && strcmp(rx->seen[i], key) == 0) fresh = false;
    char *copy = fresh ? strdup(key) : NULL;
    if (copy) {
        free(rx->seen[rx->seen_next]); /* the oldest is forgotten */
        rx->seen[rx->seen_next] = copy;
        rx->seen_next = (rx->seen_next + 1) % SEEN_MAX;
    }
    pthread_mutex_unlock(&rx->lock);
    return fresh;
}

/* Forgets key again, so that a redelivery gets another chance when handling
 * the event failed. */
static void seen_release(rx_server *rx, const char *key)
{
    pthread_mutex_lock(&rx->lock);
    for (size_t i = 0; i < SEEN_MAX; i++) {
        if (rx->seen[i] && strcmp(rx->seen[i], key) == 0) {
            free(rx->seen[i]);
            rx->seen[i] = NULL;
        }
    }
    pthread_mutex_unlock(&rx->lock);
}

static void seen_clear(rx_server *rx)
{
    for (size_t i = 0; i < SEEN_MAX; i++) {
        free(rx->seen[i]);
        rx->seen[i] = NULL;
    }
    rx->seen_next = 0;
}

/* ==== The work: writing back ==== */

/* Ids in Desk are digit strings; anything else is not a ticket we write to. */
static bool is_id(const char *s)
{
    if (!s || !*s || strlen(s) >= ID_MAX) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

/* A string or number field as text, into buf. */
static const char *field_text(const cJSON *obj, const char *name, char *buf, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, len, "%.0f", v->valuedouble);
        return buf;
    }
    return NULL;
}

static job *new_job(const char *method, const char *path, cJSON *body, const char *org,
                    const char *ctx)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        cJSON_Delete(body);
        return NULL;
    }
    snprintf(j->method, sizeof j->method, "%s", method);
    snprintf(j->path, sizeof j->path, "%s", path);
    j->body = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    snprintf(j->org_id, sizeof j->org_id, "%s", org);
    snprintf(j->security_context, sizeof j->security_context, "%s", ctx);
    return j;
}

static job *comment_job(const char *ticket, const char *text, const char *org, const char *ctx)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/tickets/%s/comments", ticket);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "content", text);
    cJSON_AddBoolToObject(b, "isPublic", 0);
    return new_job("POST", path, b, org, ctx);
}

/* The write-back an event calls for, or NULL when it calls for none: one
 * comment on each new ticket. Other and unknown event types need nothing,
 * and that is fine. org and ctx are the authorisation it arrived under. */
static job *job_for(const rx_server *rx, const cJSON *ev, const char *org, const char *ctx)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "eventType"));
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(ev, "payload");
    const char *ticket = NULL;
    char text[160], num[64];
    if (!type) return NULL;
    if (strcmp(type, "Ticket_Add") == 0) {
        ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "id"));
        const char *number = field_text(payload, "ticketNumber", num, sizeof num);
        if (!is_id(ticket)) return NULL;
        if (rx->b.crash_on_unassigned) {
            /* the bug: every ticket is assumed to have an assignee */
            const cJSON *who = cJSON_GetObjectItemCaseSensitive(payload, "assigneeId");
            if (!cJSON_IsString(who)) {
                log_line(rx, "ticket %s has no assignee: giving up", ticket);
                abort();
            }
        }
        snprintf(text, sizeof text, "Thanks, we got ticket %s", number ? number : ticket);
        return comment_job(ticket, text, org, ctx);
    }
    if (rx->b.reply_to_comments && strcmp(type, "Ticket_Comment_Add") == 0) {
        ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "ticketId"));
        if (!is_id(ticket)) return NULL;
        snprintf(text, sizeof text, "Thanks, we got your comment on ticket %s", ticket);
        return comment_job(ticket, text, org, ctx);
    }
    if (rx->b.thread_id_as_ticket && strcmp(type, "Ticket_Thread_Add") == 0) {
        /* the bug: payload.id is the thread's own id; the ticket's is payload.ticketId */
        ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "id"));
        if (!is_id(ticket)) return NULL;
        return comment_job(ticket, "We got your email", org, ctx);
    }
    if (rx->b.update_on_update && strcmp(type, "Ticket_Update") == 0) {
        /* stamps each updated ticket with a sync time: a change, so another event */
        ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "id"));
        if (!is_id(ticket)) return NULL;
        static unsigned long stamp;
        char path[96], subject[96];
        snprintf(path, sizeof path, "/api/v1/tickets/%s", ticket);
        snprintf(subject, sizeof subject, "synced #%lu", ++stamp);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "subject", subject);
        return new_job("PATCH", path, b, org, ctx);
    }
    return NULL;
}

/* Makes the write-back, logs how it went, and frees j. When it failed, the
 * event is forgotten, so that a redelivery of it is acted on again. */
static void run_job(rx_server *rx, job *j)
{
    const desk_invoke inv = {
        .desk_url = rx->mock,
        .secret = rx->secret,
        .org_id = j->org_id,
        .security_context = rx->plain ? NULL : j->security_context,
        .token = rx->token,
        .source_id = rx->b.send_source_id ? rx->source_id : NULL,
        .retries = rx->b.retry_write_backs ? 4 : 0,
        .bad_hash = rx->b.bad_hash,
        .ignore_retry_after = rx->b.ignore_retry_after,
    };
    char why[300];
    if (desk_call(&inv, j->method, j->path, j->body, why, sizeof why) == 0) {
        log_line(rx, "%s %s done", j->method, j->path);
    } else {
        log_line(rx, "write-back failed: %s", why);
        if (j->key) seen_release(rx, j->key);
    }
    cJSON_free(j->body);
    free(j->key);
    free(j);
}

/* Hands j to the worker; it owns j from here. */
static void enqueue(rx_server *rx, job *j)
{
    pthread_mutex_lock(&rx->lock);
    if (rx->tail)
        rx->tail->next = j;
    else
        rx->head = j;
    rx->tail = j;
    pthread_cond_signal(&rx->wake);
    pthread_mutex_unlock(&rx->lock);
}

/* The worker thread: runs queued write-backs one at a time, in order, until
 * told to stop; what is queued by then is still done. */
static void *worker_main(void *arg)
{
    rx_server *rx = arg;
    pthread_mutex_lock(&rx->lock);
    for (;;) {
        while (!rx->head && !rx->stopping)
            pthread_cond_wait(&rx->wake, &rx->lock);
        job *j = rx->head;
        if (!j) break; /* stopping, and nothing left */
        rx->head = j->next;
        if (!rx->head) rx->tail = NULL;
        pthread_mutex_unlock(&rx->lock);
        run_job(rx, j);
        pthread_mutex_lock(&rx->lock);
    }
    pthread_mutex_unlock(&rx->lock);
    return NULL;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ==== Answering requests ==== */

/* The answer to one request: an HTTP status and a short reason. */
typedef struct outcome {
    unsigned status;
    char reason[200];
} outcome;

static outcome refuse(unsigned status, const char *fmt, ...) PRINTF_LIKE(2, 3);
static outcome refuse(unsigned status, const char *fmt, ...)
{
    outcome o = {status, ""};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o.reason, sizeof o.reason, fmt, ap);
    va_end(ap);
    return o;
}

static const outcome accepted = {200, ""};

/* POST /authorise {"orgId","securityContext","installationId"}: Desk telling
 * us an org authorised the extension. A new securityContext is a new
 * installation, so the events seen for the previous one are forgotten. */
static outcome on_authorise(rx_server *rx, const char *body, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    const char *org = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "orgId"));
    const char *ctx = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "securityContext"));
    const char *inst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "installationId"));
    outcome o = accepted;
    if (!org || !ctx || !*org || !*ctx || strlen(org) >= sizeof rx->org_id ||
        strlen(ctx) >= sizeof rx->security_context ||
        (inst && strlen(inst) >= sizeof rx->installation_id)) {
        o = refuse(400, "expected {\"orgId\",\"securityContext\",\"installationId\"}");
    } else {
        pthread_mutex_lock(&rx->lock);
        if (rx->authorised && rx->b.first_context_only) { /* the bug: the first one forever */
            pthread_mutex_unlock(&rx->lock);
            cJSON_Delete(j);
            return o;
        }
        if (!rx->authorised || strcmp(rx->security_context, ctx) != 0) {
            seen_clear(rx);
            rx->webhook_id[0] = '\0'; /* a new installation has a new webhook */
        }
        snprintf(rx->org_id, sizeof rx->org_id, "%s", org);
        snprintf(rx->security_context, sizeof rx->security_context, "%s", ctx);
        snprintf(rx->installation_id, sizeof rx->installation_id, "%s", inst ? inst : "");
        rx->authorised = true;
        pthread_mutex_unlock(&rx->lock);
        log_line(rx, "authorised for org %s (installation %s)", org, inst ? inst : "?");
    }
    cJSON_Delete(j);
    return o;
}

/* A webhook delivery. Authenticate first and do nothing else on failure;
 * then note the events and answer at once. */
static outcome on_delivery(rx_server *rx, struct MHD_Connection *conn, const char *body, size_t len)
{
    /* A copy of the authorisation, so no lock is held while we work. */
    char our_org[sizeof rx->org_id], our_ctx[sizeof rx->security_context];
    char our_hook[sizeof rx->webhook_id];
    pthread_mutex_lock(&rx->lock);
    bool authorised = rx->authorised;
    memcpy(our_org, rx->org_id, sizeof our_org);
    memcpy(our_ctx, rx->security_context, sizeof our_ctx);
    memcpy(our_hook, rx->webhook_id, sizeof our_hook);
    pthread_mutex_unlock(&rx->lock);
    if (!authorised) return refuse(401, "not authorised yet: no onDeskAuthorise call received");

    /* 1. Who sent it: Desk, for this org and our webhook (X-ZDesk-JWT). An
     * extension learns its webhook's id from the first genuine delivery
     * after the authorise callback (Desk makes the webhook then), and
     * refuses any other from then on; a plain webhook knows it from the
     * answer to its creation. */
    char aud[ID_MAX] = "";
    if (rx->b.verify_jwt) {
        char why[200];
        const char *jwt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, rx->b.jwt_header);
        if (desk_verify_jwt(rx->keys, jwt, our_org, *our_hook ? our_hook : NULL, rx->b.jwt_skip,
                            aud, sizeof aud, why, sizeof why) != 0)
            return refuse(401, "%s", why);
    }

    /* 2. To whom: an extension's URL carries our org and securityContext. */
    if (!rx->plain) {
        const char *org = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "orgId");
        const char *ctx =
            MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "securityContext");
        if (!org || strcmp(org, our_org) != 0) return refuse(401, "orgId in the URL is not ours");
        if (!ctx || strlen(ctx) != strlen(our_ctx) || CRYPTO_memcmp(ctx, our_ctx, strlen(ctx)) != 0)
            return refuse(401, "securityContext in the URL is not ours");
    }
    if (!*our_hook && *aud) {
        pthread_mutex_lock(&rx->lock);
        if (!rx->webhook_id[0] && strcmp(rx->security_context, our_ctx) == 0)
            snprintf(rx->webhook_id, sizeof rx->webhook_id, "%s", aud);
        pthread_mutex_unlock(&rx->lock);
    }

    /* 3. What: a JSON array of event objects. */
    cJSON *events = cJSON_ParseWithLength(body, len);
    bool well_formed = cJSON_IsArray(events);
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
        well_formed = well_formed && cJSON_IsObject(ev);
    if (!well_formed) {
        cJSON_Delete(events);
        if (rx->b.poisoned_by_bad_body) {
            pthread_mutex_lock(&rx->lock);
            rx->poisoned = true;
            pthread_mutex_unlock(&rx->lock);
        }
        return refuse(400, "the body is not a JSON array of events");
    }
    int n = cJSON_GetArraySize(events);
    if (rx->b.fail_batches && n > 1) {
        cJSON_Delete(events);
        return refuse(500, "cannot handle %d events at once", n);
    }

    /* 4. Each event once: queue the work for new ones, skip the repeats.
     * The worker writes back after we have answered: Desk waits 5 s at
     * most, and our own calls to Desk may be slower than that. */
    int fresh = 0, repeats = 0, seen = 0;
    cJSON_ArrayForEach(ev, events) {
        if (rx->b.first_only && seen++) break; /* the bug: the rest of the array is lost */
        char *key = rx->b.deduplicate ? event_key(ev) : NULL;
        if (key && !seen_claim(rx, key)) {
            repeats++;
            free(key);
            continue;
        }
        fresh++;
        job *j = job_for(rx, ev, our_org, our_ctx);
        if (!j) {
            free(key);
            continue;
        }
        j->key = key;
        if (rx->b.work_before_answering) {
            sleep_ms(rx->b.work_ms);
            run_job(rx, j);
        } else {
            enqueue(rx, j);
        }
    }
    cJSON_Delete(events);
    log_line(rx, "delivery of %d event(s): %d new, %d repeat(s) skipped", n, fresh, repeats);
    return accepted;
}

/* ==== HTTP server (libmicrohttpd) ==== */

typedef struct request {
    char *body;
    size_t len, cap;
    bool too_big;
} request;

/* {"ok":true} or {"ok":false,"error":"<reason>"} with o's status. */
static enum MHD_Result reply(struct MHD_Connection *conn, const outcome *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", o->status == 200);
    if (o->status != 200) cJSON_AddStringToObject(j, "error", o->reason);
    char *json = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    struct MHD_Response *r =
        json ? MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_COPY) : NULL;
    cJSON_free(json);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, o->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Appends a chunk of the request body, up to max bytes; past it the rest is
 * read and dropped, and the request is answered 413. */
static void take_chunk(request *r, const char *data, size_t n, size_t max)
{
    if (r->too_big) return;
    if (r->len + n > max) {
        r->too_big = true;
        return;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b) {
            r->too_big = true;
            return;
        }
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
}

static bool ascii(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] > 0x7f) return false;
    return true;
}

/* The URL check's POST: an unsigned body of {} (whitespace aside). */
static bool is_url_check(struct MHD_Connection *conn, const request *r)
{
    if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-ZDesk-JWT")) return false;
    size_t i = 0, n = r->len;
    const char *b = r->body ? r->body : "";
    while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        i++;
    while (n > i && (b[n - 1] == ' ' || b[n - 1] == '\n' || b[n - 1] == '\r' || b[n - 1] == '\t'))
        n--;
    return n - i == 2 && b[i] == '{' && b[i + 1] == '}';
}

/* libmicrohttpd calls this once with no data (we only set up), once per
 * chunk of body, and once more with *upload_data_size == 0: then we answer. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    rx_server *rx = cls;
    request *r = *req_cls;
    (void)version;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *req_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size) {
        take_chunk(r, upload_data, *upload_data_size, rx->b.body_max);
        *upload_data_size = 0;
        return MHD_YES;
    }

    outcome o;
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
        /* Desk's unsigned URL check, or anyone asking if we are up */
        o = rx->b.get_status == 200 ? accepted : refuse(rx->b.get_status, "POST only");
    } else if (strcmp(method, "POST") != 0) {
        o = refuse(405, "only GET and POST");
    } else {
        pthread_mutex_lock(&rx->lock);
        bool poisoned = rx->poisoned;
        pthread_mutex_unlock(&rx->lock);
        if (poisoned)
            o = refuse(500, "broken since a malformed delivery");
        else if (r->too_big)
            o = refuse(413, "the body is larger than %u bytes", rx->b.body_max);
        else if (rx->b.ascii_only && !ascii(r->body, r->len))
            o = refuse(500, "unexpected characters in the body"); /* the bug */
        else if (is_url_check(conn, r))
            o = accepted; /* Desk's check POSTs {} when its GET was not answered 200 */
        else if (strcmp(url, "/authorise") == 0)
            o = on_authorise(rx, r->body ? r->body : "", r->len);
        else
            o = on_delivery(rx, conn, r->body ? r->body : "", r->len);
    }
    if (o.status != 200) log_line(rx, "%s %s: %u %s", method, url, o.status, o.reason);
    return reply(conn, &o);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode why)
{
    request *r = *req_cls;
    (void)cls;
    (void)conn;
    (void)why;
    if (r) free(r->body);
    free(r);
    *req_cls = NULL;
}

/* ==== Command line and main ==== */

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s --port N --mock URL [--secret S] [--source-id UUID]\n"
            "          [--register --token T --org-id ID]\n"
            "\n"
            "A Zoho Desk extension webhook receiver (deskmock example).\n"
            "  --port N          port on 127.0.0.1 (0 = any free port)\n"
            "  --mock URL        Desk's base URL, e.g. http://127.0.0.1:8000\n"
            "  --secret S        the manifest secret that keys the invoke HASH\n"
            "                    (default " DEFAULT_SECRET ")\n"
            "  --source-id UUID  the webhook's ignoreSourceId, sent on write-backs\n"
            "                    (default " DEFAULT_SOURCE_ID ")\n"
            "  --register        a plain webhook: create our own (POST /api/v1/webhooks\n"
            "                    with --token, org --org-id) and write back with the\n"
            "                    REST API instead of invoke\n",
            prog);
}

/* Reads argv into rx and *port. Returns 0, or -1 after printing why. */
static int parse_args(int argc, char **argv, rx_server *rx, unsigned *port)
{
    bool have_port = false;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            usage(stdout, argv[0]);
            exit(0);
        }
        if (strcmp(opt, "--register") == 0) {
            rx->plain = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: %s needs a value\n", argv[0], opt);
            return -1;
        }
        const char *val = argv[++i];
        if (strcmp(opt, "--port") == 0) {
            char *end = NULL;
            errno = 0;
            long p = strtol(val, &end, 10);
            if (errno || end == val || *end || p < 0 || p > 65535) {
                fprintf(stderr, "%s: --port: expected 0 to 65535, got \"%s\"\n", argv[0], val);
                return -1;
            }
            *port = (unsigned)p;
            have_port = true;
        } else if (strcmp(opt, "--mock") == 0) {
            rx->mock = val;
        } else if (strcmp(opt, "--secret") == 0) {
            rx->secret = val;
        } else if (strcmp(opt, "--source-id") == 0) {
            rx->source_id = val;
        } else if (strcmp(opt, "--token") == 0) {
            rx->token = val;
        } else if (strcmp(opt, "--org-id") == 0) {
            snprintf(rx->org_id, sizeof rx->org_id, "%s", val);
        } else {
            fprintf(stderr, "%s: unknown option %s\n", argv[0], opt);
            return -1;
        }
    }
    if (!have_port || !rx->mock || (rx->plain && (!rx->token || !rx->org_id[0]))) {
        usage(stderr, argv[0]);
        return -1;
    }
    return 0;
}

/* --register: our own plain webhook at http://127.0.0.1:port/hook. */
static int register_webhook(rx_server *rx, unsigned port)
{
    char url[64], id[ID_MAX], why[300];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", port);
    const desk_invoke inv = {
        .desk_url = rx->mock, .org_id = rx->org_id, .token = rx->token, .source_id = rx->source_id};
    if (desk_create_webhook(&inv, url, id, sizeof id, why, sizeof why) != 0) {
        fprintf(stderr, "%s: cannot create our webhook: %s\n", rx->b.name, why);
        return -1;
    }
    pthread_mutex_lock(&rx->lock);
    snprintf(rx->webhook_id, sizeof rx->webhook_id, "%s", id);
    rx->authorised = true;
    pthread_mutex_unlock(&rx->lock);
    printf("registered webhook %s\n", id);
    return 0;
}

int rx_main(int argc, char **argv, const rx_behaviour *b)
{
    static rx_server rx; /* large (the seen ring); lives for the whole run */
    unsigned port = 0;
    rx.b = *b;
    rx.secret = DEFAULT_SECRET;
    rx.source_id = DEFAULT_SOURCE_ID;
    if (parse_args(argc, argv, &rx, &port) != 0) return 2;

    /* A base URL without its trailing slash, so "<mock>/api/v1/..." is right. */
    static char mock[2048];
    snprintf(mock, sizeof mock, "%s", rx.mock);
    while (*mock && mock[strlen(mock) - 1] == '/')
        mock[strlen(mock) - 1] = '\0';
    rx.mock = mock;

    /* Block SIGINT and SIGTERM before any thread starts, so every thread
     * inherits the mask and main() alone receives them, in sigwait(). */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    pthread_mutex_init(&rx.lock, NULL);
    pthread_cond_init(&rx.wake, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int status = 1;
    struct MHD_Daemon *d = NULL;
    bool have_worker = false;
    rx.keys = desk_keys_new(rx.mock);
    if (!rx.keys) goto done;
    if (pthread_create(&rx.worker, NULL, worker_main, &rx) != 0) goto done;
    have_worker = true;

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* A thread per connection: a slow delivery never holds up another
     * request, and handlers may block on their own outgoing calls. */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, &rx, /* answers */
                         MHD_OPTION_SOCK_ADDR, &addr,                        /* 127.0.0.1 only */
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, &rx,     /* frees requests */
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u,                 /* idle keep-alive */
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "%s: cannot listen on 127.0.0.1:%u\n", argv[0], port);
        goto done;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info ? (unsigned)info->port : port;
    if (rx.plain && register_webhook(&rx, bound) != 0) goto done;
    printf("listening on http://127.0.0.1:%u\n", bound);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    log_line(&rx, "stopping on signal %d", sig);
    MHD_stop_daemon(d); /* waits for requests in progress */
    status = 0;
done:
    if (have_worker) { /* let it finish the queued write-backs */
        pthread_mutex_lock(&rx.lock);
        rx.stopping = true;
        pthread_cond_signal(&rx.wake);
        pthread_mutex_unlock(&rx.lock);
        pthread_join(rx.worker, NULL);
    }
    desk_keys_free(rx.keys);
    seen_clear(&rx);
    curl_global_cleanup();
    pthread_cond_destroy(&rx.wake);
    pthread_mutex_destroy(&rx.lock);
    return status;
}
