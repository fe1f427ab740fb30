/* jwt.h -- RS256 signing of the X-ZDesk-JWT header and the JWKS that lets a
 * receiver verify it. OpenSSL libcrypto does the RSA. */
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

/* The key id (16 base64url characters of the public key's SHA-256). */
const char *dm_jwt_kid(const dm_jwt *j);
/* Appends {"keys":[{kty,use,alg,kid,n,e}]} to out; 0. */
int dm_jwt_jwks(const dm_jwt *j, dm_buf *out);

/* Signs {"iss":"orgId:<org>","aud":"webhookId:<webhook>","iat":iat,"exp":exp}.
 * Returns an owned compact JWS (free()), or NULL when signing fails (and
 * when j is NULL: no key). */
char *dm_jwt_sign(const dm_jwt *j, const char *org_id, const char *webhook_id, int64_t iat,
                  int64_t exp);

/* The built-in key (fixtures/keys/jwt-signing-key.pem, embedded at build). */
extern const char dm_default_jwt_key[];
extern const size_t dm_default_jwt_key_len;

#endif
