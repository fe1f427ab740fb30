/* desk.h -- what a webhook receiver needs from Zoho Desk itself: the public
 * keys that sign X-ZDesk-JWT (verified here with OpenSSL), and the invoke
 * API through which the extension writes back (called here with libcurl).
 * Nothing in it knows about the HTTP server; receiver.c uses it.
 *
 * The caller runs curl_global_init() once before any of this, and every
 * function may be called from several threads at once. */
#ifndef DESKMOCK_EXAMPLES_DESK_H
#define DESKMOCK_EXAMPLES_DESK_H

#include <stddef.h>

/* ==== X-ZDesk-JWT ==== */

/* A cache of the keys at <desk_url>/.well-known/jwks.json. */
typedef struct desk_keys desk_keys;

/* Nothing is fetched yet: the first desk_verify_jwt() does it. desk_url is
 * copied. Returns NULL when out of memory. */
desk_keys *desk_keys_new(const char *desk_url);

/* Frees the cache; NULL does nothing. */
void desk_keys_free(desk_keys *keys);

/* Checks token (the X-ZDesk-JWT header, or NULL when there was none) is a
 * JWT Desk signed for a delivery to org_id: RS256 by a key in the JWKS, iss
 * "orgId:<org_id>", aud "webhookId:...", exp not past, iat not far ahead,
 * all against this machine's clock. Returns 0, or -1 with the reason
 * written into why. */
int desk_verify_jwt(desk_keys *keys, const char *token, const char *org_id, char *why,
                    size_t whylen);

/* ==== The invoke API ==== */

/* Who writes back, and how. Every string is borrowed. */
typedef struct desk_invoke {
    const char *desk_url;         /* e.g. http://127.0.0.1:8000 */
    const char *secret;           /* the manifest's "secret": keys the HASH */
    const char *org_id;           /* from onDeskAuthorise */
    const char *security_context; /* from onDeskAuthorise */
    const char *source_id;        /* sent as headers {"sourceId": ...}; NULL sends none */
} desk_invoke;

/* Adds a private comment with this text to ticket ticket_id (a Desk id,
 * digits only) through POST <desk_url>/api/v1/invoke. Returns 0 when Desk
 * made the comment, or -1 with the reason written into why. */
int desk_add_comment(const desk_invoke *inv, const char *ticket_id, const char *content, char *why,
                     size_t whylen);

#endif
