/* lazy.h -- shared libraries the deskmock binary loads on first use.
 *
 * Start-up is a measured promise (bench/README.md): `deskmock serve` must be
 * answering within 1.5x of a bare libmicrohttpd server. libcurl (with the 22
 * libraries Debian's build brings) and libcrypto cost more to map and
 * relocate than the rest of start-up together, and a mock that has not yet
 * sent a delivery or checked a HASH needs neither. So the deskmock binary does
 * not link them: curl.c and crypto.c define the functions deskmock calls, and
 * the first call dlopen()s the library and forwards from then on.
 *
 * Only the deskmock executable compiles this folder (CMake target property
 * DESKMOCK_LAZY_LIBS); libdeskmock, libdeskharness, the tests and users'
 * programs link both libraries as usual. A function deskmock starts to call
 * that is missing here is a link error, not a silent fallback.
 *
 * When a library cannot be loaded, the reason is printed once on stderr and
 * its functions fail the way the library's own do when they cannot start
 * (NULL handles, error codes); see each file. */
#ifndef DM_LAZY_H
#define DM_LAZY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* One function to resolve: its name and where its pointer goes in a table. */
typedef struct dm_lazy_sym {
    const char *name;
    size_t off;
} dm_lazy_sym;

#define DM_LAZY_SYM(table_type, field, name) {name, offsetof(table_type, field)}

/* dlopen()s soname and fills every function pointer of table. 0, or -1 after
 * printing why (the library then stays unloaded). */
int dm_lazy_open(const char *soname, const dm_lazy_sym *syms, size_t n, void *table);

/* A library's state: load runs once (from whichever thread calls first) and
 * sets loaded when the library is usable. */
typedef struct dm_lazy {
    pthread_once_t once;
    atomic_int loaded;
    void (*load)(void);
} dm_lazy;

#define DM_LAZY_INIT(load_fn) {PTHREAD_ONCE_INIT, 0, load_fn}

/* 1 when the library is loaded, loading it on the first call; 0 when it
 * cannot be. Cheap once loaded (one atomic load). */
int dm_lazy_ready(dm_lazy *l);
/* 1 when already loaded; never loads. */
int dm_lazy_loaded(dm_lazy *l);

#endif
