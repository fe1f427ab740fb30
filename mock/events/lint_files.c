/* lint_files.c -- the file side of the event fixture linter: reads fixture
 * files and walks folders for *.json, naming each file in its diagnostics.
 * The checks themselves are lint.c's; this file only reads. */
#include "events/lint.h"
#include "util/err.h"
#include "util/file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ==== Files and folders ==== */

typedef struct walk {
    dm_buf *out, *errs;
    size_t files, errors;
    int failed;
    dm_lint *l;
} walk;

static void cannot(walk *w, const char *path, const char *why)
{
    w->failed = 1;
    if (w->errs) dm_buf_printf(w->errs, "cannot read %s: %s\n", path, why);
}

/* The name of the folder path's file sits in ("" when none), into out. */
static void folder_of(const char *path, char *out, size_t outlen)
{
    size_t end = strlen(path);
    while (end && path[end - 1] != '/') end--; /* drop the file name */
    while (end && path[end - 1] == '/') end--;
    size_t start = end;
    while (start && path[start - 1] != '/') start--;
    size_t n = end - start;
    if (n >= outlen) n = 0;
    memcpy(out, path + start, n);
    out[n] = '\0';
}

static void lint_file(walk *w, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cannot(w, path, strerror(errno));
        return;
    }
    size_t len = 0;
    char *text = dm_read_stream(f, DM_LINT_MAX_FILE, &len);
    int too_big = !text && errno == EFBIG;
    fclose(f);
    if (!text) {
        cannot(w, path, too_big ? "larger than 16 MiB" : "read error");
        return;
    }
    char folder[256];
    folder_of(path, folder, sizeof folder);
    dm_lint_clear(w->l);
    w->errors += dm_lint_text(text, len, *folder ? folder : NULL, w->l);
    w->files++;
    dm_lint_format(w->l, path, w->out);
    free(text);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void walk_dir(walk *w, const char *dir, int depth)
{
    if (depth > 32) {
        cannot(w, dir, "folders nested more than 32 deep (a symlink loop?)");
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        cannot(w, dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = dm_xrealloc(names, cap * sizeof *names);
        }
        names[n++] = dm_xstrdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        dm_buf p = {0};
        if (strcmp(dir, ".") != 0) { /* "." lists bare names, as `validate .` does */
            dm_buf_puts(&p, dir);
            if (!ends_with(dir, "/")) dm_buf_putc(&p, '/');
        }
        dm_buf_puts(&p, names[i]);
        struct stat st;
        if (stat(p.data, &st) != 0) cannot(w, p.data, strerror(errno));
        else if (S_ISDIR(st.st_mode)) walk_dir(w, p.data, depth + 1);
        else if (S_ISREG(st.st_mode) && ends_with(names[i], ".json")) lint_file(w, p.data);
        dm_buf_free(&p);
        free(names[i]);
    }
    free(names);
}

int dm_lint_path(const char *path, dm_buf *out, size_t *files, size_t *errors, dm_buf *errs)
{
    walk w = {.out = out, .errs = errs, .l = dm_lint_new()};
    dm_buf_append(out, "", 0);
    struct stat st;
    if (stat(path, &st) != 0) cannot(&w, path, strerror(errno));
    else if (S_ISDIR(st.st_mode)) walk_dir(&w, path, 0);
    else lint_file(&w, path);
    dm_lint_free(w.l);
    if (files) *files += w.files;
    if (errors) *errors += w.errors;
    return w.failed ? DM_EIO : 0;
}
