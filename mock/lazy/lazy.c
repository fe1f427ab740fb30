/* lazy.c -- the loader behind curl.c and crypto.c (see lazy.h). */
#include "lazy/lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int dm_lazy_open(const char *soname, const dm_lazy_sym *syms, size_t n, void *table)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "deskmock: cannot load %s: %s\n", soname, dlerror());
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        void *f = dlsym(lib, syms[i].name);
        if (!f) {
            fprintf(stderr, "deskmock: %s has no %s\n", soname, syms[i].name);
            dlclose(lib);
            return -1;
        }
        /* POSIX: dlsym()'s pointer may be stored as a function pointer */
        memcpy((char *)table + syms[i].off, &f, sizeof f);
    }
    return 0;
}

int dm_lazy_ready(dm_lazy *l)
{
    if (atomic_load_explicit(&l->loaded, memory_order_acquire)) return 1;
    pthread_once(&l->once, l->load);
    return atomic_load(&l->loaded);
}

int dm_lazy_loaded(dm_lazy *l)
{
    return atomic_load_explicit(&l->loaded, memory_order_acquire);
}
