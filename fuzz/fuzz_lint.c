/* fuzz_lint.c -- libFuzzer target for the event fixture linter.
 *
 * Input: one fixture's text, so every fixture under fixtures/events/ is
 * a seed as it is. Inputs whose length is a multiple of 3 are linted as if
 * they sat in folder Ticket_Update, to reach the folder checks. Checks: one
 * output line per diagnostic, and the position-less path (cJSON's parser)
 * finds as many problems as the positioned one. It does not judge messages. */
#include "fixtures/lint.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *folder = size % 3 == 0 ? "Ticket_Update" : NULL;
    dm_lint *l = dm_lint_new();
    size_t n = dm_lint_text(text, size, folder, l);
    if (n != dm_lint_count(l)) abort();
    dm_buf out = {0};
    dm_lint_format(l, "f.json", &out);
    size_t lines = 0;
    for (size_t i = 0; i < out.len; i++)
        lines += out.data[i] == '\n';
    if (lines != n) abort();
    for (size_t i = 0; i < n; i++)
        if (!dm_lint_get(l, i) || !dm_lint_get(l, i)->message[0]) abort();

    /* The same tree through cJSON: no positions, same problems. jsonpos is
     * the stricter parser; skip what it rejected. */
    int syntax = n == 1 && strncmp(dm_lint_get(l, 0)->message, "invalid JSON", 12) == 0;
    cJSON *tree = NULL;
    if (!syntax && dm_json_parse(text, size, &tree, NULL, 0) == 0) {
        dm_lint *plain = dm_lint_new();
        if (dm_lint_json(tree, NULL, folder, plain) != n) abort();
        dm_lint_free(plain);
    }
    cJSON_Delete(tree);
    dm_buf_free(&out);
    dm_lint_free(l);
    return 0;
}
