/* fuzz_org.c -- org files: JSON parsing and dm_store_load on arbitrary bytes. */
#include "desk/store.h"
#include "util/json.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dm_clock clock = {1, 1767225600000};
    static dm_ids ids;
    static dm_store *store;
    if (!store) store = dm_store_new(&clock, &ids);
    dm_ids_seed(&ids, 1);
    cJSON *spec = NULL;
    char err[256];
    if (dm_json_parse((const char *)data, size, &spec, err, sizeof err) == 0) {
        dm_store_load(store, spec, err, sizeof err);
        cJSON_Delete(spec);
    }
    return 0;
}
