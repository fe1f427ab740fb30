/* startup.c -- measures a server's start-up time: from fork() to the answer
 * of its first request, `GET /mock/v1/health`, and its idle resident memory
 * (VmRSS) shortly after. The server listens on port 0 and names its URL in a
 * ready file; the prober learns of the file through inotify (no polling
 * delay), reads the URL and sends the request at once on a plain socket (no
 * client library to start). Also reported: fork() -> ready file. Runs the
 * command --runs times, stops each with SIGTERM, prints the medians as
 * key=value lines (and every run's figures as sample_* lines). The command
 * must write the ready file by rename or close,
 * as `deskmock serve --ready-file` and baseline_server do. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            char *end;
            kb = strtol(line + 6, &end, 10);
            if (end == line + 6) kb = -1;
            break;
        }
    fclose(f);
    return kb;
}

/* Waits for `name` to be created in the folder watched by fd. 0 when seen. */
static int wait_for(int fd, const char *dir, const char *name, int64_t deadline_ns)
{
    _Alignas(struct inotify_event) char buf[4096];
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return -1;
    for (;;) {
        if (access(path, F_OK) == 0) return 0;
        int64_t left = (deadline_ns - bench_now_ns()) / 1000000;
        if (left <= 0) return -1;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0) continue;
        ssize_t n = read(fd, buf, sizeof buf);
        for (char *q = buf; n > 0 && q < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)q;
            if (ev->len && strcmp(ev->name, name) == 0) return 0;
            q += sizeof *ev + ev->len;
        }
    }
}

/* The port of "url":"http://127.0.0.1:PORT" in the ready file, or -1. */
static int ready_port(const char *path)
{
    char text[4096];
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *p = strstr(text, "http://127.0.0.1:");
    long long port;
    char digits[8] = "";
    if (p) sscanf(p + 17, "%7[0-9]", digits);
    return p && bench_number(digits, 1, 65535, &port) == 0 ? (int)port : -1;
}

/* GET /mock/v1/health on 127.0.0.1:port; 0 when a 200 status line arrives. */
static int probe(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const char req[] = "GET /mock/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\n\r\n";
    char buf[64];
    size_t got = 0;
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1)) {
        while (got < 12) { /* "HTTP/1.1 200" */
            ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
            if (n <= 0) break;
            got += (size_t)n;
        }
        rc = got >= 12 && memcmp(buf + 8, " 200", 4) == 0 ? 0 : -1;
    }
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    const char *ready = NULL;
    long long runs = 10;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) break;
        if (strcmp(argv[i], "--ready") == 0)
            ready = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0) {
            if (bench_number(argv[++i], 1, 100, &runs)) runs = 0;
        } else
            break;
    }
    if (!ready || runs < 1 || i >= argc) {
        fputs("usage: startup --ready FILE [--runs N] -- COMMAND [ARGS...]\n"
              "COMMAND must write FILE when ready (give it the same path).\n",
              stderr);
        return 2;
    }
    char dir[PATH_MAX], name[NAME_MAX + 1];
    const char *slash = strrchr(ready, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - ready), ready);
        snprintf(name, sizeof name, "%s", slash + 1);
    } else {
        snprintf(dir, sizeof dir, ".");
        snprintf(name, sizeof name, "%s", ready);
    }
    double *ms = calloc((size_t)runs, sizeof *ms), *kb = calloc((size_t)runs, sizeof *kb);
    double *ready_ms = calloc((size_t)runs, sizeof *ready_ms);
    long ok = 0;
    for (long r = 0; r < runs; r++) {
        unlink(ready);
        int fd = inotify_init1(IN_CLOEXEC);
        if (fd < 0 || inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0) {
            fprintf(stderr, "startup: inotify on %s: %s\n", dir, strerror(errno));
            return 1;
        }
        int64_t t0 = bench_now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, 1);
            execvp(argv[i], argv + i);
            _exit(127);
        }
        int seen = pid > 0 && wait_for(fd, dir, name, t0 + 10000000000LL) == 0;
        int64_t t1 = bench_now_ns();
        int port = seen ? ready_port(ready) : -1;
        int answered = port > 0 && probe(port) == 0;
        int64_t t2 = bench_now_ns();
        close(fd);
        if (pid < 0) break;
        if (seen && !answered) fprintf(stderr, "startup: no 200 from GET /mock/v1/health\n");
        if (answered) {
            usleep(200000); /* settle, then read idle memory */
            ms[ok] = (double)(t2 - t0) / 1e6;
            ready_ms[ok] = (double)(t1 - t0) / 1e6;
            kb[ok] = (double)rss_kb(pid);
            ok++;
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    unlink(ready);
    if (!ok) {
        fprintf(stderr, "startup: %s never became ready\n", argv[i]);
        return 1;
    }
    for (long r = 0; r < ok; r++) /* before the medians sort them */
        printf("sample_ms=%.3f\nsample_ready_ms=%.3f\nsample_rss_kb=%.0f\n", ms[r], ready_ms[r],
               kb[r]);
    printf("start_ms=%.2f\n", bench_median(ms, (size_t)ok));
    printf("start_min_ms=%.2f\n", bench_percentile(ms, (size_t)ok, 0));
    printf("ready_ms=%.2f\n", bench_median(ready_ms, (size_t)ok));
    printf("idle_rss_kb=%.0f\n", bench_median(kb, (size_t)ok));
    printf("runs=%ld\n", ok);
    free(ms);
    free(ready_ms);
    free(kb);
    return 0;
}
