/* delivery.c -- posts queued events to webhook URLs with libcurl multi.
 * One thread, the loop's; no persistence beyond the journal.
 *
 * Per webhook: a FIFO of event references and at most one batch in flight.
 * A batch is retried as a whole on the retry schedule (clock timers, so a
 * virtual clock runs the ladder at once); 200 delivers it, 410 deletes the
 * webhook, anything else (or no answer in time) fails the attempt. */
#include "delivery/delivery.h"
#include "delivery/jwt.h"
#include "loop/loop.h"
#include "net/outbound.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int64_t dm_retry_default[] = {60000, 300000, 1800000, 7200000, 21600000, 86400000};
const size_t dm_retry_default_n = sizeof dm_retry_default / sizeof dm_retry_default[0];

#define RESPONSE_KEEP 512 /* bytes of a receiver's answer kept in the journal */

typedef struct item {
    struct item *next;
    dm_event_ref *ev;
} item;

typedef struct queue {
    dm_delivery *d;
    dm_webhook *w;
    item *head, *tail;
    size_t n;
    dm_event_ref **batch; /* in flight or waiting for a retry */
    size_t nbatch;
    int attempts;    /* attempts made for this batch */
    int reversed;    /* reorder fault applied to this batch */
    int dup_pending; /* duplicate fault: send once more after this */
    int duplicate;   /* the attempt in flight is the duplicate */
    uint64_t timer;  /* retry, window or delay timer; 0 = none */
    uint64_t out;    /* the POST in flight (net/outbound.h), or 0 */
    dm_buf body;
    char *jwt;
    int64_t jwt_exp;           /* epoch s */
    unsigned jwt_gen;          /* the key generation that signed it (dm_jwt_generation) */
    struct queue *prev, *next; /* every queue of the engine */
} queue;

struct dm_delivery {
    dm_loop *loop;
    dm_outbound *out;
    dm_journal *journal;
    const dm_clock *clock;
    const dm_jwt *jwt;
    void (*on_gone)(void *ud, dm_webhook *w, uint64_t seq);
    void *on_gone_ud;
    queue *queues;
    dm_delivery_opts opts;
    int64_t *retry;
    dm_faults faults;
    size_t pending;
};

void dm_event_ref_release(dm_event_ref *r)
{
    if (!r || --r->refs > 0) return;
    free(r->text);
    free(r);
}

void dm_delivery_set_opts(dm_delivery *d, const dm_delivery_opts *opts)
{
    const int64_t *src = opts->retry ? opts->retry : dm_retry_default;
    size_t n = opts->retry ? opts->nretry : dm_retry_default_n;
    int64_t *retry = dm_xcalloc(n ? n : 1, sizeof *retry);
    if (n) memcpy(retry, src, n * sizeof *retry);
    free(d->retry);
    d->retry = retry;
    d->opts = *opts;
    d->opts.retry = retry;
    d->opts.nretry = n;
    if (d->opts.timeout_ms <= 0) d->opts.timeout_ms = 5000;
    if (d->opts.batch_max <= 0) d->opts.batch_max = 1;
}

const dm_delivery_opts *dm_delivery_get_opts(const dm_delivery *d)
{
    return &d->opts;
}

dm_delivery *dm_delivery_new(dm_loop *loop, dm_outbound *out, dm_journal *journal,
                             const dm_clock *clock, const dm_jwt *jwt, const dm_delivery_opts *opts)
{
    dm_delivery *d = dm_xcalloc(1, sizeof *d);
    d->loop = loop;
    d->out = out;
    d->journal = journal;
    d->clock = clock;
    d->jwt = jwt;
    dm_delivery_set_opts(d, opts);
    return d;
}

void dm_delivery_on_gone(dm_delivery *d, void (*fn)(void *ud, dm_webhook *w, uint64_t seq),
                         void *ud)
{
    d->on_gone = fn;
    d->on_gone_ud = ud;
}

dm_faults *dm_delivery_faults(dm_delivery *d)
{
    return &d->faults;
}

size_t dm_delivery_pending(const dm_delivery *d)
{
    return d->pending;
}

/* ==== Journal ==== */

static void journal_fate(dm_delivery *d, const dm_webhook *w, uint64_t seq, const char *fate,
                         const char *rule, const char *reason, int attempts)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "event", (double)seq);
    cJSON_AddStringToObject(f, "webhookId", w->id);
    cJSON_AddStringToObject(f, "fate", fate);
    if (rule) cJSON_AddStringToObject(f, "rule", rule);
    if (reason) cJSON_AddStringToObject(f, "reason", reason);
    cJSON_AddNumberToObject(f, "attempts", attempts);
    dm_journal_add(d->journal, "fate", seq, f);
}

void dm_delivery_fate(dm_delivery *d, const dm_webhook *w, uint64_t seq, const char *fate,
                      const char *reason, int attempts)
{
    journal_fate(d, w, seq, fate, NULL, reason, attempts);
}

void dm_delivery_withheld(dm_delivery *d, const dm_webhook *w, uint64_t seq, const char *rule,
                          const char *reason)
{
    journal_fate(d, w, seq, "withheld", rule, reason, 0);
}

/* ==== Queue plumbing ==== */

static queue *queue_of(dm_delivery *d, dm_webhook *w)
{
    if (!w->queue) {
        queue *q = dm_xcalloc(1, sizeof *q);
        q->d = d;
        q->w = w;
        w->queue = q;
        q->next = d->queues;
        if (q->next) q->next->prev = q;
        d->queues = q;
    }
    return w->queue;
}

/* Ends a transfer. The body buffer is kept for the next one (a queue sends
 * thousands: no allocation each time). */
static void free_transfer(queue *q)
{
    q->out = 0;
    dm_buf_reset(&q->body);
}

static void release_batch(queue *q)
{
    for (size_t i = 0; i < q->nbatch; i++)
        dm_event_ref_release(q->batch[i]);
    q->d->pending -= q->nbatch;
    free(q->batch);
    q->batch = NULL;
    q->nbatch = 0;
    q->attempts = 0;
    q->reversed = 0;
    q->dup_pending = 0;
    q->duplicate = 0;
}

static void kick(queue *q);
static void take_batch(queue *q);
static void send_batch(queue *q);

/* A retry is due (a batch is waiting), or a batch window ended: send what
 * has gathered, however few (kick() would only open another window). */
static void on_timer(void *ud)
{
    queue *q = ud;
    q->timer = 0;
    if (q->nbatch) {
        send_batch(q);
    } else if (q->n) {
        take_batch(q);
        send_batch(q);
    }
}

static void take_batch(queue *q)
{
    size_t max = (size_t)q->d->opts.batch_max;
    size_t k = q->n < max ? q->n : max;
    q->batch = dm_xcalloc(k, sizeof *q->batch);
    for (size_t i = 0; i < k; i++) {
        item *it = q->head;
        q->head = it->next;
        if (!q->head) q->tail = NULL;
        q->batch[i] = it->ev;
        free(it);
    }
    q->n -= k;
    q->nbatch = k;
}

/* Starts the next batch when nothing is in flight or waiting. */
static void kick(queue *q)
{
    if (q->nbatch || q->timer || !q->n) return;
    dm_delivery *d = q->d;
    if (d->opts.batch_max > 1 && d->opts.batch_window_ms > 0 && q->n < (size_t)d->opts.batch_max) {
        q->timer = dm_loop_after(d->loop, d->opts.batch_window_ms, 1, on_timer, q);
        return;
    }
    take_batch(q);
    send_batch(q);
}

void dm_delivery_enqueue(dm_delivery *d, dm_webhook *w, dm_event_ref *ev)
{
    queue *q = queue_of(d, w);
    item *it = dm_xcalloc(1, sizeof *it);
    ev->refs++;
    it->ev = ev;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n++;
    d->pending++;
    /* A full batch need not wait for its window. */
    if (q->timer && !q->nbatch && q->n >= (size_t)d->opts.batch_max) {
        dm_loop_cancel(d->loop, q->timer);
        q->timer = 0;
    }
    kick(q);
}

/* ==== Sending ==== */

static const char *token(queue *q)
{
    int64_t now = dm_clock_now(q->d->clock) / 1000;
    /* The token does not cover the body: reuse it until a minute before
     * expiry, or until the signing key changes. */
    unsigned gen = q->d->jwt ? dm_jwt_generation(q->d->jwt) : 0;
    if (!q->jwt || now >= q->jwt_exp - 60 || now < q->jwt_exp - 600 || gen != q->jwt_gen) {
        free(q->jwt);
        q->jwt_exp = now + 600;
        q->jwt_gen = gen;
        q->jwt = dm_jwt_sign(q->d->jwt, q->w->org_id, q->w->id, now, q->jwt_exp);
    }
    return q->jwt;
}

static void on_done(void *ud, const dm_out_res *res);

static void journal_fault(dm_delivery *d, const char *what, uint64_t cause, int64_t ms)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "fault", what);
    if (ms) cJSON_AddNumberToObject(f, "delayMs", (double)ms);
    dm_journal_add(d->journal, "fault", cause, f);
}

static void after_attempt(queue *q, const dm_out_res *res);

static void start_transfer(queue *q)
{
    free_transfer(q);
    q->w->active_event = q->batch[0]->seq;
    const char *jwt = token(q);
    if (!jwt) {
        /* never send a delivery unsigned: the attempt fails, and says why */
        dm_out_res failed = {
            0, "X-ZDesk-JWT could not be signed: the signing key is unusable", 0, "", 0, 0};
        after_attempt(q, &failed);
        return;
    }
    dm_buf_putc(&q->body, '[');
    for (size_t i = 0; i < q->nbatch; i++) {
        const dm_event_ref *ev = q->batch[q->reversed ? q->nbatch - 1 - i : i];
        if (i) dm_buf_putc(&q->body, ',');
        dm_buf_append(&q->body, ev->text, ev->len);
    }
    dm_buf_putc(&q->body, ']');
    dm_buf hdr = {0};
    dm_buf_printf(&hdr, "X-ZDesk-JWT: %s", jwt);
    const char *headers[] = {"Content-Type: application/json", hdr.data, "User-Agent: deskmock",
                             NULL};
    dm_out_req post = {"POST",      dm_webhook_url(q->w),  headers,      q->body.data,
                       q->body.len, q->d->opts.timeout_ms, RESPONSE_KEEP};
    q->out = dm_out_send(q->d->out, &post, on_done, q);
    dm_buf_free(&hdr);
}

static void on_delay(void *ud)
{
    queue *q = ud;
    q->timer = 0;
    start_transfer(q);
}

static void send_batch(queue *q)
{
    dm_delivery *d = q->d;
    dm_faults *f = &d->faults;
    uint64_t cause = q->batch[0]->seq;
    if (q->attempts == 0 && !q->duplicate) {
        if (f->reorder > 0 && q->nbatch > 1) {
            f->reorder--;
            q->reversed = 1;
            journal_fault(d, "reorder", cause, 0);
        }
        if (f->duplicate > 0) {
            f->duplicate--;
            q->dup_pending = 1;
            journal_fault(d, "duplicate", cause, 0);
        }
        if (f->delay > 0 && f->delay_ms > 0) {
            f->delay--;
            journal_fault(d, "delay", cause, f->delay_ms);
            q->timer = dm_loop_after(d->loop, f->delay_ms, 0, on_delay, q);
            return;
        }
    }
    start_transfer(q);
}

/* Journals one attempt (res NULL: aborted before an answer); returns its seq. */
static uint64_t journal_attempt(queue *q, const dm_out_res *res, const char *outcome,
                                int64_t next_ms)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "webhookId", q->w->id);
    cJSON_AddStringToObject(f, "url", dm_webhook_url(q->w));
    cJSON *evs = cJSON_AddArrayToObject(f, "events");
    for (size_t i = 0; i < q->nbatch; i++)
        cJSON_AddItemToArray(
            evs, cJSON_CreateNumber((double)q->batch[q->reversed ? q->nbatch - 1 - i : i]->seq));
    cJSON_AddNumberToObject(f, "attempt", q->attempts);
    if (q->d->jwt) cJSON_AddStringToObject(f, "kid", dm_jwt_kid(q->d->jwt));
    if (res && res->status)
        cJSON_AddNumberToObject(f, "status", res->status);
    else
        cJSON_AddNullToObject(f, "status");
    double secs = res ? res->secs : 0;
    cJSON_AddNumberToObject(f, "latencyMs", (double)(int64_t)(secs * 1000000) / 1000.0);
    if (!res)
        cJSON_AddStringToObject(f, "error", "aborted: the delivery was dropped while in flight");
    else if (res->error)
        cJSON_AddStringToObject(f, "error", res->error);
    cJSON_AddStringToObject(f, "outcome", outcome);
    if (q->duplicate) cJSON_AddBoolToObject(f, "duplicate", 1);
    if (next_ms >= 0) cJSON_AddNumberToObject(f, "nextRetryMs", (double)next_ms);
    if (res && res->body_len) cJSON_AddStringToObject(f, "response", res->body);
    return dm_journal_add(q->d->journal, "attempt", q->batch[0]->seq, f);
}

static void fates(queue *q, const char *fate, const char *reason)
{
    for (size_t i = 0; i < q->nbatch; i++)
        dm_delivery_fate(q->d, q->w, q->batch[i]->seq, fate, reason, q->attempts);
}

static void on_done(void *ud, const dm_out_res *res)
{
    queue *q = ud;
    q->out = 0;
    dm_faults *f = &q->d->faults;
    if (f->lost_answer > 0 && !q->duplicate && res->status) {
        /* the receiver answered and acted; the mock pretends it never heard */
        f->lost_answer--;
        journal_fault(q->d, "lost-answer", q->batch[0]->seq, 0);
        char why[96];
        snprintf(why, sizeof why, "answer lost (fault lostAnswer): the receiver answered %ld",
                 res->status);
        dm_out_res lost = *res;
        lost.status = 0;
        lost.error = why;
        after_attempt(q, &lost);
        return;
    }
    after_attempt(q, res);
}

/* What one attempt's outcome does: deliver, delete the webhook (410), retry
 * on the schedule, or dead-letter. */
static void after_attempt(queue *q, const dm_out_res *res)
{
    dm_delivery *d = q->d;
    long status = res->status;
    if (!q->duplicate) q->attempts++;
    q->w->last_event = q->w->active_event;
    q->w->active_event = 0;
    q->w->last_done_ms = dm_mono_ms();

    if (q->duplicate) {
        journal_attempt(q, res, status == 200 ? "delivered" : "failed", -1);
        free_transfer(q);
        release_batch(q);
        kick(q);
        return;
    }
    if (status == 200) {
        journal_attempt(q, res, "delivered", -1);
        fates(q, "delivered", NULL);
        free_transfer(q);
        if (q->dup_pending) {
            q->dup_pending = 0;
            q->duplicate = 1;
            start_transfer(q);
            return;
        }
        release_batch(q);
        kick(q);
        return;
    }
    if (status == 410) {
        uint64_t seq = journal_attempt(q, res, "gone", -1);
        fates(q, "dropped", "webhook answered 410 Gone");
        free_transfer(q);
        release_batch(q);
        /* the owner deletes the webhook, which drops this queue too */
        if (d->on_gone)
            d->on_gone(d->on_gone_ud, q->w, seq);
        else
            kick(q);
        return;
    }
    size_t tried = (size_t)q->attempts;
    if (tried <= d->opts.nretry) {
        int64_t delay = d->opts.retry[tried - 1];
        journal_attempt(q, res, "failed", delay);
        free_transfer(q);
        q->timer = dm_loop_after(d->loop, delay, 1, on_timer, q);
        return;
    }
    journal_attempt(q, res, "failed", -1);
    fates(q, "dead-lettered", "no 200 after the last retry");
    free_transfer(q);
    release_batch(q);
    kick(q);
}

/* ==== Teardown ==== */

static void drop_queue(queue *q, const char *reason)
{
    dm_delivery *d = q->d;
    if (q->timer) dm_loop_cancel(d->loop, q->timer);
    q->timer = 0;
    if (q->out) {
        /* the receiver may have the POST already: say so */
        dm_out_cancel(d->out, q->out);
        if (reason) {
            if (!q->duplicate) q->attempts++;
            journal_attempt(q, NULL, "aborted", -1);
        }
        free_transfer(q);
    }
    if (reason && !q->duplicate) fates(q, "dropped", reason);
    release_batch(q);
    while (q->head) {
        item *it = q->head;
        q->head = it->next;
        if (reason) dm_delivery_fate(q->d, q->w, it->ev->seq, "dropped", reason, 0);
        dm_event_ref_release(it->ev);
        q->d->pending--;
        free(it);
    }
    free(q->jwt);
    dm_buf_free(&q->body);
    q->w->queue = NULL;
    if (q->prev)
        q->prev->next = q->next;
    else
        d->queues = q->next;
    if (q->next) q->next->prev = q->prev;
    free(q);
}

void dm_delivery_forget(dm_delivery *d, dm_webhook *w, const char *reason)
{
    (void)d;
    if (w->queue) drop_queue(w->queue, reason);
}

size_t dm_delivery_clear(dm_delivery *d, const char *reason)
{
    size_t n = d->pending;
    while (d->queues)
        drop_queue(d->queues, reason);
    return n;
}

void dm_delivery_free(dm_delivery *d)
{
    if (!d) return;
    while (d->queues)
        drop_queue(d->queues, NULL);
    free(d->retry);
    free(d);
}
