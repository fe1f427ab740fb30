/* fuzz_validate.c -- libFuzzer target for the extension validator.
 *
 * Input: MANIFEST NUL RESOURCES. Without a NUL byte the whole input is
 * resources.json and the manifest is a fixed valid one, so every
 * fixtures/extensions/ ... /resources.json is a seed as it is; a manifest, a
 * NUL byte and a resources.json concatenated seed both files. Checks: one
 * output line per diagnostic, and the position-less path (cJSON's parser,
 * as the install API uses) finds as many problems as the positioned one. */
#include "ext/validate.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char manifest[] =
    "{\"type\": \"org\", \"secret\": \"s\", \"zohoAuthorisation\": {\"type\": \"connectors\","
    " \"connectionLinkName\": \"desk\", \"serviceName\": \"zlabs_integration\","
    " \"scope\": [\"Desk.events.ALL\"]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    const char *m = manifest, *r = text;
    size_t mlen = sizeof manifest - 1, rlen = size;
    if (nul) {
        m = text;
        mlen = (size_t)(nul - text);
        r = nul + 1;
        rlen = size - mlen - 1;
    }

    dm_ext_diags *d = dm_ext_diags_new();
    dm_ext_validate_text(m, mlen, r, rlen, d);
    dm_buf out = {0};
    dm_ext_diags_format(d, NULL, &out);
    size_t lines = 0;
    for (size_t i = 0; i < out.len; i++)
        lines += out.data[i] == '\n';
    if (lines != dm_ext_diags_count(d)) abort();
    if (dm_ext_diags_errors(d) > dm_ext_diags_count(d)) abort();
    cJSON_Delete(dm_ext_diags_json(d));

    /* The same trees through cJSON: no positions, same problems. */
    cJSON *mt = NULL, *rt = NULL;
    int syntax = 0; /* jsonpos is the stricter parser; skip what it rejected */
    for (size_t i = 0; i < dm_ext_diags_count(d); i++)
        syntax |= strncmp(dm_ext_diags_get(d, i)->message, "invalid JSON", 12) == 0;
    if (!syntax && dm_json_parse(m, mlen, &mt, NULL, 0) == 0 &&
        dm_json_parse(r, rlen, &rt, NULL, 0) == 0) {
        dm_ext_diags *plain = dm_ext_diags_new();
        dm_ext_validate_json(mt, NULL, rt, NULL, plain);
        if (dm_ext_diags_count(plain) != dm_ext_diags_count(d)) abort();
        dm_ext_diags_free(plain);
    }
    cJSON_Delete(mt);
    cJSON_Delete(rt);
    dm_buf_free(&out);
    dm_ext_diags_free(d);
    return 0;
}
