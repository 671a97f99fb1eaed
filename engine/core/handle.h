/* What every public object (context, parameter store, pool, graph) begins
 * with: a type tag that turns a stale or wrong pointer into an error, and
 * the links that keep objects which use one another safe whatever order
 * they are destroyed in.
 *
 * Use after destroy. Destroying an object frees everything it holds but
 * keeps its header, marked dead, among the last HANDLE_QUARANTINE destroyed
 * objects of the process, so a later call on it is an error, not a read of
 * freed memory. Only beyond that many later destroys may the memory be
 * reused (and a stale pointer then go unnoticed): the guarantee of a
 * generation check, bounded in memory, without changing the handles'
 * pointer type.
 *
 * Objects that use others. A graph uses its context, its parameter store
 * and the pools it gathers from; a store and a pool use their context.
 * Destroying an object that others use first *orphans* them: each frees its
 * device resources (while the device still exists) and is from then on
 * broken, failing every call with the reason, until its owner destroys it.
 *
 * Threads: the quarantine is shared by the process and locked; everything
 * else is the object's, used by one thread at a time (alvk.h). */
#ifndef ALVK_HANDLE_H
#define ALVK_HANDLE_H

#include <stdatomic.h>

#include "alvk/alvk.h"

#define HANDLE_QUARANTINE 256

typedef enum handle_type { HANDLE_CONTEXT = 1, HANDLE_PARAMS, HANDLE_POOL, HANDLE_GRAPH } handle_type;

typedef struct alvk_handle alvk_handle;
struct alvk_handle {
    uint32_t magic; /* HANDLE_MAGIC + type while alive, HANDLE_DEAD after destroy */
    /* Frees the device resources of an object whose dependency is being
     * destroyed (set at creation; NULL for the context, which uses nothing). */
    void (*orphan)(alvk_handle *self);
    const char *broken; /* why it can no longer be used, or NULL */
    alvk_handle **users, **uses; /* who depends on it, what it depends on */
    int nusers, nuses, capusers, capuses;
};

/* Starts the header of a new object (calloc'ed, header first) and links it
 * to the context it is made on (NULL for a context). On failure (out of
 * memory) nothing is linked: the caller frees the object as it is. */
alvk_status handle_init(alvk_handle *h, handle_type type, void (*orphan)(alvk_handle *self), alvk_handle *ctx);
/* Records that user depends on used; ALVK_ERROR_OUT_OF_HOST_MEMORY or OK. */
alvk_status handle_use(alvk_handle *user, alvk_handle *used);
/* Checks that h is a live object of this type that can still be used;
 * otherwise an error naming fn and the cause (NULL, destroyed, another
 * kind of object, orphaned by which destroy). */
alvk_status handle_check(const void *h, handle_type type, const char *fn);
/* Quietly: 1 when h is a live object of this type (possibly broken). */
int handle_is(const void *h, handle_type type);
/* For destroy functions: 1 when h is a live object of this type, possibly
 * broken; otherwise 0 and the thread's last error says why. */
int handle_alive(const void *h, handle_type type, const char *fn);
/* A destroy's first step: orphans every user (reason: "its <kind> was
 * destroyed") while h's own resources still exist. */
void handle_orphan_users(alvk_handle *h);
/* A destroy's last step, after freeing the object's own resources:
 * unlinks h from what it uses and hands the object to the quarantine,
 * which frees it later. The object must not be touched afterwards. */
void handle_retire(alvk_handle *h);

/* A process-wide spinlock around a few instructions of bookkeeping shared
 * by every thread (the quarantine, the graph tags): never held across a
 * call that can block or fail. */
static inline void handle_spin_lock(atomic_flag *f) {
    while (atomic_flag_test_and_set_explicit(f, memory_order_acquire)) {}
}
static inline void handle_spin_unlock(atomic_flag *f) { atomic_flag_clear_explicit(f, memory_order_release); }

#endif
