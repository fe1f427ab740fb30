/* install.c -- installing and uninstalling extensions. Installing validates
 * with the same rules as `deskmock validate` (422 with its messages), checks
 * the webhook URL with an unsigned GET (the request waits for it), then
 * creates the webhook with orgId and securityContext appended to its URL.
 * callbackListener URLs are told, and a failing listener is journaled, not
 * fatal. Uninstalling deletes the webhook and revokes context and token. */
#include "ext/install.h"
#include "net/addr.h"
#include "desk/api.h"
#include "hooks/api.h"
#include "ext/validate.h"
#include "util/file.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_TIMEOUT_MS 5000

struct dm_installs {
    dm_store *store;
    dm_hooks *hooks;
    dm_journal *journal;
    dm_outbound *out;
    dm_waits *waits;
    dm_vec installations; /* dm_installation *, oldest first */
    dm_vec revoked;       /* char *, securityContexts of uninstalled extensions */
};

dm_installs *dm_installs_new(dm_store *store, dm_hooks *hooks, dm_journal *journal,
                             dm_outbound *out, dm_waits *waits)
{
    dm_installs *ins = dm_xcalloc(1, sizeof *ins);
    ins->store = store;
    ins->hooks = hooks;
    ins->journal = journal;
    ins->out = out;
    ins->waits = waits;
    return ins;
}

/* ==== Lookups ==== */

dm_installation *dm_installation_by_id(const dm_installs *ins, const char *id)
{
    for (size_t i = 0; id && i < ins->installations.n; i++) {
        dm_installation *x = ins->installations.items[i];
        if (strcmp(x->id, id) == 0) return x;
    }
    return NULL;
}

dm_installation *dm_installation_by_context(const dm_installs *ins, const char *ctx)
{
    for (size_t i = 0; ctx && i < ins->installations.n; i++) {
        dm_installation *x = ins->installations.items[i];
        if (strcmp(x->security_context, ctx) == 0) return x;
    }
    return NULL;
}

int dm_installation_revoked(const dm_installs *ins, const char *ctx)
{
    for (size_t i = 0; ctx && i < ins->revoked.n; i++)
        if (strcmp(ins->revoked.items[i], ctx) == 0) return 1;
    return 0;
}

static void installation_free(dm_installation *x)
{
    free(x->name);
    free(x->secret);
    cJSON_Delete(x->manifest);
    cJSON_Delete(x->resources);
    cJSON_Delete(x->departments);
    cJSON_Delete(x->config);
    cJSON_Delete(x->callbacks);
    free(x);
}

void dm_installs_clear(dm_installs *ins)
{
    for (size_t i = 0; i < ins->installations.n; i++)
        installation_free(ins->installations.items[i]);
    ins->installations.n = 0;
    for (size_t i = 0; i < ins->revoked.n; i++)
        free(ins->revoked.items[i]);
    ins->revoked.n = 0;
}

void dm_installs_free(dm_installs *ins)
{
    if (!ins) return;
    dm_installs_clear(ins);
    dm_vec_free(&ins->installations);
    dm_vec_free(&ins->revoked);
    free(ins);
}

size_t dm_installs_count(const dm_installs *ins)
{
    return ins->installations.n;
}

static cJSON *describe(const dm_installation *x)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "installationId", x->id);
    cJSON_AddStringToObject(o, "name", x->name);
    cJSON_AddStringToObject(o, "securityContext", x->security_context);
    cJSON_AddStringToObject(o, "token", x->token);
    dm_json_set_str(o, "webhookId", x->webhook_id[0] ? x->webhook_id : NULL);
    cJSON_AddItemToObject(o, "departments", cJSON_Duplicate(x->departments, 1));
    char iso[DM_ISO_LEN];
    dm_iso_time(x->installed_ms, iso);
    cJSON_AddStringToObject(o, "installedTime", iso);
    return o;
}

/* The "installation" record of an install or uninstall: describe() without
 * the token. */
static void journal_installation(dm_installs *ins, const dm_installation *x, const char *action,
                                 uint64_t cause)
{
    cJSON *f = describe(x);
    cJSON_AddStringToObject(f, "action", action);
    cJSON_DeleteItemFromObjectCaseSensitive(f, "token");
    dm_journal_add(ins->journal, "installation", cause, f);
}

static void h_installations(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_installs *ins = self;
    (void)req;
    cJSON *o = cJSON_CreateObject();
    cJSON *data = cJSON_AddArrayToObject(o, "data");
    for (size_t i = 0; i < ins->installations.n; i++)
        cJSON_AddItemToArray(data, describe(ins->installations.items[i]));
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

static void h_installation_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_installs *ins = self;
    dm_installation *x = dm_api_found(resp, dm_installation_by_id(ins, req->params[0]),
                                      "installation", req->params[0]);
    if (!x) return;
    cJSON *o = describe(x);
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

/* ==== Platform callbacks (callbackListener) ==== */

typedef struct callback {
    dm_installs *ins;
    uint64_t cause;
    char *url, *which;
    uint64_t out, wait;
} callback;

static void callback_free(callback *cb)
{
    free(cb->url);
    free(cb->which);
    free(cb);
}

/* The "callback" record: which listener, where, and how it answered (or why
 * it did not). */
static void journal_callback(callback *cb, long status, const char *error)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "listener", cb->which);
    cJSON_AddStringToObject(f, "url", cb->url);
    if (status)
        cJSON_AddNumberToObject(f, "status", status);
    else
        cJSON_AddNullToObject(f, "status");
    if (error) cJSON_AddStringToObject(f, "error", error);
    cJSON_AddBoolToObject(f, "ok", status >= 200 && status < 300);
    dm_journal_add(cb->ins->journal, "callback", cb->cause, f);
}

static void callback_done(void *ud, const dm_out_res *r)
{
    callback *cb = ud;
    dm_waits_done(cb->ins->waits, cb->wait);
    journal_callback(cb, r->status, r->error);
    callback_free(cb);
}

static void callback_ended(void *ud, dm_wait_end how, const char *why)
{
    callback *cb = ud;
    (void)how;
    dm_out_cancel(cb->ins->out, cb->out);
    char error[160];
    snprintf(error, sizeof error, "not answered: %s", why);
    journal_callback(cb, 0, error);
    callback_free(cb);
}

/* POSTs {"orgId","securityContext","installationId"} to the listener for
 * which: the install's callbackUrls override, else the manifest's
 * callbackListener when it points at this machine. A listener elsewhere is
 * journaled as skipped: tests never reach beyond loopback by surprise. */
static void notify(dm_installs *ins, const dm_installation *x, const char *which, uint64_t cause)
{
    const char *url = dm_json_str(x->callbacks, which);
    if (!url) {
        const cJSON *cl = cJSON_GetObjectItemCaseSensitive(x->manifest, "callbackListener");
        url = dm_json_str(cl, which);
        if (url && !dm_url_is_loopback(url)) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "listener", which);
            cJSON_AddStringToObject(f, "url", url);
            cJSON_AddBoolToObject(f, "skipped", 1);
            cJSON_AddStringToObject(
                f, "reason", "not a loopback URL; give callbackUrls when installing to call it");
            dm_journal_add(ins->journal, "callback", cause, f);
            return;
        }
    }
    char why[128];
    if (!url || dm_url_check(url, why, sizeof why)) return;
    callback *cb = dm_xcalloc(1, sizeof *cb);
    cb->ins = ins;
    cb->cause = cause;
    cb->url = dm_xstrdup(url);
    cb->which = dm_xstrdup(which);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "orgId", dm_json_str(ins->store->org, "id"));
    cJSON_AddStringToObject(b, "securityContext", x->security_context);
    cJSON_AddStringToObject(b, "installationId", x->id);
    char *body = dm_json_print(b);
    cJSON_Delete(b);
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    char what[300];
    snprintf(what, sizeof what, "the %s callback to %.200s", which, url);
    cb->wait = dm_waits_add(ins->waits, what, NULL, DM_END_RESET, callback_ended, cb);
    dm_out_req post = {"POST", url, headers, body, strlen(body), CHECK_TIMEOUT_MS, 0};
    cb->out = dm_out_send(ins->out, &post, callback_done, cb);
    free(body);
}

/* ==== Installing ==== */

typedef struct install {
    dm_installs *ins;
    dm_installation *x; /* not yet added; NULL once it is */
    char *url;          /* the webhook's final URL; NULL without a webhook */
} install;

static void install_free(void *ud)
{
    install *in = ud;
    if (in->x) installation_free(in->x);
    free(in->url);
    free(in);
}

/* Reads an extension folder's two files into trees; on failure writes the
 * error into resp and returns -1. Validation diagnostics go to diags. */
static int load_folder(const char *dir, cJSON **manifest, cJSON **resources, dm_ext_diags *d,
                       dm_resp *resp)
{
    char msg[512];
    if (dm_ext_validate_dir(dir, d, msg, sizeof msg) != 0) {
        dm_field_errs e = {0};
        dm_field_errs_add(&e, "/extension", "invalid", "%s", msg);
        dm_api_invalid(resp, &e);
        return -1;
    }
    if (dm_ext_diags_errors(d)) return 0; /* reported by the caller */
    const char *names[] = {DM_EXT_MANIFEST, DM_EXT_RESOURCES};
    cJSON **outs[] = {manifest, resources};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        dm_path_join(path, sizeof path, dir, names[i]);
        size_t len = 0;
        char *text = dm_read_file(path, &len);
        int bad = !text || !len || dm_json_parse(text, len, outs[i], NULL, 0);
        free(text);
        if (bad) {
            dm_field_errs e = {0};
            dm_field_errs_add(&e, "/extension", "invalid", "cannot read %s", path);
            dm_api_invalid(resp, &e);
            return -1;
        }
    }
    return 0;
}

/* 422 listing every validation error, each as `deskmock validate` words it. */
static void invalid_extension(dm_resp *resp, const dm_ext_diags *d)
{
    dm_field_errs e = {0};
    for (size_t i = 0; i < dm_ext_diags_count(d); i++) {
        const dm_ext_diag *g = dm_ext_diags_get(d, i);
        if (g->severity != DM_EXT_ERROR) continue;
        char field[128];
        snprintf(field, sizeof field, "%s%s%s", g->file, *g->path ? "#" : "", g->path);
        dm_buf line = {0};
        if (g->line)
            dm_buf_printf(&line, "%s:%d:%d: ", g->file, g->line, g->col);
        else
            dm_buf_printf(&line, "%s: ", g->file);
        if (*g->path) dm_buf_printf(&line, "%s: ", g->path);
        dm_buf_puts(&line, g->message);
        dm_field_errs_add(&e, field, "invalid", "%s", line.data);
        dm_buf_free(&line);
    }
    dm_resp_error(resp, 422, "INVALID_DATA", "The extension is not valid; see errors.", &e);
}

/* The declared URL (or the override) with orgId and securityContext added. */
static char *webhook_url(dm_installs *ins, const char *base, const char *ctx)
{
    dm_buf b = {0};
    const char *hash = strchr(base, '#');
    size_t len = hash ? (size_t)(hash - base) : strlen(base);
    dm_buf_append(&b, base, len);
    char sep = memchr(base, '?', len) ? '&' : '?';
    if (len && (base[len - 1] == '?' || base[len - 1] == '&')) sep = 0;
    if (sep) dm_buf_putc(&b, sep);
    dm_buf_printf(&b, "orgId=%s&securityContext=%s", dm_json_str(ins->store->org, "id"), ctx);
    if (hash) dm_buf_puts(&b, hash);
    return dm_buf_steal(&b);
}

static void finish_install(dm_installs *ins, install *in, const dm_call *call, dm_resp *resp)
{
    dm_installation *x = in->x;
    const cJSON *wh = cJSON_GetObjectItemCaseSensitive(x->resources, "webhook");
    uint64_t cause = call->origin.cause;
    dm_vec_push(&ins->installations, x);
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(x->manifest, "zohoAuthorisation"), "scope");
    const dm_token *admin = dm_store_token_for_role(ins->store, "admin");
    dm_store_add_token(ins->store, x->token, "extension", admin ? admin->agent : NULL, scope,
                       x->id);
    if (cJSON_IsObject(wh) && in->url) {
        /* resources.json's webhook has no isEnabled (validate.c refuses one) */
        const char *by = admin ? dm_json_str(admin->agent, "id") : NULL;
        dm_webhook *w = dm_hooks_create(ins->hooks, wh, in->url, by, x->id, cause);
        snprintf(x->webhook_id, sizeof x->webhook_id, "%s", w->id);
        const cJSON *d;
        cJSON_ArrayForEach(d, x->departments)
            dm_vec_push(&w->departments, dm_xstrdup(d->valuestring));
    }
    journal_installation(ins, x, "install", cause);
    notify(ins, x, "onDeskAuthorise", cause);
    cJSON *o = describe(x);
    cJSON_AddStringToObject(o, "orgId", dm_json_str(ins->store->org, "id"));
    dm_resp_json(resp, 201, o);
    cJSON_Delete(o);
    in->x = NULL;
}

/* After the webhook URL's check (res NULL: not checked, in-process). */
static void install_checked(dm_hooks *h, void *ud, const dm_url_probe *res, dm_call *call,
                            dm_resp *resp)
{
    install *in = ud;
    (void)h;
    if (!res || res->ok) {
        finish_install(in->ins, in, call, resp);
        return;
    }
    dm_buf msg = {0};
    dm_buf_printf(&msg, "The webhook URL %.400s ", in->url);
    dm_url_probe_describe(res, &msg);
    dm_buf_putc(&msg, '.');
    dm_field_errs e = {0};
    dm_field_errs_add(&e, "/webhookUrl", "invalid", "%s", msg.data);
    dm_resp_error(resp, 422, "INVALID_DATA", msg.data, &e);
    dm_buf_free(&msg);
}

static const dm_field_spec install_fields[] = {
    {"extension", DM_F_STR, 0, 4096, NULL},  {"manifest", DM_F_OBJ, 0, 0, NULL},
    {"resources", DM_F_OBJ, 0, 0, NULL},     {"departments", DM_F_IDS, 0, 0, NULL},
    {"webhookUrl", DM_F_STR, 0, 2048, NULL}, {"configParams", DM_F_OBJ, 0, 0, NULL},
    {"callbackUrls", DM_F_OBJ, 0, 0, NULL},
};

/* Step 1: the request's own fields (not yet the extension's files): which
 * extension, departments, configParams, URLs. Adds to e. */
static void check_request(const dm_installs *ins, const cJSON *body, const cJSON *cfg,
                          dm_field_errs *e)
{
    dm_api_validate(body, install_fields, sizeof install_fields / sizeof install_fields[0], e);
    const char *dir = dm_json_str(body, "extension");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "manifest");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(body, "resources");
    if (!e->n && !dir && !(m && r))
        dm_field_errs_add(e, "/extension", "missing",
                          "give \"extension\" (a folder) or both \"manifest\" and \"resources\"");
    if (!e->n && dir && (m || r))
        dm_field_errs_add(e, "/extension", "invalid",
                          "give either \"extension\" or \"manifest\" and \"resources\", not both");
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(body, "departments"))
        if (cJSON_IsString(d) && !dm_store_department(ins->store, d->valuestring))
            dm_field_errs_add(e, "/departments", "invalid", "no department with id %s",
                              d->valuestring);
    if (cfg && !cJSON_IsArray(cfg))
        dm_field_errs_add(e, "/configParams", "invalid",
                          "expected an array of {\"name\",\"value\"}");
    const char *override = dm_json_str(body, "webhookUrl");
    char why[128];
    if (override && dm_url_check(override, why, sizeof why))
        dm_field_errs_add(e, "/webhookUrl", "invalid", "%s", why);
    const cJSON *cb;
    cJSON_ArrayForEach(cb, cJSON_GetObjectItemCaseSensitive(body, "callbackUrls")) {
        char ptr[128];
        snprintf(ptr, sizeof ptr, "/callbackUrls/%.60s", cb->string);
        if (!cJSON_IsString(cb) || dm_url_check(cb->valuestring, why, sizeof why))
            dm_field_errs_add(e, ptr, "invalid", "expected an http or https URL");
    }
}

/* Step 2: the extension's two files, from its folder or the body, validated
 * as `deskmock validate` does. 0 with both (owned), or -1 after answering. */
static int load_extension(const cJSON *body, cJSON **manifest, cJSON **resources, dm_resp *resp)
{
    const char *dir = dm_json_str(body, "extension");
    dm_ext_diags *diags = dm_ext_diags_new();
    int rc = -1;
    if (dir) {
        if (load_folder(dir, manifest, resources, diags, resp)) goto out;
    } else {
        *manifest = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(body, "manifest"), 1);
        *resources = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(body, "resources"), 1);
        dm_ext_validate_json(*manifest, NULL, *resources, NULL, diags);
    }
    if (dm_ext_diags_errors(diags)) {
        invalid_extension(resp, diags);
        goto out;
    }
    rc = 0;
out:
    dm_ext_diags_free(diags);
    if (rc) {
        cJSON_Delete(*manifest);
        cJSON_Delete(*resources);
        *manifest = *resources = NULL;
    }
    return rc;
}

/* Step 3: the installation, not yet added: its ids, securityContext and
 * token, its chosen departments (all when none were given), its config and
 * listener URLs. Takes manifest, resources and cfg; NULL after answering
 * 500 when the OS gives no randomness. */
static dm_installation *make_installation(dm_installs *ins, const cJSON *body, cJSON *manifest,
                                          cJSON *resources, cJSON *cfg, dm_resp *resp)
{
    dm_installation *x = dm_xcalloc(1, sizeof *x);
    x->manifest = manifest;
    x->resources = resources;
    x->config = cfg ? cfg : cJSON_CreateArray();
    dm_store_new_id(ins->store, x->id);
    char token_hex[72];
    if (dm_random_hex(x->security_context, 32) || dm_random_hex(token_hex, 20)) {
        dm_resp_error(resp, 500, "INTERNAL_SERVER_ERROR", "no randomness for a securityContext",
                      NULL);
        installation_free(x);
        return NULL;
    }
    snprintf(x->token, sizeof x->token, "1000.ext.%s", token_hex);
    const char *dir = dm_json_str(body, "extension");
    const char *name = dm_json_str(manifest, "name");
    if (!name) name = dm_json_str(cJSON_GetObjectItemCaseSensitive(resources, "webhook"), "name");
    if (!name && dir) name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    x->name = dm_xstrdup(name ? name : "extension");
    const char *secret = dm_json_str(manifest, "secret");
    x->secret = secret ? dm_xstrdup(secret) : NULL;
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(body, "departments");
    if (deps && cJSON_GetArraySize(deps)) {
        x->departments = cJSON_Duplicate(deps, 1);
    } else {
        x->departments = cJSON_CreateArray();
        const dm_coll *all = dm_store_coll(ins->store, "department");
        for (size_t i = 0; i < all->items.n; i++)
            cJSON_AddItemToArray(x->departments,
                                 cJSON_CreateString(dm_json_str(all->items.items[i], "id")));
    }
    const cJSON *cbs = cJSON_GetObjectItemCaseSensitive(body, "callbackUrls");
    x->callbacks = cbs ? cJSON_Duplicate(cbs, 1) : cJSON_CreateObject();
    x->installed_ms = dm_clock_now(ins->store->clock);
    return x;
}

/* POST /mock/v1/installations: check the request, load the extension, make
 * the installation, then check its webhook's URL (parked) and finish. */
static void h_installation_create(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_installs *ins = self;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    cJSON *manifest = NULL, *resources = NULL;
    dm_field_errs e = {0};
    cJSON *cfg = cJSON_DetachItemFromObjectCaseSensitive(body, "configParams");
    check_request(ins, body, cfg, &e);
    if (e.n) {
        dm_api_invalid(resp, &e);
        goto done;
    }
    if (load_extension(body, &manifest, &resources, resp)) goto done;
    const cJSON *wh = cJSON_GetObjectItemCaseSensitive(resources, "webhook");
    const char *override = dm_json_str(body, "webhookUrl"), *declared = dm_json_str(wh, "url");
    if (cJSON_IsObject(wh) && !override && declared && !dm_url_is_loopback(declared)) {
        dm_field_errs_add(&e, "/webhookUrl", "missing",
                          "resources.json's webhook URL %.300s is not on this machine; give "
                          "webhookUrl to point the extension at your receiver",
                          declared);
        dm_api_invalid(resp, &e);
        goto done;
    }
    install *in = dm_xcalloc(1, sizeof *in);
    in->ins = ins;
    in->x = make_installation(ins, body, manifest, resources, cfg, resp);
    manifest = resources = cfg = NULL;
    if (!in->x) {
        install_free(in);
        goto done;
    }
    if (cJSON_IsObject(wh) && (override || declared))
        in->url = webhook_url(ins, override ? override : declared, in->x->security_context);
    if (!in->url) {
        finish_install(ins, in, call, resp); /* no webhook to check */
        install_free(in);
    } else {
        dm_hooks_check_url(ins->hooks, call, req, resp, in->url, NULL, install_checked,
                           install_free, in);
    }
done:
    cJSON_Delete(manifest);
    cJSON_Delete(resources);
    cJSON_Delete(cfg);
    cJSON_Delete(body);
}

static void h_installation_delete(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_installs *ins = self;
    dm_installation *x = dm_api_found(resp, dm_installation_by_id(ins, req->params[0]),
                                      "installation", req->params[0]);
    if (!x) return;
    uint64_t cause = call->origin.cause;
    char owner[64];
    dm_owner(owner, sizeof owner, "installation", x->id);
    dm_waits_end(ins->waits, DM_END_OWNER, owner, "the extension was uninstalled");
    dm_webhook *w = dm_hooks_find(ins->hooks, x->webhook_id);
    if (w) dm_hooks_delete(ins->hooks, w, "extension uninstalled", cause);
    dm_store_remove_token(ins->store, x->token);
    dm_vec_push(&ins->revoked, dm_xstrdup(x->security_context));
    dm_vec_remove(&ins->installations, x);
    journal_installation(ins, x, "uninstall", cause);
    notify(ins, x, "onUninstall", cause);
    installation_free(x);
    resp->status = 204;
    dm_buf_reset(&resp->body);
}

/* ==== configParams (Desk API, usually reached through invoke) ==== */

static dm_installation *config_target(dm_installs *ins, const dm_call *call, dm_req *req,
                                      dm_resp *resp)
{
    dm_installation *x = dm_api_found(resp, dm_installation_by_id(ins, req->params[0]),
                                      "installed extension", req->params[0]);
    if (!x) return NULL;
    const char *inst = call->principal ? call->principal->installation_id : NULL;
    int admin = call->principal && strcmp(call->principal->role, "admin") == 0;
    if (!admin && !(inst && strcmp(inst, x->id) == 0)) {
        dm_resp_error(resp, 403, "FORBIDDEN",
                      "Only the extension itself or an administrator can use its configParams.",
                      NULL);
        return NULL;
    }
    return x;
}

static void h_config_params_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_installs *ins = self;
    dm_installation *x = config_target(ins, call, req, resp);
    if (!x) return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "data", cJSON_Duplicate(x->config, 1));
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

/* {"variables":[{"name","value"}]}: sets each named variable (adds new ones). */
static void h_config_params_post(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_installs *ins = self;
    dm_installation *x = config_target(ins, call, req, resp);
    if (!x) return;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(body, "variables"), *v;
    if (!cJSON_IsArray(vars)) dm_field_errs_add(&e, "/variables", "missing", "expected an array");
    int i = 0;
    cJSON_ArrayForEach(v, vars) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/variables/%d", i++);
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(v, "value");
        if (!dm_json_str(v, "name") || !val || cJSON_IsObject(val) || cJSON_IsArray(val))
            dm_field_errs_add(&e, ptr, "invalid", "expected {\"name\": string, \"value\": string}");
    }
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    cJSON *before = cJSON_Duplicate(x->config, 1);
    cJSON_ArrayForEach(v, vars) {
        const char *name = dm_json_str(v, "name");
        cJSON *slot = NULL, *c;
        cJSON_ArrayForEach(c, x->config)
            if (dm_json_str(c, "name") && strcmp(dm_json_str(c, "name"), name) == 0) slot = c;
        if (!slot) {
            slot = cJSON_CreateObject();
            dm_json_set_str(slot, "name", name);
            cJSON_AddItemToArray(x->config, slot);
        }
        dm_json_set(slot, "value",
                    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v, "value"), 1));
    }
    cJSON_Delete(body);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "action", "configParams");
    cJSON_AddStringToObject(f, "installationId", x->id);
    cJSON_AddItemToObject(f, "before", before);
    cJSON_AddItemToObject(f, "after", cJSON_Duplicate(x->config, 1));
    dm_journal_add(ins->journal, "installation", call->origin.cause, f);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "data", cJSON_Duplicate(x->config, 1));
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

const dm_route dm_installs_control_routes[] = {
    {"GET", "/mock/v1/installations", h_installations, NULL, 0},
    {"POST", "/mock/v1/installations", h_installation_create, NULL, 0},
    {"GET", "/mock/v1/installations/{}", h_installation_get, NULL, 0},
    {"DELETE", "/mock/v1/installations/{}", h_installation_delete, NULL, 0},
};
const size_t dm_installs_control_nroutes =
    sizeof dm_installs_control_routes / sizeof dm_installs_control_routes[0];

const dm_route dm_installs_desk_routes[] = {
    {"GET", "/api/v1/installedExtensions/{}/configParams", h_config_params_get, NULL, 0},
    {"POST", "/api/v1/installedExtensions/{}/configParams", h_config_params_post, NULL, 0},
};
const size_t dm_installs_desk_nroutes =
    sizeof dm_installs_desk_routes / sizeof dm_installs_desk_routes[0];
