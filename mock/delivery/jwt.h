/* jwt.h -- RS256 signing of the X-ZDesk-JWT header and the JWKS that lets a
 * receiver verify it. OpenSSL libcrypto does the RSA. */
#ifndef DM_JWT_H
#define DM_JWT_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dm_jwt dm_jwt;

/* An RSA private key from PEM text (copied). With defer, the key is parsed on
 * first use (OpenSSL's decoders cost milliseconds, which start-up must not
 * pay; for the built-in key, known good); otherwise now, and NULL on failure
 * with the reason in err (a user's --jwt-key fails at start, not at the first
 * delivery). A deferred key that turns out unusable is reported on stderr
 * once and every use below fails. Thread-safe. */
dm_jwt *dm_jwt_new(const char *pem, size_t len, int defer, char *err, size_t errlen);
void dm_jwt_free(dm_jwt *j); /* NULL does nothing */

/* The key id (16 base64url characters of the public key's SHA-256); NULL when
 * the key is unusable. */
const char *dm_jwt_kid(dm_jwt *j);
/* Appends {"keys":[{kty,use,alg,kid,n,e}]} to out; -1 when the key is unusable. */
int dm_jwt_jwks(dm_jwt *j, dm_buf *out);

/* Signs {"iss":"orgId:<org>","aud":"webhookId:<webhook>","iat":iat,"exp":exp}.
 * Returns an owned compact JWS (free()), or NULL when signing fails. */
char *dm_jwt_sign(dm_jwt *j, const char *org_id, const char *webhook_id, int64_t iat, int64_t exp);

/* base64url without padding, appended to out. */
void dm_base64url(dm_buf *out, const unsigned char *data, size_t len);

/* The built-in key (fixtures/keys/jwt-signing-key.pem, embedded at build). */
extern const char dm_default_jwt_key[];
extern const size_t dm_default_jwt_key_len;

#endif
