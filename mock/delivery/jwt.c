/* jwt.c -- compact JWS with RS256 (RSASSA-PKCS1-v1_5 + SHA-256) via OpenSSL
 * EVP; no JWT library. The token does not cover the body, as Desk's does not. */
#include "delivery/jwt.h"
#include "util/buf.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dm_jwt {
    pthread_mutex_t lock; /* guards the load */
    char *pem;            /* until loaded */
    size_t pem_len;
    int state;            /* 0 not loaded yet, 1 loaded, -1 the key is unusable */
    EVP_PKEY *key;
    char kid[32];
    char *n, *e; /* base64url modulus and exponent */
};

void dm_base64url(dm_buf *out, const unsigned char *d, size_t len)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        char c[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
        dm_buf_append(out, c, 4);
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)d[i] << 16;
        char c[2] = {tbl[v >> 18], tbl[(v >> 12) & 63]};
        dm_buf_append(out, c, 2);
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
        char c[3] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63]};
        dm_buf_append(out, c, 3);
    }
}

static char *bn_b64(const BIGNUM *bn)
{
    int n = BN_num_bytes(bn);
    unsigned char *raw = dm_xmalloc((size_t)n);
    BN_bn2bin(bn, raw);
    dm_buf b = {0};
    dm_base64url(&b, raw, (size_t)n);
    free(raw);
    return dm_buf_steal(&b);
}

/* Parses the PEM into key, kid, n and e. 0, or -1 with the reason in err. */
static int load(dm_jwt *j, char *err, size_t errlen)
{
    BIGNUM *n = NULL, *e = NULL;
    unsigned char *der = NULL;
    int rc = -1;
    BIO *bio = BIO_new_mem_buf(j->pem, (int)j->pem_len);
    if (bio) j->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!j->key || EVP_PKEY_get_base_id(j->key) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "expected an RSA private key in PEM");
        goto out;
    }
    if (!EVP_PKEY_get_bn_param(j->key, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(j->key, OSSL_PKEY_PARAM_RSA_E, &e)) {
        snprintf(err, errlen, "cannot read the RSA key's public numbers");
        goto out;
    }
    int dlen = i2d_PUBKEY(j->key, &der);
    if (dlen <= 0) {
        snprintf(err, errlen, "cannot encode the public key");
        goto out;
    }
    j->n = bn_b64(n);
    j->e = bn_b64(e);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, (size_t)dlen, digest);
    dm_buf b = {0};
    dm_base64url(&b, digest, sizeof digest);
    snprintf(j->kid, sizeof j->kid, "%.16s", b.data);
    dm_buf_free(&b);
    rc = 0;
out:
    OPENSSL_free(der);
    BN_free(n);
    BN_free(e);
    ERR_clear_error();
    free(j->pem);
    j->pem = NULL;
    j->state = rc == 0 ? 1 : -1;
    return rc;
}

/* Loads the key on first use; 0 when it is usable. */
static int ready(dm_jwt *j)
{
    pthread_mutex_lock(&j->lock);
    if (j->state == 0) {
        char why[160];
        if (load(j, why, sizeof why) != 0) fprintf(stderr, "deskmock: JWT key: %s\n", why);
    }
    int ok = j->state == 1;
    pthread_mutex_unlock(&j->lock);
    return ok ? 0 : -1;
}

dm_jwt *dm_jwt_new(const char *pem, size_t len, int defer, char *err, size_t errlen)
{
    dm_jwt *j = dm_xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    j->pem = dm_xmalloc(len ? len : 1);
    memcpy(j->pem, pem, len);
    j->pem_len = len;
    if (!defer && load(j, err, errlen) != 0) {
        dm_jwt_free(j);
        return NULL;
    }
    return j;
}

void dm_jwt_free(dm_jwt *j)
{
    if (!j) return;
    EVP_PKEY_free(j->key);
    free(j->pem);
    free(j->n);
    free(j->e);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

const char *dm_jwt_kid(dm_jwt *j)
{
    return ready(j) == 0 ? j->kid : NULL;
}

int dm_jwt_jwks(dm_jwt *j, dm_buf *out)
{
    if (ready(j) != 0) return -1;
    dm_buf_printf(out,
                  "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\","
                  "\"n\":\"%s\",\"e\":\"%s\"}]}",
                  j->kid, j->n, j->e);
    return 0;
}

char *dm_jwt_sign(dm_jwt *j, const char *org_id, const char *webhook_id, int64_t iat, int64_t exp)
{
    if (ready(j) != 0) return NULL;
    dm_buf header = {0}, claims = {0}, out = {0};
    dm_buf_printf(&header, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", j->kid);
    dm_buf_puts(&claims, "{\"iss\":");
    char v[128];
    snprintf(v, sizeof v, "orgId:%s", org_id);
    dm_buf_json_str(&claims, v);
    snprintf(v, sizeof v, "webhookId:%s", webhook_id);
    dm_buf_puts(&claims, ",\"aud\":");
    dm_buf_json_str(&claims, v);
    dm_buf_printf(&claims, ",\"iat\":%lld,\"exp\":%lld}", (long long)iat, (long long)exp);
    dm_base64url(&out, (const unsigned char *)header.data, header.len);
    dm_buf_putc(&out, '.');
    dm_base64url(&out, (const unsigned char *)claims.data, claims.len);
    dm_buf_free(&header);
    dm_buf_free(&claims);

    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, j->key) == 1 &&
             EVP_DigestSign(md, sig, &siglen, (const unsigned char *)out.data, out.len) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        ERR_clear_error();
        dm_buf_free(&out);
        return NULL;
    }
    dm_buf_putc(&out, '.');
    dm_base64url(&out, sig, siglen);
    return dm_buf_steal(&out);
}
