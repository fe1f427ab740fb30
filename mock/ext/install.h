/* install.h -- extension installations: validate, check the callback URL,
 * create the extension webhook, issue the securityContext and the extension
 * token; uninstall undoes all of it. Driven by the control API
 * (/mock/v1/installations). */
#ifndef DM_INSTALL_H
#define DM_INSTALL_H

#include "app.h"

typedef struct dm_installation {
    char id[DM_ID_MAX];
    char security_context[72]; /* 256 random bits, hex */
    char token[96];            /* the extension's OAuth token */
    char webhook_id[DM_ID_MAX];/* "" when the extension declares no webhook */
    char *name;
    char *secret;              /* the manifest's secret, or NULL */
    cJSON *manifest, *resources;
    cJSON *departments;        /* array of chosen department ids */
    cJSON *config;             /* array of {"name","value"} (configParams) */
    cJSON *callbacks;          /* callbackUrls given at install: listener -> URL */
    int64_t installed_ms;
} dm_installation;

/* Routes under /mock/v1/installations (control API). */
void dm_h_installations(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_installation_create(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_installation_get(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_installation_delete(dm_app *app, dm_req *req, dm_resp *resp);

/* Desk routes: /api/v1/installedExtensions/{id}/configParams. */
void dm_h_config_params_get(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_config_params_post(dm_app *app, dm_req *req, dm_resp *resp);

/* Lookups; NULL when unknown. */
dm_installation *dm_installation_by_id(const dm_app *app, const char *id);
dm_installation *dm_installation_by_context(const dm_app *app, const char *ctx);
/* 1 when ctx belonged to an installation that was uninstalled. */
int dm_installation_revoked(const dm_app *app, const char *ctx);

/* Drops every installation without journaling (reset, shutdown). */
void dm_installations_clear(dm_app *app);

#endif
