/* fuzz_values.c -- the small command-line and path parsers: the --set path
 * syntax (set, get, unset on a tree), --set values, --retry-schedule
 * durations, ISO times and form/query decoding. Input: the first line is
 * the path, the rest the value. */
#include "http/http.h"
#include "util/clock.h"
#include "util/jpath.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = dm_xstrndup((const char *)data, size);
    size_t len = strlen(text); /* stop at an embedded NUL */
    char *nl = strchr(text, '\n');
    const char *path = text, *value = nl ? nl + 1 : "";
    if (nl) *nl = '\0';

    cJSON *root = NULL;
    dm_json_parse("{\"a\":{\"b\":[1,2,{\"c\":null}]},\"cf\":{\"cf_x\":\"y\"}}", 44, &root, NULL, 0);
    char why[200];
    dm_jpath_set(root, path, dm_jpath_value(value), why, sizeof why);
    dm_jpath_get(root, path);
    dm_jpath_unset(root, path, why, sizeof why);
    cJSON_Delete(root);

    int64_t delays[32], ms;
    size_t n;
    dm_parse_durations(path, delays, 32, &n);
    dm_iso_parse(value, &ms);

    dm_kvs kvs = {0};
    dm_form_parse(text, len, &kvs);
    dm_kvs_free(&kvs);
    free(text);
    return 0;
}
