/* buf.c -- growable buffers and aborting allocators. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
    fputs("deskmock: out of memory\n", stderr);
    abort();
}

void *dm_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom();
    return p;
}

void *dm_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom();
    return p;
}

void *dm_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) oom();
    return p;
}

char *dm_xstrdup(const char *s)
{
    return dm_xstrndup(s, strlen(s));
}

char *dm_xstrndup(const char *s, size_t n)
{
    char *p = dm_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void reserve(dm_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = dm_xrealloc(b->data, cap);
    b->cap = cap;
}

void dm_buf_reserve(dm_buf *b, size_t extra)
{
    reserve(b, extra);
}

void dm_buf_int(dm_buf *b, long long v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    dm_buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

void dm_buf_append(dm_buf *b, const void *data, size_t len)
{
    reserve(b, len);
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void dm_buf_puts(dm_buf *b, const char *s)
{
    dm_buf_append(b, s, strlen(s));
}

void dm_buf_putc(dm_buf *b, char c)
{
    dm_buf_append(b, &c, 1);
}

void dm_buf_vprintf(dm_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void dm_buf_printf(dm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dm_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void dm_buf_json_str(dm_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    dm_buf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\') continue;
        dm_buf_append(b, run, (size_t)(p - run)); /* the plain characters before, at once */
        run = p + 1;
        switch (*p) {
        case '"':
            dm_buf_puts(b, "\\\"");
            break;
        case '\\':
            dm_buf_puts(b, "\\\\");
            break;
        case '\n':
            dm_buf_puts(b, "\\n");
            break;
        case '\r':
            dm_buf_puts(b, "\\r");
            break;
        case '\t':
            dm_buf_puts(b, "\\t");
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            dm_buf_append(b, esc, sizeof esc);
        }
        }
    }
    dm_buf_append(b, run, (size_t)(p - run));
    dm_buf_putc(b, '"');
}

void dm_buf_json_str_max(dm_buf *b, const char *s, size_t max)
{
    size_t chars = 0, i = 0;
    for (; max && s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars > max) break;
    if (!max || !s[i]) {
        dm_buf_json_str(b, s);
        return;
    }
    char *cut = dm_xstrndup(s, i);
    dm_buf_json_str(b, cut);
    free(cut);
    b->len--; /* drop the closing quote to add "..." inside */
    dm_buf_puts(b, "...\"");
}

size_t dm_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if ((s[k] & 0xC0) != 0x80) return 0;
    return len;
}

size_t dm_buf_utf8_scrub(dm_buf *b)
{
    const unsigned char *s = (const unsigned char *)b->data;
    size_t i = 0, bad = 0;
    while (i < b->len) {
        /* ASCII eight bytes at a time: most of a record */
        uint64_t w;
        while (i + 8 <= b->len && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ULL)))
            i += 8;
        if (i >= b->len) break;
        size_t k = dm_utf8_seq(s + i, b->len - i);
        if (!k) break;
        i += k;
    }
    if (i >= b->len) return 0; /* the common case: valid, untouched */
    dm_buf out = {0};
    dm_buf_append(&out, b->data, i);
    while (i < b->len) {
        size_t k = dm_utf8_seq(s + i, b->len - i);
        if (k) {
            dm_buf_append(&out, s + i, k);
            i += k;
        } else {
            dm_buf_append(&out, "\xef\xbf\xbd", 3);
            i++;
            bad++;
        }
    }
    free(b->data);
    *b = out;
    return bad;
}

void dm_buf_reset(dm_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

char *dm_buf_steal(dm_buf *b)
{
    char *p = b->data ? b->data : dm_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void dm_buf_free(dm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
