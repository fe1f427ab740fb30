/* file.c -- whole-file reads (util/file.h). Allocation failure aborts, as
 * everywhere in the mock; I/O failure is the caller's to word. */
#include "util/file.h"
#include "util/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *dm_read_stream(FILE *f, size_t max, size_t *len)
{
    dm_buf b = {0};
    dm_buf_append(&b, "", 0);
    char chunk[8192];
    size_t n;
    errno = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        dm_buf_append(&b, chunk, n);
        if (b.len > max) {
            dm_buf_free(&b);
            errno = EFBIG;
            return NULL;
        }
    }
    if (ferror(f)) {
        int e = errno ? errno : EIO;
        dm_buf_free(&b);
        errno = e;
        return NULL;
    }
    if (len) *len = b.len;
    return dm_buf_steal(&b);
}

char *dm_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = dm_read_stream(f, SIZE_MAX, len);
    int e = errno;
    fclose(f);
    if (!text) errno = e;
    return text;
}

char *dm_path_join(char *out, size_t len, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    while (*name == '/' && n)
        name++;
    if (!n)
        snprintf(out, len, "%s", name);
    else if (n == 1 && dir[0] == '/')
        snprintf(out, len, "/%s", name);
    else
        snprintf(out, len, "%.*s/%s", (int)n, dir, name);
    return out;
}
