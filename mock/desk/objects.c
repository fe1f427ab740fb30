/* objects.c -- create, update and delete for the modules kept in a
 * collection (every module but tickets, threads and comments), and the
 * update every module shares: the object built from its schema, its derived
 * keys kept true, its change emitted.
 * Validation is the caller's (desk/modules.c, the org loader). */
#include "desk/store.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

/* What every agent has beside itself: its presence and its channel
 * preferences, under the agent's id (kept silently: their own events are
 * updates). */
static const char *const companions[] = {"agentPresence", "agentChannelPreference", NULL};

static void add_companions(dm_store *s, const char *agent_id)
{
    cJSON *in = cJSON_CreateObject();
    dm_json_set_str(in, "agentId", agent_id);
    for (const char *const *m = companions; *m; m++) {
        dm_coll *c = dm_store_coll(s, *m);
        if (c && !dm_map_get(c->by_id, agent_id)) dm_coll_create(s, c, in, agent_id, NULL, NULL, 1);
    }
    cJSON_Delete(in);
}

static void drop_companions(dm_store *s, const char *agent_id)
{
    for (const char *const *m = companions; *m; m++) {
        dm_coll *c = dm_store_coll(s, *m);
        cJSON *o = c ? dm_map_del(c->by_id, agent_id) : NULL;
        if (!o) continue;
        dm_vec_remove(&c->items, o);
        cJSON_Delete(o);
    }
}

cJSON *dm_coll_create(dm_store *s, dm_coll *c, const cJSON *in, const char *id,
                      const char *actor_id, const dm_origin *origin, int trusted)
{
    char fresh[DM_ID_MAX];
    if (!id) {
        dm_store_new_id(s, fresh);
        id = fresh;
    }
    int64_t now = dm_clock_now(s->clock);
    cJSON *obj = dm_schema_new_object(c->schema, in, trusted);
    dm_json_set_str(obj, "id", id);
    if (c->schema->parent) /* the object it belongs to: the caller's to give */
        dm_json_set_str(obj, c->schema->parent, dm_json_str(in, c->schema->parent));
    dm_derive(s, c->schema, obj, NULL, actor_id, now);
    dm_vec_push(&c->items, obj);
    dm_map_put(c->by_id, id, obj);
    if (strcmp(c->schema->name, "agent") == 0) add_companions(s, id);
    if (origin)
        dm_store_emit(s, c->schema->name, "create", id, dm_json_str(obj, "ticketId"), NULL, obj,
                      origin);
    return obj;
}

int dm_store_update(dm_store *s, const dm_schema *sc, cJSON *obj, const cJSON *in,
                    const dm_origin *origin)
{
    int64_t now = dm_clock_now(s->clock);
    cJSON *before = cJSON_Duplicate(obj, 1);
    dm_merge(sc, obj, in);
    dm_derive(s, sc, obj, before, origin->actor_id, now);
    int changed = !cJSON_Compare(before, obj, 1);
    if (changed) {
        dm_derive_touch(sc, obj, origin->actor_id, now);
        const char *id = dm_json_str(obj, "id");
        dm_derive_embedders(s, sc->name, id, now);
        dm_store_emit(s, sc->name, "update", id, dm_json_str(obj, "ticketId"), before, obj, origin);
    }
    cJSON_Delete(before);
    return changed;
}

int dm_coll_update(dm_store *s, dm_coll *c, cJSON *obj, const cJSON *in, const dm_origin *origin)
{
    return dm_store_update(s, c->schema, obj, in, origin);
}

void dm_coll_delete(dm_store *s, dm_coll *c, cJSON *obj, const dm_origin *origin)
{
    char id[DM_ID_MAX], ticket[DM_ID_MAX] = "";
    snprintf(id, sizeof id, "%s", dm_json_str(obj, "id"));
    const char *t = dm_json_str(obj, "ticketId");
    if (t) snprintf(ticket, sizeof ticket, "%s", t);
    dm_map_del(c->by_id, id);
    dm_vec_remove(&c->items, obj);
    if (strcmp(c->schema->name, "agent") == 0) drop_companions(s, id);
    dm_store_emit(s, c->schema->name, "delete", id, *ticket ? ticket : NULL, obj, NULL, origin);
    cJSON_Delete(obj);
}

void dm_coll_where(const dm_coll *c, const char *key, const char *value, dm_vec *out)
{
    for (size_t i = 0; i < c->items.n; i++) {
        const char *v = dm_json_str(c->items.items[i], key);
        if (v && value && strcmp(v, value) == 0) dm_vec_push(out, c->items.items[i]);
    }
}
