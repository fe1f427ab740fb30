/* desk.c -- the receiver's side of talking to Zoho Desk: verifying
 * X-ZDesk-JWT against the JWKS (OpenSSL 3, no JWT library) and writing a
 * comment back through the invoke API (libcurl, HMAC-SHA256 HASH). Every
 * outgoing call has a 3 s limit, so a delivery that waits on one still
 * answers inside Desk's 5 s. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "desk.h"
#include "util/base64url.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CALL_TIMEOUT_MS 3000L      /* JWKS and invoke calls */
#define ANSWER_MAX      (1u << 20) /* bytes of an answer kept */
#define JWT_SKEW_S      60         /* clocks differ: exp may be this far behind us */
#define JWKS_REFRESH_S  2          /* an unknown kid refetches the JWKS at most this often */

/* ==== A growable string ==== */

typedef struct strbuf {
    char *data; /* NUL-terminated once anything was added */
    size_t len, cap;
    bool failed; /* out of memory: data is NULL from then on */
} strbuf;

static void strbuf_add(strbuf *s, const char *p, size_t n)
{
    if (s->failed) return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 64;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *d = realloc(s->data, cap);
        if (!d) {
            free(s->data);
            *s = (strbuf){.failed = true};
            return;
        }
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    s->data[s->len] = '\0';
}

static void strbuf_puts(strbuf *s, const char *str)
{
    strbuf_add(s, str, strlen(str));
}

/* Appends str percent-encoded, as a form body or a query string wants it. */
static void strbuf_put_escaped(strbuf *s, const char *str)
{
    char *e = curl_easy_escape(NULL, str, 0);
    if (e) {
        strbuf_puts(s, e);
    } else {
        free(s->data);
        *s = (strbuf){.failed = true};
    }
    curl_free(e);
}

/* ==== HTTP client ==== */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    strbuf *answer = ud;
    if (answer->len < ANSWER_MAX) strbuf_add(answer, p, size * n);
    return size * n;
}

/* Keeps a Retry-After header's seconds. */
static size_t header_line(char *p, size_t size, size_t n, void *ud)
{
    long *retry_after = ud;
    size_t len = size * n;
    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
        *retry_after = strtol(p + 12, NULL, 10);
    return len;
}

/* method url with body (may be NULL). Returns the HTTP status, or 0 when
 * there was no answer; the body lands in *answer (the caller frees
 * answer->data), a Retry-After in *retry_after (may be NULL). headers may
 * be NULL. */
static long http_call(const char *method, const char *url, const char *body,
                      struct curl_slist *headers, strbuf *answer, long *retry_after)
{
    long status = 0, ignored = 0;
    CURL *c = curl_easy_init();
    if (!c) return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, CALL_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* we are one thread of many */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, retry_after ? retry_after : &ignored);
    if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

/* ==== base64url ==== */

/* Decodes len characters of unpadded base64url (trailing '=' tolerated).
 * Returns malloc'ed bytes plus a NUL, and their count in *out_len; NULL when
 * the text is not base64url or memory ran out. */
static unsigned char *b64url_decode(const char *in, size_t len, size_t *out_len)
{
    unsigned char *out = malloc(len * 3 / 4 + 1);
    if (!out) return NULL;
    long n = dm_base64url_decode(in, len, out, len * 3 / 4);
    if (n < 0) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *out_len = (size_t)n;
    return out;
}

/* Decodes a base64url segment that holds JSON; NULL if it does not. */
static cJSON *b64url_json(const char *in, size_t len)
{
    size_t n = 0;
    unsigned char *raw = b64url_decode(in, len, &n);
    if (!raw) return NULL;
    cJSON *j = cJSON_ParseWithLength((const char *)raw, n);
    free(raw);
    return j;
}

/* ==== The JWKS ==== */

typedef struct jwk {
    char *kid;
    EVP_PKEY *key;
} jwk;

struct desk_keys {
    char *jwks_url;
    pthread_mutex_t lock; /* guards the fields below */
    jwk *keys;
    size_t n;
    time_t fetched; /* 0 = never */
};

desk_keys *desk_keys_new(const char *desk_url)
{
    desk_keys *k = calloc(1, sizeof *k);
    strbuf url = {0};
    strbuf_puts(&url, desk_url);
    strbuf_puts(&url, "/.well-known/jwks.json");
    if (!k || !url.data) {
        free(k);
        free(url.data);
        return NULL;
    }
    k->jwks_url = url.data;
    pthread_mutex_init(&k->lock, NULL);
    return k;
}

static void keys_clear(desk_keys *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->keys[i].kid);
        EVP_PKEY_free(k->keys[i].key);
    }
    free(k->keys);
    k->keys = NULL;
    k->n = 0;
}

void desk_keys_free(desk_keys *k)
{
    if (!k) return;
    keys_clear(k);
    pthread_mutex_destroy(&k->lock);
    free(k->jwks_url);
    free(k);
}

/* An RSA public key from a JWK's n and e (base64url big-endian integers);
 * NULL when they are missing or malformed. */
static EVP_PKEY *rsa_from_jwk(const cJSON *item)
{
    const char *n64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "n"));
    const char *e64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "e"));
    unsigned char *nraw = NULL, *eraw = NULL;
    size_t nlen = 0, elen = 0;
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;

    if (!n64 || !e64) goto done;
    nraw = b64url_decode(n64, strlen(n64), &nlen);
    eraw = b64url_decode(e64, strlen(e64), &elen);
    if (!nraw || !eraw || !nlen || !elen) goto done;
    n = BN_bin2bn(nraw, (int)nlen, NULL);
    e = BN_bin2bn(eraw, (int)elen, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto done;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(nraw);
    free(eraw);
    ERR_clear_error();
    return key;
}

/* Replaces the cached keys with the JWKS's RSA keys for RS256 signatures.
 * On failure the old keys stay. Called with k->lock held. */
static void jwks_fetch(desk_keys *k)
{
    strbuf answer = {0};
    k->fetched = time(NULL);
    long status = http_call("GET", k->jwks_url, NULL, NULL, &answer, NULL);
    cJSON *doc = status == 200 && answer.data ? cJSON_Parse(answer.data) : NULL;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "keys"), *item;
    if (!cJSON_IsArray(list)) goto done;
    keys_clear(k);
    cJSON_ArrayForEach(item, list) {
        const char *kty = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "kty"));
        const char *kid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "kid"));
        const char *use = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "use"));
        const char *alg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "alg"));
        if (!kty || strcmp(kty, "RSA") != 0 || !kid) continue;
        if ((use && strcmp(use, "sig") != 0) || (alg && strcmp(alg, "RS256") != 0)) continue;
        EVP_PKEY *key = rsa_from_jwk(item);
        char *kid_copy = strdup(kid);
        jwk *grown = key && kid_copy ? realloc(k->keys, (k->n + 1) * sizeof *grown) : NULL;
        if (!grown) {
            EVP_PKEY_free(key);
            free(kid_copy);
            continue;
        }
        k->keys = grown;
        k->keys[k->n++] = (jwk){kid_copy, key};
    }
done:
    cJSON_Delete(doc);
    free(answer.data);
}

/* The key with this kid, fetching the JWKS the first time and again (at
 * most every JWKS_REFRESH_S) when the kid is unknown, as after a key
 * rotation. Returns a reference the caller drops with EVP_PKEY_free(), or
 * NULL. The lock is held during a fetch, so threads wait for one fetch
 * rather than each making their own. */
static EVP_PKEY *key_for(desk_keys *k, const char *kid, bool refetch)
{
    EVP_PKEY *found = NULL;
    pthread_mutex_lock(&k->lock);
    for (int pass = 0; pass < 2 && !found; pass++) {
        for (size_t i = 0; i < k->n && !found; i++)
            if (strcmp(k->keys[i].kid, kid) == 0) found = k->keys[i].key;
        if (!found && pass == 0 &&
            (!k->fetched || (refetch && time(NULL) - k->fetched >= JWKS_REFRESH_S)))
            jwks_fetch(k);
    }
    if (found) EVP_PKEY_up_ref(found);
    pthread_mutex_unlock(&k->lock);
    return found;
}

/* ==== X-ZDesk-JWT ==== */

int desk_verify_jwt(desk_keys *k, const char *token, const char *org_id, const char *webhook_id,
                    unsigned skip, char *aud_out, size_t audlen, char *why, size_t whylen)
{
    cJSON *header = NULL, *claims = NULL;
    unsigned char *sig = NULL;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;
    int rc = -1;

    /* A compact JWS: three base64url parts, header.payload.signature. */
    const char *dot1 = token ? strchr(token, '.') : NULL;
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!token) {
        snprintf(why, whylen, "no X-ZDesk-JWT header");
        goto done;
    }
    bool empty_sig_ok = skip & DESK_ALLOW_NONE; /* the bug lets "header.payload." through */
    if (!dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1 ||
        (!dot2[1] && !empty_sig_ok)) {
        snprintf(why, whylen, "X-ZDesk-JWT is not a compact JWS");
        goto done;
    }

    /* The header names the algorithm and the key. Accept RS256 only: a
     * receiver that believes "alg" can be handed "none" or HS256. */
    header = b64url_json(token, (size_t)(dot1 - token));
    const char *alg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(header, "alg"));
    const char *kid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(header, "kid"));
    bool unsigned_ok = (skip & DESK_ALLOW_NONE) && alg && strcmp(alg, "none") == 0; /* a bug */
    if ((!alg || strcmp(alg, "RS256") != 0) && !unsigned_ok) {
        snprintf(why, whylen, "JWT alg is %s, not RS256", alg ? alg : "missing");
        goto done;
    }
    if (unsigned_ok) goto claims;
    if (!kid || !(key = key_for(k, kid, !(skip & DESK_NO_REFETCH)))) {
        snprintf(why, whylen, "JWT kid %s is not in the JWKS", kid ? kid : "(missing)");
        goto done;
    }

    /* The signature covers the text "header.payload" exactly as sent. */
    const unsigned char *signed_text = (const unsigned char *)token;
    size_t signed_len = (size_t)(dot2 - token), siglen = 0;
    sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
    md = EVP_MD_CTX_new();
    if (!sig || !md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestVerify(md, sig, siglen, signed_text, signed_len) != 1) {
        ERR_clear_error();
        snprintf(why, whylen, "JWT signature does not verify");
        goto done;
    }

claims:
    /* Signed, so the claims are Desk's word. The token does not cover the
     * body: it says who sent the request, for which org and which webhook. */
    claims = b64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    const char *iss = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(claims, "iss"));
    const char *aud = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(claims, "aud"));
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    const cJSON *iat = cJSON_GetObjectItemCaseSensitive(claims, "iat");
    const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(claims, "nbf");
    double now = (double)time(NULL);
    bool time_ok = cJSON_IsNumber(exp) && exp->valuedouble + JWT_SKEW_S > now &&
                   cJSON_IsNumber(iat) && iat->valuedouble <= now + JWT_SKEW_S &&
                   (!nbf || (cJSON_IsNumber(nbf) && nbf->valuedouble <= now + JWT_SKEW_S));
    if (!(skip & DESK_SKIP_ISS) &&
        (!iss || strncmp(iss, "orgId:", 6) != 0 || strcmp(iss + 6, org_id) != 0)) {
        snprintf(why, whylen, "JWT iss is %.80s, not orgId:%s", iss ? iss : "missing", org_id);
    } else if (!aud || strncmp(aud, "webhookId:", 10) != 0 ||
               (!(skip & DESK_SKIP_AUD) && webhook_id && strcmp(aud + 10, webhook_id) != 0)) {
        snprintf(why, whylen, "JWT aud is %.80s, not webhookId:%s", aud ? aud : "missing",
                 webhook_id ? webhook_id : "...");
    } else if (!(skip & DESK_SKIP_TIME) && !time_ok) {
        snprintf(why, whylen, "JWT is not valid now (exp, nbf or iat)");
    } else {
        if (aud_out) snprintf(aud_out, audlen, "%s", aud + 10);
        rc = 0;
    }
done:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    free(sig);
    cJSON_Delete(header);
    cJSON_Delete(claims);
    return rc;
}

/* ==== The invoke API ==== */

/* Lowercase hex HMAC-SHA256 of data keyed with secret, into out[65]. */
static void hmac_hex(const char *secret, const char *data, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)data, strlen(data), mac,
         &maclen);
    for (unsigned i = 0; i < maclen && i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
}

/* Adds name=value, the value percent-encoded, to a form body. */
static void form_field(strbuf *form, const char *name, const char *value)
{
    if (form->len) strbuf_puts(form, "&");
    strbuf_puts(form, name);
    strbuf_puts(form, "=");
    strbuf_put_escaped(form, value);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* One try of desk_call. Returns Desk's status for the call (0: none), with
 * its body in *answer and a Retry-After in *retry_after. */
static long call_once(const desk_invoke *inv, const char *method, const char *path,
                      const char *body, strbuf *answer, long *retry_after)
{
    strbuf request_url = {0}, hashed = {0}, form = {0}, url = {0}, hdr = {0};
    char *headers_json = NULL;
    struct curl_slist *headers = NULL;
    cJSON *outer = NULL, *inner = NULL;
    long status = 0;
    strbuf_puts(&request_url, inv->desk_url);
    strbuf_puts(&request_url, path);

    if (!inv->security_context) {
        /* the REST API itself, with an OAuth token */
        strbuf_puts(&hdr, "Authorization: Zoho-oauthtoken ");
        strbuf_puts(&hdr, inv->token ? inv->token : "");
        headers = curl_slist_append(NULL, hdr.data ? hdr.data : "");
        free(hdr.data);
        hdr = (strbuf){0};
        strbuf_puts(&hdr, "orgId: ");
        strbuf_puts(&hdr, inv->org_id);
        headers = curl_slist_append(headers, hdr.data ? hdr.data : "");
        free(hdr.data);
        hdr = (strbuf){0};
        if (inv->source_id) {
            strbuf_puts(&hdr, "sourceId: ");
            strbuf_puts(&hdr, inv->source_id);
            headers = curl_slist_append(headers, hdr.data ? hdr.data : "");
        }
        headers = curl_slist_append(headers, "Content-Type: application/json");
        if (request_url.data)
            status = http_call(method, request_url.data, body, headers, answer, retry_after);
        goto done;
    }

    /* sourceId = the webhook's ignoreSourceId: Desk raises no event for this
     * write to our own webhook, so we are not told about our own comment. */
    if (inv->source_id) {
        cJSON *h = cJSON_CreateObject();
        cJSON_AddStringToObject(h, "sourceId", inv->source_id);
        headers_json = cJSON_PrintUnformatted(h);
        cJSON_Delete(h);
    }
    if (!request_url.data || (inv->source_id && !headers_json)) goto done;

    /* HASH: HMAC-SHA256 over "requestURL=..&requestType=..&postBody=..&headers=.."
     * with the raw values (not percent-encoded), in that order, absent fields
     * left out. securityContext is not part of it. */
    if (inv->bad_hash) { /* the bug: postBody before requestType */
        strbuf_puts(&hashed, "requestURL=");
        strbuf_puts(&hashed, request_url.data);
        if (body) {
            strbuf_puts(&hashed, "&postBody=");
            strbuf_puts(&hashed, body);
        }
        strbuf_puts(&hashed, "&requestType=");
        strbuf_puts(&hashed, method);
    } else {
        strbuf_puts(&hashed, "requestURL=");
        strbuf_puts(&hashed, request_url.data);
        strbuf_puts(&hashed, "&requestType=");
        strbuf_puts(&hashed, method);
        if (body) {
            strbuf_puts(&hashed, "&postBody=");
            strbuf_puts(&hashed, body);
        }
    }
    if (headers_json) {
        strbuf_puts(&hashed, "&headers=");
        strbuf_puts(&hashed, headers_json);
    }

    /* The same values, percent-encoded, as an application/x-www-form-urlencoded body. */
    form_field(&form, "securityContext", inv->security_context);
    form_field(&form, "requestURL", request_url.data);
    form_field(&form, "requestType", method);
    if (body) form_field(&form, "postBody", body);
    if (headers_json) form_field(&form, "headers", headers_json);
    strbuf_puts(&url, inv->desk_url);
    strbuf_puts(&url, "/api/v1/invoke?orgId=");
    strbuf_put_escaped(&url, inv->org_id);
    if (!hashed.data || !form.data || !url.data) goto done;

    char hash[65], hash_header[80];
    hmac_hex(inv->secret, hashed.data, hash);
    snprintf(hash_header, sizeof hash_header, "HASH: %s", hash);
    headers = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    headers = curl_slist_append(headers, hash_header);
    headers = curl_slist_append(headers, "Expect:");
    strbuf raw = {0};
    long outer_status = http_call("POST", url.data, form.data, headers, &raw, retry_after);

    /* invoke answers 200 {"response": "<JSON text of {statusMessage, statusCode}>"}:
     * the outer status says invoke took the call, the inner one what Desk's
     * API did with it. */
    outer = raw.data ? cJSON_Parse(raw.data) : NULL;
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(outer, "response"));
    inner = text ? cJSON_Parse(text) : NULL;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(inner, "statusCode");
    status = outer_status == 200 && cJSON_IsNumber(code) ? (long)code->valuedouble : outer_status;
    strbuf_puts(answer, raw.data ? raw.data : "");
    free(raw.data);
done:
    cJSON_Delete(inner);
    cJSON_Delete(outer);
    curl_slist_free_all(headers);
    cJSON_free(headers_json);
    free(request_url.data);
    free(hashed.data);
    free(form.data);
    free(url.data);
    free(hdr.data);
    return status;
}

int desk_call(const desk_invoke *inv, const char *method, const char *path, const char *body,
              char *why, size_t whylen)
{
    long backoff = 200;
    for (int attempt = 0;; attempt++) {
        strbuf answer = {0};
        long retry_after = -1;
        long status = call_once(inv, method, path, body, &answer, &retry_after);
        if (status >= 200 && status < 300) {
            free(answer.data);
            return 0;
        }
        snprintf(why, whylen, "%s %s: Desk answered %ld: %.200s", method, path, status,
                 answer.data ? answer.data : "(no answer)");
        free(answer.data);
        /* Desk asks us to slow down, or had a moment: try again later */
        bool again = status == 429 || status >= 500 || status == 0;
        if (!again || attempt >= inv->retries) return -1;
        if (status == 429 && !inv->ignore_retry_after) {
            long wait = retry_after >= 0 ? retry_after * 1000 : 1000;
            sleep_ms(wait > 5000 ? 5000 : wait);
        } else {
            sleep_ms(backoff);
            backoff *= 2;
        }
    }
}

int desk_add_comment(const desk_invoke *inv, const char *ticket_id, const char *content, char *why,
                     size_t whylen)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "content", content);
    cJSON_AddBoolToObject(body, "isPublic", 0);
    char *post_body = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/tickets/%s/comments", ticket_id);
    int rc = post_body ? desk_call(inv, "POST", path, post_body, why, whylen) : -1;
    if (!post_body) snprintf(why, whylen, "out of memory");
    cJSON_free(post_body);
    return rc;
}

int desk_create_webhook(const desk_invoke *inv, const char *url, char *id_out, size_t idlen,
                        char *why, size_t whylen)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "url", url);
    cJSON_AddStringToObject(b, "name", "example receiver");
    if (inv->source_id) cJSON_AddStringToObject(b, "ignoreSourceId", inv->source_id);
    cJSON *subs = cJSON_AddObjectToObject(b, "subscriptions");
    cJSON_AddNullToObject(subs, "Ticket_Add");
    cJSON_AddTrueToObject(cJSON_AddObjectToObject(subs, "Ticket_Update"), "includePrevState");
    cJSON_AddNullToObject(subs, "Ticket_Thread_Add");
    cJSON_AddNullToObject(subs, "Ticket_Comment_Add");
    cJSON_AddNullToObject(subs, "Ticket_Comment_Update");
    char *text = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    strbuf answer = {0}, full = {0};
    strbuf_puts(&full, inv->desk_url);
    strbuf_puts(&full, "/api/v1/webhooks");
    struct curl_slist *h = NULL;
    char auth[256], org[96];
    snprintf(auth, sizeof auth, "Authorization: Zoho-oauthtoken %s", inv->token ? inv->token : "");
    snprintf(org, sizeof org, "orgId: %s", inv->org_id);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, org);
    h = curl_slist_append(h, "Content-Type: application/json");
    long status = text && full.data ? http_call("POST", full.data, text, h, &answer, NULL) : 0;
    cJSON *o = answer.data ? cJSON_Parse(answer.data) : NULL;
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    int rc = -1;
    if (status == 200 && id) {
        snprintf(id_out, idlen, "%s", id);
        rc = 0;
    } else {
        snprintf(why, whylen, "POST /api/v1/webhooks answered %ld: %.200s", status,
                 answer.data ? answer.data : "(no answer)");
    }
    cJSON_Delete(o);
    curl_slist_free_all(h);
    cJSON_free(text);
    free(answer.data);
    free(full.data);
    return rc;
}
