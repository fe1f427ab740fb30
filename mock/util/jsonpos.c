/* jsonpos.c -- a strict recursive-descent JSON parser that records where each
 * value and key starts. It builds cJSON nodes directly; it keeps neither
 * number text nor whitespace, and it does not print (cJSON does). */
#include "util/jsonpos.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ent {
    uintptr_t node;
    int line, col;   /* the value */
    int kline, kcol; /* its key; 0 when not an object member */
} ent;

struct dm_jpos {
    ent *e; /* sorted by node once parsing is done */
    size_t n, cap;
};

typedef struct parser {
    const unsigned char *s;
    size_t len, i;
    int line, col; /* of s[i] */
    int depth;
    int err;      /* 0, DM_EPARSE or DM_ENOMEM; only the first failure counts */
    dm_jpos *pos; /* NULL when positions are not wanted */
    char *msg;
    size_t msglen;
} parser;

/* ==== Reading ==== */

static int peek(const parser *p)
{
    return p->i < p->len ? p->s[p->i] : -1;
}

static void adv(parser *p)
{
    unsigned char c = p->s[p->i++];
    if (c == '\n') {
        p->line++;
        p->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        p->col++; /* a character starts here; continuation bytes do not count */
    }
}

static void ws(parser *p)
{
    int c;
    while ((c = peek(p)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        adv(p);
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* The current character, for "got ..." in messages. */
static const char *got(const parser *p, char *buf, size_t n)
{
    int c = peek(p);
    if (c < 0) return "end of input";
    if (c == 0) return "a NUL byte";
    if (c == '\'') return "\"'\"";
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, n, "'%c'", c);
    else
        snprintf(buf, n, "byte 0x%02X", (unsigned)c);
    return buf;
}

/* ==== Errors ==== */

static void fail_at(parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_at(parser *p, int line, int col, const char *fmt, ...)
{
    if (p->err) return;
    p->err = DM_EPARSE;
    if (!p->msg || !p->msglen) return;
    int n = snprintf(p->msg, p->msglen, "line %d, column %d: ", line, col);
    if (n < 0 || (size_t)n >= p->msglen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg + n, p->msglen - (size_t)n, fmt, ap);
    va_end(ap);
}

#define fail(p, ...) fail_at((p), (p)->line, (p)->col, __VA_ARGS__)

static void *oom(parser *p)
{
    if (!p->err) {
        p->err = DM_ENOMEM;
        if (p->msg && p->msglen) snprintf(p->msg, p->msglen, "out of memory");
    }
    return NULL;
}

static void record(parser *p, const cJSON *node, int line, int col, int kline, int kcol)
{
    dm_jpos *jp = p->pos;
    if (!jp) return;
    if (jp->n == jp->cap) {
        jp->cap = jp->cap ? jp->cap * 2 : 64;
        jp->e = dm_xrealloc(jp->e, jp->cap * sizeof *jp->e);
    }
    jp->e[jp->n++] = (ent){(uintptr_t)node, line, col, kline, kcol};
}

/* ==== Strings ==== */

static void put_utf8(dm_buf *b, unsigned long cp)
{
    static const unsigned char lead[] = {0, 0xC0, 0xE0, 0xF0};
    char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (size_t k = n - 1; k > 0; k--, cp >>= 6)
        u[k] = (char)(0x80 | (cp & 0x3F));
    u[0] = (char)(lead[n - 1] | cp);
    dm_buf_append(b, u, n);
}

/* Four hex digits after "\u"; -1 (and an error) when they are not there. */
static long hex4(parser *p)
{
    long v = 0;
    char gb[16];
    for (int k = 0; k < 4; k++) {
        int c = peek(p), d;
        if (is_digit(c))
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else {
            fail(p, "expected 4 hex digits after \\u, got %s", got(p, gb, sizeof gb));
            return -1;
        }
        v = v * 16 + d;
        adv(p);
    }
    return v;
}

/* One escape sequence, at the backslash. Returns 0 or -1 (error set). */
static int escape(parser *p, dm_buf *b)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    int line = p->line, col = p->col;
    char gb[16];
    adv(p);
    int c = peek(p);
    const char *hit = c > 0 ? strchr(from, c) : NULL;
    if (hit) {
        dm_buf_putc(b, to[hit - from]);
        adv(p);
        return 0;
    }
    if (c != 'u') {
        fail_at(p, line, col, "invalid escape: '\\' followed by %s", got(p, gb, sizeof gb));
        return -1;
    }
    adv(p);
    long cp = hex4(p);
    if (cp < 0) return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF && peek(p) == '\\' && p->i + 1 < p->len &&
        p->s[p->i + 1] == 'u') {
        adv(p);
        adv(p);
        long lo = hex4(p);
        if (lo < 0) return -1;
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            put_utf8(b,
                     0x10000 + (((unsigned long)cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00));
            return 0;
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        fail_at(p, line, col, "unpaired UTF-16 surrogate \\u%04lX", (unsigned long)cp);
        return -1;
    }
    if (cp == 0) {
        fail_at(p, line, col, "\\u0000 is not supported in strings");
        return -1;
    }
    put_utf8(b, (unsigned long)cp);
    return 0;
}

/* A string, at its opening quote. Returns owned text, or NULL (error set). */
static char *parse_string(parser *p)
{
    int qline = p->line, qcol = p->col;
    dm_buf b = {0};
    dm_buf_append(&b, "", 0);
    adv(p);
    for (;;) {
        int c = peek(p);
        if (c < 0) {
            fail_at(p, qline, qcol, "unterminated string");
            break;
        }
        if (c == '"') {
            adv(p);
            return dm_buf_steal(&b);
        }
        if (c == '\\') {
            if (escape(p, &b)) break;
        } else if (c < 0x20) {
            if (c == 0)
                fail(p, "NUL byte in a string");
            else
                fail(p, "unescaped control character U+%04X in a string", (unsigned)c);
            break;
        } else if (c < 0x80) {
            dm_buf_putc(&b, (char)c);
            adv(p);
        } else {
            size_t n = dm_utf8_seq(p->s + p->i, p->len - p->i);
            if (!n) {
                fail(p, "invalid UTF-8 in a string");
                break;
            }
            dm_buf_append(&b, p->s + p->i, n);
            while (n--)
                adv(p);
        }
    }
    dm_buf_free(&b);
    return NULL;
}

/* ==== Values ==== */

static cJSON *parse_value(parser *p, int kline, int kcol);

/* One or more digits; where names the place for the error message. */
static int digits(parser *p, const char *where)
{
    char gb[16];
    if (!is_digit(peek(p))) {
        fail(p, "expected a digit %s, got %s", where, got(p, gb, sizeof gb));
        return -1;
    }
    while (is_digit(peek(p)))
        adv(p);
    return 0;
}

static cJSON *parse_number(parser *p)
{
    size_t start = p->i;
    if (peek(p) == '-') adv(p);
    if (peek(p) == '0') {
        adv(p);
        if (is_digit(peek(p))) {
            fail(p, "leading zeros are not allowed in numbers");
            return NULL;
        }
    } else if (digits(p, "after '-'")) {
        return NULL;
    }
    if (peek(p) == '.') {
        adv(p);
        if (digits(p, "after '.'")) return NULL;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        adv(p);
        if (peek(p) == '+' || peek(p) == '-') adv(p);
        if (digits(p, "in the exponent")) return NULL;
    }
    char *txt = dm_xstrndup((const char *)p->s + start, p->i - start);
    double d = strtod(txt, NULL);
    free(txt);
    cJSON *v = cJSON_CreateNumber(d);
    return v ? v : oom(p);
}

static cJSON *parse_literal(parser *p, const char *word, cJSON *(*make)(void))
{
    for (size_t k = 0; word[k]; k++) {
        if (peek(p) != word[k]) {
            fail(p, "invalid literal (expected %s)", word);
            return NULL;
        }
        adv(p);
    }
    int c = peek(p);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_') {
        fail(p, "invalid literal (expected %s)", word);
        return NULL;
    }
    cJSON *v = make();
    return v ? v : oom(p);
}

static int starts_value(int c)
{
    return c == '"' || c == '{' || c == '[' || c == '-' || is_digit(c) || c == 't' || c == 'f' ||
           c == 'n';
}

/* After an element or member: ',' (continue: 1), the closer (done: 0), or an
 * error (-1). A comma right before the closer is a trailing comma. */
static int separator(parser *p, char closer, const char *what)
{
    char gb[16];
    ws(p);
    int c = peek(p);
    if (c == closer) {
        adv(p);
        return 0;
    }
    if (c == ',') {
        int line = p->line, col = p->col;
        adv(p);
        ws(p);
        if (peek(p) == closer) {
            fail_at(p, line, col, "trailing comma before '%c'", closer);
            return -1;
        }
        return 1;
    }
    if (starts_value(c))
        fail(p, "missing ',' between %s", what);
    else
        fail(p, "expected ',' or '%c', got %s", closer, got(p, gb, sizeof gb));
    return -1;
}

static cJSON *parse_array(parser *p)
{
    adv(p);
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return oom(p);
    ws(p);
    if (peek(p) == ']') {
        adv(p);
        return arr;
    }
    for (;;) {
        ws(p);
        cJSON *v = parse_value(p, 0, 0);
        if (!v) break;
        if (!cJSON_AddItemToArray(arr, v)) {
            cJSON_Delete(v);
            oom(p);
            break;
        }
        int more = separator(p, ']', "array elements");
        if (more < 0) break;
        if (!more) return arr;
    }
    cJSON_Delete(arr);
    return NULL;
}

static cJSON *parse_object(parser *p)
{
    char gb[16];
    adv(p);
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return oom(p);
    ws(p);
    if (peek(p) == '}') {
        adv(p);
        return obj;
    }
    for (int first = 1;; first = 0) {
        ws(p);
        if (peek(p) != '"') {
            fail(p, "expected a string key%s, got %s", first ? " or '}'" : "",
                 got(p, gb, sizeof gb));
            break;
        }
        int kline = p->line, kcol = p->col;
        char *key = parse_string(p);
        if (!key) break;
        ws(p);
        if (peek(p) != ':') {
            fail(p, "expected ':' after the key, got %s", got(p, gb, sizeof gb));
            free(key);
            break;
        }
        adv(p);
        ws(p);
        cJSON *v = parse_value(p, kline, kcol);
        int added = v && cJSON_AddItemToObject(obj, key, v);
        free(key);
        if (!v) break;
        if (!added) {
            cJSON_Delete(v);
            oom(p);
            break;
        }
        int more = separator(p, '}', "object members");
        if (more < 0) break;
        if (!more) return obj;
    }
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *parse_value(parser *p, int kline, int kcol)
{
    int line = p->line, col = p->col;
    char gb[16];
    cJSON *v = NULL;
    int c = peek(p);
    if (c == '{' || c == '[') {
        if (p->depth >= DM_JPOS_MAX_DEPTH) {
            fail(p, "nesting deeper than %d levels", DM_JPOS_MAX_DEPTH);
            return NULL;
        }
        p->depth++;
        v = c == '{' ? parse_object(p) : parse_array(p);
        p->depth--;
    } else if (c == '"') {
        char *s = parse_string(p);
        if (!s) return NULL;
        v = cJSON_CreateString(s);
        free(s);
        if (!v) return oom(p);
    } else if (c == '-' || is_digit(c)) {
        v = parse_number(p);
    } else if (c == 't') {
        v = parse_literal(p, "true", cJSON_CreateTrue);
    } else if (c == 'f') {
        v = parse_literal(p, "false", cJSON_CreateFalse);
    } else if (c == 'n') {
        v = parse_literal(p, "null", cJSON_CreateNull);
    } else {
        fail(p, "expected a value, got %s", got(p, gb, sizeof gb));
    }
    if (v) record(p, v, line, col, kline, kcol);
    return v;
}

/* ==== API ==== */

static int by_node(const void *a, const void *b)
{
    uintptr_t x = ((const ent *)a)->node, y = ((const ent *)b)->node;
    return (x > y) - (x < y);
}

int dm_jpos_parse(const char *text, size_t len, cJSON **out, dm_jpos **pos, char *msg,
                  size_t msglen)
{
    char gb[16];
    parser p = {.s = (const unsigned char *)text,
                .len = len,
                .line = 1,
                .col = 1,
                .msg = msg,
                .msglen = msglen};
    *out = NULL;
    if (pos) {
        *pos = NULL;
        p.pos = dm_xcalloc(1, sizeof *p.pos);
    }
    if (msg && msglen) msg[0] = '\0';
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p.i = 3; /* byte order mark */
    ws(&p);
    cJSON *root = NULL;
    if (p.i >= len) {
        fail(&p, "no JSON value (the input is empty)");
    } else {
        root = parse_value(&p, 0, 0);
        ws(&p);
        if (root && p.i < len)
            fail(&p, "expected the end of input after the JSON value, got %s",
                 got(&p, gb, sizeof gb));
    }
    if (p.err) {
        cJSON_Delete(root);
        dm_jpos_free(p.pos);
        return p.err;
    }
    if (p.pos) {
        qsort(p.pos->e, p.pos->n, sizeof *p.pos->e, by_node);
        *pos = p.pos;
    }
    *out = root;
    return 0;
}

static const ent *find(const dm_jpos *p, const cJSON *node)
{
    if (!p || !node || !p->n) return NULL;
    ent key = {.node = (uintptr_t)node};
    return bsearch(&key, p->e, p->n, sizeof *p->e, by_node);
}

int dm_jpos_value(const dm_jpos *p, const cJSON *node, int *line, int *col)
{
    const ent *e = find(p, node);
    *line = e ? e->line : 0;
    *col = e ? e->col : 0;
    return e ? 0 : DM_ENOTFOUND;
}

int dm_jpos_key(const dm_jpos *p, const cJSON *node, int *line, int *col)
{
    const ent *e = find(p, node);
    if (!e || !e->kline) e = NULL;
    *line = e ? e->kline : 0;
    *col = e ? e->kcol : 0;
    return e ? 0 : DM_ENOTFOUND;
}

void dm_jpos_free(dm_jpos *p)
{
    if (!p) return;
    free(p->e);
    free(p);
}

const char *dm_jpos_msg_where(const char *msg, int *line, int *col)
{
    *line = *col = 0;
    if (strncmp(msg, "line ", 5) != 0) return NULL;
    char *end;
    long l = strtol(msg + 5, &end, 10), c = 0;
    if (strncmp(end, ", column ", 9) == 0) c = strtol(end + 9, &end, 10);
    if (strncmp(end, ": ", 2) != 0) return NULL;
    *line = (int)l;
    *col = (int)c;
    return end + 2;
}
