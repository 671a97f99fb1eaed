/* Object headers: type checks, use-after-destroy, and orphaning the users
 * of a destroyed object (handle.h says why each exists). */
#include "handle.h"
#include "error.h"

#include <stdlib.h>

#define HANDLE_MAGIC 0xa1f40000u
#define HANDLE_DEAD 0xdeadd1edu

static const char *const kind_names[] = {"object", "context", "parameter store", "pool", "graph"};
static const char *const destroyed_reasons[] = {
    "", "its context was destroyed", "its parameter store was destroyed",
    "a pool it gathers from was destroyed", "a graph it depends on was destroyed"};

static const char *kind_of(uint32_t magic) {
    uint32_t t = magic - HANDLE_MAGIC;
    return t >= HANDLE_CONTEXT && t <= HANDLE_GRAPH ? kind_names[t] : kind_names[0];
}

alvk_status handle_init(alvk_handle *h, handle_type type, void (*orphan)(alvk_handle *self), alvk_handle *ctx) {
    h->magic = HANDLE_MAGIC + (uint32_t)type;
    h->orphan = orphan;
    return ctx ? handle_use(h, ctx) : ALVK_OK;
}

static int append(alvk_handle ***list, int *n, int *cap, alvk_handle *h) {
    if (*n == *cap) {
        int grown = *cap ? 2 * *cap : 4;
        alvk_handle **l = realloc(*list, (size_t)grown * sizeof *l);
        if (!l) return 0;
        *list = l, *cap = grown;
    }
    (*list)[(*n)++] = h;
    return 1;
}

static void drop(alvk_handle **list, int *n, const alvk_handle *h) {
    for (int i = 0; i < *n; i++)
        if (list[i] == h) list[i--] = list[--*n];
}

alvk_status handle_use(alvk_handle *user, alvk_handle *used) {
    for (int i = 0; i < user->nuses; i++)
        if (user->uses[i] == used) return ALVK_OK;
    if (!append(&user->uses, &user->nuses, &user->capuses, used)) goto oom;
    if (!append(&used->users, &used->nusers, &used->capusers, user)) {
        user->nuses--;
        goto oom;
    }
    return ALVK_OK;
oom:
    return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "linking a %s to its %s", kind_of(user->magic),
                      kind_of(used->magic));
}

static alvk_status dead_or_wrong(const alvk_handle *h, handle_type type, const char *fn) {
    if (!h) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: the %s is NULL", fn, kind_names[type]);
    if (h->magic == HANDLE_DEAD)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: the %s was destroyed", fn, kind_names[type]);
    if (h->magic != HANDLE_MAGIC + (uint32_t)type)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: not a %s (a %s, or not an alvk object)", fn,
                          kind_names[type], kind_of(h->magic));
    return ALVK_OK;
}

alvk_status handle_check(const void *p, handle_type type, const char *fn) {
    const alvk_handle *h = p;
    alvk_status s = dead_or_wrong(h, type, fn);
    if (s == ALVK_OK && h->broken)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: this %s can only be destroyed now: %s", fn,
                          kind_names[type], h->broken);
    return s;
}

int handle_is(const void *p, handle_type type) {
    return p && ((const alvk_handle *)p)->magic == HANDLE_MAGIC + (uint32_t)type;
}

int handle_alive(const void *p, handle_type type, const char *fn) {
    return dead_or_wrong(p, type, fn) == ALVK_OK;
}

/* Users of an orphan are orphaned first: a graph's recordings go before
 * the store buffers they name. */
static void orphan(alvk_handle *h, const char *why) {
    if (h->broken) return;
    h->broken = why;
    for (int i = 0; i < h->nusers; i++) orphan(h->users[i], why);
    if (h->orphan) h->orphan(h);
}

/* Retired objects, oldest evicted (freed) first. */
static alvk_handle *quarantine[HANDLE_QUARANTINE];
static unsigned quarantine_next;
static atomic_flag quarantine_lock = ATOMIC_FLAG_INIT;

void handle_orphan_users(alvk_handle *h) {
    const char *why = destroyed_reasons[h->magic - HANDLE_MAGIC];
    for (int i = 0; i < h->nusers; i++) {
        alvk_handle *u = h->users[i];
        orphan(u, why);
        drop(u->uses, &u->nuses, h);
    }
    h->nusers = 0;
}

void handle_retire(alvk_handle *h) {
    handle_orphan_users(h);
    for (int i = 0; i < h->nuses; i++) drop(h->uses[i]->users, &h->uses[i]->nusers, h);
    free(h->users), free(h->uses);
    h->users = h->uses = NULL;
    h->nusers = h->nuses = h->capusers = h->capuses = 0;
    h->magic = HANDLE_DEAD;
    handle_spin_lock(&quarantine_lock);
    alvk_handle *evicted = quarantine[quarantine_next];
    quarantine[quarantine_next] = h;
    quarantine_next = (quarantine_next + 1) % HANDLE_QUARANTINE;
    handle_spin_unlock(&quarantine_lock);
    free(evicted);
}
