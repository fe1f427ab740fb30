/* test_receiver_faults.c -- every kind of broken receiver at once, each
 * behind its own webhook, while API clients keep writing and reading: one
 * healthy, one slow, one answering 500, one 410, one on a port nobody
 * listens on, one resetting the connection, one answering garbage, one
 * never answering, one answering 200 with a 2 MB body (far more than the
 * journal keeps; small enough to drain within the 300 ms timeout on a loaded
 * machine), and one disabled webhook. Nine enabled and ten configured: within the Enterprise org's
 * caps (10 enabled, 20 configured). Short delivery timeout (300 ms) and retry schedule (50, 100 ms)
 * on the real clock, since network timeouts are real. At the end the mock answers, every client got
 * the status it should, every event has exactly one fate for every webhook it targeted, with the
 * reason, and the fates agree with what each receiver saw. Waits are on the journal (long-poll);
 * the only sleeps are the odd receivers' own. */
#include "hooks.h"

#include "util/buf.h"
#include "util/json.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#define SUBS        "{\"Ticket_Update\":null,\"Ticket_Comment_Add\":null}"
#define WRITERS     4
#define ROUNDS      25
#define HUGE_BODY   (2 * 1024 * 1024)
#define HOLD_MAX_MS 10000 /* a held connection is let go after this, whatever happens */
#define SLOW_MS     50

/* ==== Event keys ==== */

/* What identifies an event in a POST body and in its journal record: the
 * type and the unique subject (Ticket_Update) or content (comment) the
 * writers gave it. */
static void event_key(const cJSON *type_holder, const cJSON *payload, char *out, size_t len)
{
    const char *type = dmt_str(type_holder, "eventType");
    const char *tag = dmt_str(payload, "subject");
    if (type && strcmp(type, "Ticket_Comment_Add") == 0) tag = dmt_str(payload, "content");
    snprintf(out, len, "%s|%s", type ? type : "?", tag ? tag : "?");
}

typedef struct keys {
    char **k;
    size_t n, cap;
} keys;

static void keys_add(keys *s, const char *k)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->k = realloc(s->k, s->cap * sizeof *s->k);
        assert_non_null(s->k);
    }
    s->k[s->n++] = strdup(k);
}

static size_t keys_count(const keys *s, const char *k)
{
    size_t c = 0;
    for (size_t i = 0; i < s->n; i++)
        c += strcmp(s->k[i], k) == 0;
    return c;
}

static void keys_free(keys *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->k[i]);
    free(s->k);
    memset(s, 0, sizeof *s);
}

/* Adds the key of every element of a delivery body (a JSON array). */
static void keys_add_body(keys *s, const char *body, size_t len)
{
    cJSON *arr = NULL;
    if (dm_json_parse(body, len, &arr, NULL, 0)) {
        keys_add(s, "(unparsable body)");
        return;
    }
    const cJSON *el;
    cJSON_ArrayForEach(el, arr) {
        char k[160];
        event_key(el, cJSON_GetObjectItemCaseSensitive(el, "payload"), k, sizeof k);
        keys_add(s, k);
    }
    cJSON_Delete(arr);
}

/* ==== Odd receivers: plain sockets, one thread each ==== */

typedef enum { ODD_REFUSE, ODD_RESET, ODD_GARBAGE, ODD_HOLD, ODD_HUGE } odd_mode;

/* Answers the URL check (a GET) with 200, then misbehaves on every POST as
 * mode says. Handles one connection at a time: the mock has at most one
 * request in flight per webhook. Records the events of every POST it read
 * whole, before misbehaving, so they are recorded before the mock's attempt
 * ends. */
typedef struct odd {
    odd_mode mode;
    int lfd;     /* listening socket; -1 once gone (refuse) */
    int blocker; /* refuse: bound to the port, never listening */
    int port;
    char url[64];
    pthread_t thread;
    int running;
    atomic_int stop;
    pthread_mutex_t mu;
    int gets, posts;
    keys got; /* events of every POST, in arrival order */
} odd;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads until buf holds "\r\n\r\n" plus Content-Length bytes of body; 0 when
 * the request is whole, -1 when the peer went or took too long. */
static int read_request(odd *o, int fd, dm_buf *buf, size_t *head_len, size_t *body_len)
{
    int64_t until = now_ms() + 5000;
    *head_len = 0;
    *body_len = 0;
    for (;;) {
        if (buf->data && !*head_len) {
            char *end = strstr(buf->data, "\r\n\r\n");
            if (end) {
                *head_len = (size_t)(end - buf->data) + 4;
                for (char *p = buf->data; p < end; p++) {
                    if (strncasecmp(p, "\r\ncontent-length:", 17) == 0) {
                        *body_len = strtoul(p + 17, NULL, 10);
                        break;
                    }
                }
            }
        }
        if (*head_len && buf->len >= *head_len + *body_len) return 0;
        if (atomic_load(&o->stop) || now_ms() > until || buf->len > 2u * HUGE_BODY) return -1;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char chunk[65536];
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return -1;
        dm_buf_append(buf, chunk, (size_t)n);
    }
}

static void send_all(int fd, const void *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, (const char *)data + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; /* the mock gave up on us: fine */
        off += (size_t)n;
    }
}

/* refuse: after the URL check nothing listens on the port any more, but a
 * socket stays bound to it, so nobody else can take it. */
static void stop_listening(odd *o)
{
    close(o->lfd);
    o->lfd = -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        o->blocker = fd;
    } else {
        close(fd); /* still refused; just not reserved */
    }
}

static void misbehave(odd *o, int fd)
{
    switch (o->mode) {
    case ODD_RESET: {
        struct linger lg = {1, 0}; /* close() sends RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        break;
    }
    case ODD_GARBAGE: {
        static const char junk[] = "SSH-2.0-OpenSSH_9.6 \xff\xfe not HTTP at all\r\n\r\n";
        send_all(fd, junk, sizeof junk - 1);
        break;
    }
    case ODD_HOLD: {
        /* never answer: wait for the mock to give up and close */
        int64_t until = now_ms() + HOLD_MAX_MS;
        while (!atomic_load(&o->stop) && now_ms() < until) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            char c[256];
            if (recv(fd, c, sizeof c, 0) <= 0) break;
        }
        break;
    }
    case ODD_HUGE: {
        char head[200];
        int n = snprintf(head, sizeof head,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Length: %d\r\nConnection: close\r\n\r\n",
                         HUGE_BODY);
        send_all(fd, head, (size_t)n);
        static char chunk[65536];
        memset(chunk, 'x', sizeof chunk);
        chunk[0] = (char)0xff; /* not UTF-8: the journal keeps a scrubbed prefix */
        chunk[1] = (char)0xfe;
        for (size_t off = 0; off < HUGE_BODY; off += sizeof chunk) {
            send_all(fd, chunk, sizeof chunk);
            chunk[0] = chunk[1] = 'x';
        }
        chunk[0] = (char)0xff;
        chunk[1] = (char)0xfe;
        break;
    }
    case ODD_REFUSE:
        break; /* a POST cannot get here; counted, and the test says so */
    }
}

static void serve_one(odd *o, int fd)
{
    dm_buf req = {0};
    size_t head = 0, body = 0;
    if (read_request(o, fd, &req, &head, &body) == 0) {
        if (strncmp(req.data, "GET ", 4) == 0) {
            /* counted, and (refuse) the port closed, before the mock can
             * have the answer and go on */
            pthread_mutex_lock(&o->mu);
            o->gets++;
            pthread_mutex_unlock(&o->mu);
            if (o->mode == ODD_REFUSE) stop_listening(o);
            static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                     "Connection: close\r\n\r\nok";
            send_all(fd, ok, sizeof ok - 1);
        } else {
            pthread_mutex_lock(&o->mu);
            o->posts++;
            keys_add_body(&o->got, req.data + head, body);
            pthread_mutex_unlock(&o->mu);
            misbehave(o, fd);
        }
    }
    close(fd);
    dm_buf_free(&req);
}

static void *odd_main(void *arg)
{
    odd *o = arg;
    while (!atomic_load(&o->stop)) {
        if (o->lfd < 0) {
            poll(NULL, 0, 50);
            continue;
        }
        struct pollfd p = {o->lfd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(o->lfd, NULL, NULL);
        if (fd >= 0) serve_one(o, fd);
    }
    return NULL;
}

static odd *odd_start(odd_mode mode)
{
    odd *o = calloc(1, sizeof *o);
    assert_non_null(o);
    o->mode = mode;
    o->blocker = -1;
    pthread_mutex_init(&o->mu, NULL);
    o->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(o->lfd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(o->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(o->lfd, 16), 0);
    assert_int_equal(getsockname(o->lfd, (struct sockaddr *)&sa, &sl), 0);
    o->port = ntohs(sa.sin_port);
    snprintf(o->url, sizeof o->url, "http://127.0.0.1:%d/hook", o->port);
    assert_int_equal(pthread_create(&o->thread, NULL, odd_main, o), 0);
    o->running = 1;
    return o;
}

static void odd_stop(odd *o)
{
    if (!o) return;
    atomic_store(&o->stop, 1);
    if (o->running) pthread_join(o->thread, NULL);
    if (o->lfd >= 0) close(o->lfd);
    if (o->blocker >= 0) close(o->blocker);
    keys_free(&o->got);
    pthread_mutex_destroy(&o->mu);
    free(o);
}

/* ==== API clients ==== */

/* One client thread: its own ticket, its own keep-alive connection. Each
 * round: PATCH the subject (200), add a comment (200), read the ticket
 * (200), list its comments (200), read a ticket that does not exist (404).
 * After ROUNDS rounds it goes on reading (ticket, comments, webhooks: 200)
 * until *stop, so clients are served for as long as the faults last. Any
 * other status is written to err (the main thread asserts). */
typedef struct writer {
    dmt_mock *m;
    int idx;
    const char *ticket;
    atomic_int *stop;
    pthread_t thread;
    int requests, wrong;
    char err[256];
} writer;

static const char *const tickets[WRITERS] = {"18920000000000401", "18920000000000402",
                                             "18920000000000403", "18920000000000404"};

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void call(writer *w, CURL *c, struct curl_slist *h, const char *method, const char *path,
                 const char *body, long want)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", w->m->url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    w->requests++;
    if (status != want && !w->wrong++)
        snprintf(w->err, sizeof w->err, "%s %s: expected %ld, got %ld (%s)", method, path, want,
                 status, curl_easy_strerror(rc));
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Authorization: Zoho-oauthtoken " DMT_ADMIN);
    h = curl_slist_append(h, "orgId: " DMT_ORG);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    char path[128], body[128];
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(path, sizeof path, "/api/v1/tickets/%s", w->ticket);
        snprintf(body, sizeof body, "{\"subject\":\"w%d-%d\"}", w->idx, i);
        call(w, c, h, "PATCH", path, body, 200);
        snprintf(path, sizeof path, "/api/v1/tickets/%s/comments", w->ticket);
        snprintf(body, sizeof body, "{\"content\":\"c%d-%d\"}", w->idx, i);
        call(w, c, h, "POST", path, body, 200);
        snprintf(path, sizeof path, "/api/v1/tickets/%s", w->ticket);
        call(w, c, h, "GET", path, NULL, 200);
        snprintf(path, sizeof path, "/api/v1/tickets/%s/comments?limit=100", w->ticket);
        call(w, c, h, "GET", path, NULL, 200);
        call(w, c, h, "GET", "/api/v1/tickets/18920000000099999", NULL, 404);
    }
    while (!atomic_load(w->stop)) {
        snprintf(path, sizeof path, "/api/v1/tickets/%s", w->ticket);
        call(w, c, h, "GET", path, NULL, 200);
        snprintf(path, sizeof path, "/api/v1/tickets/%s/comments?limit=5", w->ticket);
        call(w, c, h, "GET", path, NULL, 200);
        call(w, c, h, "GET", "/api/v1/webhooks", NULL, 200);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

/* ==== Fixture ==== */

enum { H_OK, H_SLOW, H_500, H_410, H_REFUSE, H_RESET, H_GARBAGE, H_HOLD, H_HUGE, H_OFF, NHOOKS };
static const char *const hook_names[NHOOKS] = {"ok",    "slow",    "500",  "410",  "refuse",
                                               "reset", "garbage", "hold", "huge", "off"};

/* ==== The ledger: events, fates and attempts from the journal ==== */

typedef struct ev {
    uint64_t seq;
    char key[160];
    int target[NHOOKS]; /* 0 not targeted, 1 queued, 2 dropped at decision */
    const cJSON *fate[NHOOKS];
} ev;

typedef struct ledger {
    ev *evs;
    int n;
    int targets;
    cJSON *fates, *attempts;
} ledger;

static void ledger_free(ledger *l);

typedef struct fx {
    dmt_mock *m;
    dmt_recv *r[NHOOKS]; /* ok, slow, 500, 410, off */
    odd *o[NHOOKS];      /* refuse, reset, garbage, hold, huge */
    char ids[NHOOKS][32];
    writer w[WRITERS];
    int nw;          /* writer threads started */
    atomic_int stop; /* tells the writers to finish */
    ledger l;
} fx;

static int setup(void **state)
{
    *state = calloc(1, sizeof(fx));
    assert_non_null(*state);
    return 0;
}

/* Runs when an assertion fails too: writers first, then the mock, then the
 * receivers. */
static int teardown(void **state)
{
    fx *f = *state;
    atomic_store(&f->stop, 1);
    for (int i = 0; i < f->nw; i++)
        pthread_join(f->w[i].thread, NULL);
    dmt_mock_stop(f->m);
    for (int i = 0; i < NHOOKS; i++) {
        dmt_recv_stop(f->r[i]);
        odd_stop(f->o[i]);
    }
    ledger_free(&f->l);
    free(f);
    return 0;
}

static int hook_of(const fx *f, const char *id)
{
    for (int i = 0; i < NHOOKS; i++)
        if (id && strcmp(f->ids[i], id) == 0) return i;
    fail_msg("unknown webhook %s", id ? id : "(none)");
    return -1;
}

static ev *ev_of(ledger *l, uint64_t seq)
{
    for (int i = 0; i < l->n; i++)
        if (l->evs[i].seq == seq) return &l->evs[i];
    fail_msg("a fate or attempt for %llu, which is no event of this test", (unsigned long long)seq);
    return NULL;
}

/* All records of kind after seq (paged), as one array (owned). */
static cJSON *all_after(dmt_mock *m, const char *kind, uint64_t after)
{
    cJSON *all = cJSON_CreateArray();
    for (;;) {
        cJSON *page =
            dmh_journal(m, "after=%llu&kind=%s&limit=10000", (unsigned long long)after, kind);
        if (!cJSON_GetArraySize(page)) {
            cJSON_Delete(page);
            return all;
        }
        while (page->child) {
            cJSON *rec = cJSON_DetachItemViaPointer(page, page->child);
            after = dmh_u64(rec, "seq");
            cJSON_AddItemToArray(all, rec);
        }
        cJSON_Delete(page);
    }
}

static void ledger_load(fx *f, ledger *l, uint64_t s0)
{
    cJSON *events = all_after(f->m, "event", s0);
    l->n = cJSON_GetArraySize(events);
    l->evs = calloc((size_t)l->n + 1, sizeof *l->evs);
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events) {
        ev *x = &l->evs[k++];
        x->seq = dmh_u64(e, "seq");
        event_key(e, cJSON_GetObjectItemCaseSensitive(e, "payload"), x->key, sizeof x->key);
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(e, "webhooks")) {
            int h = hook_of(f, dmt_str(t, "webhookId"));
            x->target[h] = strcmp(dmt_str(t, "fate"), "queued") == 0 ? 1 : 2;
            l->targets++;
        }
    }
    cJSON_Delete(events);
    /* every targeted pair owes one fate: wait for them all */
    l->fates = dmh_wait_fates(f->m, s0, l->targets);
    cJSON *late = all_after(f->m, "fate", s0);
    assert_int_equal(cJSON_GetArraySize(late), l->targets); /* and no more */
    cJSON_Delete(late);
    const cJSON *x;
    cJSON_ArrayForEach(x, l->fates) {
        ev *v = ev_of(l, dmh_u64(x, "event"));
        int h = hook_of(f, dmt_str(x, "webhookId"));
        if (!v->target[h])
            fail_msg("a fate for %s at %s, which it did not target", v->key, hook_names[h]);
        if (v->fate[h]) fail_msg("two fates for %s at %s", v->key, hook_names[h]);
        v->fate[h] = x;
        const char *fate = dmt_str(x, "fate");
        assert_non_null(fate);
        if (strcmp(fate, "delivered") != 0 && !dmt_str(x, "reason"))
            fail_msg("%s fate of %s at %s has no reason", fate, v->key, hook_names[h]);
    }
    l->attempts = all_after(f->m, "attempt", s0);
}

static void ledger_free(ledger *l)
{
    free(l->evs);
    cJSON_Delete(l->fates);
    cJSON_Delete(l->attempts);
}

/* The fate kind of every targeted event at h must be want (reason too,
 * when given); returns how many. */
static int all_fates(ledger *l, int h, const char *want, const char *reason)
{
    int n = 0;
    for (int i = 0; i < l->n; i++) {
        ev *v = &l->evs[i];
        if (!v->target[h]) continue;
        const char *got = dmt_str(v->fate[h], "fate");
        if (strcmp(got, want) != 0)
            fail_msg("%s at %s: %s (%s), expected %s", v->key, hook_names[h], got,
                     dmt_str(v->fate[h], "reason"), want);
        if (reason && strcmp(dmt_str(v->fate[h], "reason"), reason) != 0)
            fail_msg("%s at %s: reason \"%s\"", v->key, hook_names[h],
                     dmt_str(v->fate[h], "reason"));
        n++;
    }
    return n;
}

/* The attempts made to h, and (into carried) the keys of the events they
 * carried, once per attempt. */
static int attempts_to(fx *f, ledger *l, int h, keys *carried)
{
    int n = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, l->attempts) {
        if (strcmp(dmt_str(a, "webhookId"), f->ids[h]) != 0) continue;
        n++;
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(a, "events"))
            keys_add(carried, ev_of(l, (uint64_t)s->valuedouble)->key);
    }
    return n;
}

/* What h's receiver saw is exactly what the journal says was sent: as many
 * POSTs as attempts, and each event as many times as attempts carried it. */
static void receiver_saw_the_attempts(fx *f, ledger *l, int h, int posts, const keys *got)
{
    keys carried = {0};
    int n = attempts_to(f, l, h, &carried);
    if (posts != n)
        fail_msg("%s: the receiver read %d POSTs, the journal has %d attempts", hook_names[h],
                 posts, n);
    assert_int_equal(got->n, carried.n);
    for (size_t i = 0; i < carried.n; i++)
        if (keys_count(got, carried.k[i]) != keys_count(&carried, carried.k[i]))
            fail_msg("%s: %s received %zu times, carried by %zu attempts", hook_names[h],
                     carried.k[i], keys_count(got, carried.k[i]),
                     keys_count(&carried, carried.k[i]));
    keys_free(&carried);
}

/* Every attempt to h has no HTTP status and an error containing what. */
static void attempts_failed_without_status(fx *f, ledger *l, int h, const char *what)
{
    const cJSON *a;
    int n = 0;
    cJSON_ArrayForEach(a, l->attempts) {
        if (strcmp(dmt_str(a, "webhookId"), f->ids[h]) != 0) continue;
        n++;
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(a, "status")));
        assert_string_equal(dmt_str(a, "outcome"), "failed");
        const char *err = dmt_str(a, "error");
        if (!err || (what && !strstr(err, what)))
            fail_msg("%s: attempt error \"%s\", expected one with \"%s\"", hook_names[h],
                     err ? err : "(none)", what);
    }
    assert_true(n > 0);
}

/* Keys of the POST hits of a dmt_recv. */
static int recv_keys(dmt_recv *r, keys *out)
{
    int posts = (int)dmt_recv_count(r, "POST");
    for (int i = 0; i < posts; i++) {
        const dmt_hit *hit = dmt_recv_hit(r, "POST", (size_t)i);
        keys_add_body(out, hit->body, hit->len);
    }
    return posts;
}

/* Each event dead-lettered at h after every attempt the schedule allows. */
static void dead_lettered_after_the_ladder(ledger *l, int h)
{
    all_fates(l, h, "dead-lettered", "no 200 after the last retry");
    for (int i = 0; i < l->n; i++)
        if (l->evs[i].target[h]) assert_int_equal(dmh_u64(l->evs[i].fate[h], "attempts"), 3);
}

/* ==== The test ==== */

/* All the faults at once, with clients writing and reading throughout. */
static void every_receiver_fault_at_once_every_event_accounted_for(void **state)
{
    fx *f = *state;
    static const int64_t ladder[] = {50, 100};
    dm_app_opts o = {0};
    o.delivery_timeout_ms = 300;
    o.retry_schedule = ladder;
    o.retry_count = 2;
    /* one batch in flight per webhook: the held one costs 3 x 300 ms a batch,
     * so let batches grow while it waits rather than queue 200 of them */
    o.batch_max = 100;
    dmt_mock *m = f->m = dmt_mock_start(&o);

    for (int h = 0; h < NHOOKS; h++) {
        const char *url;
        switch (h) {
        case H_REFUSE:
            f->o[h] = odd_start(ODD_REFUSE);
            break;
        case H_RESET:
            f->o[h] = odd_start(ODD_RESET);
            break;
        case H_GARBAGE:
            f->o[h] = odd_start(ODD_GARBAGE);
            break;
        case H_HOLD:
            f->o[h] = odd_start(ODD_HOLD);
            break;
        case H_HUGE:
            f->o[h] = odd_start(ODD_HUGE);
            break;
        default:
            f->r[h] = dmt_recv_start();
            break;
        }
        url = f->o[h] ? f->o[h]->url : dmt_recv_url(f->r[h]);
        dmh_create(m, url, SUBS, h == H_OFF ? ",\"isEnabled\":false" : "", f->ids[h]);
    }
    /* the URL checks are done: now the dmt_recv ones misbehave too */
    dmt_recv_set_status(f->r[H_500], 500);
    static const int gone[] = {410};
    dmt_recv_script(f->r[H_410], gone, 1);
    dmt_recv_set_delay(f->r[H_SLOW], SLOW_MS);
    for (int h = 0; h < NHOOKS; h++) {
        if (!f->o[h]) continue;
        pthread_mutex_lock(&f->o[h]->mu);
        int gets = f->o[h]->gets;
        pthread_mutex_unlock(&f->o[h]->mu);
        assert_int_equal(gets, 1);
    }

    uint64_t s0 = dmh_last_seq(m);
    writer *w = f->w;
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){.m = m, .idx = i, .ticket = tickets[i], .stop = &f->stop};
        assert_int_equal(pthread_create(&w[i].thread, NULL, writer_main, &w[i]), 0);
        f->nw++;
    }
    /* the writes raise WRITERS x ROUNDS x 2 events; wait for them, then for
     * every fate they owe, while the clients go on reading */
    cJSON_Delete(dmh_wait_kind(m, "event", s0, WRITERS * ROUNDS * 2));
    ledger_load(f, &f->l, s0);
    ledger *l = &f->l;
    atomic_store(&f->stop, 1);
    int requests = 0;
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i].thread, NULL);
    f->nw = 0;
    for (int i = 0; i < WRITERS; i++) {
        if (w[i].wrong)
            fail_msg("client %d: %d wrong statuses; first: %s", i, w[i].wrong, w[i].err);
        assert_true(w[i].requests >= ROUNDS * 5);
        requests += w[i].requests;
    }
    print_message("%d API requests from %d clients during the faults\n", requests, WRITERS);
    assert_int_equal(l->n, WRITERS * ROUNDS * 2); /* one event per write, none lost */
    dmt_resp hr = dmt_ctl(m, "GET", "/mock/v1/health", NULL);
    dmh_status(&hr, 200);
    dmt_resp_free(&hr);

    /* every event went to every enabled webhook but the deleted one, and was
     * dropped at decision by the disabled one */
    for (int i = 0; i < l->n; i++) {
        for (int h = 0; h < NHOOKS; h++) {
            if (h == H_410) continue;
            assert_int_equal(l->evs[i].target[h], h == H_OFF ? 2 : 1);
        }
    }
    assert_int_equal(all_fates(l, H_OFF, "withheld", "webhook disabled"), l->n);
    assert_int_equal(dmt_recv_count(f->r[H_OFF], "POST"), 0);

    /* healthy and slow: each event delivered once, received once */
    int healthy[] = {H_OK, H_SLOW};
    for (int j = 0; j < 2; j++) {
        int h = healthy[j];
        keys got = {0};
        int posts = recv_keys(f->r[h], &got);
        assert_int_equal(all_fates(l, h, "delivered", NULL), l->n);
        receiver_saw_the_attempts(f, l, h, posts, &got);
        assert_int_equal(got.n, (size_t)l->n); /* received count == delivered fates */
        for (size_t i = 0; i < got.n; i++)
            assert_int_equal(keys_count(&got, got.k[i]), 1);
        keys_free(&got);
    }

    /* 500: every event tried three times, then dead-lettered */
    keys got = {0};
    int posts = recv_keys(f->r[H_500], &got);
    dead_lettered_after_the_ladder(l, H_500);
    receiver_saw_the_attempts(f, l, H_500, posts, &got);
    assert_int_equal(got.n, (size_t)l->n * 3);
    const cJSON *a;
    cJSON_ArrayForEach(a, l->attempts)
        if (strcmp(dmt_str(a, "webhookId"), f->ids[H_500]) == 0)
            assert_int_equal(dmh_u64(a, "status"), 500);
    keys_free(&got);

    /* 410: one POST; what it carried is dropped as gone, what queued behind
     * it as deleted, later events no longer target the webhook */
    posts = recv_keys(f->r[H_410], &got);
    assert_int_equal(posts, 1);
    receiver_saw_the_attempts(f, l, H_410, posts, &got);
    int gone_n = 0, deleted_n = 0, untargeted = 0;
    for (int i = 0; i < l->n; i++) {
        ev *v = &l->evs[i];
        if (!v->target[H_410]) {
            untargeted++;
            continue;
        }
        assert_int_equal(v->target[H_410], 1);
        assert_string_equal(dmt_str(v->fate[H_410], "fate"), "dropped");
        const char *why = dmt_str(v->fate[H_410], "reason");
        if (keys_count(&got, v->key)) {
            assert_string_equal(why, "webhook answered 410 Gone");
            gone_n++;
        } else {
            assert_string_equal(why, "webhook deleted");
            assert_int_equal(dmh_u64(v->fate[H_410], "attempts"), 0);
            deleted_n++;
        }
    }
    assert_int_equal((size_t)gone_n, got.n);
    assert_int_equal(gone_n + deleted_n + untargeted, l->n);
    keys_free(&got);
    cJSON *del = all_after(m, "webhook", s0);
    assert_int_equal(cJSON_GetArraySize(del), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(del, 0), "action"), "delete");
    assert_string_equal(dmt_str(cJSON_GetArrayItem(del, 0), "id"), f->ids[H_410]);
    cJSON_Delete(del);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", f->ids[H_410]);
    dmt_resp r = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);

    /* refused, reset, garbage, never answered: no status, dead-lettered,
     * and the socket receivers read exactly what the attempts carried */
    static const struct {
        int h;
        const char *error;
    } broken[] = {{H_REFUSE, "onnect"}, {H_RESET, NULL}, {H_GARBAGE, NULL}, {H_HOLD, "Timeout"}};
    for (size_t j = 0; j < sizeof broken / sizeof broken[0]; j++) {
        int h = broken[j].h;
        odd *od = f->o[h];
        dead_lettered_after_the_ladder(l, h);
        attempts_failed_without_status(f, l, h, broken[j].error);
        pthread_mutex_lock(&od->mu);
        int n = od->posts;
        if (h == H_REFUSE) {
            keys carried = {0};
            assert_true(attempts_to(f, l, h, &carried) > 0);
            assert_int_equal(carried.n, (size_t)l->n * 3); /* every event tried 3 times */
            keys_free(&carried);
            assert_int_equal(n, 0); /* nothing ever reached it */
        } else {
            receiver_saw_the_attempts(f, l, h, n, &od->got);
            assert_int_equal(od->got.n, (size_t)l->n * 3);
        }
        pthread_mutex_unlock(&od->mu);
    }

    /* 200 with a 2 MB body: delivered, by its status; 512 bytes of the
     * answer kept (not UTF-8 at first: scrubbed) */
    odd *hg = f->o[H_HUGE];
    assert_int_equal(all_fates(l, H_HUGE, "delivered", NULL), l->n);
    pthread_mutex_lock(&hg->mu);
    receiver_saw_the_attempts(f, l, H_HUGE, hg->posts, &hg->got);
    assert_int_equal(hg->got.n, (size_t)l->n);
    pthread_mutex_unlock(&hg->mu);
    cJSON_ArrayForEach(a, l->attempts) {
        if (strcmp(dmt_str(a, "webhookId"), f->ids[H_HUGE]) != 0) continue;
        assert_int_equal(dmh_u64(a, "status"), 200);
        assert_string_equal(dmt_str(a, "outcome"), "delivered");
        const char *kept = dmt_str(a, "response");
        assert_non_null(kept);
        assert_true(strncmp(kept, "\xef\xbf\xbd\xef\xbf\xbdxxx", 9) == 0);
        assert_true(strlen(kept) <= 512 + 4);
    }

    /* what happened, for the log */
    for (int h = 0; h < NHOOKS; h++) {
        keys carried = {0};
        int n = attempts_to(f, l, h, &carried);
        int kinds[4] = {0};
        static const char *const names[] = {"delivered", "dead-lettered", "withheld", "dropped"};
        for (int i = 0; i < l->n; i++) {
            const char *fs = l->evs[i].fate[h] ? dmt_str(l->evs[i].fate[h], "fate") : NULL;
            for (int k = 0; fs && k < 4; k++)
                kinds[k] += strcmp(fs, names[k]) == 0;
        }
        print_message("%-8s attempts %3d carrying %4zu events; delivered %3d, dead-lettered %3d, "
                      "withheld %3d, dropped %3d\n",
                      hook_names[h], n, carried.n, kinds[0], kinds[1], kinds[2], kinds[3]);
        keys_free(&carried);
    }

    /* and the mock is still itself */
    hr = dmt_ctl(m, "GET", "/mock/v1/health", NULL);
    dmh_status(&hr, 200);
    assert_string_equal(dmt_str(hr.json, "status"), "ok");
    dmt_resp_free(&hr);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_receiver_fault_at_once_every_event_accounted_for,
                                        setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
