/* baseline_server.c -- the REST throughput baseline: a minimal libmicrohttpd
 * server that answers every request with one fixed file's bytes (the same
 * body deskmock serves for GET /api/v1/tickets/{id}). It does no routing, no
 * auth, no JSON and no journal: it is the floor deskmock is measured against.
 *
 * Two shapes, chosen with --mode:
 *   loop    external epoll, one thread: epoll_wait() on MHD's epoll fd with
 *           MHD_get_timeout(), then MHD_run() -- the shape of mock/loop.c;
 *   thread  libmicrohttpd's own epoll thread (MHD_USE_EPOLL_INTERNAL_THREAD).
 * Like mock/http/server.c it returns MHD_YES on a request's first callback
 * and queues the response on the next: libmicrohttpd 0.9.75 drops keep-alive
 * when a response is queued on the first call. Binds 127.0.0.1 only. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

typedef struct body {
    char *data;
    size_t len;
    const char *content_type;
} body;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    static int first_call_marker;
    const body *b = cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {
        *con_cls = &first_call_marker; /* first call: headers only, answer later */
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* discard any body */
        return MHD_YES;
    }
    /* Same construction as deskmock's server.c: a fresh copy per response. */
    struct MHD_Response *r =
        MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, b->content_type);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    *con_cls = NULL;
}

static int read_file(const char *path, body *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, len = 0;
    char *data = malloc(cap);
    size_t n;
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *bigger = realloc(data, cap * 2);
            if (!bigger) {
                free(data);
                data = NULL;
                break;
            }
            data = bigger;
            cap *= 2;
        }
    }
    int bad = ferror(f) || !data;
    fclose(f);
    if (bad) {
        free(data);
        return -1;
    }
    b->data = data;
    b->len = len;
    return 0;
}

static int write_ready(const char *path, int port)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    int bad = fprintf(f, "{\"url\":\"http://127.0.0.1:%d\"}\n", port) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static void usage(FILE *out)
{
    fputs("usage: baseline_server --file FILE [--mode loop|thread] [--content-type TYPE]\n"
          "                       [--ready-file FILE]\n"
          "Serves FILE's bytes to every request on 127.0.0.1, a free port; prints the URL\n"
          "(and writes {\"url\":...} to the ready file) when listening. Stops on SIGINT or\n"
          "SIGTERM.\n",
          out);
}

int main(int argc, char **argv)
{
    const char *file = NULL, *mode = "loop", *ready = NULL;
    body b = {NULL, 0, "application/json;charset=UTF-8"};
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        if (strcmp(a, "--file") == 0)
            file = v;
        else if (strcmp(a, "--mode") == 0)
            mode = v;
        else if (strcmp(a, "--content-type") == 0)
            b.content_type = v;
        else if (strcmp(a, "--ready-file") == 0)
            ready = v;
        else {
            usage(stderr);
            return 2;
        }
    }
    int threaded = strcmp(mode, "thread") == 0;
    if (!file || (!threaded && strcmp(mode, "loop") != 0)) {
        usage(stderr);
        return 2;
    }
    if (read_file(file, &b)) {
        fprintf(stderr, "baseline_server: %s: %s\n", file, strerror(errno));
        return 1;
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = threaded ? MHD_USE_EPOLL_INTERNAL_THREAD : MHD_USE_EPOLL;
    /* Block SIGINT/SIGTERM before MHD starts a thread, so the thread inherits
     * the mask and the signals reach only sigwait() (thread) or the handler
     * when they are unblocked again (loop). */
    sigset_t stopset;
    sigemptyset(&stopset);
    sigaddset(&stopset, SIGINT);
    sigaddset(&stopset, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopset, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &b, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1000, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "baseline_server: cannot listen on 127.0.0.1\n");
        free(b.data);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int port = info ? info->port : 0;

    struct sigaction act = {0};
    act.sa_handler = on_signal;
    sigemptyset(&act.sa_mask);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!threaded) pthread_sigmask(SIG_UNBLOCK, &stopset, NULL);

    if (ready && write_ready(ready, port)) {
        fprintf(stderr, "baseline_server: cannot write %s\n", ready);
        MHD_stop_daemon(d);
        free(b.data);
        return 1;
    }
    printf("http://127.0.0.1:%d\n", port);
    fflush(stdout);

    if (threaded) {
        int sig = 0;
        sigwait(&stopset, &sig);
    } else {
        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
        int efd = info ? info->epoll_fd : -1;
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN};
        if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0) {
            fprintf(stderr, "baseline_server: cannot watch MHD's epoll fd\n");
            MHD_stop_daemon(d);
            free(b.data);
            return 1;
        }
        while (!stopping) {
            MHD_UNSIGNED_LONG_LONG to;
            int wait = 1000;
            if (MHD_get_timeout(d, &to) == MHD_YES && to < (MHD_UNSIGNED_LONG_LONG)wait)
                wait = (int)to;
            struct epoll_event out;
            epoll_wait(ep, &out, 1, wait); /* EINTR on a signal: the flag ends the loop */
            MHD_run(d);
        }
        close(ep);
    }
    MHD_stop_daemon(d);
    free(b.data);
    return 0;
}
