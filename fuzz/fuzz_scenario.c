/* fuzz_scenario.c -- the scenario format's checker (dh_scenario_check), the
 * parser every scenario file goes through before it runs. */
#include "deskmock/harness.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = dm_xstrndup((const char *)data, size);
    char err[300];
    dh_scenario_check(text, err, sizeof err);
    free(text);
    return 0;
}
