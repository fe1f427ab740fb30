/* jwt.c -- compact JWS with RS256 (RSASSA-PKCS1-v1_5 + SHA-256) via OpenSSL
 * EVP; no JWT library. The token does not cover the body, as Desk's does not. */
#include "delivery/jwt.h"
#include "util/base64url.h"
#include "util/buf.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One RSA key with its JWKS numbers. */
typedef struct key {
    EVP_PKEY *pkey;
    char kid[32];
    char *n, *e;   /* base64url modulus and exponent */
    char *pub_pem; /* the public key in PEM, for DM_JWT_HS256_PUBKEY */
} key;

struct dm_jwt {
    key *orig;       /* the key given at creation */
    key *cur, *prev; /* the signing key and the one it replaced (or NULL) */
    key *rotation;   /* the built-in key a first rotation moves to (made then) */
    key *stranger;   /* the built-in key no JWKS holds */
    key *made[2];    /* generated keys (second and later rotations) still listed */
    unsigned generation;
};

/* base64url of data, appended to out. */
static void b64(dm_buf *out, const unsigned char *data, size_t len)
{
    dm_buf_reserve(out, DM_BASE64URL_LEN(len) + 1);
    out->len += dm_base64url_encode(data, len, out->data + out->len);
}

static char *bn_b64(const BIGNUM *bn)
{
    int n = BN_num_bytes(bn);
    unsigned char *raw = dm_xmalloc((size_t)n);
    BN_bn2bin(bn, raw);
    dm_buf b = {0};
    b64(&b, raw, (size_t)n);
    free(raw);
    return dm_buf_steal(&b);
}

static void key_free(key *k)
{
    if (!k) return;
    EVP_PKEY_free(k->pkey);
    free(k->n);
    free(k->e);
    free(k->pub_pem);
    free(k);
}

/* Fills k's kid, n, e and public PEM from k->pkey. 0, or -1 with the reason
 * in err. */
static int describe(key *k, char *err, size_t errlen)
{
    BIGNUM *n = NULL, *e = NULL;
    unsigned char *der = NULL;
    BIO *mem = NULL;
    int rc = -1;
    if (EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "expected an RSA private key in PEM");
        goto out;
    }
    if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
        snprintf(err, errlen, "cannot read the RSA key's public numbers");
        goto out;
    }
    int dlen = i2d_PUBKEY(k->pkey, &der);
    mem = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long plen = 0;
    if (dlen <= 0 || !mem || PEM_write_bio_PUBKEY(mem, k->pkey) != 1 ||
        (plen = BIO_get_mem_data(mem, &pem)) <= 0) {
        snprintf(err, errlen, "cannot encode the public key");
        goto out;
    }
    k->pub_pem = dm_xmalloc((size_t)plen + 1);
    memcpy(k->pub_pem, pem, (size_t)plen);
    k->pub_pem[plen] = '\0';
    k->n = bn_b64(n);
    k->e = bn_b64(e);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, (size_t)dlen, digest);
    dm_buf b = {0};
    b64(&b, digest, sizeof digest);
    snprintf(k->kid, sizeof k->kid, "%.16s", b.data);
    dm_buf_free(&b);
    rc = 0;
out:
    BIO_free(mem);
    OPENSSL_free(der);
    BN_free(n);
    BN_free(e);
    ERR_clear_error();
    return rc;
}

/* A key from PEM text, or NULL with the reason in err. */
static key *key_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
    key *k = dm_xcalloc(1, sizeof *k);
    BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    if (bio) k->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!k->pkey) {
        snprintf(err, errlen, "expected an RSA private key in PEM");
        ERR_clear_error();
    }
    if (!k->pkey || describe(k, err, errlen) != 0) {
        key_free(k);
        return NULL;
    }
    return k;
}

/* A freshly generated RSA-2048 key, or NULL with the reason in err. */
static key *key_generate(char *err, size_t errlen)
{
    key *k = dm_xcalloc(1, sizeof *k);
    k->pkey = EVP_RSA_gen(2048);
    if (!k->pkey) {
        snprintf(err, errlen, "cannot generate an RSA key");
        ERR_clear_error();
    }
    if (!k->pkey || describe(k, err, errlen) != 0) {
        key_free(k);
        return NULL;
    }
    return k;
}

dm_jwt *dm_jwt_new(const char *pem, size_t len, char *err, size_t errlen)
{
    key *k = key_from_pem(pem, len, err, errlen);
    if (!k) return NULL;
    dm_jwt *j = dm_xcalloc(1, sizeof *j);
    j->orig = j->cur = k;
    return j;
}

void dm_jwt_free(dm_jwt *j)
{
    if (!j) return;
    key_free(j->orig);
    key_free(j->rotation);
    key_free(j->stranger);
    key_free(j->made[0]);
    key_free(j->made[1]);
    free(j);
}

const char *dm_jwt_kid(const dm_jwt *j)
{
    return j->cur->kid;
}

const char *dm_jwt_previous_kid(const dm_jwt *j)
{
    return j->prev ? j->prev->kid : "";
}

unsigned dm_jwt_generation(const dm_jwt *j)
{
    return j->generation;
}

static void jwk(dm_buf *out, const key *k)
{
    dm_buf_printf(out,
                  "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\",\"n\":\"%s\","
                  "\"e\":\"%s\"}",
                  k->kid, k->n, k->e);
}

int dm_jwt_jwks(const dm_jwt *j, dm_buf *out)
{
    dm_buf_puts(out, "{\"keys\":[");
    jwk(out, j->cur);
    if (j->prev) {
        dm_buf_putc(out, ',');
        jwk(out, j->prev);
    }
    dm_buf_puts(out, "]}");
    return 0;
}

int dm_jwt_rotate(dm_jwt *j, char *err, size_t errlen)
{
    if (!j->rotation) {
        j->rotation = key_from_pem(dm_rotation_jwt_key, dm_rotation_jwt_key_len, err, errlen);
        if (!j->rotation) return -1;
    }
    key *next = j->rotation;
    if (j->cur == j->rotation || j->prev == j->rotation) {
        next = key_generate(err, errlen);
        if (!next) return -1;
        /* a generated key that is neither signing nor listed after this goes */
        int slot = j->made[0] && j->made[0] == j->cur ? 1 : 0;
        key_free(j->made[slot]);
        j->made[slot] = next;
    }
    j->prev = j->cur;
    j->cur = next;
    j->generation++;
    return 0;
}

void dm_jwt_restore(dm_jwt *j)
{
    if (j->cur != j->orig || j->prev) j->generation++;
    j->cur = j->orig;
    j->prev = NULL;
    for (int i = 0; i < 2; i++) {
        key_free(j->made[i]);
        j->made[i] = NULL;
    }
}

/* The stranger key, made on first use; NULL when it cannot be. */
static const key *stranger(const dm_jwt *j)
{
    dm_jwt *m = (dm_jwt *)j; /* made once, on first use; nothing else changes */
    if (!m->stranger) {
        char err[120];
        m->stranger = key_from_pem(dm_stranger_jwt_key, dm_stranger_jwt_key_len, err, sizeof err);
    }
    return m->stranger;
}

const char *dm_jwt_form_kid(const dm_jwt *j, dm_jwt_form form)
{
    if (form == DM_JWT_ALG_NONE) return "";
    if (form == DM_JWT_STRANGER) {
        const key *k = stranger(j);
        return k ? k->kid : "";
    }
    return j->cur->kid;
}

/* RS256 over data with k, base64url appended to out; 0 or -1. data may lie
 * in out: it is read before out grows. */
static int rs256(const key *k, const char *data, size_t len, dm_buf *out)
{
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
             EVP_DigestSign(md, sig, &siglen, (const unsigned char *)data, len) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        ERR_clear_error();
        return -1;
    }
    b64(out, sig, siglen);
    return 0;
}

/* HMAC-SHA256 over data keyed with secret, base64url appended to out; 0 or
 * -1. data may lie in out, as for rs256. */
static int hs256(const char *secret, const char *data, size_t len, dm_buf *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
                   (const unsigned char *)data, len, mac, sizeof mac, &maclen)) {
        ERR_clear_error();
        return -1;
    }
    b64(out, mac, maclen);
    return 0;
}

char *dm_jwt_make(const dm_jwt *j, dm_jwt_form form, const dm_jwt_claims *c)
{
    if (!j) return NULL;
    const key *k = form == DM_JWT_STRANGER ? stranger(j) : j->cur;
    if (!k) return NULL;
    dm_buf header = {0}, claims = {0}, out = {0};
    if (form == DM_JWT_ALG_NONE)
        dm_buf_puts(&header, "{\"alg\":\"none\",\"typ\":\"JWT\"}");
    else
        dm_buf_printf(&header, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                      form == DM_JWT_HS256_PUBKEY ? "HS256" : "RS256", k->kid);
    dm_buf_puts(&claims, "{\"iss\":");
    char v[128];
    snprintf(v, sizeof v, "orgId:%s", c->org_id);
    dm_buf_json_str(&claims, v);
    snprintf(v, sizeof v, "webhookId:%s", c->webhook_id);
    dm_buf_puts(&claims, ",\"aud\":");
    dm_buf_json_str(&claims, v);
    dm_buf_printf(&claims, ",\"iat\":%lld", (long long)c->iat);
    if (c->nbf) dm_buf_printf(&claims, ",\"nbf\":%lld", (long long)c->nbf);
    dm_buf_printf(&claims, ",\"exp\":%lld}", (long long)c->exp);
    b64(&out, (const unsigned char *)header.data, header.len);
    dm_buf_putc(&out, '.');
    b64(&out, (const unsigned char *)claims.data, claims.len);
    dm_buf_free(&header);
    dm_buf_free(&claims);
    size_t covered = out.len; /* the signature covers "header.claims" */
    dm_buf_putc(&out, '.');
    int rc = 0;
    if (form == DM_JWT_HS256_PUBKEY)
        rc = hs256(k->pub_pem, out.data, covered, &out);
    else if (form != DM_JWT_ALG_NONE)
        rc = rs256(k, out.data, covered, &out);
    if (rc != 0) {
        dm_buf_free(&out);
        return NULL;
    }
    return dm_buf_steal(&out);
}

char *dm_jwt_sign(const dm_jwt *j, const char *org_id, const char *webhook_id, int64_t iat,
                  int64_t exp)
{
    dm_jwt_claims c = {org_id, webhook_id, iat, 0, exp};
    return dm_jwt_make(j, DM_JWT_RS256, &c);
}
