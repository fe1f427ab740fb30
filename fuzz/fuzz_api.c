/* fuzz_api.c -- whole requests through dm_app_dispatch, no sockets.
 * Input: "METHOD /path?query\n" then "Header: value" lines, a blank line, and
 * the body. Covers routing, the query/form parser, auth, body parsing and
 * every handler's validation. State is reset every 512 inputs. */
#include "fuzz_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    char *s = dm_xstrndup(*p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dm_app *app;
    static unsigned runs;
    if (!app) app = fuzz_app_new();
    if (++runs % 512 == 0) dm_app_reset(app);

    const char *p = (const char *)data, *end = p + size;
    char *first = line(&p, end);
    char *sp = strchr(first, ' ');
    if (!sp || memchr(data, '\0', size)) {
        free(first);
        return 0;
    }
    *sp = '\0';
    char *target = sp + 1;
    char *q = strchr(target, '?');
    dm_req req = {0};
    if (q) {
        *q = '\0';
        dm_form_parse(q + 1, strlen(q + 1), &req.query);
    }
    for (;;) {
        if (p >= end) break;
        char *h = line(&p, end);
        if (!*h) {
            free(h);
            break;
        }
        char *colon = strchr(h, ':');
        if (colon) {
            *colon = '\0';
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            dm_kvs_add(&req.headers, h, v);
        }
        free(h);
    }
    req.method = first;
    req.path = target;
    req.body = p;
    req.body_len = (size_t)(end - p);
    req.body_too_large = req.body_len > DM_BODY_MAX;
    req.remote = "127.0.0.1";
    dm_resp resp;
    dm_resp_init(&resp);
    dm_app_dispatch(app, &req, &resp);
    if (resp.deferred) abort(); /* no async handle: handlers must answer now */
    dm_resp_free(&resp);
    dm_kvs_free(&req.headers);
    dm_kvs_free(&req.query);
    free(first);
    return 0;
}
