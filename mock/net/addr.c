/* addr.c -- loopback decided on addresses, and URLs taken apart with libcurl's
 * own parser (the one that will connect), so the check and the connection
 * agree on what the host is. Resolves only listen addresses, never a URL's. */
#include "net/addr.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int dm_addr_is_loopback(const struct sockaddr *sa)
{
    if (!sa) return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)sa;
        const unsigned char *b = v6->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, mapped, 12) == 0) return b[12] == 127;
        for (int i = 0; i < 15; i++)
            if (b[i]) return 0;
        return b[15] == 1;
    }
    return 0;
}

int dm_addr_host_is_loopback(const char *host)
{
    if (!host || !*host) return 0;
    if (strcasecmp(host, "localhost") == 0) return 1;
    struct sockaddr_in v4 = {0};
    struct sockaddr_in6 v6 = {0};
    if (inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        return dm_addr_is_loopback((const struct sockaddr *)&v4);
    }
    char bare[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof bare) {
        memcpy(bare, host + 1, n - 2);
        bare[n - 2] = '\0';
        host = bare;
    }
    if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        return dm_addr_is_loopback((const struct sockaddr *)&v6);
    }
    return 0;
}

/* The URL's scheme and host (owned by libcurl: curl_free them), or -1 when it
 * does not parse as an absolute URL. */
static int url_parts(const char *url, char **scheme, char **host)
{
    *scheme = *host = NULL;
    CURLU *u = curl_url();
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK) {
        if (curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK) *host = NULL;
        rc = 0;
    }
    curl_url_cleanup(u);
    return rc;
}

int dm_url_is_loopback(const char *url)
{
    char *scheme = NULL, *host = NULL;
    int ok = url && url_parts(url, &scheme, &host) == 0 && dm_addr_host_is_loopback(host);
    curl_free(scheme);
    curl_free(host);
    return ok;
}

int dm_url_check(const char *url, char *why, size_t whylen)
{
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!url || url_parts(url, &scheme, &host) != 0)
        snprintf(why, whylen, "not a valid URL");
    else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
        snprintf(why, whylen, "expected an http or https URL");
    else if (!host || !*host)
        snprintf(why, whylen, "the URL has no host");
    else
        rc = 0;
    curl_free(scheme);
    curl_free(host);
    return rc;
}

int dm_addr_resolve_bind(const char *bind, int port, struct sockaddr_storage *out,
                         socklen_t *outlen, char *numeric, size_t numlen, char *err, size_t errlen)
{
    if (port < 0 || port > 65535) {
        snprintf(err, errlen, "port %d: expected 0 to 65535", port);
        return -1;
    }
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(bind, service, &hints, &res);
    if (gai != 0 || !res) {
        snprintf(err, errlen, "bind address %s: %s", bind, gai ? gai_strerror(gai) : "no address");
        return -1;
    }
    const struct addrinfo *pick = NULL;
    for (const struct addrinfo *a = res; a && !pick; a = a->ai_next)
        if (a->ai_family == AF_INET) pick = a;
    for (const struct addrinfo *a = res; a && !pick; a = a->ai_next)
        if (a->ai_family == AF_INET6) pick = a;
    int rc = -1;
    if (!pick || pick->ai_addrlen > sizeof *out) {
        snprintf(err, errlen, "bind address %s: no IPv4 or IPv6 address", bind);
    } else {
        memcpy(out, pick->ai_addr, pick->ai_addrlen);
        *outlen = pick->ai_addrlen;
        const void *raw =
            pick->ai_family == AF_INET
                ? (const void *)&((const struct sockaddr_in *)(const void *)pick->ai_addr)->sin_addr
                : (const void *)&((const struct sockaddr_in6 *)(const void *)pick->ai_addr)
                      ->sin6_addr;
        if (!inet_ntop(pick->ai_family, raw, numeric, (socklen_t)numlen))
            snprintf(err, errlen, "bind address %s: cannot print it", bind);
        else
            rc = 0;
    }
    freeaddrinfo(res);
    return rc;
}
