/* buf.h -- a growable byte buffer, always NUL-terminated.
 * Allocation failure aborts: a mock that cannot allocate cannot serve. */
#ifndef DM_BUF_H
#define DM_BUF_H

#include <stddef.h>

typedef struct dm_buf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
} dm_buf;

void dm_buf_append(dm_buf *b, const void *data, size_t len);
void dm_buf_puts(dm_buf *b, const char *s);
void dm_buf_putc(dm_buf *b, char c);
void dm_buf_printf(dm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void dm_buf_json_str(dm_buf *b, const char *s);
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
