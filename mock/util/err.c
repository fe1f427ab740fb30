/* err.c -- messages for the codes in err.h. */
#include "util/err.h"

const char *dm_strerror(int code)
{
    switch (code) {
    case DM_OK:
        return "success";
#define DM_ERR_CASE(name, msg)                                                                     \
    case DM_E##name:                                                                               \
        return msg;
        DM_ERRORS(DM_ERR_CASE)
#undef DM_ERR_CASE
    default:
        return "unknown error";
    }
}
