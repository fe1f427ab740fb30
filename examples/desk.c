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
#include <time.h>

#define CALL_TIMEOUT_MS 3000L      /* JWKS and invoke calls */
#define ANSWER_MAX      (1u << 20) /* bytes of an answer kept */
#define JWT_SKEW_S      60         /* clocks differ: exp may be this far behind us */
#define JWT_IAT_AHEAD_S 600        /* iat may be at most this far ahead of us */
#define JWKS_REFRESH_S  10         /* an unknown kid refetches the JWKS at most this often */

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

/* GETs url (form NULL) or POSTs form to it. Returns the HTTP status, or 0
 * when there was no answer; the body lands in *answer (the caller frees
 * answer->data). headers may be NULL. */
static long http_call(const char *url, const char *form, struct curl_slist *headers, strbuf *answer)
{
    long status = 0;
    CURL *c = curl_easy_init();
    if (!c) return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, CALL_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* we are one thread of many */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (form) curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
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
    long status = http_call(k->jwks_url, NULL, NULL, &answer);
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
static EVP_PKEY *key_for(desk_keys *k, const char *kid)
{
    EVP_PKEY *found = NULL;
    pthread_mutex_lock(&k->lock);
    for (int pass = 0; pass < 2 && !found; pass++) {
        for (size_t i = 0; i < k->n && !found; i++)
            if (strcmp(k->keys[i].kid, kid) == 0) found = k->keys[i].key;
        if (!found && pass == 0 && (!k->fetched || time(NULL) - k->fetched >= JWKS_REFRESH_S))
            jwks_fetch(k);
    }
    if (found) EVP_PKEY_up_ref(found);
    pthread_mutex_unlock(&k->lock);
    return found;
}

/* ==== X-ZDesk-JWT ==== */

int desk_verify_jwt(desk_keys *k, const char *token, const char *org_id, char *why, size_t whylen)
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
    if (!dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1 || !dot2[1]) {
        snprintf(why, whylen, "X-ZDesk-JWT is not a compact JWS");
        goto done;
    }

    /* The header names the algorithm and the key. Accept RS256 only: a
     * receiver that believes "alg" can be handed "none" or HS256. */
    header = b64url_json(token, (size_t)(dot1 - token));
    const char *alg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(header, "alg"));
    const char *kid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(header, "kid"));
    if (!alg || strcmp(alg, "RS256") != 0) {
        snprintf(why, whylen, "JWT alg is %s, not RS256", alg ? alg : "missing");
        goto done;
    }
    if (!kid || !(key = key_for(k, kid))) {
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

    /* Signed, so the claims are Desk's word. The token does not cover the
     * body: it says who sent the request and for which org, nothing more. */
    claims = b64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    const char *iss = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(claims, "iss"));
    const char *aud = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(claims, "aud"));
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    const cJSON *iat = cJSON_GetObjectItemCaseSensitive(claims, "iat");
    time_t t = time(NULL);
    double now = (double)t;
    if (!iss || strncmp(iss, "orgId:", 6) != 0 || strcmp(iss + 6, org_id) != 0) {
        snprintf(why, whylen, "JWT iss is %.80s, not orgId:%s", iss ? iss : "missing", org_id);
    } else if (!aud || strncmp(aud, "webhookId:", 10) != 0) {
        snprintf(why, whylen, "JWT aud is %.80s, not webhookId:...", aud ? aud : "missing");
    } else if (!cJSON_IsNumber(exp) || exp->valuedouble + JWT_SKEW_S <= now) {
        snprintf(why, whylen, "JWT has expired (or has no exp)");
    } else if (!cJSON_IsNumber(iat) || iat->valuedouble > now + JWT_IAT_AHEAD_S) {
        snprintf(why, whylen, "JWT iat is missing or too far in the future");
    } else {
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

int desk_add_comment(const desk_invoke *inv, const char *ticket_id, const char *content, char *why,
                     size_t whylen)
{
    strbuf request_url = {0}, hashed = {0}, form = {0}, url = {0}, answer = {0};
    char *post_body = NULL, *headers_json = NULL;
    struct curl_slist *headers = NULL;
    cJSON *outer = NULL, *inner = NULL;
    int rc = -1;

    /* What Desk is to do, as the extension: POST this body to this URL. */
    strbuf_puts(&request_url, inv->desk_url);
    strbuf_puts(&request_url, "/api/v1/tickets/");
    strbuf_puts(&request_url, ticket_id);
    strbuf_puts(&request_url, "/comments");
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "content", content);
    cJSON_AddBoolToObject(body, "isPublic", 0);
    post_body = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);

    /* sourceId = the webhook's ignoreSourceId: Desk raises no event for this
     * write to our own webhook, so we are not told about our own comment. */
    if (inv->source_id) {
        cJSON *h = cJSON_CreateObject();
        cJSON_AddStringToObject(h, "sourceId", inv->source_id);
        headers_json = cJSON_PrintUnformatted(h);
        cJSON_Delete(h);
    }

    /* HASH: HMAC-SHA256 over "requestURL=..&requestType=..&postBody=..&headers=.."
     * with the raw values (not percent-encoded), in that order, absent fields
     * left out. securityContext is not part of it. */
    if (!request_url.data || !post_body || (inv->source_id && !headers_json)) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    strbuf_puts(&hashed, "requestURL=");
    strbuf_puts(&hashed, request_url.data);
    strbuf_puts(&hashed, "&requestType=POST&postBody=");
    strbuf_puts(&hashed, post_body);
    if (headers_json) {
        strbuf_puts(&hashed, "&headers=");
        strbuf_puts(&hashed, headers_json);
    }

    /* The same values, percent-encoded, as an application/x-www-form-urlencoded body. */
    form_field(&form, "securityContext", inv->security_context);
    form_field(&form, "requestURL", request_url.data);
    form_field(&form, "requestType", "POST");
    form_field(&form, "postBody", post_body);
    if (headers_json) form_field(&form, "headers", headers_json);

    strbuf_puts(&url, inv->desk_url);
    strbuf_puts(&url, "/api/v1/invoke?orgId=");
    strbuf_put_escaped(&url, inv->org_id);
    if (!hashed.data || !form.data || !url.data) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }

    char hash[65], hash_header[80];
    hmac_hex(inv->secret, hashed.data, hash);
    snprintf(hash_header, sizeof hash_header, "HASH: %s", hash);
    headers = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    headers = curl_slist_append(headers, hash_header);
    headers = curl_slist_append(headers, "Expect:");
    long status = http_call(url.data, form.data, headers, &answer);

    /* invoke answers 200 {"response": "<JSON text of {statusMessage, statusCode}>"}:
     * the outer status says invoke took the call, the inner one what Desk's
     * API did with it. Both must be good. */
    outer = answer.data ? cJSON_Parse(answer.data) : NULL;
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(outer, "response"));
    inner = text ? cJSON_Parse(text) : NULL;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(inner, "statusCode");
    if (status == 200 && cJSON_IsNumber(code) && code->valuedouble >= 200 &&
        code->valuedouble < 300)
        rc = 0;
    else
        snprintf(why, whylen, "invoke answered HTTP %ld, Desk %.0f: %.200s", status,
                 cJSON_IsNumber(code) ? code->valuedouble : 0.0,
                 answer.data ? answer.data : "(no answer)");
done:
    cJSON_Delete(inner);
    cJSON_Delete(outer);
    curl_slist_free_all(headers);
    cJSON_free(post_body);
    cJSON_free(headers_json);
    free(request_url.data);
    free(hashed.data);
    free(form.data);
    free(url.data);
    free(answer.data);
    return rc;
}
