/* fixtures.c -- name -> text for event fixtures. User folders are read once
 * at start-up; nothing here parses the JSON (the trigger does). */
#include "events/fixtures.h"
#include "util/err.h"
#include "util/file.h"
#include "util/json.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct user_fixture {
    char *name;
    char *text;
    size_t len;
    char *path;
} user_fixture;

extern const struct {
    const char *name;
    const char *data;
    size_t len;
} dm_shipped_fixtures[];
extern const size_t dm_shipped_fixtures_n;

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int dm_fixtures_add_dir(dm_app *app, const char *dir, char *err, size_t errlen)
{
    DIR *top = opendir(dir);
    if (!top) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return DM_EIO;
    }
    int added = 0;
    struct dirent *t;
    while ((t = readdir(top))) {
        if (t->d_name[0] == '.') continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, t->d_name);
        struct stat st;
        if (stat(sub, &st) || !S_ISDIR(st.st_mode)) continue;
        DIR *d = opendir(sub);
        if (!d) continue;
        struct dirent *f;
        while ((f = readdir(d))) {
            if (f->d_name[0] == '.' || !ends_with(f->d_name, ".json")) continue;
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
            user_fixture *u = dm_xcalloc(1, sizeof *u);
            u->text = dm_read_file(path, &u->len);
            if (!u->text) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                free(u);
                closedir(d);
                closedir(top);
                return DM_EIO;
            }
            size_t nlen = strlen(f->d_name) - 5;
            dm_buf name = {0};
            dm_buf_printf(&name, "%s/%.*s", t->d_name, (int)nlen, f->d_name);
            u->name = dm_buf_steal(&name);
            u->path = dm_xstrdup(path);
            dm_vec_push(&app->user_fixtures, u);
            added++;
        }
        closedir(d);
    }
    closedir(top);
    return added;
}

/* 2: same name; 1: a bare name matching the part after the type's slash. */
static int name_matches(const char *full, const char *want)
{
    if (strcmp(full, want) == 0) return 2;
    const char *slash = strchr(full, '/');
    return !strchr(want, '/') && slash && strcmp(slash + 1, want) == 0;
}

static int user_has(const dm_app *app, const char *name)
{
    for (size_t k = 0; k < app->user_fixtures.n; k++)
        if (strcmp(((const user_fixture *)app->user_fixtures.items[k])->name, name) == 0) return 1;
    return 0;
}

const char *dm_fixture_find(const dm_app *app, const char *name, size_t *len, char *why,
                            size_t whylen)
{
    const char *hit = NULL, *hit_name = NULL;
    const char *names[64]; /* the distinct matches, to name them when ambiguous */
    size_t hit_len = 0;
    int distinct = 0;
    /* user fixtures first, the latest folder winning; then shipped ones that
     * no user fixture overrides */
    for (size_t i = app->user_fixtures.n; i-- > 0;) {
        const user_fixture *u = app->user_fixtures.items[i];
        int m = name_matches(u->name, name);
        if (m == 2) {
            *len = u->len;
            return u->text;
        }
        if (m && (!hit_name || strcmp(hit_name, u->name) != 0)) {
            if (distinct < 64) names[distinct] = u->name;
            distinct++;
            hit = u->text, hit_len = u->len, hit_name = u->name;
        }
    }
    for (size_t i = 0; i < dm_shipped_fixtures_n; i++) {
        const char *n = dm_shipped_fixtures[i].name;
        int m = name_matches(n, name);
        if (!m || user_has(app, n)) continue;
        if (m == 2) {
            *len = dm_shipped_fixtures[i].len;
            return dm_shipped_fixtures[i].data;
        }
        if (distinct < 64) names[distinct] = n;
        distinct++;
        hit = dm_shipped_fixtures[i].data, hit_len = dm_shipped_fixtures[i].len, hit_name = n;
    }
    if (distinct == 1) {
        *len = hit_len;
        return hit;
    }
    if (distinct > 1) {
        /* name the types, as many as fit in an error message */
        dm_buf types = {0};
        int shown = 0;
        for (; shown < distinct && shown < 64; shown++) {
            const char *slash = strchr(names[shown], '/');
            if (types.len + (size_t)(slash - names[shown]) > 120) break;
            dm_buf_printf(&types, "%s%.*s", shown ? ", " : "", (int)(slash - names[shown]),
                          names[shown]);
        }
        snprintf(why, whylen, "\"%s\" names fixtures of %d event types (%s%s); say <Event_Type>/%s",
                 name, distinct, types.data ? types.data : "", shown < distinct ? ", ..." : "", name);
        dm_buf_free(&types);
    } else
        snprintf(why, whylen, "no fixture \"%s\"; GET /mock/v1/fixtures lists them", name);
    return NULL;
}

void dm_fixtures_list(const dm_app *app, dm_buf *out)
{
    dm_buf_puts(out, "{\"data\":[");
    int n = 0;
    for (size_t i = 0; i < app->user_fixtures.n; i++) {
        const user_fixture *u = app->user_fixtures.items[i];
        dm_buf_puts(out, n++ ? ",{\"name\":" : "{\"name\":");
        dm_buf_json_str(out, u->name);
        dm_buf_puts(out, ",\"source\":");
        dm_buf_json_str(out, u->path);
        dm_buf_putc(out, '}');
    }
    for (size_t i = 0; i < dm_shipped_fixtures_n; i++) {
        if (user_has(app, dm_shipped_fixtures[i].name)) continue; /* overridden */
        dm_buf_puts(out, n++ ? ",{\"name\":" : "{\"name\":");
        dm_buf_json_str(out, dm_shipped_fixtures[i].name);
        dm_buf_puts(out, ",\"source\":\"shipped\"}");
    }
    dm_buf_puts(out, "]}");
}

void dm_fixtures_free(dm_app *app)
{
    for (size_t i = 0; i < app->user_fixtures.n; i++) {
        user_fixture *u = app->user_fixtures.items[i];
        free(u->name);
        free(u->text);
        free(u->path);
        free(u);
    }
    dm_vec_free(&app->user_fixtures);
}
