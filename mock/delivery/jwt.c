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

struct dm_jwt {
    EVP_PKEY *key;
    char kid[32];
    char *n, *e; /* base64url modulus and exponent */
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

/* Parses the PEM into key, kid, n and e. 0, or -1 with the reason in err. */
static int load(dm_jwt *j, const char *pem, size_t len, char *err, size_t errlen)
{
    BIGNUM *n = NULL, *e = NULL;
    unsigned char *der = NULL;
    int rc = -1;
    BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
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
    b64(&b, digest, sizeof digest);
    snprintf(j->kid, sizeof j->kid, "%.16s", b.data);
    dm_buf_free(&b);
    rc = 0;
out:
    OPENSSL_free(der);
    BN_free(n);
    BN_free(e);
    ERR_clear_error();
    return rc;
}

dm_jwt *dm_jwt_new(const char *pem, size_t len, char *err, size_t errlen)
{
    dm_jwt *j = dm_xcalloc(1, sizeof *j);
    if (load(j, pem, len, err, errlen) != 0) {
        dm_jwt_free(j);
        return NULL;
    }
    return j;
}

void dm_jwt_free(dm_jwt *j)
{
    if (!j) return;
    EVP_PKEY_free(j->key);
    free(j->n);
    free(j->e);
    free(j);
}

const char *dm_jwt_kid(const dm_jwt *j)
{
    return j->kid;
}

int dm_jwt_jwks(const dm_jwt *j, dm_buf *out)
{
    dm_buf_printf(out,
                  "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\","
                  "\"n\":\"%s\",\"e\":\"%s\"}]}",
                  j->kid, j->n, j->e);
    return 0;
}

char *dm_jwt_sign(const dm_jwt *j, const char *org_id, const char *webhook_id, int64_t iat,
                  int64_t exp)
{
    if (!j) return NULL;
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
    b64(&out, (const unsigned char *)header.data, header.len);
    dm_buf_putc(&out, '.');
    b64(&out, (const unsigned char *)claims.data, claims.len);
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
    b64(&out, sig, siglen);
    return dm_buf_steal(&out);
}
