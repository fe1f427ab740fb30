/* curl.c -- libcurl for the deskmock binary, loaded on first use (lazy.h).
 * Loading runs curl_global_init(CURL_GLOBAL_DEFAULT). Without libcurl:
 * NULL handles, CURLE_FAILED_INIT; functions that take a handle can only be
 * reached after a successful load. */
#define CURL_DISABLE_TYPECHECK /* the typecheck macros would rename our definitions */
#include "lazy/lazy.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>

#define DM_LIBCURL "libcurl.so.4"

#ifdef DM_CURL_URL_GET_CONST /* newer libcurl; found by CMake */
#define DM_URL_GET_HANDLE const CURLU
#else
#define DM_URL_GET_HANDLE CURLU
#endif

struct curl_api {
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    CURLcode (*easy_perform)(CURL *);
    void (*easy_reset)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    void (*free)(void *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *);
    CURLUcode (*url_get)(DM_URL_GET_HANDLE *, CURLUPart, char **, unsigned int);
    CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
};
static struct curl_api api;

static void load(void);
static dm_lazy lib = DM_LAZY_INIT(load);

static void load(void)
{
    static const dm_lazy_sym syms[] = {
#define S(field, name) DM_LAZY_SYM(struct curl_api, field, name)
        S(global_init, "curl_global_init"),
        S(global_cleanup, "curl_global_cleanup"),
        S(easy_init, "curl_easy_init"),
        S(easy_cleanup, "curl_easy_cleanup"),
        S(easy_setopt, "curl_easy_setopt"),
        S(easy_getinfo, "curl_easy_getinfo"),
        S(easy_perform, "curl_easy_perform"),
        S(easy_reset, "curl_easy_reset"),
        S(easy_strerror, "curl_easy_strerror"),
        S(free, "curl_free"),
        S(slist_append, "curl_slist_append"),
        S(slist_free_all, "curl_slist_free_all"),
        S(multi_init, "curl_multi_init"),
        S(multi_cleanup, "curl_multi_cleanup"),
        S(multi_add_handle, "curl_multi_add_handle"),
        S(multi_remove_handle, "curl_multi_remove_handle"),
        S(multi_perform, "curl_multi_perform"),
        S(multi_poll, "curl_multi_poll"),
        S(multi_info_read, "curl_multi_info_read"),
        S(url, "curl_url"),
        S(url_cleanup, "curl_url_cleanup"),
        S(url_get, "curl_url_get"),
        S(url_set, "curl_url_set"),
#undef S
    };
    if (dm_lazy_open(DM_LIBCURL, syms, sizeof syms / sizeof syms[0], &api) != 0) return;
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "deskmock: curl_global_init failed\n");
        return;
    }
    atomic_store(&lib.loaded, 1);
}

static int ready(void)
{
    return dm_lazy_ready(&lib);
}

/* ==== Global ==== */

CURLcode curl_global_init(long flags)
{
    (void)flags; /* loading runs it with CURL_GLOBAL_DEFAULT, all deskmock uses */
    return ready() ? CURLE_OK : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void)
{
    if (dm_lazy_loaded(&lib)) api.global_cleanup(); /* never loads libcurl to clean it up */
}

void curl_free(void *p)
{
    if (p) api.free(p);
}

/* ==== Easy ==== */

CURL *curl_easy_init(void)
{
    return ready() ? api.easy_init() : NULL;
}

void curl_easy_cleanup(CURL *h)
{
    if (h) api.easy_cleanup(h);
}

void curl_easy_reset(CURL *h)
{
    if (h) api.easy_reset(h);
}

CURLcode curl_easy_perform(CURL *h)
{
    return h ? api.easy_perform(h) : CURLE_BAD_FUNCTION_ARGUMENT;
}

/* The one argument after the option is a long, an object pointer, a function
 * pointer, a curl_off_t or a blob pointer, by the option's number range, the
 * way libcurl reads it. */
CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    if (!h) return CURLE_BAD_FUNCTION_ARGUMENT;
    va_list ap;
    va_start(ap, opt);
    CURLcode rc;
    if (opt < CURLOPTTYPE_OBJECTPOINT) rc = api.easy_setopt(h, opt, va_arg(ap, long));
    else if (opt < CURLOPTTYPE_FUNCTIONPOINT) rc = api.easy_setopt(h, opt, va_arg(ap, void *));
    else if (opt < CURLOPTTYPE_OFF_T) rc = api.easy_setopt(h, opt, va_arg(ap, void (*)(void)));
    else if (opt < CURLOPTTYPE_BLOB) rc = api.easy_setopt(h, opt, va_arg(ap, curl_off_t));
    else rc = api.easy_setopt(h, opt, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

/* Every CURLINFO takes one pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    if (!h) return CURLE_BAD_FUNCTION_ARGUMENT;
    va_list ap;
    va_start(ap, info);
    CURLcode rc = api.easy_getinfo(h, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

const char *curl_easy_strerror(CURLcode code)
{
    if (!dm_lazy_loaded(&lib)) return "libcurl could not be loaded";
    return api.easy_strerror(code);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
    return ready() ? api.slist_append(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
    if (list) api.slist_free_all(list);
}

/* ==== Multi ==== */

CURLM *curl_multi_init(void)
{
    return ready() ? api.multi_init() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
    return m ? api.multi_cleanup(m) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
    return m ? api.multi_add_handle(m, h) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h)
{
    return m ? api.multi_remove_handle(m, h) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
    return m ? api.multi_perform(m, running) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd extra_fds[], unsigned int extra_nfds,
                          int timeout_ms, int *ret)
{
    return m ? api.multi_poll(m, extra_fds, extra_nfds, timeout_ms, ret) : CURLM_BAD_HANDLE;
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
    if (!m) {
        *left = 0;
        return NULL;
    }
    return api.multi_info_read(m, left);
}

/* ==== URL ==== */

CURLU *curl_url(void)
{
    return ready() ? api.url() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
    if (u) api.url_cleanup(u);
}

CURLUcode curl_url_get(DM_URL_GET_HANDLE *u, CURLUPart what, char **part, unsigned int flags)
{
    return u ? api.url_get(u, what, part, flags) : CURLUE_BAD_HANDLE;
}

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
    return u ? api.url_set(u, what, part, flags) : CURLUE_BAD_HANDLE;
}
