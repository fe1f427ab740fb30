/* fielderr.c -- see fielderr.h. */
#include "util/fielderr.h"

#include <stdarg.h>
#include <stdio.h>

void dm_field_errs_add(dm_field_errs *e, const char *field, const char *type, const char *fmt, ...)
{
    if (e->n == sizeof e->items / sizeof e->items[0]) return;
    dm_field_err *f = &e->items[e->n++];
    snprintf(f->field, sizeof f->field, "%s", field);
    f->type = type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

void dm_json_pointer(char *out, size_t len, const char *prefix, const char *key, size_t max)
{
    if (!len) return;
    int w = snprintf(out, len, "%s/", prefix);
    size_t n = w < 0 ? 0 : (size_t)w;
    if (n >= len) return;
    for (size_t i = 0; key[i] && i < max && n + 3 < len; i++) {
        if (key[i] == '~' || key[i] == '/') {
            out[n++] = '~';
            out[n++] = key[i] == '~' ? '0' : '1';
        } else {
            out[n++] = key[i];
        }
    }
    out[n] = '\0';
}
