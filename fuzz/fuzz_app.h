/* fuzz_app.h -- the mock the in-process fuzz targets drive: a small journal,
 * so memory stays flat over millions of inputs, and a virtual clock fixed at
 * 2026-01-01T00:00:00Z, so a crash replays the same way. Aborts when the app
 * cannot be built: the fuzzer must not run against nothing. */
#ifndef DM_FUZZ_APP_H
#define DM_FUZZ_APP_H

#include "app.h"

#include <stdlib.h>

static inline dm_app *fuzz_app_new(void)
{
    char err[256];
    dm_app_opts o = {0};
    o.journal_limit = 256;
    o.clock_virtual = 1;
    o.clock_start = 1767225600000;
    dm_app *app = dm_app_new(&o, err, sizeof err);
    if (!app) abort();
    return app;
}

#endif
