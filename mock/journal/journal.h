/* journal.h -- the causal journal: every request, change, event, attempt and
 * call is one record with a monotonic seq, a kind, a time and the seq of its
 * cause. Records are immutable once published. Single-threaded: the loop's. */
#ifndef DM_JOURNAL_H
#define DM_JOURNAL_H

#include "util/buf.h"
#include "util/clock.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dm_journal dm_journal;

/* Records kept in memory: at most limit records and limit_bytes bytes of
 * record text (the oldest are evicted and counted; the newest record always
 * stays); 0 = no limit of that kind. */
dm_journal *dm_journal_new(const dm_clock *clock, size_t limit, size_t limit_bytes);
void dm_journal_free(dm_journal *j); /* NULL does nothing; flushes and closes the file */

/* Also append every record to path as one JSON line. Lines are buffered and
 * written by dm_journal_flush(): the server flushes before it sends each
 * answer (a request's records are in the file before its client has the
 * response) and the loop before it sleeps. Returns 0 or DM_EIO (errno left
 * set). */
int dm_journal_open_file(dm_journal *j, const char *path);
/* Writes the buffered lines to the file; cheap when there are none. */
void dm_journal_flush(dm_journal *j);
/* Flushes and closes the file (if any). 0, or DM_EIO when any write to it
 * failed, now or before (dm_journal_file_error says why). */
int dm_journal_close_file(dm_journal *j);
/* Every write and flush is checked. The first failure ("PATH: reason") is
 * kept, returned here (NULL while all is well) and passed once to fn, if
 * set; records keep reaching memory. */
const char *dm_journal_file_error(const dm_journal *j);
void dm_journal_on_file_error(dm_journal *j, void (*fn)(void *ud, const char *message), void *ud);

/* Publishes a record. fields (owned, may be NULL) holds the kind-specific
 * members; cause 0 means none. Returns the record's seq. While a request is
 * open (dm_journal_begin), the record gets its seq now but is published when
 * the request commits, after the request's own record. */
uint64_t dm_journal_add(dm_journal *j, const char *kind, uint64_t cause, cJSON *fields);

/* Reserves a seq for a record whose fields are known only later; publish it
 * with dm_journal_add_at. Records are kept in seq order even when the
 * reserved one is added after records that followed it (within a request). */
uint64_t dm_journal_reserve(dm_journal *j);
void dm_journal_add_at(dm_journal *j, uint64_t seq, const char *kind, uint64_t cause,
                       cJSON *fields);

/* Opens a request: reserves and returns its seq. */
uint64_t dm_journal_begin(dm_journal *j);
/* Publishes the open request's record (fields owned), then what it caused. */
void dm_journal_commit(dm_journal *j, uint64_t seq, const char *kind, uint64_t cause,
                       cJSON *fields);

/* The same, with the kind-specific members given as JSON text (without
 * braces: "\"a\":1,\"b\":\"x\""), built by the caller without a cJSON tree;
 * the text is made valid UTF-8 if it is not. For records made per request. */
void dm_journal_commit_raw(dm_journal *j, uint64_t seq, const char *kind, uint64_t cause,
                           const char *members);

/* Clears the records in memory (seq keeps counting, so waiters stay valid).
 * Records the open request has caused so far still reach the file, not
 * memory: a reset's own "dropped" fates are in the file, and memory starts
 * clean with the reset's request record. */
void dm_journal_clear(dm_journal *j);

uint64_t dm_journal_last_seq(const dm_journal *j);
/* The seq the next record will get (nothing is reserved). */
uint64_t dm_journal_next_seq(const dm_journal *j);
size_t dm_journal_count(const dm_journal *j);
/* Bytes of record text kept in memory (what limit_bytes bounds). */
size_t dm_journal_bytes(const dm_journal *j);
uint64_t dm_journal_evicted(const dm_journal *j);

/* A filter over records. kinds: comma-separated kinds, NULL for all. */
typedef struct dm_journal_filter {
    uint64_t after;
    const char *kinds;
    uint64_t cause; /* 0 = any */
    size_t limit;   /* 0 = no limit */
} dm_journal_filter;

/* Appends {"data":[...],"lastSeq":N,"evicted":N} of matching records to out.
 * Returns how many records matched. */
size_t dm_journal_query(const dm_journal *j, const dm_journal_filter *f, dm_buf *out);

/* Visits matching records in order as parsed JSON (borrowed for the call);
 * stops when fn returns nonzero. */
typedef int (*dm_journal_visit_fn)(void *ud, uint64_t seq, const char *kind, const char *json);
void dm_journal_visit(const dm_journal *j, const dm_journal_filter *f, dm_journal_visit_fn fn,
                      void *ud);

/* Like dm_journal_visit, over the records the open request holds back. */
void dm_journal_visit_held(const dm_journal *j, const dm_journal_filter *f, dm_journal_visit_fn fn,
                           void *ud);

/* Calls fn(ud) once, when a record matching f (limit ignored) is published.
 * The filter's kinds string is copied. Returns a handle for dm_journal_unwait. */
typedef void (*dm_journal_wake_fn)(void *ud);
void *dm_journal_wait(dm_journal *j, const dm_journal_filter *f, dm_journal_wake_fn fn, void *ud);
/* Cancels a wait that has not fired. */
void dm_journal_unwait(dm_journal *j, void *handle);

#endif
