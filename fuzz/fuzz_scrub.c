/* fuzz_scrub.c -- deskmock record's scrubber on arbitrary JSON, checking
 * that nothing that looks like an email or a phone number survives it. */
#include "fixtures/scrub.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_placeholder(const char *s, size_t n)
{
    if (n == 11 && strncmp(s, "+1 555 01", 9) == 0) return 1;
    return n > 18 && strncmp(s, "person", 6) == 0 && strncmp(s + n - 12, "@example.com", 12) == 0;
}

/* 1 when everything in text that looks like an email or a phone is one of
 * the scrubber's own placeholders. */
static int clean_text(const char *text)
{
    size_t off = 0, len;
    while (dm_scrub_next(text, &off, &len)) {
        if (!is_placeholder(text + off, len)) return 0;
        off += len;
    }
    return 1;
}

static int clean(const cJSON *n)
{
    if (n->string && !clean_text(n->string)) return 0;
    if (cJSON_IsString(n) && !clean_text(n->valuestring)) return 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, n)
        if (!clean(c)) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dm_scrub *s;
    if (!s) s = dm_scrub_new();
    cJSON *ev = NULL;
    if (dm_json_parse((const char *)data, size, &ev, NULL, 0)) return 0;
    dm_scrub_event(s, ev);
    if (!clean(ev)) abort(); /* personal data left behind */
    cJSON_Delete(ev);
    return 0;
}
