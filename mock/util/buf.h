/* buf.h -- a growable byte buffer, always NUL-terminated.
 * Allocation failure aborts: a mock that cannot allocate cannot serve. */
#ifndef DM_BUF_H
#define DM_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct dm_buf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
} dm_buf;

void dm_buf_append(dm_buf *b, const void *data, size_t len);
/* Makes room for extra more bytes now (one allocation instead of doublings). */
void dm_buf_reserve(dm_buf *b, size_t extra);
/* Appends v in decimal (no printf on hot paths). */
void dm_buf_int(dm_buf *b, long long v);
void dm_buf_puts(dm_buf *b, const char *s);
void dm_buf_putc(dm_buf *b, char c);
void dm_buf_printf(dm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* dm_buf_printf with a va_list; ap is used up, as vsnprintf uses it. */
void dm_buf_vprintf(dm_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s as a JSON string literal, quotes included. */
void dm_buf_json_str(dm_buf *b, const char *s);
/* The same, for messages: cut after max characters (UTF-8 code points), with
 * "..." inside the closing quote when cut; max 0 never cuts. */
void dm_buf_json_str_max(dm_buf *b, const char *s, size_t max);
/* Replaces each byte of b that does not belong to a well-formed UTF-8
 * sequence (RFC 3629: no overlongs, surrogates or code points past U+10FFFF)
 * with U+FFFD, so text echoed from a client stays valid UTF-8 (and JSON that
 * holds it stays JSON). Returns the number of bytes replaced; valid text is
 * left as it is. */
size_t dm_buf_utf8_scrub(dm_buf *b);

/* Length of the well-formed UTF-8 sequence at s (n bytes left): 1 for ASCII,
 * 2 to 4 for a valid multibyte character, 0 for anything else (overlong
 * forms, surrogates, past U+10FFFF, truncated). */
size_t dm_utf8_seq(const unsigned char *s, size_t n);
void dm_buf_reset(dm_buf *b);
/* Hands the buffer's memory to the caller (free() it); the buffer is empty after. */
char *dm_buf_steal(dm_buf *b);
void dm_buf_free(dm_buf *b);

/* malloc/calloc/strdup that abort on failure. */
void *dm_xmalloc(size_t n);
void *dm_xcalloc(size_t n, size_t size);
void *dm_xrealloc(void *p, size_t n);
char *dm_xstrdup(const char *s);
char *dm_xstrndup(const char *s, size_t n);

#endif
