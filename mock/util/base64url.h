/* base64url.h -- RFC 4648 section 5 (URL- and filename-safe) base64 without
 * padding, as JWS uses it. No allocation, no dependencies: the example
 * receivers compile this file as it is. */
#ifndef DM_BASE64URL_H
#define DM_BASE64URL_H

#include <stddef.h>

/* Characters the encoding of len bytes takes (no padding, no NUL). */
#define DM_BASE64URL_LEN(len) (((len) / 3) * 4 + ((len) % 3 ? (len) % 3 + 1 : 0))

/* Encodes len bytes into out (DM_BASE64URL_LEN(len) + 1 bytes: it is
 * NUL-terminated); returns the characters written. */
size_t dm_base64url_encode(const unsigned char *in, size_t len, char *out);

/* Decodes len characters (trailing '=' tolerated) into out, which holds cap
 * bytes; returns the bytes written, or -1 when the text is not base64url or
 * does not fit. out needs at most len * 3 / 4 bytes. */
long dm_base64url_decode(const char *in, size_t len, unsigned char *out, size_t cap);

#endif
