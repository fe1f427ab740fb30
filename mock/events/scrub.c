/* scrub.c -- key-driven replacement plus a pattern sweep over every string.
 * Placeholders are numbered in order of first appearance. */
#include "events/scrub.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/map.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_ORG "60001280952"
#define DEFAULT_PORTAL "zylker"

struct dm_scrub {
    dm_map *seen;  /* "<kind>:<original>" -> placeholder (owned, in vals) */
    char **vals;
    size_t nvals, cap;
    unsigned emails, phones, names, texts;
};

dm_scrub *dm_scrub_new(void)
{
    dm_scrub *s = dm_xcalloc(1, sizeof *s);
    s->seen = dm_map_new();
    return s;
}

void dm_scrub_free(dm_scrub *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nvals; i++) free(s->vals[i]);
    free(s->vals);
    dm_map_free(s->seen);
    free(s);
}

/* The stable placeholder for original under kind, made by fmt(counter). */
static const char *placeholder(dm_scrub *s, const char *kind, const char *original)
{
    dm_buf key = {0};
    dm_buf_printf(&key, "%s:", kind);
    for (const char *p = original; *p; p++) dm_buf_putc(&key, (char)tolower((unsigned char)*p));
    const char *hit = dm_map_get(s->seen, key.data);
    if (hit) {
        dm_buf_free(&key);
        return hit;
    }
    char out[96];
    if (strcmp(kind, "email") == 0) snprintf(out, sizeof out, "person%u@example.com", ++s->emails);
    else if (strcmp(kind, "phone") == 0) snprintf(out, sizeof out, "+1 555 01%02u", ++s->phones % 100);
    else if (strcmp(kind, "first") == 0) snprintf(out, sizeof out, "First%u", ++s->names);
    else if (strcmp(kind, "last") == 0) snprintf(out, sizeof out, "Last%u", ++s->names);
    else if (strcmp(kind, "name") == 0) snprintf(out, sizeof out, "Name %u", ++s->names);
    else snprintf(out, sizeof out, "Scrubbed text %u", ++s->texts);
    if (s->nvals == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->vals = dm_xrealloc(s->vals, s->cap * sizeof *s->vals);
    }
    char *v = dm_xstrdup(out);
    s->vals[s->nvals++] = v;
    dm_map_put(s->seen, key.data, v);
    dm_buf_free(&key);
    return v;
}

/* ==== Patterns ==== */

static int email_char(char c)
{
    return isalnum((unsigned char)c) || strchr("._%+-", c);
}

/* Length of an email address starting at p (0 when none). */
static size_t email_at(const char *p)
{
    size_t i = 0;
    while (p[i] && email_char(p[i]) && p[i] != '@') i++;
    if (!i || p[i] != '@') return 0;
    size_t at = i++;
    size_t dots = 0, start = i;
    while (p[i] && (isalnum((unsigned char)p[i]) || p[i] == '-' || p[i] == '.')) dots += p[i++] == '.';
    while (i > start && p[i - 1] == '.') i--, dots--;
    return (i > start && dots && at) ? i : 0;
}

/* Length of a phone number starting at p: 7+ digits among + ( ) - . space,
 * with at least one separator or a leading +, so bare ids are not phones. */
static size_t phone_at(const char *p)
{
    if (!(*p == '+' || *p == '(' || isdigit((unsigned char)*p))) return 0;
    size_t i = 0;
    while (p[i] && (isdigit((unsigned char)p[i]) || strchr("+()-. ", p[i]))) i++;
    /* a phone ends with a digit (or a closing parenthesis) */
    while (i && !isdigit((unsigned char)p[i - 1]) && p[i - 1] != ')') i--;
    size_t digits = 0, seps = 0, strong = 0;
    for (size_t k = 0; k < i; k++) {
        if (isdigit((unsigned char)p[k])) digits++;
        else seps++, strong += p[k] == '+' || p[k] == '(' || p[k] == ' ';
    }
    /* long runs are ids or amounts, unless written like a phone (+, (, spaces) */
    if (digits < 7 || (digits > 15 && !strong) || (!seps && *p != '+')) return 0;
    /* a time or a date is not a phone */
    if ((p[i] && strchr("T:", p[i])) || (i >= 10 && p[4] == '-' && p[7] == '-')) return 0;
    return i;
}

int dm_scrub_next(const char *text, size_t *off, size_t *len)
{
    /* like the sweep, a match may start right where the last one ended */
    const char *start = text + *off;
    for (const char *p = start; *p; p++) {
        size_t n;
        if (((p == start || !email_char(p[-1])) && (n = email_at(p))) ||
            ((p == start || !isalnum((unsigned char)p[-1])) && (n = phone_at(p)))) {
            *off = (size_t)(p - text);
            *len = n;
            return 1;
        }
    }
    return 0;
}

int dm_scrub_has_personal(const char *text)
{
    size_t off = 0, len;
    return dm_scrub_next(text, &off, &len);
}

/* Replaces every email and phone inside text; returns owned text. */
static char *sweep(dm_scrub *s, const char *text)
{
    dm_buf b = {0};
    dm_buf_append(&b, "", 0);
    /* a match may also start right where the last one ended: what follows a
     * replaced address must not hide behind it */
    const char *start = text;
    for (const char *p = text; *p;) {
        size_t n;
        if ((p == start || !email_char(p[-1])) && (n = email_at(p))) {
            char *orig = dm_xstrndup(p, n);
            dm_buf_puts(&b, placeholder(s, "email", orig));
            free(orig);
            p += n;
            start = p;
        } else if ((p == start || !isalnum((unsigned char)p[-1])) && (n = phone_at(p))) {
            char *orig = dm_xstrndup(p, n);
            dm_buf_puts(&b, placeholder(s, "phone", orig));
            free(orig);
            p += n;
            start = p;
        } else {
            dm_buf_putc(&b, *p++);
        }
    }
    return dm_buf_steal(&b);
}

/* The scrubber's own placeholders look like what they replace. */
static int is_placeholder(const char *p, size_t n)
{
    if (n == 11 && strncmp(p, "+1 555 01", 9) == 0) return 1;
    return n > 18 && strncmp(p, "person", 6) == 0 && strncmp(p + n - 12, "@example.com", 12) == 0;
}

static int only_placeholders(const char *text)
{
    size_t off = 0, len;
    while (dm_scrub_next(text, &off, &len)) {
        if (!is_placeholder(text + off, len)) return 0;
        off += len;
    }
    return 1;
}

/* Sweeps until nothing but placeholders is left: text next to a placeholder
 * can form a new match ("1000+" before "+1 555 0101"). Owned result. */
static char *sweep_clean(dm_scrub *s, const char *text)
{
    char *out = sweep(s, text);
    for (int pass = 0; pass < 8 && !only_placeholders(out); pass++) {
        char *again = sweep(s, out);
        free(out);
        out = again;
    }
    return out;
}

/* ==== Keys ==== */

static int key_in(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(key, *list) == 0) return 1;
    return 0;
}

static const char *const text_keys[] = {"subject", "description", "content", "summary",
                                        "resolution", "plainText", "comment", "signature",
                                        "message", "body", "title", NULL};
static const char *const first_keys[] = {"firstName", NULL};
static const char *const last_keys[] = {"lastName", NULL};
static const char *const name_keys[] = {"fullName", "contactName", "accountName",
                                        "displayName", "userName", "companyName", NULL};
static const char *const phone_keys[] = {"phone", "mobile", "fax", "homePhone", NULL};

static void set_string(cJSON *item, const char *v)
{
    cJSON_SetValuestring(item, v);
}

static void scrub_url(cJSON *item)
{
    /* https://desk.zoho.com/support/<portal>/... -> .../support/zylker/... */
    const char *u = item->valuestring;
    const char *at = strstr(u, "/support/");
    if (!at) return;
    const char *rest = strchr(at + 9, '/');
    if (!rest) return;
    dm_buf b = {0};
    dm_buf_append(&b, u, (size_t)(at - u));
    dm_buf_printf(&b, "/support/%s%s", DEFAULT_PORTAL, rest);
    set_string(item, b.data);
    dm_buf_free(&b);
}

/* A bare "name" is personal only inside a person: an object that also has
 * an email or a first or last name (departments and layouts keep theirs). */
static int is_person(const cJSON *obj)
{
    return cJSON_GetObjectItemCaseSensitive(obj, "email") ||
           cJSON_GetObjectItemCaseSensitive(obj, "emailId") ||
           cJSON_GetObjectItemCaseSensitive(obj, "firstName") ||
           cJSON_GetObjectItemCaseSensitive(obj, "lastName");
}

static void walk(dm_scrub *s, cJSON *node, const char *key, int person)
{
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        int p = cJSON_IsObject(node) && is_person(node);
        cJSON *c;
        cJSON_ArrayForEach(c, node) {
            /* keys can carry personal data too (custom fields named by users) */
            if (cJSON_IsObject(node) && c->string && !(c->type & cJSON_StringIsConst) &&
                !only_placeholders(c->string)) {
                char *clean = sweep_clean(s, c->string);
                cJSON_free(c->string);
                c->string = clean;
            }
            walk(s, c, cJSON_IsObject(node) ? c->string : key, p);
        }
        return;
    }
    if (!cJSON_IsString(node) || !*node->valuestring) return;
    const char *v = node->valuestring;
    if (!key) key = ""; /* no key to go by: only the pattern sweep applies */
    if (key_in(key, text_keys)) {
        const char *ph = placeholder(s, "text", v);
        if (strchr(v, '<')) {
            dm_buf b = {0};
            dm_buf_printf(&b, "<div>%s</div>", ph);
            set_string(node, b.data);
            dm_buf_free(&b);
        } else {
            set_string(node, ph);
        }
    } else if (key_in(key, first_keys)) {
        set_string(node, placeholder(s, "first", v));
    } else if (key_in(key, last_keys)) {
        set_string(node, placeholder(s, "last", v));
    } else if (key_in(key, name_keys) || (person && strcmp(key, "name") == 0)) {
        set_string(node, placeholder(s, "name", v));
    } else if (key_in(key, phone_keys)) {
        set_string(node, placeholder(s, "phone", v));
    } else if (strcasecmp(key, "webUrl") == 0 || strcasecmp(key, "portalURL") == 0) {
        scrub_url(node);
    } else if (strcasecmp(key, "photoURL") == 0) {
        set_string(node, "https://desk.zoho.com/api/v1/photo/placeholder");
    } else if (strcasecmp(key, "orgId") == 0) {
        set_string(node, DEFAULT_ORG);
    }
    /* whatever the key, nothing that looks like an email or phone stays */
    if (!only_placeholders(node->valuestring)) {
        char *clean = sweep_clean(s, node->valuestring);
        set_string(node, clean);
        free(clean);
    }
}

void dm_scrub_event(dm_scrub *s, cJSON *event)
{
    walk(s, event, NULL, 0);
    /* top-level strings have no key in walk's sense for arrays; orgId is */
    cJSON *org = cJSON_GetObjectItemCaseSensitive(event, "orgId");
    if (cJSON_IsString(org)) set_string(org, DEFAULT_ORG);
}
