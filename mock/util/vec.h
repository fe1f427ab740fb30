/* vec.h -- a growable array of pointers, oldest first. It owns the array,
 * never what the pointers point to. */
#ifndef DM_VEC_H
#define DM_VEC_H

#include <stddef.h>

typedef struct dm_vec {
    void **items;
    size_t n, cap;
} dm_vec;

void dm_vec_push(dm_vec *v, void *item);
/* Removes item (by identity), keeping order; returns 1 when it was there. */
int dm_vec_remove(dm_vec *v, const void *item);
void dm_vec_free(dm_vec *v); /* frees the array; the vec is empty after */

#endif
