/* fuzz_jsonpos.c -- libFuzzer target for dm_jpos_parse. Any bytes must parse
 * or fail with a "line L, column C: ..." message, without leaks; a parsed
 * tree must have a position for every value, a key position for exactly the
 * object members, and positions inside the text. Seeds: the JSON files
 * under fixtures/ (extensions and orgs). */
#include "util/jsonpos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const dm_jpos *pos, const cJSON *node, int member, int lines, size_t size)
{
    int l, c;
    if (dm_jpos_value(pos, node, &l, &c) != 0) abort();
    if (l < 1 || l > lines || c < 1 || (size_t)c > size) abort();
    if ((dm_jpos_key(pos, node, &l, &c) == 0) != member) abort();
    if (member && (l < 1 || l > lines || c < 1 || (size_t)c > size)) abort();
    for (const cJSON *ch = node->child; ch; ch = ch->next)
        check(pos, ch, cJSON_IsObject(node), lines, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root = NULL;
    dm_jpos *pos = NULL;
    char msg[256];
    int rc = dm_jpos_parse((const char *)data, size, &root, &pos, msg, sizeof msg);
    if (rc == 0) {
        int lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (!root || !pos) abort();
        check(pos, root, 0, lines, size);
    } else if (root || pos || strncmp(msg, "line ", 5) != 0) {
        abort();
    }
    cJSON_Delete(root);
    dm_jpos_free(pos);
    return 0;
}
