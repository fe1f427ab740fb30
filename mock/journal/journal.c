/* journal.c -- records kept as their JSON text in a bounded in-memory window,
 * optionally mirrored to a file. Waiters are woken on publish, never polled. */
#include "journal/journal.h"
#include "util/err.h"
#include "util/json.h"
#include "util/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct record {
    uint64_t seq;
    uint64_t cause;
    char *kind;
    char *text;    /* the whole record as one JSON object */
    size_t size;   /* what it counts against limit_bytes: text and kind */
    int file_only; /* held by a request when the journal was cleared: the file gets it, memory not
                    */
} record;

typedef struct waiter {
    struct waiter *next;
    uint64_t after;
    uint64_t cause;
    char *kinds;
    dm_journal_wake_fn fn;
    void *ud;
} waiter;

struct dm_journal {
    const dm_clock *clock;
    size_t limit, limit_bytes;
    size_t bytes; /* sum of the live records' size */
    record *recs;
    size_t head, n, cap; /* live records are recs[head .. head+n) */
    uint64_t next_seq;
    uint64_t evicted;
    FILE *file;
    char *path;
    int dirty;      /* lines in file's buffer not yet written */
    int file_errno; /* the first write error, 0 while all is well */
    char file_error[300];
    void (*on_error)(void *ud, const char *message);
    void *on_error_ud;
    /* an open request: its seq, and the records it caused, not yet published */
    uint64_t open_seq;
    record *held;
    size_t nheld, capheld;
    waiter *waiters;
};

dm_journal *dm_journal_new(const dm_clock *clock, size_t limit, size_t limit_bytes)
{
    dm_journal *j = dm_xcalloc(1, sizeof *j);
    j->clock = clock;
    j->limit = limit;
    j->limit_bytes = limit_bytes;
    j->next_seq = 1;
    return j;
}

static void record_free(record *r)
{
    free(r->kind);
    free(r->text);
}

void dm_journal_clear(dm_journal *j)
{
    /* what the open request caused before the clear still reaches the file */
    for (size_t i = 0; i < j->nheld; i++)
        j->held[i].file_only = 1;
    for (size_t i = 0; i < j->n; i++)
        record_free(&j->recs[j->head + i]);
    j->head = j->n = 0;
    j->bytes = 0;
    j->evicted = 0;
}

void dm_journal_free(dm_journal *j)
{
    if (!j) return;
    dm_journal_clear(j);
    for (size_t i = 0; i < j->nheld; i++)
        record_free(&j->held[i]);
    free(j->held);
    free(j->recs);
    while (j->waiters) {
        waiter *w = j->waiters;
        j->waiters = w->next;
        free(w->kinds);
        free(w);
    }
    dm_journal_close_file(j);
    free(j);
}

/* Notes the first failed write to the file (errno is the reason) and tells
 * the owner once; later records still reach memory. */
static void file_failed(dm_journal *j)
{
    if (j->file_errno) return;
    j->file_errno = errno ? errno : EIO;
    snprintf(j->file_error, sizeof j->file_error, "%.200s: %s", j->path ? j->path : "journal file",
             strerror(j->file_errno));
    if (j->on_error) j->on_error(j->on_error_ud, j->file_error);
}

int dm_journal_open_file(dm_journal *j, const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f) return DM_EIO;
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    dm_journal_close_file(j);
    j->file = f;
    j->path = dm_xstrdup(path);
    j->dirty = 0;
    return 0;
}

void dm_journal_on_file_error(dm_journal *j, void (*fn)(void *ud, const char *message), void *ud)
{
    j->on_error = fn;
    j->on_error_ud = ud;
}

const char *dm_journal_file_error(const dm_journal *j)
{
    return j->file_errno ? j->file_error : NULL;
}

void dm_journal_flush(dm_journal *j)
{
    if (!j->dirty) return;
    errno = 0;
    if (fflush(j->file) != 0) file_failed(j);
    j->dirty = 0;
}

int dm_journal_close_file(dm_journal *j)
{
    if (j->file) {
        errno = 0;
        if (fflush(j->file) != 0) file_failed(j);
        errno = 0;
        if (fclose(j->file) != 0) file_failed(j);
        j->file = NULL;
        j->dirty = 0;
    }
    free(j->path);
    j->path = NULL;
    return j->file_errno ? DM_EIO : 0;
}

/* Starts a record's text: {"seq","kind","time","cause" -- without the
 * closing brace. */
static void record_head(const dm_journal *j, dm_buf *b, uint64_t seq, const char *kind,
                        uint64_t cause)
{
    char when[DM_ISO_LEN];
    dm_iso_time(dm_clock_now(j->clock), when);
    dm_buf_puts(b, "{\"seq\":");
    dm_buf_int(b, (long long)seq);
    dm_buf_puts(b, ",\"kind\":");
    dm_buf_json_str(b, kind);
    dm_buf_puts(b, ",\"time\":\"");
    dm_buf_puts(b, when);
    dm_buf_puts(b, "\",\"cause\":");
    if (cause)
        dm_buf_int(b, (long long)cause);
    else
        dm_buf_puts(b, "null");
}

/* Finishes a record from its text. Paths, headers and receivers' answers are
 * bytes from outside: a record must stay UTF-8, or it is not JSON and the
 * file stops parsing. */
static record finish(dm_buf *b, uint64_t seq, const char *kind, uint64_t cause)
{
    dm_buf_utf8_scrub(b);
    size_t len = b->len;
    record r = {seq,
                cause,
                dm_xstrdup(kind),
                dm_xrealloc(dm_buf_steal(b), len + 1),
                len + 1 + strlen(kind) + 1,
                0};
    return r;
}

static record make(dm_journal *j, uint64_t seq, const char *kind, uint64_t cause, cJSON *fields)
{
    dm_buf b = {0};
    record_head(j, &b, seq, kind, cause);
    if (fields && fields->child) {
        size_t at = b.len;
        dm_json_print_buf(&b, fields);
        b.data[at] = ','; /* the object's opening brace */
    } else {
        dm_buf_putc(&b, '}');
    }
    cJSON_Delete(fields);
    return finish(&b, seq, kind, cause);
}

static int matches(const record *r, uint64_t after, const char *kinds, uint64_t cause)
{
    /* kinds: comma-separated; none means all */
    return r->seq > after && (!kinds || !*kinds || dm_list_has(kinds, r->kind)) &&
           (!cause || r->cause == cause);
}

/* Stores a record (and mirrors it to the file); wakes no one. */
static void store(dm_journal *j, record r)
{
    if (j->file) {
        errno = 0;
        if (fputs(r.text, j->file) < 0 || fputc('\n', j->file) == EOF) file_failed(j);
        j->dirty = 1;
    }
    if (r.file_only) {
        record_free(&r);
        return;
    }
    /* make room: by count, then by bytes (the new record always stays) */
    while (j->n && ((j->limit && j->n >= j->limit) ||
                    (j->limit_bytes && j->bytes + r.size > j->limit_bytes))) {
        j->bytes -= j->recs[j->head].size;
        record_free(&j->recs[j->head]);
        j->head++;
        j->n--;
        j->evicted++;
    }
    if (j->head + j->n == j->cap) {
        if (j->head > j->cap / 2) {
            memmove(j->recs, j->recs + j->head, j->n * sizeof *j->recs);
            j->head = 0;
        } else {
            j->cap = j->cap ? j->cap * 2 : 256;
            j->recs = dm_xrealloc(j->recs, j->cap * sizeof *j->recs);
        }
    }
    j->recs[j->head + j->n++] = r;
    j->bytes += r.size;
}

static size_t lower(const dm_journal *j, uint64_t after);

/* Wakes the waiters that a record with seq >= first now satisfies. A woken
 * waiter may add records or waiters, so each is unlinked before its call and
 * the scan starts over after it. */
static void wake(dm_journal *j, uint64_t first)
{
    for (waiter **pw = &j->waiters; *pw;) {
        waiter *w = *pw;
        uint64_t from = w->after >= first ? w->after : first - 1;
        int hit = 0;
        for (size_t i = lower(j, from); i < j->n && !hit; i++)
            hit = matches(&j->recs[j->head + i], w->after, w->kinds, w->cause);
        if (!hit) {
            pw = &w->next;
            continue;
        }
        *pw = w->next;
        dm_journal_wake_fn fn = w->fn;
        void *ud = w->ud;
        free(w->kinds);
        free(w);
        fn(ud);
        pw = &j->waiters;
    }
}

uint64_t dm_journal_reserve(dm_journal *j)
{
    return j->next_seq++;
}

void dm_journal_add_at(dm_journal *j, uint64_t seq, const char *kind, uint64_t cause, cJSON *fields)
{
    record r = make(j, seq, kind, cause, fields);
    if (j->open_seq) {
        if (j->nheld == j->capheld) {
            j->capheld = j->capheld ? j->capheld * 2 : 8;
            j->held = dm_xrealloc(j->held, j->capheld * sizeof *j->held);
        }
        j->held[j->nheld++] = r;
    } else {
        store(j, r);
        wake(j, seq);
    }
}

uint64_t dm_journal_add(dm_journal *j, const char *kind, uint64_t cause, cJSON *fields)
{
    uint64_t seq = dm_journal_reserve(j);
    dm_journal_add_at(j, seq, kind, cause, fields);
    return seq;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const record *)a)->seq, y = ((const record *)b)->seq;
    return x < y ? -1 : x > y;
}

uint64_t dm_journal_begin(dm_journal *j)
{
    j->open_seq = j->next_seq++;
    return j->open_seq;
}

/* Publishes the open request's record, then what it caused, in seq order. */
static void commit(dm_journal *j, uint64_t seq, record r)
{
    store(j, r);
    if (j->nheld > 1)
        qsort(j->held, j->nheld, sizeof *j->held, by_seq); /* reserved records in place */
    for (size_t i = 0; i < j->nheld; i++)
        store(j, j->held[i]);
    j->nheld = 0;
    j->open_seq = 0;
    wake(j, seq);
}

void dm_journal_commit(dm_journal *j, uint64_t seq, const char *kind, uint64_t cause, cJSON *fields)
{
    commit(j, seq, make(j, seq, kind, cause, fields));
}

void dm_journal_commit_raw(dm_journal *j, uint64_t seq, const char *kind, uint64_t cause,
                           const char *members)
{
    dm_buf b = {0};
    size_t n = strlen(members);
    dm_buf_reserve(&b, n + 128); /* the head is under 128 bytes: one allocation */
    record_head(j, &b, seq, kind, cause);
    if (n) dm_buf_putc(&b, ',');
    dm_buf_append(&b, members, n);
    dm_buf_putc(&b, '}');
    commit(j, seq, finish(&b, seq, kind, cause));
}

uint64_t dm_journal_last_seq(const dm_journal *j)
{
    return j->n ? j->recs[j->head + j->n - 1].seq : 0;
}

uint64_t dm_journal_next_seq(const dm_journal *j)
{
    return j->next_seq;
}

size_t dm_journal_count(const dm_journal *j)
{
    return j->n;
}

size_t dm_journal_bytes(const dm_journal *j)
{
    return j->bytes;
}

uint64_t dm_journal_evicted(const dm_journal *j)
{
    return j->evicted;
}

/* First index whose seq > after (records are in seq order). */
static size_t lower(const dm_journal *j, uint64_t after)
{
    size_t lo = 0, hi = j->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (j->recs[j->head + mid].seq <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void dm_journal_visit(const dm_journal *j, const dm_journal_filter *f, dm_journal_visit_fn fn,
                      void *ud)
{
    size_t count = 0;
    for (size_t i = lower(j, f->after); i < j->n; i++) {
        const record *r = &j->recs[j->head + i];
        if (!matches(r, f->after, f->kinds, f->cause)) continue;
        if (fn(ud, r->seq, r->kind, r->text)) break;
        if (f->limit && ++count == f->limit) break;
    }
}

void dm_journal_visit_held(const dm_journal *j, const dm_journal_filter *f, dm_journal_visit_fn fn,
                           void *ud)
{
    for (size_t i = 0; i < j->nheld; i++) {
        const record *r = &j->held[i];
        if (matches(r, f->after, f->kinds, f->cause) && fn(ud, r->seq, r->kind, r->text)) break;
    }
}

typedef struct query_ctx {
    dm_buf *out;
    size_t n;
} query_ctx;

static int query_one(void *ud, uint64_t seq, const char *kind, const char *json)
{
    (void)seq;
    (void)kind;
    query_ctx *q = ud;
    if (q->n++) dm_buf_putc(q->out, ',');
    dm_buf_puts(q->out, json);
    return 0;
}

size_t dm_journal_query(const dm_journal *j, const dm_journal_filter *f, dm_buf *out)
{
    query_ctx q = {out, 0};
    dm_buf_puts(out, "{\"data\":[");
    dm_journal_visit(j, f, query_one, &q);
    dm_buf_printf(out, "],\"lastSeq\":%llu,\"evicted\":%llu}",
                  (unsigned long long)dm_journal_last_seq(j), (unsigned long long)j->evicted);
    return q.n;
}

void *dm_journal_wait(dm_journal *j, const dm_journal_filter *f, dm_journal_wake_fn fn, void *ud)
{
    waiter *w = dm_xcalloc(1, sizeof *w);
    w->after = f->after;
    w->cause = f->cause;
    w->kinds = f->kinds ? dm_xstrdup(f->kinds) : NULL;
    w->fn = fn;
    w->ud = ud;
    w->next = j->waiters;
    j->waiters = w;
    return w;
}

void dm_journal_unwait(dm_journal *j, void *handle)
{
    for (waiter **pw = &j->waiters; *pw; pw = &(*pw)->next) {
        if (*pw == handle) {
            waiter *w = *pw;
            *pw = w->next;
            free(w->kinds);
            free(w);
            return;
        }
    }
}
