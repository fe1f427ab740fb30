/* test_jwt.c -- the X-ZDesk-JWT a receiver gets, checked the way a receiver
 * would: split the compact JWS, match its kid against GET
 * /.well-known/jwks.json, rebuild the RSA public key from n and e with
 * OpenSSL (OSSL_PARAM_BLD, EVP_PKEY_fromdata) and verify RS256 over
 * header.claims; then the claims: iss, aud, a 600-second life. Also key
 * rotation, and that each forged token is exactly the attack it names. */
#include "hooks.h"
#include "util/base64url.h"

#include "delivery/jwt.h"
#include "util/buf.h"
#include "util/ids.h"

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

typedef struct fx {
    dmt_mock *m;
    dmt_recv *r[2];
    EVP_PKEY *key;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int i = 0; i < 2; i++)
        f->r[i] = dmt_recv_start();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dmt_mock_stop(f->m);
    for (int i = 0; i < 2; i++)
        dmt_recv_stop(f->r[i]);
    EVP_PKEY_free(f->key);
    free(f);
    return 0;
}

static dmt_mock *start(fx *f, const int64_t *ladder, size_t n)
{
    dm_app_opts o = {0};
    o.clock_virtual = 1;
    o.clock_start = DMH_T0;
    o.retry_schedule = ladder;
    o.retry_count = n;
    return f->m = dmt_mock_start(&o);
}

/* ==== base64url and the JWS parts ==== */

typedef struct jws {
    cJSON *header, *claims;
    const char *signing_input; /* header.claims, borrowed from the token */
    size_t signing_len;
    unsigned char sig[1024];
    size_t sig_len;
} jws;

static cJSON *decode_json_part(const char *s, size_t len)
{
    unsigned char buf[4096];
    long n = dm_base64url_decode(s, len, buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = 0;
    cJSON *j = cJSON_Parse((const char *)buf);
    if (!j) fail_msg("JWS part is not JSON: %s", buf);
    return j;
}

/* Splits a compact JWS into its three parts; fails the test on a bad shape. */
static void jws_parse(const char *token, jws *out)
{
    memset(out, 0, sizeof *out);
    assert_non_null(token);
    const char *d1 = strchr(token, '.');
    assert_non_null(d1);
    const char *d2 = strchr(d1 + 1, '.');
    assert_non_null(d2);
    assert_null(strchr(d2 + 1, '.'));
    out->header = decode_json_part(token, (size_t)(d1 - token));
    out->claims = decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    out->signing_input = token;
    out->signing_len = (size_t)(d2 - token);
    long n = dm_base64url_decode(d2 + 1, strlen(d2 + 1), out->sig, sizeof out->sig);
    assert_true(n > 0);
    out->sig_len = (size_t)n;
}

static void jws_free(jws *j)
{
    cJSON_Delete(j->header);
    cJSON_Delete(j->claims);
}

/* ==== The key from the JWKS ==== */

static BIGNUM *b64url_bn(const char *s)
{
    unsigned char buf[1024];
    long n = dm_base64url_decode(s, strlen(s), buf, sizeof buf);
    assert_true(n > 0);
    return BN_bin2bn(buf, (int)n, NULL);
}

/* The public key of one JWKS entry (owned). */
static EVP_PKEY *jwk_key(const cJSON *k)
{
    assert_string_equal(dmt_str(k, "kty"), "RSA");
    assert_string_equal(dmt_str(k, "alg"), "RS256");
    assert_string_equal(dmt_str(k, "use"), "sig");
    BIGNUM *n = b64url_bn(dmt_str(k, "n")), *e = b64url_bn(dmt_str(k, "e"));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_non_null(bld);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    assert_non_null(ctx);
    EVP_PKEY *key = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
    assert_true(EVP_PKEY_get_bits(key) >= 2048);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return key;
}

/* GET /.well-known/jwks.json: its keys array (owned by the caller). */
static cJSON *jwks_keys(dmt_mock *m)
{
    char url[256];
    snprintf(url, sizeof url, "%s/.well-known/jwks.json", m->url);
    dmt_resp r;
    assert_int_equal(dmt_http("GET", url, NULL, NULL, 0, &r), 0);
    dmh_status(&r, 200);
    cJSON *keys = cJSON_DetachItemFromObjectCaseSensitive(r.json, "keys");
    assert_true(cJSON_IsArray(keys));
    dmt_resp_free(&r);
    return keys;
}

/* Fetches the JWKS, checks it holds one key, returns its kid (copied into
 * kid) and builds the public key into f->key. */
static void load_jwks(fx *f, char kid[64])
{
    cJSON *keys = jwks_keys(f->m);
    assert_int_equal(cJSON_GetArraySize(keys), 1);
    const cJSON *k = cJSON_GetArrayItem(keys, 0);
    snprintf(kid, 64, "%s", dmt_str(k, "kid"));
    assert_true(strlen(kid) > 0);
    EVP_PKEY_free(f->key);
    f->key = jwk_key(k);
    cJSON_Delete(keys);
}

/* 1 when sig is a valid RS256 signature of data under key. */
static int rs256_ok(EVP_PKEY *key, const void *data, size_t len, const unsigned char *sig,
                    size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

static int64_t claim(const jws *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j->claims, name);
    assert_true(cJSON_IsNumber(v));
    return (int64_t)v->valuedouble;
}

/* Creates a Ticket_Update webhook at receiver 0 (its id into id), makes one
 * update, loads the JWKS (kid, f->key) and parses the JWT its delivery
 * carried into j (jws_free it). */
static void delivered_jwt(fx *f, dmt_mock *m, char id[32], char kid[64], jws *j)
{
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_wait(f->r[0], "POST", 1, 5000), 1);
    load_jwks(f, kid);
    jws_parse(dmt_recv_hit(f->r[0], "POST", 0)->jwt, j);
}

/* ==== Tests ==== */

/* The JWT on a delivery: RS256 with the JWKS's kid, a valid signature under
 * the JWKS key, iss orgId:<org>, aud webhookId:<id>, iat the mock's now and
 * exp 600 s later. */
static void delivery_jwt_verifies_against_jwks_with_org_and_webhook_claims(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, NULL, 0);
    char id[32], kid[64];
    jws j;
    delivered_jwt(f, m, id, kid, &j);
    assert_string_equal(dmt_str(j.header, "alg"), "RS256");
    assert_string_equal(dmt_str(j.header, "kid"), kid);
    assert_true(rs256_ok(f->key, j.signing_input, j.signing_len, j.sig, j.sig_len));
    assert_string_equal(dmt_str(j.claims, "iss"), "orgId:" DMT_ORG);
    char aud[64];
    snprintf(aud, sizeof aud, "webhookId:%s", id);
    assert_string_equal(dmt_str(j.claims, "aud"), aud);
    assert_int_equal(claim(&j, "iat"), DMH_T0 / 1000);
    assert_int_equal(claim(&j, "exp") - claim(&j, "iat"), 600);
    jws_free(&j);
}

/* The verifier is real: the same signature over claims naming another
 * webhook, or over a flipped signing input, does not verify. */
static void tampered_jwt_does_not_verify(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, NULL, 0);
    char id[32], kid[64];
    jws j;
    delivered_jwt(f, m, id, kid, &j);
    assert_true(rs256_ok(f->key, j.signing_input, j.signing_len, j.sig, j.sig_len));

    /* forged claims: another audience, re-encoded, same signature */
    dm_buf forged = {0};
    const char *dot = strchr(j.signing_input, '.');
    dm_buf_append(&forged, j.signing_input, (size_t)(dot - j.signing_input) + 1);
    char claims[256];
    snprintf(claims, sizeof claims,
             "{\"iss\":\"orgId:" DMT_ORG "\",\"aud\":\"webhookId:1\",\"iat\":%lld,\"exp\":%lld}",
             (long long)claim(&j, "iat"), (long long)claim(&j, "exp"));
    char enc[DM_BASE64URL_LEN(512) + 1];
    assert_true(strlen(claims) <= 512);
    dm_base64url_encode((const unsigned char *)claims, strlen(claims), enc);
    dm_buf_puts(&forged, enc);
    assert_false(rs256_ok(f->key, forged.data, forged.len, j.sig, j.sig_len));
    dm_buf_free(&forged);

    unsigned char sig[1024];
    memcpy(sig, j.sig, j.sig_len);
    sig[j.sig_len / 2] ^= 0x01;
    assert_false(rs256_ok(f->key, j.signing_input, j.signing_len, sig, j.sig_len));
    jws_free(&j);
}

/* Two webhooks: each delivery's aud names its own webhook; both verify. */
static void each_webhook_gets_its_own_audience(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, NULL, 0);
    char ids[2][32], kid[64];
    for (int i = 0; i < 2; i++)
        dmh_create(m, dmt_recv_url(f->r[i]), "{\"Ticket_Update\":null}", "", ids[i]);
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    load_jwks(f, kid);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dmt_recv_wait(f->r[i], "POST", 1, 5000), 1);
        jws j;
        jws_parse(dmt_recv_hit(f->r[i], "POST", 0)->jwt, &j);
        assert_true(rs256_ok(f->key, j.signing_input, j.signing_len, j.sig, j.sig_len));
        char aud[64];
        snprintf(aud, sizeof aud, "webhookId:%s", ids[i]);
        assert_string_equal(dmt_str(j.claims, "aud"), aud);
        jws_free(&j);
    }
}

/* A retry sent 10 virtual minutes later carries a fresh token (iat moved by
 * 600 s), still valid when sent; the URL check GET before it carried none. */
static void retry_after_expiry_carries_a_fresh_token_and_check_get_none(void **state)
{
    fx *f = *state;
    static const int64_t ladder[] = {600000};
    dmt_mock *m = start(f, ladder, 1);
    char id[32], kid[64];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    static const int script[] = {500, 200};
    dmt_recv_script(f->r[0], script, 2);
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_wait(f->r[0], "POST", 2, 5000), 2);
    load_jwks(f, kid);
    jws a, b;
    jws_parse(dmt_recv_hit(f->r[0], "POST", 0)->jwt, &a);
    jws_parse(dmt_recv_hit(f->r[0], "POST", 1)->jwt, &b);
    assert_true(rs256_ok(f->key, b.signing_input, b.signing_len, b.sig, b.sig_len));
    assert_int_equal(claim(&a, "iat"), DMH_T0 / 1000);
    assert_int_equal(claim(&b, "iat"), DMH_T0 / 1000 + 600);
    assert_true(claim(&b, "exp") > DMH_T0 / 1000 + 600);
    jws_free(&a);
    jws_free(&b);

    const dmt_hit *check = dmt_recv_hit(f->r[0], "GET", 0);
    assert_non_null(check);
    assert_null(check->jwt);
}

/* ==== The key ==== */

/* The built-in key signs, and its JWKS names its kid. */
static void built_in_key_signs_and_publishes_its_kid(void **state)
{
    (void)state;
    char err[160] = "";
    dm_jwt *k = dm_jwt_new(dm_default_jwt_key, dm_default_jwt_key_len, err, sizeof err);
    assert_non_null(k);
    assert_string_equal(err, "");
    assert_int_equal(strlen(dm_jwt_kid(k)), 16);
    dm_buf a = {0};
    assert_int_equal(dm_jwt_jwks(k, &a), 0);
    assert_non_null(strstr(a.data, dm_jwt_kid(k)));
    char *t = dm_jwt_sign(k, "1", "2", 1000, 1600);
    assert_non_null(t);
    free(t);
    dm_buf_free(&a);
    dm_jwt_free(k);
}

/* A key that is not an RSA private key fails when it is given, with why. */
static void bad_key_fails_at_once(void **state)
{
    (void)state;
    static const char junk[] =
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
    char err[160] = "";
    assert_null(dm_jwt_new(junk, sizeof junk - 1, err, sizeof err));
    assert_string_equal(err, "expected an RSA private key in PEM");
    assert_null(dm_jwt_new("", 0, err, sizeof err));
}

/* ==== Rotation ==== */

/* After POST /mock/v1/keys/rotate the JWKS lists the new key, then the old
 * one; deliveries carry the new kid and verify only under the new key; the
 * journal says so; a reset goes back to the one key it started with. */
static void rotation_signs_with_the_new_key_and_keeps_the_old_listed(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, NULL, 0);
    char id[32], kid0[64];
    jws j;
    delivered_jwt(f, m, id, kid0, &j);
    jws_free(&j);

    dmt_resp r = dmt_ctl(m, "POST", "/mock/v1/keys/rotate", NULL);
    dmh_status(&r, 200);
    char kid1[64];
    snprintf(kid1, sizeof kid1, "%s", dmt_str(r.json, "kid"));
    assert_string_equal(dmt_str(r.json, "previousKid"), kid0);
    assert_string_not_equal(kid1, kid0);
    dmt_resp_free(&r);

    cJSON *keys = jwks_keys(m);
    assert_int_equal(cJSON_GetArraySize(keys), 2);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(keys, 0), "kid"), kid1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(keys, 1), "kid"), kid0);
    EVP_PKEY *fresh = jwk_key(cJSON_GetArrayItem(keys, 0));
    cJSON_Delete(keys);

    r = dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"High\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_wait(f->r[0], "POST", 2, 5000), 2);
    jws_parse(dmt_recv_hit(f->r[0], "POST", 1)->jwt, &j);
    assert_string_equal(dmt_str(j.header, "kid"), kid1);
    assert_true(rs256_ok(fresh, j.signing_input, j.signing_len, j.sig, j.sig_len));
    assert_false(rs256_ok(f->key, j.signing_input, j.signing_len, j.sig, j.sig_len));
    jws_free(&j);
    EVP_PKEY_free(fresh);

    cJSON *rec = dmh_journal(m, "kind=keys");
    assert_int_equal(cJSON_GetArraySize(rec), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(rec, 0), "kid"), kid1);
    cJSON_Delete(rec);
    cJSON *att = dmh_wait_kind(m, "attempt", 0, 2);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(att, 0), "kid"), kid0);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(att, 1), "kid"), kid1);
    cJSON_Delete(att);

    /* a second rotation moves on again and drops the oldest key */
    r = dmt_ctl(m, "POST", "/mock/v1/keys/rotate", NULL);
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "previousKid"), kid1);
    keys = jwks_keys(m);
    assert_int_equal(cJSON_GetArraySize(keys), 2);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(keys, 0), "kid"), dmt_str(r.json, "kid"));
    assert_string_equal(dmt_str(cJSON_GetArrayItem(keys, 1), "kid"), kid1);
    cJSON_Delete(keys);
    dmt_resp_free(&r);

    r = dmt_ctl(m, "POST", "/mock/v1/reset", NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    char again[64];
    load_jwks(f, again);
    assert_string_equal(again, kid0);
}

/* ==== Forgery ==== */

/* Sends a shaped delivery with token kind to webhook id; returns the token
 * the receiver got (owned; NULL when none) and the forged record's claims
 * in *claims (owned; NULL when none). */
static char *forged(fx *f, const char *id, const char *kind, size_t nth, cJSON **claims)
{
    char body[256];
    snprintf(body, sizeof body, "{\"webhookId\":\"%s\",\"jwt\":\"%s\",\"events\":[]}", id, kind);
    dmt_resp r = dmt_ctl(f->m, "POST", "/mock/v1/deliveries", body);
    dmh_status(&r, 200);
    uint64_t seq = dmh_u64(r.json, "forged");
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_wait(f->r[0], "POST", nth + 1, 5000), nth + 1);
    const dmt_hit *h = dmt_recv_hit(f->r[0], "POST", nth);
    cJSON *recs = dmh_journal(f->m, "kind=forged");
    const cJSON *rec, *mine = NULL;
    cJSON_ArrayForEach(rec, recs)
        if (dmh_u64(rec, "seq") == seq) mine = rec;
    assert_non_null(mine);
    assert_string_equal(dmt_str(mine, "jwt"), kind);
    *claims = cJSON_DetachItemFromObjectCaseSensitive((cJSON *)mine, "claims");
    cJSON_Delete(recs);
    return h->jwt ? strdup(h->jwt) : NULL;
}

/* The public key of a PEM private key file (owned). */
static EVP_PKEY *public_of(const char *path)
{
    size_t n = 0;
    char *pem = dmt_read_file(path, &n);
    assert_non_null(pem);
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(k);
    BIO_free(bio);
    free(pem);
    return k;
}

/* Each forged token is the attack it names, and the forged record describes
 * the token sent: a receiver that accepts one has exactly that hole. */
static void forged_tokens_are_the_attacks_they_name(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, NULL, 0);
    char id[32], kid[64];
    jws j;
    delivered_jwt(f, m, id, kid, &j); /* hit 0: a genuine delivery */
    jws_free(&j);
    const int64_t now = DMH_T0 / 1000;
    char aud[64], iss[64];
    snprintf(aud, sizeof aud, "webhookId:%s", id);
    snprintf(iss, sizeof iss, "orgId:%s", DMT_ORG);
    cJSON *cl = NULL;
    size_t nth = 1;

    /* none: no header at all, no claims recorded */
    char *t = forged(f, id, "none", nth++, &cl);
    assert_null(t);
    assert_null(cl);

    static const char *const rs256_kinds[] = {"valid",          "expired",      "bad-signature",
                                              "wrong-audience", "wrong-issuer", "not-yet-valid"};
    for (size_t i = 0; i < sizeof rs256_kinds / sizeof *rs256_kinds; i++) {
        const char *kind = rs256_kinds[i];
        t = forged(f, id, kind, nth++, &cl);
        jws_parse(t, &j);
        assert_string_equal(dmt_str(j.header, "alg"), "RS256");
        assert_string_equal(dmt_str(j.header, "kid"), kid);
        int sig_ok = rs256_ok(f->key, j.signing_input, j.signing_len, j.sig, j.sig_len);
        assert_int_equal(sig_ok, strcmp(kind, "bad-signature") != 0);
        int good_aud = strcmp(dmt_str(j.claims, "aud"), aud) == 0;
        int good_iss = strcmp(dmt_str(j.claims, "iss"), iss) == 0;
        assert_int_equal(good_aud, strcmp(kind, "wrong-audience") != 0);
        assert_int_equal(good_iss, strcmp(kind, "wrong-issuer") != 0);
        /* a wrong id still looks like a Desk id: only a comparison catches it */
        assert_true(dm_id_valid(strchr(dmt_str(j.claims, "aud"), ':') + 1));
        assert_true(dm_id_valid(strchr(dmt_str(j.claims, "iss"), ':') + 1));
        int64_t exp = claim(&j, "exp");
        if (strcmp(kind, "expired") == 0)
            assert_true(exp < now);
        else
            assert_true(exp > now);
        const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(j.claims, "nbf");
        if (strcmp(kind, "not-yet-valid") == 0)
            assert_true(cJSON_IsNumber(nbf) && nbf->valuedouble > (double)now &&
                        claim(&j, "iat") > now);
        else
            assert_null(nbf);
        /* the record says what the token carries */
        assert_string_equal(dmt_str(cl, "iss"), dmt_str(j.claims, "iss"));
        assert_string_equal(dmt_str(cl, "aud"), dmt_str(j.claims, "aud"));
        assert_string_equal(dmt_str(cl, "kid"), kid);
        assert_int_equal((int64_t)cJSON_GetObjectItemCaseSensitive(cl, "exp")->valuedouble, exp);
        jws_free(&j);
        free(t);
        cJSON_Delete(cl);
    }

    /* alg none: valid claims, no signature */
    t = forged(f, id, "alg-none", nth++, &cl);
    const char *d2 = strrchr(t, '.');
    assert_non_null(d2);
    assert_string_equal(d2, ".");
    dm_buf head = {0};
    dm_buf_append(&head, t, (size_t)(strchr(t, '.') - t));
    cJSON *h = decode_json_part(head.data, head.len);
    assert_string_equal(dmt_str(h, "alg"), "none");
    assert_string_equal(dmt_str(cl, "alg"), "none");
    cJSON_Delete(h);
    dm_buf_free(&head);
    free(t);
    cJSON_Delete(cl);

    /* HS256 keyed with the public key's PEM, under the real kid */
    t = forged(f, id, "hs256-public-key", nth++, &cl);
    jws_parse(t, &j);
    assert_string_equal(dmt_str(j.header, "alg"), "HS256");
    assert_string_equal(dmt_str(j.header, "kid"), kid);
    BIO *mem = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(mem, f->key), 1);
    char *pem = NULL;
    long plen = BIO_get_mem_data(mem, &pem);
    unsigned char mac[64];
    size_t maclen = 0;
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, pem, (size_t)plen,
                              (const unsigned char *)j.signing_input, j.signing_len, mac,
                              sizeof mac, &maclen));
    assert_int_equal(maclen, j.sig_len);
    assert_memory_equal(mac, j.sig, maclen);
    BIO_free(mem);
    jws_free(&j);
    free(t);
    cJSON_Delete(cl);

    /* a real RS256 signature, by a key the JWKS does not hold */
    t = forged(f, id, "unknown-kid", nth++, &cl);
    jws_parse(t, &j);
    assert_string_not_equal(dmt_str(j.header, "kid"), kid);
    assert_false(rs256_ok(f->key, j.signing_input, j.signing_len, j.sig, j.sig_len));
    EVP_PKEY *stranger = public_of(DM_SOURCE_DIR "/fixtures/keys/jwt-stranger-key.pem");
    assert_true(rs256_ok(stranger, j.signing_input, j.signing_len, j.sig, j.sig_len));
    assert_string_equal(dmt_str(cl, "kid"), dmt_str(j.header, "kid"));
    EVP_PKEY_free(stranger);
    jws_free(&j);
    free(t);
    cJSON_Delete(cl);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(delivery_jwt_verifies_against_jwks_with_org_and_webhook_claims),
        T(tampered_jwt_does_not_verify),
        T(each_webhook_gets_its_own_audience),
        T(retry_after_expiry_carries_a_fresh_token_and_check_get_none),
        T(rotation_signs_with_the_new_key_and_keeps_the_old_listed),
        T(forged_tokens_are_the_attacks_they_name),
        cmocka_unit_test(built_in_key_signs_and_publishes_its_kid),
        cmocka_unit_test(bad_key_fails_at_once),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
