/* addr.h -- whether an address is this machine: decided on the address
 * itself (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104), never on how its name is
 * spelt. Used for what the mock may call (net/outbound.c enforces it at
 * connect time) and for what it may listen on without a control token. */
#ifndef DM_ADDR_H
#define DM_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* 1 when sa is a loopback address (IPv4 127/8, IPv6 ::1, or an IPv4-mapped
 * IPv6 address in 127/8); 0 for anything else, NULL included. */
int dm_addr_is_loopback(const struct sockaddr *sa);

/* 1 when host (a URL's host: "127.0.0.1", "[::1]", "localhost") names this
 * machine without asking a name server: a numeric loopback address, or
 * "localhost", which libcurl resolves to 127.0.0.1 / ::1 itself. Any other
 * name is 0 even if it would resolve to 127.0.0.1: resolving it could send a
 * query off the machine. */
int dm_addr_host_is_loopback(const char *host);

/* 1 when url is an absolute URL whose host passes dm_addr_host_is_loopback. */
int dm_url_is_loopback(const char *url);

/* 0 when url is an absolute http or https URL with a host; else -1 and a
 * reason in why. */
int dm_url_check(const char *url, char *why, size_t whylen);

/* Resolves a listen address ("127.0.0.1", "::1", "localhost", a name of this
 * machine) with port into *out (preferring IPv4), its numeric form into
 * numeric (for URLs; IPv6 without brackets). 0, or -1 with the reason in
 * err. */
int dm_addr_resolve_bind(const char *bind, int port, struct sockaddr_storage *out,
                         socklen_t *outlen, char *numeric, size_t numlen, char *err, size_t errlen);

#endif
