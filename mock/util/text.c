/* text.c -- edit distance, display paths, repeated names and comma lists
 * (util/text.h). Pure functions over strings: no state, no I/O. */
#include "util/text.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t dm_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > DM_EDIT_MAX || lb > DM_EDIT_MAX) return SIZE_MAX;
    size_t row[DM_EDIT_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* ==== Display paths ==== */

static int plain_key(const char *k)
{
    size_t n = strlen(k);
    if (!n || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
        if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '-'))) return 0;
    }
    return 1;
}

char *dm_path_key(const char *parent, const char *key, size_t quote_max)
{
    dm_buf b = {0};
    dm_buf_puts(&b, parent);
    if (plain_key(key)) {
        if (*parent) dm_buf_putc(&b, '.');
        dm_buf_puts(&b, key);
    } else {
        dm_buf_putc(&b, '[');
        dm_buf_json_str_max(&b, key, quote_max);
        dm_buf_putc(&b, ']');
    }
    return dm_buf_steal(&b);
}

char *dm_path_index(const char *parent, size_t i)
{
    dm_buf b = {0};
    dm_buf_printf(&b, "%s[%zu]", parent, i);
    return dm_buf_steal(&b);
}

/* ==== Repeated names ==== */

typedef struct named {
    const char *s;
    size_t i;
} named;

static int by_name(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

void dm_find_repeats(const char *const *names, size_t n, size_t *first)
{
    named *t = dm_xmalloc(n * sizeof *t);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        first[i] = i;
        if (names[i]) t[m++] = (named){names[i], i};
    }
    qsort(t, m, sizeof *t, by_name);
    for (size_t k = 1; k < m; k++)
        if (strcmp(t[k].s, t[k - 1].s) == 0) first[t[k].i] = first[t[k - 1].i];
    free(t);
}

int dm_list_has(const char *list, const char *item)
{
    size_t k = strlen(item);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == k && strncmp(p, item, n) == 0) return 1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

int dm_all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

size_t dm_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int dm_email_valid(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\r\n<>");
}
