/* jwt.h -- RS256 signing of the X-ZDesk-JWT header and the JWKS that lets a
 * receiver verify it; key rotation; and the wrong tokens a receiver must
 * refuse (forged on request by the harness). OpenSSL libcrypto does the
 * cryptography. */
#ifndef DM_JWT_H
#define DM_JWT_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dm_jwt dm_jwt;

/* An RSA private key from PEM text (parsed now, not kept). NULL when it is
 * not one, with the reason in err: a bad --jwt-key fails at start, not at
 * the first delivery. */
dm_jwt *dm_jwt_new(const char *pem, size_t len, char *err, size_t errlen);
void dm_jwt_free(dm_jwt *j); /* NULL does nothing */

/* The signing key's id (16 base64url characters of the public key's
 * SHA-256). */
const char *dm_jwt_kid(const dm_jwt *j);
/* Appends {"keys":[{kty,use,alg,kid,n,e}, ...]} to out: the signing key,
 * then the one it replaced, if a rotation happened. 0. */
int dm_jwt_jwks(const dm_jwt *j, dm_buf *out);

/* Rotates: a new key signs from now on; the JWKS lists it first and the key
 * it replaces after it (older ones leave the JWKS). The first rotation takes
 * fixtures/keys/jwt-rotation-key.pem, later ones a freshly generated key.
 * 0, or -1 with the reason in err (nothing changed). */
int dm_jwt_rotate(dm_jwt *j, char *err, size_t errlen);
/* The key that signed before the last rotation ("" when none). */
const char *dm_jwt_previous_kid(const dm_jwt *j);
/* Back to the key given at creation, with no previous key. */
void dm_jwt_restore(dm_jwt *j);
/* Counts rotations and restores: a token signed under another generation
 * must be signed again. */
unsigned dm_jwt_generation(const dm_jwt *j);

/* What a token claims. nbf 0: no nbf claim. */
typedef struct dm_jwt_claims {
    const char *org_id;     /* iss = "orgId:<org_id>" */
    const char *webhook_id; /* aud = "webhookId:<webhook_id>" */
    int64_t iat, nbf, exp;  /* epoch seconds */
} dm_jwt_claims;

/* How a token is made: as Desk makes it, or one of the ways an attacker
 * would try to get past a receiver's verification. */
typedef enum dm_jwt_form {
    DM_JWT_RS256,        /* genuine: RS256 with the signing key and its kid */
    DM_JWT_ALG_NONE,     /* {"alg":"none"}, no signature */
    DM_JWT_HS256_PUBKEY, /* HS256 keyed with the public key's PEM, the signing key's kid */
    DM_JWT_STRANGER,     /* RS256 with a key the JWKS does not hold, under its own kid */
} dm_jwt_form;

/* A compact JWS of claims made the way form says. Owned (free()), or NULL
 * when signing fails (and when j is NULL: no key). The kid its header
 * carries is dm_jwt_form_kid(j, form) ("" for DM_JWT_ALG_NONE). */
char *dm_jwt_make(const dm_jwt *j, dm_jwt_form form, const dm_jwt_claims *claims);
const char *dm_jwt_form_kid(const dm_jwt *j, dm_jwt_form form);

/* A genuine token: {"iss":"orgId:<org>","aud":"webhookId:<webhook>",
 * "iat":iat,"exp":exp}, RS256. */
char *dm_jwt_sign(const dm_jwt *j, const char *org_id, const char *webhook_id, int64_t iat,
                  int64_t exp);

/* The built-in keys (fixtures/keys/, embedded at build): the signing key, the
 * one a first rotation moves to, and the one no JWKS holds. */
extern const char dm_default_jwt_key[];
extern const size_t dm_default_jwt_key_len;
extern const char dm_rotation_jwt_key[];
extern const size_t dm_rotation_jwt_key_len;
extern const char dm_stranger_jwt_key[];
extern const size_t dm_stranger_jwt_key_len;

#endif
