/* fuzz_invoke.c -- the invoke API end to end, in process: an installed
 * extension, then POST /api/v1/invoke with a fuzzed form body. When the
 * first byte is odd the harness computes the right HASH, so the fuzzer gets
 * past it into the headers JSON, queryParams, {{installationId}} and the
 * Desk routes reached as the extension. */
#include "fuzz_app.h"
#include "ext/install.h"
#include "invoke/invoke.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dm_app *app;
static char context[80];

static void setup(void)
{
    app = fuzz_app_new();
    const char *body =
        "{\"manifest\":{\"type\":\"org\",\"secret\":\"s3cret\",\"zohoAuthorisation\":{\"type\":"
        "\"connectors\",\"connectionLinkName\":\"x\",\"connectionName\":\"x\",\"serviceName\":"
        "\"zlabs_integration\",\"userAccess\":true,\"isUserDefinedService\":false,\"scope\":["
        "\"Desk.events.ALL\",\"Desk.tickets.ALL\"]}},\"resources\":{\"webhook\":{\"resourceName\":"
        "\"w\",\"url\":\"http://127.0.0.1:9/x\",\"name\":\"w\",\"subscriptions\":{\"Ticket_Add\":"
        "null},\"ignoreSourceId\":\"2df92c1a-973a-48f5-95b7-5792c68b9c36\"}}}";
    dm_req req = {0};
    req.method = "POST";
    req.path = "/mock/v1/installations";
    dm_kvs_add(&req.headers, "Content-Type", "application/json");
    req.body = body;
    req.body_len = strlen(body);
    dm_resp resp;
    dm_resp_init(&resp);
    dm_app_dispatch(app, &req, &resp);
    cJSON *o2 = NULL;
    if (resp.status != 201 || dm_json_parse(resp.body.data, resp.body.len, &o2, NULL, 0)) abort();
    snprintf(context, sizeof context, "%s", dm_json_str(o2, "securityContext"));
    cJSON_Delete(o2);
    dm_resp_free(&resp);
    dm_kvs_free(&req.headers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned runs;
    if (!app) setup();
    if (size < 1) return 0;
    if (++runs % 1024 == 0) {
        /* keep state small without losing the installation */
        dm_journal_clear(dm_app_journal(app));
    }
    int sign = data[0] & 1;
    dm_req req = {0};
    req.method = "POST";
    req.path = "/api/v1/invoke";
    dm_kvs_add(&req.query, "orgId", "60001280952");
    dm_kvs_add(&req.headers, "Content-Type", "application/x-www-form-urlencoded");
    /* the fuzzed form, with the real securityContext prepended when asked */
    dm_buf body = {0};
    if (data[0] & 2) dm_buf_printf(&body, "securityContext=%s&", context);
    dm_buf_append(&body, data + 1, size - 1);
    char hash[65];
    if (sign) {
        dm_kvs form = {0};
        dm_form_parse(body.data, body.len, &form);
        char *in = dm_invoke_hash_input(&form, DM_HASH_Q_SKIP);
        dm_invoke_hmac("s3cret", in, strlen(in), hash);
        free(in);
        dm_kvs_free(&form);
        dm_kvs_add(&req.headers, "HASH", hash);
    }
    req.body = body.data ? body.data : "";
    req.body_len = body.len;
    dm_resp resp;
    dm_resp_init(&resp);
    dm_app_dispatch(app, &req, &resp);
    if (resp.deferred) abort(); /* no transport: must answer now */
    dm_resp_free(&resp);
    dm_kvs_free(&req.headers);
    dm_kvs_free(&req.query);
    dm_buf_free(&body);
    return 0;
}
