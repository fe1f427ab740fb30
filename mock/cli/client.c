/* client.c -- a blocking libcurl client for the CLI; no retries. */
#include "cli/client.h"
#include "util/file.h"
#include "util/json.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dm_client_mock_url(const char *url, const char *ready_file, char *out, size_t outlen)
{
    if (!url) url = getenv("DESKMOCK_URL");
    if (url && *url) {
        size_t n = strlen(url);
        while (n && url[n - 1] == '/')
            n--;
        snprintf(out, outlen, "%.*s", (int)n, url);
        return 0;
    }
    if (!ready_file) ready_file = getenv("DESKMOCK_READY_FILE");
    if (!ready_file) {
        fprintf(stderr, "deskmock: where is the mock? give --mock URL, set DESKMOCK_URL, or give "
                        "--ready-file FILE (as written by deskmock serve --ready-file)\n");
        return -1;
    }
    size_t len = 0;
    char *text = dm_read_file(ready_file, &len);
    if (!text) {
        fprintf(stderr, "deskmock: cannot read the ready file %s\n", ready_file);
        return -1;
    }
    cJSON *o = NULL;
    const char *u = NULL;
    if (len && dm_json_parse(text, len, &o, NULL, 0) == 0) u = dm_json_str(o, "url");
    if (u)
        snprintf(out, outlen, "%s", u);
    else
        fprintf(stderr, "deskmock: %s has no \"url\"\n", ready_file);
    cJSON_Delete(o);
    free(text);
    return u ? 0 : -1;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    dm_buf_append(ud, p, size * n);
    return size * n;
}

long dm_client_call(const char *method, const char *url, const char *body, cJSON **json,
                    long timeout_ms, char *err, size_t errlen)
{
    if (json) *json = NULL;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot start libcurl");
        return -1;
    }
    dm_buf b = {0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (json && b.len) dm_json_parse(b.data, b.len, json, NULL, 0);
    } else {
        snprintf(err, errlen, "%s %s: %s", method, url, curl_easy_strerror(rc));
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    dm_buf_free(&b);
    return status;
}
