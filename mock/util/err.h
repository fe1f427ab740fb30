/* err.h -- deskmock's error codes, defined once.
 * Functions return 0 or a negative DM_E* code; dm_strerror() names it. */
#ifndef DM_ERR_H
#define DM_ERR_H

#define DM_ERRORS(X)                                                                               \
    X(NOMEM, "out of memory")                                                                      \
    X(INVAL, "invalid argument")                                                                   \
    X(IO, "input/output error")                                                                    \
    X(PARSE, "malformed input")                                                                    \
    X(NOTFOUND, "not found")                                                                       \
    X(EXISTS, "already exists")                                                                    \
    X(LIMIT, "limit exceeded")                                                                     \
    X(BIND, "cannot bind the listening socket")                                                    \
    X(HTTP, "the HTTP server failed")                                                              \
    X(CURL, "libcurl failed")

enum {
    DM_OK = 0,
#define DM_ERR_ENUM(name, msg) DM_E##name,
    DM_ERR_FIRST_ = -100,
    DM_ERRORS(DM_ERR_ENUM)
#undef DM_ERR_ENUM
};

/* The message for an error code; never NULL. */
const char *dm_strerror(int code);

#endif
