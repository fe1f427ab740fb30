/* map.h -- a string-keyed hash map of borrowed values.
 * Keys are copied; values are not owned and never freed by the map. */
#ifndef DM_MAP_H
#define DM_MAP_H

#include <stddef.h>

typedef struct dm_map dm_map;

dm_map *dm_map_new(void);
void dm_map_free(dm_map *m); /* NULL does nothing */
void *dm_map_get(const dm_map *m, const char *key);
/* Sets key to value, replacing any earlier value. */
void dm_map_put(dm_map *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *dm_map_del(dm_map *m, const char *key);
size_t dm_map_count(const dm_map *m);
void dm_map_clear(dm_map *m);

#endif
