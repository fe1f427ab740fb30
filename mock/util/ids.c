/* ids.c -- splitmix64 ids and getrandom() secrets. */
#include "util/ids.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void dm_ids_seed(dm_ids *ids, uint64_t seed)
{
    ids->state = seed;
}

uint64_t dm_ids_next64(dm_ids *ids)
{
    uint64_t z = (ids->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void dm_ids_next(dm_ids *ids, char out[DM_ID_MAX])
{
    /* [10^18, 9*10^18): always 19 digits and below INT64_MAX. */
    uint64_t v = 1000000000000000000ULL + dm_ids_next64(ids) % 8000000000000000000ULL;
    snprintf(out, DM_ID_MAX, "%llu", (unsigned long long)v);
}

int dm_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 19 || s[0] == '0') return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int dm_random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    if (nbytes > sizeof raw) return DM_EINVAL;
    size_t got = 0;
    while (got < nbytes) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n <= 0) return DM_EIO;
        got += (size_t)n;
    }
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return 0;
}

int dm_secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    /* always walk the expected secret's length: no early exit on a mismatch */
    for (size_t i = 0; i < lb; i++)
        diff |= (unsigned char)((i < la ? a[i] : 0) ^ b[i]);
    return diff == 0;
}
