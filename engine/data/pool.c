/* A dataset on the device: its images as bytes and its labels, uploaded
 * once; batches are gathered from it by index (engine/ops/gather.c), so a
 * training step sends the device nothing but the indices. */
#include "pool.h"
#include "vk/context.h"
#include "vk/transfer.h"

#include <stdlib.h>

/* Frees the device copies (the pool's own destroy, or its context's). */
static void release(alvk_handle *h) {
    alvk_pool *p = (alvk_pool *)h;
    alvk_buffer_free(p->ctx, &p->images);
    alvk_buffer_free(p->ctx, &p->labels);
}

alvk_status alvk_pool_create(alvk_context *ctx, const alvk_dataset *ds, alvk_pool **out) {
    if (!ds || !out) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_pool_create: NULL argument");
    *out = NULL;
    alvk_status s = handle_check(ctx, HANDLE_CONTEXT, "alvk_pool_create");
    if (s != ALVK_OK) return s;
    alvk_pool *p = calloc(1, sizeof *p);
    if (!p) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a pool");
    if ((s = handle_init(&p->h, HANDLE_POOL, release, &ctx->h)) != ALVK_OK) {
        free(p);
        return s;
    }
    p->ctx = ctx;
    p->count = alvk_dataset_count(ds);
    alvk_dataset_shape(ds, &p->rows, &p->cols);
    p->classes = alvk_dataset_classes(ds);
    size_t image_bytes = (size_t)p->count * p->rows * p->cols;
    s = alvk_buffer_alloc(ctx, image_bytes, &p->images);
    if (s == ALVK_OK) s = alvk_buffer_alloc(ctx, p->count, &p->labels);
    if (s == ALVK_OK) s = alvk_buffer_write(ctx, &p->images, 0, alvk_dataset_images(ds), image_bytes);
    if (s == ALVK_OK) s = alvk_buffer_write(ctx, &p->labels, 0, alvk_dataset_labels(ds), p->count);
    if (s != ALVK_OK) {
        alvk_pool_destroy(p);
        return s;
    }
    *out = p;
    return ALVK_OK;
}

void alvk_pool_destroy(alvk_pool *p) {
    if (!p || !handle_alive(p, HANDLE_POOL, "alvk_pool_destroy")) return;
    handle_orphan_users(&p->h);
    if (!p->h.broken) release(&p->h);
    handle_retire(&p->h);
}
