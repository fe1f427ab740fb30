/* probe.h -- one unsigned GET on the loop's multi handle, for the URL checks
 * Desk makes when a webhook is created or its URL changes. */
#ifndef DM_PROBE_H
#define DM_PROBE_H

#include "app.h"

/* status is the HTTP status (0 when none came); error is curl's message or
 * NULL. Called exactly once, on the loop thread, also when the mock shuts
 * down (status 0, error set). */
typedef void (*dm_probe_fn)(void *ud, long status, const char *error, double secs);

void dm_probe_get(dm_app *app, const char *url, int64_t timeout_ms, dm_probe_fn fn, void *ud);

/* Journals a finished check as a "check" record caused by the request being
 * served (app->origin.cause): {"method": "GET", url, status (null when none
 * came), error (when there is one), latencyMs}. */
void dm_probe_journal(dm_app *app, const char *url, long status, const char *error, double secs);

/* A CURLOPT_WRITEFUNCTION that drops the answer. */
size_t dm_curl_discard(char *p, size_t size, size_t n, void *ud);

/* 0 when url is an absolute http or https URL with a host; else -1 and a
 * reason in why. */
int dm_url_check(const char *url, char *why, size_t whylen);

/* 1 when url's host is 127.0.0.1 (or 127.x), localhost or [::1]. */
int dm_url_is_loopback(const char *url);

#endif
