/* crypto.c -- OpenSSL's libcrypto for the deskmock binary, loaded on first
 * use (lazy.h): the first JWT signed, JWKS served or invoke HASH checked.
 * Without libcrypto, constructors return NULL, checks return 0 (OpenSSL's
 * "failed"), and CRYPTO_memcmp answers "different"; functions that take an
 * OpenSSL object can only be reached after a successful load. */
#include "lazy/lazy.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#define DM_LIBCRYPTO "libcrypto.so.3"

struct crypto_api {
    BIO *(*bio_new_mem_buf)(const void *, int);
    int (*bio_free)(BIO *);
    int (*bn_bn2bin)(const BIGNUM *, unsigned char *);
    void (*bn_free)(BIGNUM *);
    int (*bn_num_bits)(const BIGNUM *);
    void (*crypto_free)(void *, const char *, int);
    int (*crypto_memcmp)(const void *, const void *, size_t);
    void (*err_clear_error)(void);
    int (*digest_sign)(EVP_MD_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);
    int (*digest_sign_init)(EVP_MD_CTX *, EVP_PKEY_CTX **, const EVP_MD *, ENGINE *, EVP_PKEY *);
    void (*md_ctx_free)(EVP_MD_CTX *);
    EVP_MD_CTX *(*md_ctx_new)(void);
    void (*pkey_free)(EVP_PKEY *);
    int (*pkey_get_base_id)(const EVP_PKEY *);
    int (*pkey_get_bn_param)(const EVP_PKEY *, const char *, BIGNUM **);
    const EVP_MD *(*sha256_md)(void);
    unsigned char *(*hmac)(const EVP_MD *, const void *, int, const unsigned char *, size_t,
                           unsigned char *, unsigned int *);
    EVP_PKEY *(*pem_read_bio_private_key)(BIO *, EVP_PKEY **, pem_password_cb *, void *);
    unsigned char *(*sha256)(const unsigned char *, size_t, unsigned char *);
    int (*i2d_pubkey)(const EVP_PKEY *, unsigned char **);
};
static struct crypto_api api;

static void load(void);
static dm_lazy lib = DM_LAZY_INIT(load);

static void load(void)
{
    static const dm_lazy_sym syms[] = {
#define S(field, name) DM_LAZY_SYM(struct crypto_api, field, name)
        S(bio_new_mem_buf, "BIO_new_mem_buf"),
        S(bio_free, "BIO_free"),
        S(bn_bn2bin, "BN_bn2bin"),
        S(bn_free, "BN_free"),
        S(bn_num_bits, "BN_num_bits"),
        S(crypto_free, "CRYPTO_free"),
        S(crypto_memcmp, "CRYPTO_memcmp"),
        S(err_clear_error, "ERR_clear_error"),
        S(digest_sign, "EVP_DigestSign"),
        S(digest_sign_init, "EVP_DigestSignInit"),
        S(md_ctx_free, "EVP_MD_CTX_free"),
        S(md_ctx_new, "EVP_MD_CTX_new"),
        S(pkey_free, "EVP_PKEY_free"),
        S(pkey_get_base_id, "EVP_PKEY_get_base_id"),
        S(pkey_get_bn_param, "EVP_PKEY_get_bn_param"),
        S(sha256_md, "EVP_sha256"),
        S(hmac, "HMAC"),
        S(pem_read_bio_private_key, "PEM_read_bio_PrivateKey"),
        S(sha256, "SHA256"),
        S(i2d_pubkey, "i2d_PUBKEY"),
#undef S
    };
    if (dm_lazy_open(DM_LIBCRYPTO, syms, sizeof syms / sizeof syms[0], &api) == 0)
        atomic_store(&lib.loaded, 1);
}

static int ready(void)
{
    return dm_lazy_ready(&lib);
}

/* ==== Constructors and one-shot functions: load on first call ==== */

BIO *BIO_new_mem_buf(const void *buf, int len)
{
    return ready() ? api.bio_new_mem_buf(buf, len) : NULL;
}

EVP_MD_CTX *EVP_MD_CTX_new(void)
{
    return ready() ? api.md_ctx_new() : NULL;
}

const EVP_MD *EVP_sha256(void)
{
    return ready() ? api.sha256_md() : NULL;
}

unsigned char *HMAC(const EVP_MD *md, const void *key, int key_len, const unsigned char *data,
                    size_t data_len, unsigned char *out, unsigned int *out_len)
{
    if (!md || !ready()) return NULL; /* no md: EVP_sha256() already failed */
    return api.hmac(md, key, key_len, data, data_len, out, out_len);
}

unsigned char *SHA256(const unsigned char *d, size_t n, unsigned char *md)
{
    return ready() ? api.sha256(d, n, md) : NULL;
}

int CRYPTO_memcmp(const void *a, const void *b, size_t len)
{
    return ready() ? api.crypto_memcmp(a, b, len) : 1;
}

void ERR_clear_error(void)
{
    if (dm_lazy_loaded(&lib)) api.err_clear_error(); /* nothing to clear otherwise */
}

/* ==== Functions of objects made above: loaded already, or given NULL ==== */

int BIO_free(BIO *b)
{
    return b ? api.bio_free(b) : 0;
}

EVP_PKEY *PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u)
{
    return bp ? api.pem_read_bio_private_key(bp, x, cb, u) : NULL;
}

void EVP_PKEY_free(EVP_PKEY *k)
{
    if (k) api.pkey_free(k);
}

int EVP_PKEY_get_base_id(const EVP_PKEY *k)
{
    return k ? api.pkey_get_base_id(k) : EVP_PKEY_NONE;
}

int EVP_PKEY_get_bn_param(const EVP_PKEY *k, const char *name, BIGNUM **bn)
{
    return k ? api.pkey_get_bn_param(k, name, bn) : 0;
}

int i2d_PUBKEY(const EVP_PKEY *k, unsigned char **pp)
{
    return k ? api.i2d_pubkey(k, pp) : -1;
}

int BN_num_bits(const BIGNUM *bn)
{
    return bn ? api.bn_num_bits(bn) : 0;
}

int BN_bn2bin(const BIGNUM *bn, unsigned char *to)
{
    return bn ? api.bn_bn2bin(bn, to) : 0;
}

void BN_free(BIGNUM *bn)
{
    if (bn) api.bn_free(bn);
}

void CRYPTO_free(void *p, const char *file, int line)
{
    if (p) api.crypto_free(p, file, line);
}

void EVP_MD_CTX_free(EVP_MD_CTX *ctx)
{
    if (ctx) api.md_ctx_free(ctx);
}

int EVP_DigestSignInit(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *md, ENGINE *e,
                       EVP_PKEY *k)
{
    return ctx ? api.digest_sign_init(ctx, pctx, md, e, k) : 0;
}

int EVP_DigestSign(EVP_MD_CTX *ctx, unsigned char *sig, size_t *siglen, const unsigned char *tbs,
                   size_t tbslen)
{
    return ctx ? api.digest_sign(ctx, sig, siglen, tbs, tbslen) : 0;
}
