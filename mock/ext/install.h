/* install.h -- one org's extension installations: validate, check the
 * webhook URL, create the extension webhook, issue the securityContext and
 * the extension token; uninstall undoes all of it. Driven by the control API
 * (/mock/v1/installations); the Desk API's configParams routes are here too.
 * Both route tables' handle is the org's dm_installs. */
#ifndef DM_INSTALL_H
#define DM_INSTALL_H

#include "desk/store.h"
#include "hooks/hooks.h"
#include "http/http.h"
#include "util/waits.h"
#include "journal/journal.h"
#include "net/outbound.h"

typedef struct dm_installation {
    char id[DM_ID_MAX];
    char security_context[72];  /* 256 random bits, hex */
    char token[96];             /* the extension's OAuth token */
    char webhook_id[DM_ID_MAX]; /* "" when the extension declares no webhook */
    char *name;
    char *secret; /* the manifest's secret, or NULL */
    cJSON *manifest, *resources;
    cJSON *departments; /* array of chosen department ids */
    cJSON *config;      /* array of {"name","value"} (configParams) */
    cJSON *callbacks;   /* callbackUrls given at install: listener -> URL */
    int64_t installed_ms;
} dm_installation;

typedef struct dm_installs dm_installs;

/* The installations of store's org: their webhooks live in hooks, their
 * records in journal; listener callbacks go through out and wait in waits.
 * All borrowed. */
dm_installs *dm_installs_new(dm_store *store, dm_hooks *hooks, dm_journal *journal,
                             dm_outbound *out, dm_waits *waits);
void dm_installs_free(dm_installs *ins); /* NULL does nothing */
/* Drops every installation and revocation without journaling (reset). */
void dm_installs_clear(dm_installs *ins);
size_t dm_installs_count(const dm_installs *ins);

/* Lookups; NULL when unknown. */
dm_installation *dm_installation_by_id(const dm_installs *ins, const char *id);
dm_installation *dm_installation_by_context(const dm_installs *ins, const char *ctx);
/* 1 when ctx belonged to an installation that was uninstalled. */
int dm_installation_revoked(const dm_installs *ins, const char *ctx);

/* /mock/v1/installations[/{id}] and /api/v1/installedExtensions/{id}/configParams. */
extern const dm_route dm_installs_control_routes[];
extern const size_t dm_installs_control_nroutes;
extern const dm_route dm_installs_desk_routes[];
extern const size_t dm_installs_desk_nroutes;

#endif
