/* main.c -- the deskmock command: picks the subcommand. */
#include "cli/cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DESKMOCK_VERSION
#define DESKMOCK_VERSION "dev"
#endif

int dm_cli_number(const char *s, long long min, long long max, long long *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int dm_cli_option_number(const char *cmd, const char *opt, const char *arg, long long min,
                         long long max, const char *want, long long *out)
{
    if (dm_cli_number(arg, min, max, out) == 0) return 0;
    if (want)
        fprintf(stderr, "deskmock %s: %s %s: expected %s\n", cmd, opt, arg, want);
    else
        fprintf(stderr, "deskmock %s: %s %s: expected %lld to %lld\n", cmd, opt, arg, min, max);
    return -1;
}

int dm_cli_option_choice(const char *cmd, const char *opt, const char *arg,
                         const char *const *choices, int *out)
{
    for (int i = 0; choices[i]; i++)
        if (strcmp(arg, choices[i]) == 0) {
            *out = i;
            return 0;
        }
    fprintf(stderr, "deskmock %s: %s %s: expected ", cmd, opt, arg);
    for (int i = 0; choices[i]; i++)
        fprintf(stderr, "%s%s", i ? (choices[i + 1] ? ", " : " or ") : "", choices[i]);
    fputc('\n', stderr);
    return -1;
}

void dm_cli_on_stop(void (*handler)(int))
{
    struct sigaction sa = {0};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void usage(FILE *out)
{
    fputs("usage: deskmock <command> [options]\n"
          "\n"
          "A mock Zoho Desk for testing Desk extensions and webhook receivers.\n"
          "\n"
          "commands:\n"
          "  demo      run the whole loop on built-in defaults and show its timeline\n"
          "  serve     run the mock: the Desk REST API, the journal and the control API\n"
          "  trigger   make a running mock raise an event, and show its deliveries\n"
          "  record    listen as a receiver and save real deliveries as fixtures\n"
          "  check     run the conformance scenarios against a receiver (JUnit, TAP)\n"
          "  expect    judge one expectation on a running mock (delivered, call, no-loop, ...)\n"
          "  validate  check an extension folder (plugin-manifest.json, resources.json)\n"
          "  fixtures  lint event fixtures (fixtures lint DIR...)\n"
          "  schema    print the reference of the Desk modules the mock holds\n"
          "\n"
          "Run 'deskmock <command> --help' for a command's options.\n"
          "  -h, --help     show this help\n"
          "  --version      print the version\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("deskmock %s\n", DESKMOCK_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"demo", dm_cli_demo},         {"serve", dm_cli_serve},   {"trigger", dm_cli_trigger},
        {"record", dm_cli_record},     {"check", dm_cli_check},   {"validate", dm_cli_validate},
        {"fixtures", dm_cli_fixtures}, {"expect", dm_cli_expect}, {"schema", dm_cli_schema},
    };
    size_t i = 0;
    while (i < sizeof commands / sizeof commands[0] && strcmp(cmd, commands[i].name) != 0)
        i++;
    if (i == sizeof commands / sizeof commands[0]) {
        fprintf(stderr, "deskmock: '%s' is not a command; see 'deskmock --help'\n", cmd);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = commands[i].run(argc - 1, argv + 1);
    curl_global_cleanup();
    return rc;
}
