/* loop.c -- one thread, one loop. libmicrohttpd runs in external epoll mode;
 * its epoll fd and a wake pipe are extra fds of curl_multi_poll(), whose
 * timeout is the nearest timer. No locks: only dm_loop_stop() crosses
 * threads, through the pipe and an atomic flag. */
#include "loop/loop.h"
#include "util/buf.h"
#include "util/err.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct timer {
    int64_t due;
    uint64_t id; /* also the tie-breaker: earlier timers fire first */
    dm_timer_fn fn;
    void *ud;
} timer;

typedef struct heap {
    timer *t;
    size_t n, cap;
} heap;

typedef struct transfer {
    struct transfer *prev, *next;
    CURL *easy;
    dm_transfer_fn done;
    void *ud;
} transfer;

struct dm_loop {
    dm_clock *clock;
    struct MHD_Daemon *daemon;
    CURLM *multi;
    int running;         /* transfers in flight */
    transfer *transfers; /* the same, as a list */
    int pipe_fd[2];
    atomic_int stop;
    heap real, clk; /* real: mono ms; clk: the mock clock's epoch ms */
    uint64_t next_id;
    void (*before_wait)(void *); /* once per pass, before the loop may sleep */
    void *before_wait_ud;
};

/* ==== Timer heap ==== */

static int earlier(const timer *a, const timer *b)
{
    return a->due < b->due || (a->due == b->due && a->id < b->id);
}

static void heap_push(heap *h, timer t)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->t = dm_xrealloc(h->t, h->cap * sizeof *h->t);
    }
    size_t i = h->n++;
    while (i && earlier(&t, &h->t[(i - 1) / 2])) {
        h->t[i] = h->t[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->t[i] = t;
}

static void sift_down(heap *h, size_t i)
{
    timer t = h->t[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && earlier(&h->t[c + 1], &h->t[c])) c++;
        if (!earlier(&h->t[c], &t)) break;
        h->t[i] = h->t[c];
        i = c;
    }
    h->t[i] = t;
}

static timer heap_pop(heap *h)
{
    timer top = h->t[0];
    h->t[0] = h->t[--h->n];
    if (h->n) sift_down(h, 0);
    return top;
}

static int heap_remove(heap *h, uint64_t id)
{
    for (size_t i = 0; i < h->n; i++) {
        if (h->t[i].id != id) continue;
        h->t[i] = h->t[--h->n];
        if (i < h->n) {
            /* the moved timer may need to go up or down */
            timer t = h->t[i];
            size_t k = i;
            while (k && earlier(&t, &h->t[(k - 1) / 2])) {
                h->t[k] = h->t[(k - 1) / 2];
                k = (k - 1) / 2;
            }
            h->t[k] = t;
            if (k == i) sift_down(h, i);
        }
        return 1;
    }
    return 0;
}

/* ==== Lifecycle ==== */

dm_loop *dm_loop_new(dm_clock *clock)
{
    dm_loop *l = dm_xcalloc(1, sizeof *l);
    l->clock = clock;
    l->next_id = 1;
    if (pipe(l->pipe_fd) != 0) {
        free(l);
        return NULL;
    }
    if (!(l->multi = curl_multi_init())) {
        close(l->pipe_fd[0]);
        close(l->pipe_fd[1]);
        free(l);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(l->pipe_fd[i], F_SETFL, fcntl(l->pipe_fd[i], F_GETFL) | O_NONBLOCK);
        fcntl(l->pipe_fd[i], F_SETFD, FD_CLOEXEC);
    }
    return l;
}

void dm_loop_free(dm_loop *l)
{
    if (!l) return;
    /* Pending transfers are finished as aborted, so their owners free them. */
    while (l->transfers) {
        transfer *t = l->transfers;
        l->transfers = t->next;
        curl_multi_remove_handle(l->multi, t->easy);
        t->done(t->ud, t->easy, (int)CURLE_ABORTED_BY_CALLBACK);
        free(t);
    }
    curl_multi_cleanup(l->multi);
    close(l->pipe_fd[0]);
    close(l->pipe_fd[1]);
    free(l->real.t);
    free(l->clk.t);
    free(l);
}

void dm_loop_set_daemon(dm_loop *l, struct MHD_Daemon *d)
{
    l->daemon = d;
}

void dm_loop_before_wait(dm_loop *l, void (*fn)(void *), void *ud)
{
    l->before_wait = fn;
    l->before_wait_ud = ud;
}

/* ==== Timers ==== */

uint64_t dm_loop_after(dm_loop *l, int64_t delay_ms, int clock_timer, dm_timer_fn fn, void *ud)
{
    if (delay_ms < 0) delay_ms = 0;
    timer t = {0, l->next_id++, fn, ud};
    if (clock_timer) {
        t.due = dm_clock_now(l->clock) + delay_ms;
        heap_push(&l->clk, t);
    } else {
        t.due = dm_mono_ms() + delay_ms;
        heap_push(&l->real, t);
    }
    return t.id;
}

void dm_loop_cancel(dm_loop *l, uint64_t id)
{
    if (!heap_remove(&l->real, id)) heap_remove(&l->clk, id);
}

size_t dm_loop_clock_timers(const dm_loop *l)
{
    return l->clk.n;
}

/* Fires every timer of h due at or before now; timers added meanwhile for a
 * later time wait for the next pass. */
static void fire(heap *h, int64_t now)
{
    while (h->n && h->t[0].due <= now) {
        timer t = heap_pop(h);
        t.fn(t.ud);
    }
}

void dm_loop_advance(dm_loop *l, int64_t ms)
{
    if (!l->clock->is_virtual || ms <= 0) return;
    int64_t target = l->clock->virt_ms + ms;
    /* Step from timer to timer so each fires at its own virtual time. */
    while (l->clk.n && l->clk.t[0].due <= target) {
        if (l->clk.t[0].due > l->clock->virt_ms) l->clock->virt_ms = l->clk.t[0].due;
        fire(&l->clk, l->clock->virt_ms);
    }
    l->clock->virt_ms = target;
}

/* ==== Transfers ==== */

int dm_loop_add_transfer(dm_loop *l, void *easy, dm_transfer_fn done, void *ud)
{
    transfer *t = dm_xcalloc(1, sizeof *t);
    t->easy = easy;
    t->done = done;
    t->ud = ud;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(l->multi, easy) != CURLM_OK) {
        free(t);
        return DM_ECURL;
    }
    t->next = l->transfers;
    if (t->next) t->next->prev = t;
    l->transfers = t;
    l->running++;
    return 0;
}

void dm_loop_cancel_transfer(dm_loop *l, void *easy)
{
    for (transfer *t = l->transfers; t; t = t->next) {
        if (t->easy != easy) continue;
        curl_multi_remove_handle(l->multi, easy);
        if (t->prev)
            t->prev->next = t->next;
        else
            l->transfers = t->next;
        if (t->next) t->next->prev = t->prev;
        l->running--;
        free(t);
        return;
    }
}

int dm_loop_transfers(const dm_loop *l)
{
    return l->running;
}

static int reap(dm_loop *l)
{
    CURLMsg *msg;
    int left, done = 0;
    while ((msg = curl_multi_info_read(l->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        transfer *t = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(l->multi, easy);
        if (!t) continue;
        if (t->prev)
            t->prev->next = t->next;
        else
            l->transfers = t->next;
        if (t->next) t->next->prev = t->prev;
        l->running--;
        t->done(t->ud, easy, (int)rc);
        free(t);
        done++;
    }
    return done;
}

/* ==== The loop ==== */

void dm_loop_wake(dm_loop *l)
{
    char c = 1;
    ssize_t rc = write(l->pipe_fd[1], &c, 1);
    (void)rc; /* a full pipe already wakes the loop */
}

void dm_loop_stop(dm_loop *l)
{
    atomic_store(&l->stop, 1);
    dm_loop_wake(l);
}

int dm_loop_stopping(const dm_loop *l)
{
    return atomic_load(&l->stop);
}

static int64_t wait_ms(dm_loop *l, int max_wait_ms)
{
    int64_t wait = max_wait_ms;
    if (l->daemon) {
        MHD_UNSIGNED_LONG_LONG to;
        if (MHD_get_timeout(l->daemon, &to) == MHD_YES && (int64_t)to < wait) wait = (int64_t)to;
    }
    if (l->real.n) {
        int64_t d = l->real.t[0].due - dm_mono_ms();
        if (d < wait) wait = d;
    }
    if (l->clk.n) {
        int64_t d = l->clk.t[0].due - dm_clock_now(l->clock);
        /* A virtual clock never moves by itself: its timers wait for idleness. */
        if (l->clock->is_virtual) d = l->running ? wait : 0;
        if (d < wait) wait = d;
    }
    return wait < 0 ? 0 : wait;
}

void dm_loop_progress(dm_loop *l)
{
    if (!l->running) return;
    int running = 0;
    curl_multi_perform(l->multi, &running);
    /* a finished transfer may have started its successor: send it now, not
     * after the next round of HTTP work; bounded so HTTP is not starved */
    for (int i = 0; i < 8 && reap(l); i++)
        curl_multi_perform(l->multi, &running);
    reap(l);
}

void dm_loop_once(dm_loop *l, int max_wait_ms)
{
    if (l->before_wait) l->before_wait(l->before_wait_ud);
    struct curl_waitfd extra[2];
    unsigned n = 0;
    extra[n++] = (struct curl_waitfd){l->pipe_fd[0], CURL_WAIT_POLLIN, 0};
    if (l->daemon) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (info) extra[n++] = (struct curl_waitfd){info->epoll_fd, CURL_WAIT_POLLIN, 0};
    }
    int numfds = 0;
    curl_multi_poll(l->multi, extra, n, (int)wait_ms(l, max_wait_ms), &numfds);
    if (extra[0].revents) {
        char drain[64];
        while (read(l->pipe_fd[0], drain, sizeof drain) > 0) {
        }
    }
    if (l->daemon) MHD_run(l->daemon);
    dm_loop_progress(l);
    fire(&l->real, dm_mono_ms());
    if (l->clock->is_virtual) {
        /* Idle: nothing in flight on the network, so jump to the next timer. */
        if (l->clk.n && !l->running && l->clk.t[0].due > l->clock->virt_ms)
            l->clock->virt_ms = l->clk.t[0].due;
    }
    fire(&l->clk, dm_clock_now(l->clock));
}

int dm_loop_run(dm_loop *l)
{
    while (!atomic_load(&l->stop))
        dm_loop_once(l, 1000);
    return 0;
}
