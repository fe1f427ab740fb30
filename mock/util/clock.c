/* clock.c -- real and virtual time, ISO-8601 in and out. */
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t dm_clock_now(const dm_clock *c)
{
    return c->is_virtual ? c->virt_ms : dm_wall_ms();
}

void dm_clock_advance(dm_clock *c, int64_t ms)
{
    if (c->is_virtual && ms > 0) c->virt_ms += ms;
}

int64_t dm_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t dm_mono_ms(void)
{
    return dm_mono_us() / 1000;
}

int64_t dm_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The proleptic Gregorian date of a day count since 1970-01-01 (the inverse). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

/* Arithmetic, not gmtime_r(): glibc's takes a lock and reads /etc/localtime
 * on first use, and this runs for every change, event and delivery. */
void dm_iso_time(int64_t ms, char out[DM_ISO_LEN])
{
    int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
    int64_t in_day = ms - days * 86400000;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        /* outside what four digits hold: the same fields, printed long */
        snprintf(out, DM_ISO_LEN, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
                 (int)(in_day / 3600000), (int)(in_day / 60000 % 60), (int)(in_day / 1000 % 60),
                 (int)(in_day % 1000));
        return;
    }
    char *p = put_digits(out, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, in_day / 3600000, 2);
    *p++ = ':';
    p = put_digits(p, in_day / 60000 % 60, 2);
    *p++ = ':';
    p = put_digits(p, in_day / 1000 % 60, 2);
    *p++ = '.';
    p = put_digits(p, in_day % 1000, 3);
    *p++ = 'Z';
    *p = '\0';
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int dm_iso_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, se, milli = 0;
    size_t n = strlen(s);
    if (n < 20) return DM_EPARSE;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
        digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return DM_EPARSE;
    const char *p = s + 19;
    if (*p == '.') {
        if (digits(p + 1, 3, &milli)) return DM_EPARSE;
        p += 4;
    }
    if (strcmp(p, "Z") != 0) return DM_EPARSE;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || se > 60)
        return DM_EPARSE;
    int64_t days = days_from_civil(y, mo, d);
    *ms = ((days * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + milli;
    return 0;
}

int dm_parse_durations(const char *s, int64_t *out, size_t max, size_t *n)
{
    *n = 0;
    if (strcmp(s, "none") == 0) return 0;
    const char *p = s;
    for (;;) {
        if (*n == max) return -1;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || end == p || v < 0 || *p == '-' || *p == '+' || *p == ' ') return -1;
        long long mult = 1;
        if (strncmp(end, "ms", 2) == 0)
            end += 2;
        else if (*end == 's')
            mult = 1000, end++;
        else if (*end == 'm')
            mult = 60000, end++;
        else if (*end == 'h')
            mult = 3600000, end++;
        if (v > 7LL * 24 * 3600000 / mult) return -1; /* at most a week */
        out[(*n)++] = v * mult;
        if (*end == '\0') return 0;
        if (*end != ',') return -1;
        p = end + 1;
    }
}
