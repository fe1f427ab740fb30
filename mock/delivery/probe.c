/* probe.c -- the unsigned GET check: no JWT, no body, answer discarded; and
 * the journal record of one. */
#include "delivery/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct probe {
    dm_probe_fn fn;
    void *ud;
} probe;

size_t dm_curl_discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void done(void *ud, CURL *easy, CURLcode rc)
{
    probe *p = ud;
    long status = 0;
    double secs = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &secs);
    curl_easy_cleanup(easy);
    p->fn(p->ud, status, rc == CURLE_OK ? NULL : curl_easy_strerror(rc), secs);
    free(p);
}

void dm_probe_get(dm_app *app, const char *url, int64_t timeout_ms, dm_probe_fn fn, void *ud)
{
    probe *p = dm_xcalloc(1, sizeof *p);
    p->fn = fn;
    p->ud = ud;
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "deskmock");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, dm_curl_discard);
    if (dm_loop_add_transfer(app->loop, e, done, p) != 0) done(p, e, CURLE_FAILED_INIT);
}

void dm_probe_journal(dm_app *app, const char *url, long status, const char *error, double secs)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "method", "GET");
    cJSON_AddStringToObject(f, "url", url);
    if (status) cJSON_AddNumberToObject(f, "status", status);
    else cJSON_AddNullToObject(f, "status");
    if (error) cJSON_AddStringToObject(f, "error", error);
    cJSON_AddNumberToObject(f, "latencyMs", (double)(int64_t)(secs * 1000000) / 1000.0);
    dm_journal_add(app->journal, "check", app->origin.cause, f);
}

int dm_url_check(const char *url, char *why, size_t whylen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        snprintf(why, whylen, "not a valid URL");
    } else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
               (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))) {
        snprintf(why, whylen, "expected an http or https URL");
    } else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
        snprintf(why, whylen, "the URL has no host");
    } else {
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int dm_url_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
             (strncmp(host, "127.", 4) == 0 || strcasecmp(host, "localhost") == 0 ||
              strcmp(host, "[::1]") == 0);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}
