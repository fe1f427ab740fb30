/* test_record.c -- deskmock record's scrubber and the record -> trigger
 * round trip: recorded fixtures lint clean, contain none of the source's
 * personal data, and trigger again with the same (scrubbed) payloads. The
 * scrub cases include the inputs fuzz_scrub once found leaking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixtures/lint.h"
#include "fixtures/scrub.h"
#include "receiver.h"
#include "support.h"
#include "util/json.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ==== The scrubber ==== */

/* Every string (and key) holds nothing that looks like an email or phone
 * but the scrubber's own placeholders. */
static int placeholder(const char *s, size_t n)
{
    if (n == 11 && strncmp(s, "+1 555 01", 9) == 0) return 1;
    return n > 18 && strncmp(s, "person", 6) == 0 && strncmp(s + n - 12, "@example.com", 12) == 0;
}

static void assert_clean(const cJSON *n)
{
    const char *texts[2] = {n->string, cJSON_IsString(n) ? n->valuestring : NULL};
    for (int i = 0; i < 2; i++) {
        size_t off = 0, len;
        while (texts[i] && dm_scrub_next(texts[i], &off, &len)) {
            if (!placeholder(texts[i] + off, len))
                fail_msg("personal data left: \"%.*s\" in \"%s\"", (int)len, texts[i] + off,
                         texts[i]);
            off += len;
        }
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, n)
        assert_clean(c);
}

static cJSON *scrubbed(dm_scrub *s, const char *json)
{
    cJSON *ev = NULL;
    if (dm_json_parse(json, strlen(json), &ev, NULL, 0)) fail_msg("bad test JSON: %s", json);
    dm_scrub_event(s, ev);
    return ev;
}

/* A corpus built to hide personal data everywhere: none survives. */
static void scrub_leaves_no_email_or_phone_behind(void **state)
{
    (void)state;
    static const char *const corpus[] = {
        "{\"eventType\":\"Ticket_Add\",\"orgId\":\"60008888888\",\"eventTime\":\"1767225600000\","
        "\"payload\":{\"id\":\"18920000000000401\",\"subject\":\"Call +1 (415) 555-2671\","
        "\"email\":\"jane.doe@corp.example\",\"phone\":\"020 7946 0958\",\"cf\":{\"cf_backup\":"
        "\"reach me at j.doe+desk@mail.example or +44 20 7946 0958\"},\"contact\":{\"firstName\":"
        "\"Jane\",\"lastName\":\"Doe\",\"email\":\"jane.doe@corp.example\",\"mobile\":\"+91 98765 "
        "43210\"},"
        "\"webUrl\":\"https://desk.zoho.com/support/acme/ShowHomePage.do#Cases/dv/1\","
        "\"secondaryContacts\":[\"ops@corp.example\",\"+1 212 555 0199\"]}}",
        /* found by fuzz_scrub: personal data in keys and in keyless strings */
        "{\"eventType\":\"X\",\"payload\":{\"note ann@x.example\":1},\"tags\":[\"bob@y.example\"]}",
        "\"ada.admin@zylker.example\"",
        /* found by fuzz_scrub: a URL field, and text next to a placeholder */
        ("{\"portalURL\":\")i@zslker.co;&ticket 182mpTi@zslker.example\",\"x\":\"1000+1 415 555 "
         "2671\"}"),
        "{\"x\":\"ravi@a.example%0000eacravi.agent@zyeker.example\"}",
        "{\"x\":\"+++/++++1++++++++15812++++1920++1 555 0109\"}",
    };
    dm_scrub *s = dm_scrub_new();
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        cJSON *ev = scrubbed(s, corpus[i]);
        assert_clean(ev);
        char *out = dm_json_print(ev);
        static const char *const originals[] = {
            "jane.doe@corp.example", "555-2671", "7946 0958", "98765 43210",
            "ops@corp.example",      "acme",     "Jane",      "ann@x.example",
            "bob@y.example",         "ada.admin"};
        for (size_t k = 0; k < sizeof originals / sizeof originals[0]; k++)
            if (strstr(out, originals[k])) fail_msg("\"%s\" survived in %s", originals[k], out);
        free(out);
        cJSON_Delete(ev);
    }
    dm_scrub_free(s);
}

/* The same value always becomes the same placeholder, so relations survive. */
static void scrub_is_stable_across_fields_and_events(void **state)
{
    (void)state;
    dm_scrub *s = dm_scrub_new();
    cJSON *a = scrubbed(s, "{\"payload\":{\"email\":\"Jane@Corp.example\",\"contact\":{\"email\":"
                           "\"jane@corp.example\"}}}");
    cJSON *b = scrubbed(s, "{\"payload\":{\"to\":\"jane@corp.example\"}}");
    const cJSON *pa = cJSON_GetObjectItemCaseSensitive(a, "payload");
    const char *e1 = dmt_str(pa, "email");
    const char *e2 = dmt_str(cJSON_GetObjectItemCaseSensitive(pa, "contact"), "email");
    const char *e3 = dmt_str(cJSON_GetObjectItemCaseSensitive(b, "payload"), "to");
    assert_string_equal(e1, e2);
    assert_string_equal(e1, e3);
    assert_string_equal(e1, "person1@example.com");
    cJSON_Delete(a);
    cJSON_Delete(b);
    dm_scrub_free(s);
}

/* Ids, times, counts, flags and department names are not personal data. */
static void scrub_keeps_ids_times_counts_and_departments(void **state)
{
    (void)state;
    dm_scrub *s = dm_scrub_new();
    cJSON *ev = scrubbed(
        s,
        "{\"payload\":{\"id\":\"18920000000000401\",\"createdTime\":\"2026-01-05T09:15:00.000Z\","
        "\"threadCount\":\"2\",\"isSpam\":false,\"department\":{\"id\":\"1\",\"name\":\"Support\"},"
        "\"note\":\"189200000000004 follows\"}}");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(ev, "payload");
    assert_string_equal(dmt_str(p, "id"), "18920000000000401");
    assert_string_equal(dmt_str(p, "createdTime"), "2026-01-05T09:15:00.000Z");
    assert_string_equal(dmt_str(p, "threadCount"), "2");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p, "isSpam")));
    assert_string_equal(dmt_str(cJSON_GetObjectItemCaseSensitive(p, "department"), "name"),
                        "Support");
    /* an id followed by a space is not a phone (fuzz_scrub found this) */
    assert_string_equal(dmt_str(p, "note"), "189200000000004 follows");
    cJSON_Delete(ev);
    dm_scrub_free(s);
}

/* ==== record -> lint -> trigger ==== */

static pid_t start_record(const char *dir, int count, char *url, size_t urllen)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        char n[16];
        snprintf(n, sizeof n, "%d", count);
        execl(DM_DESKMOCK_BIN, DM_DESKMOCK_BIN, "record", "--port", "0", "--out", dir, "--count", n,
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[512];
    size_t used = 0;
    url[0] = '\0';
    while (!url[0] && used < sizeof buf - 1) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0) break;
        ssize_t k = read(fds[0], buf + used, sizeof buf - 1 - used);
        if (k <= 0) break;
        used += (size_t)k;
        buf[used] = '\0';
        const char *at = strstr(buf, "http://");
        const char *end = at ? strchr(at, ',') : NULL;
        if (at && end) snprintf(url, urllen, "%.*s", (int)(end - at), at);
    }
    close(fds[0]);
    if (!url[0]) fail_msg("deskmock record did not say where it listens");
    return pid;
}

static void make_webhook(dmt_mock *m, const char *url)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"name\":\"rec\",\"url\":\"%s/hook\",\"subscriptions\":{\"Ticket_Update\":"
             "{\"includePrevState\":true},\"Ticket_Comment_Add\":null}}",
             url);
    dmt_resp r = dmt_api(m, "POST", "/api/v1/webhooks", DMT_ADMIN, body);
    if (r.status != 200) fail_msg("webhook: %ld %s", r.status, r.body);
    dmt_resp_free(&r);
}

/* Fixtures under dir/<type>/, as {path, parsed} pairs, in name order. */
static size_t saved_fixtures(const char *dir, char paths[][512], size_t max)
{
    size_t n = 0;
    const char *types[] = {"Ticket_Update", "Ticket_Comment_Add"};
    for (size_t t = 0; t < 2; t++) {
        char sub[400];
        snprintf(sub, sizeof sub, "%s/%s", dir, types[t]);
        DIR *d = opendir(sub);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d)) && n < max)
            if (strstr(e->d_name, ".json"))
                snprintf(paths[n++], 512, "%.200s/%.200s", sub, e->d_name);
        closedir(d);
    }
    return n;
}

/* Record real deliveries, lint them, trigger them on a second mock: the
 * receiver there gets exactly the recorded (scrubbed) payloads. */
static void record_then_trigger_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/dmt-record-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[256];
    pid_t rec = start_record(dir, 2, url, sizeof url);
    dmt_mock *a = dmt_mock_start(NULL);
    make_webhook(a, url);
    dmt_resp r =
        dmt_api(a, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_AGENT, "{\"status\":\"Closed\"}");
    dmt_resp_free(&r);
    r = dmt_api(a, "POST", "/api/v1/tickets/" DMT_TICKET "/comments", DMT_AGENT,
                "{\"content\":\"Ring Maria on +1 555 0101 or maria.lopez@example.com\"}");
    dmt_resp_free(&r);
    int st;
    assert_int_equal(waitpid(rec, &st, 0), rec); /* --count 2: it stops by itself */
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    dmt_mock_stop(a);

    char paths[8][512];
    size_t n = saved_fixtures(dir, paths, 8);
    assert_int_equal(n, 2);
    dmt_recv *rx = dmt_recv_start();
    dmt_mock *b = dmt_mock_start(NULL);
    make_webhook(b, dmt_recv_url(rx));
    for (size_t i = 0; i < n; i++) {
        /* lints clean */
        dm_buf out = {0}, errs = {0};
        size_t files = 0, errors = 0;
        assert_int_equal(dm_lint_path(paths[i], &out, &files, &errors, &errs), 0);
        if (errors) fail_msg("%s does not lint:\n%s", paths[i], out.data ? out.data : "");
        dm_buf_free(&out);
        dm_buf_free(&errs);
        /* no personal data from the source */
        char *text = dmt_read_file(paths[i], NULL);
        if (strstr(text, "maria.lopez@example.com") || strstr(text, "Maria") ||
            strstr(text, "ravi.agent"))
            fail_msg("%s kept personal data:\n%s", paths[i], text);
        /* triggers again, with the recorded payload */
        cJSON *fx = cJSON_Parse(text);
        free(text);
        cJSON *req = cJSON_CreateObject();
        cJSON_AddItemToObject(req, "fixture", cJSON_Duplicate(fx, 1));
        char *body = cJSON_PrintUnformatted(req);
        r = dmt_ctl(b, "POST", "/mock/v1/events", body);
        if (r.status != 200) fail_msg("trigger %s: %ld %s", paths[i], r.status, r.body);
        dmt_resp_free(&r);
        free(body);
        cJSON_Delete(req);
        assert_int_equal(dmt_recv_wait(rx, "POST", i + 1, 10000), i + 1);
        const dmt_hit *h = dmt_recv_hit(rx, "POST", i);
        const cJSON *got =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(h->json, 0), "payload");
        if (!cJSON_Compare(got, cJSON_GetObjectItemCaseSensitive(fx, "payload"), 1))
            fail_msg("%s: the triggered payload differs from the recorded one", paths[i]);
        cJSON_Delete(fx);
        unlink(paths[i]);
    }
    dmt_mock_stop(b);
    dmt_recv_stop(rx);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scrub_leaves_no_email_or_phone_behind),
        cmocka_unit_test(scrub_is_stable_across_fields_and_events),
        cmocka_unit_test(scrub_keeps_ids_times_counts_and_departments),
        cmocka_unit_test(record_then_trigger_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
