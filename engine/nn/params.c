/* The parameter store: tensors declared by name and shape, then laid out in
 * one device buffer (trainable tensors first, contiguous, so one Adam
 * dispatch covers them), with gradient, moment and snapshot buffers in the
 * same layout. Checkpoint files are in safetensors.c. */
#include "params.h"
#include "vk/command.h"
#include "vk/context.h"
#include "core/handle.h"
#include "vk/transfer.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 128

typedef struct tensor {
    char name[NAME_MAX_LEN];
    uint32_t shape[ALVK_MAX_DIMS], ndims;
    alvk_param_kind kind;
    uint64_t numel;
    VkDeviceSize offset; /* bytes, in every buffer of the store */
    alvk_init recipe;
    int has_recipe;
} tensor;

struct alvk_params {
    alvk_handle h; /* first: its context's user; its graphs' dependency */
    alvk_context *ctx;
    tensor *tensors;
    int count, cap;
    int committed, have_snapshot;
    VkDeviceSize bytes, trainable_bytes;
    alvk_buffer values, grads, m, v, snapshot;
    alvk_buffer steps; /* Adam's step count (uint32) */
};

/* Frees the device buffers (the store's own destroy, or its context's). */
static void release(alvk_handle *h) {
    alvk_params *p = (alvk_params *)h;
    alvk_buffer *bufs[] = {&p->values, &p->grads, &p->m, &p->v, &p->snapshot, &p->steps};
    for (int i = 0; i < 6; i++) alvk_buffer_free(p->ctx, bufs[i]);
}

alvk_status alvk_params_create(alvk_context *ctx, alvk_params **out) {
    if (!out) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_create: out is NULL");
    *out = NULL;
    alvk_status s = handle_check(ctx, HANDLE_CONTEXT, "alvk_params_create");
    if (s != ALVK_OK) return s;
    alvk_params *p = calloc(1, sizeof *p);
    if (!p) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a parameter store");
    if ((s = handle_init(&p->h, HANDLE_PARAMS, release, &ctx->h)) != ALVK_OK) {
        free(p);
        return s;
    }
    p->ctx = ctx;
    *out = p;
    return ALVK_OK;
}

void alvk_params_destroy(alvk_params *p) {
    if (!p || !handle_alive(p, HANDLE_PARAMS, "alvk_params_destroy")) return;
    handle_orphan_users(&p->h);
    if (!p->h.broken) release(&p->h);
    free(p->tensors);
    handle_retire(&p->h);
}

alvk_status alvk_params_usable(const alvk_params *p, const char *fn) { return handle_check(p, HANDLE_PARAMS, fn); }

int alvk_params_find(const alvk_params *p, const char *name) {
    if (alvk_params_usable(p, "alvk_params_find") != ALVK_OK) return -1;
    for (int i = 0; name && i < p->count; i++)
        if (strcmp(p->tensors[i].name, name) == 0) return i;
    return -1;
}

alvk_status alvk_params_add(alvk_params *p, const char *name, const uint32_t *shape,
                            uint32_t ndims, alvk_param_kind kind, int *index) {
    alvk_status s = alvk_params_usable(p, "alvk_params_add");
    if (s != ALVK_OK) return s;
    if (!name || !shape) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_add: NULL argument");
    if (p->committed)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_add(%s): the store is committed", name);
    if (!*name || strlen(name) >= NAME_MAX_LEN || alvk_params_find(p, name) >= 0)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_add: name \"%.200s\" is empty, "
                          "too long or taken", name);
    if (ndims < 1 || ndims > ALVK_MAX_DIMS || (kind != ALVK_PARAM_TRAINABLE && kind != ALVK_PARAM_STATE))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_add(%s): %u dimensions or kind %d",
                          name, ndims, (int)kind);
    uint64_t numel = 1;
    for (uint32_t d = 0; d < ndims; d++) {
        if (!shape[d] || numel > (1ull << 32) / shape[d])
            return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_add(%s): bad shape", name);
        numel *= shape[d];
    }
    if (p->count == p->cap) {
        int cap = p->cap ? 2 * p->cap : 64;
        tensor *grown = realloc(p->tensors, (size_t)cap * sizeof *grown);
        if (!grown) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "growing a parameter store");
        p->tensors = grown, p->cap = cap;
    }
    tensor *t = &p->tensors[p->count];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    memcpy(t->shape, shape, ndims * sizeof *shape);
    t->ndims = ndims, t->kind = kind, t->numel = numel;
    if (index) *index = p->count;
    p->count++;
    return ALVK_OK;
}

/* Zero-fills a device range with vkCmdFillBuffer (or memset when mapped). */
static alvk_status zero(alvk_context *ctx, const alvk_buffer *b) {
    if (b->mapped) {
        memset(b->mapped, 0, b->size);
        return ALVK_OK;
    }
    alvk_cmd *cmd;
    alvk_status s = alvk_cmd_create(ctx, 0, &cmd);
    if (s == ALVK_OK && (s = alvk_cmd_begin(cmd)) == ALVK_OK) {
        ctx->vk.vkCmdFillBuffer(alvk_cmd_handle(cmd), b->buffer, b->offset, b->size, 0);
        if ((s = alvk_cmd_end(cmd)) == ALVK_OK) s = alvk_cmd_run(cmd);
    }
    alvk_cmd_destroy(cmd);
    return s;
}

alvk_status alvk_params_commit(alvk_params *p) {
    alvk_status s = alvk_params_usable(p, "alvk_params_commit");
    if (s != ALVK_OK) return s;
    if (p->committed || !p->count)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_commit: already committed, or no tensors");
    /* Trainable tensors first, each at an offset every binding accepts. */
    VkDeviceSize align = p->ctx->memory.alignment, at = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < p->count; i++) {
            tensor *t = &p->tensors[i];
            if ((pass == 0) != (t->kind == ALVK_PARAM_TRAINABLE)) continue;
            t->offset = at;
            at = (at + 4 * t->numel + align - 1) / align * align;
        }
        if (pass == 0) p->trainable_bytes = at;
    }
    p->bytes = at;
    VkDeviceSize tb = p->trainable_bytes ? p->trainable_bytes : align;
    s = alvk_buffer_alloc(p->ctx, p->bytes, &p->values);
    if (s == ALVK_OK) s = alvk_buffer_alloc(p->ctx, tb, &p->grads);
    if (s == ALVK_OK) s = alvk_buffer_alloc(p->ctx, tb, &p->m);
    if (s == ALVK_OK) s = alvk_buffer_alloc(p->ctx, tb, &p->v);
    if (s == ALVK_OK) s = alvk_buffer_alloc(p->ctx, 4, &p->steps);
    alvk_buffer *bufs[] = {&p->values, &p->grads, &p->m, &p->v, &p->steps};
    for (int i = 0; i < 5 && s == ALVK_OK; i++) s = zero(p->ctx, bufs[i]);
    if (s != ALVK_OK) {
        for (int i = 0; i < 5; i++) alvk_buffer_free(p->ctx, bufs[i]);
        return s;
    }
    p->committed = 1;
    return ALVK_OK;
}

int alvk_params_count(const alvk_params *p) {
    return alvk_params_usable(p, "alvk_params_count") == ALVK_OK ? p->count : 0;
}

int alvk_params_committed(const alvk_params *p) { return p && p->committed; }
alvk_context *alvk_params_context(const alvk_params *p) { return p->ctx; }

uint64_t alvk_params_numel(const alvk_params *p, int index, alvk_param_kind kind) {
    if (alvk_params_usable(p, "alvk_params_numel") != ALVK_OK) return 0;
    if (index >= 0) return index < p->count ? p->tensors[index].numel : 0;
    uint64_t n = 0;
    for (int i = 0; i < p->count; i++)
        if (p->tensors[i].kind == kind) n += p->tensors[i].numel;
    return n;
}

static alvk_status check_index(const alvk_params *p, int i, const char *what) {
    alvk_status s = alvk_params_usable(p, what);
    if (s != ALVK_OK) return s;
    if (!p->committed || i < 0 || i >= p->count)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: no tensor %d, or the store is not "
                          "committed", what, i);
    return ALVK_OK;
}

alvk_status alvk_params_write(alvk_params *p, int i, const float *data, size_t bytes) {
    alvk_status s = check_index(p, i, "alvk_params_write");
    if (s == ALVK_OK) s = alvk_check_room("alvk_params_write", data, bytes, 4 * p->tensors[i].numel, "the tensor");
    if (s != ALVK_OK) return s;
    return alvk_buffer_write(p->ctx, &p->values, p->tensors[i].offset, data, 4 * p->tensors[i].numel);
}

alvk_status alvk_params_read(alvk_params *p, int i, float *data, size_t bytes) {
    alvk_status s = check_index(p, i, "alvk_params_read");
    if (s == ALVK_OK) s = alvk_check_room("alvk_params_read", data, bytes, 4 * p->tensors[i].numel, "the tensor");
    if (s != ALVK_OK) return s;
    return alvk_buffer_read(p->ctx, &p->values, p->tensors[i].offset, data, 4 * p->tensors[i].numel);
}

/* Gradients: tensor i's, or (i = -1) every trainable tensor's packed in
 * store order. The packed form moves the trainable region in one copy and
 * (un)packs it on the host: one transfer where per-tensor copies would be
 * dozens of submissions per step. */
static alvk_status grad_io(alvk_params *p, int i, float *data, size_t bytes, int write, const char *what) {
    alvk_status s = i == -1 ? alvk_params_usable(p, what) : check_index(p, i, what);
    if (s != ALVK_OK) return s;
    if (!p->committed) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: the store is not committed", what);
    if (i != -1 && p->tensors[i].kind != ALVK_PARAM_TRAINABLE)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: tensor %d (%s) is a state tensor: it has no "
                          "gradient", what, i, p->tensors[i].name);
    uint64_t numel = i >= 0 ? p->tensors[i].numel : alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE);
    s = alvk_check_room(what, data, bytes, 4 * numel, i >= 0 ? "the tensor" : "the gradient");
    if (s != ALVK_OK) return s;
    if (i >= 0) {
        VkDeviceSize off = p->tensors[i].offset, size = 4 * p->tensors[i].numel;
        return write ? alvk_buffer_write(p->ctx, &p->grads, off, data, size)
                     : alvk_buffer_read(p->ctx, &p->grads, off, data, size);
    }
    if (!p->trainable_bytes) return ALVK_OK;
    char *region = calloc(1, p->trainable_bytes);
    if (!region) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "%s: allocating %llu bytes", what,
                                   (unsigned long long)p->trainable_bytes);
    s = write ? ALVK_OK : alvk_buffer_read(p->ctx, &p->grads, 0, region, p->trainable_bytes);
    float *at = data;
    for (int t = 0; t < p->count && s == ALVK_OK; t++) {
        const tensor *x = &p->tensors[t];
        if (x->kind != ALVK_PARAM_TRAINABLE) continue;
        if (write) memcpy(region + x->offset, at, 4 * x->numel);
        else memcpy(at, region + x->offset, 4 * x->numel);
        at += x->numel;
    }
    if (s == ALVK_OK && write) s = alvk_buffer_write(p->ctx, &p->grads, 0, region, p->trainable_bytes);
    free(region);
    return s;
}

alvk_status alvk_params_read_grad(alvk_params *p, int i, float *data, size_t bytes) {
    return grad_io(p, i, data, bytes, 0, "alvk_params_read_grad");
}

alvk_status alvk_params_write_grad(alvk_params *p, int i, const float *data, size_t bytes) {
    return grad_io(p, i, (float *)data, bytes, 1, "alvk_params_write_grad");
}

static alvk_status copy(alvk_context *ctx, const alvk_buffer *src, const alvk_buffer *dst,
                        VkDeviceSize size) {
    alvk_cmd *cmd;
    alvk_status s = alvk_cmd_create(ctx, 0, &cmd);
    if (s == ALVK_OK && (s = alvk_cmd_begin(cmd)) == ALVK_OK) {
        alvk_cmd_copy(cmd, src, 0, dst, 0, size);
        if ((s = alvk_cmd_end(cmd)) == ALVK_OK) s = alvk_cmd_run(cmd);
    }
    alvk_cmd_destroy(cmd);
    return s;
}

alvk_status alvk_params_snapshot(alvk_params *p) {
    if (alvk_params_usable(p, "alvk_params_snapshot") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!p->committed)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_snapshot: store not committed");
    alvk_status s = ALVK_OK;
    if (!p->snapshot.block) s = alvk_buffer_alloc(p->ctx, p->bytes, &p->snapshot);
    if (s == ALVK_OK) s = copy(p->ctx, &p->values, &p->snapshot, p->bytes);
    if (s == ALVK_OK) p->have_snapshot = 1;
    return s;
}

alvk_status alvk_params_reset_optimizer(alvk_params *p) {
    if (alvk_params_usable(p, "alvk_params_reset_optimizer") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!p->committed)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_reset_optimizer: store not committed");
    alvk_buffer *bufs[] = {&p->m, &p->v, &p->steps};
    alvk_status s = ALVK_OK;
    for (int i = 0; i < 3 && s == ALVK_OK; i++) s = zero(p->ctx, bufs[i]);
    return s;
}

alvk_buffer alvk_params_steps(const alvk_params *p) { return p->steps; }

alvk_status alvk_params_restore(alvk_params *p) {
    if (alvk_params_usable(p, "alvk_params_restore") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!p->have_snapshot)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_restore: no snapshot taken");
    return copy(p->ctx, &p->snapshot, &p->values, p->bytes);
}

alvk_buffer alvk_params_value(const alvk_params *p, int i) {
    return alvk_buffer_view(&p->values, p->tensors[i].offset, 4 * p->tensors[i].numel);
}

alvk_buffer alvk_params_grad(const alvk_params *p, int i) {
    return alvk_buffer_view(&p->grads, p->tensors[i].offset, 4 * p->tensors[i].numel);
}

void alvk_params_trainable_range(const alvk_params *p, int first, int count, alvk_buffer *values,
                                 alvk_buffer *grads, alvk_buffer *m, alvk_buffer *v, uint32_t *n) {
    VkDeviceSize begin = p->trainable_bytes, end = 0;
    for (int i = first; i < first + count && i < p->count; i++) {
        const tensor *t = &p->tensors[i];
        if (t->kind != ALVK_PARAM_TRAINABLE) continue;
        if (t->offset < begin) begin = t->offset;
        if (t->offset + 4 * t->numel > end) end = t->offset + 4 * t->numel;
    }
    if (end <= begin) begin = end = 0;
    if (first <= 0 && first + count >= p->count) end = p->trainable_bytes; /* all: padding too */
    *values = alvk_buffer_view(&p->values, begin, end - begin);
    *grads = alvk_buffer_view(&p->grads, begin, end - begin);
    *m = alvk_buffer_view(&p->m, begin, end - begin);
    *v = alvk_buffer_view(&p->v, begin, end - begin);
    *n = (uint32_t)((end - begin) / 4);
}

void alvk_params_trainable(const alvk_params *p, alvk_buffer *values, alvk_buffer *grads,
                           alvk_buffer *m, alvk_buffer *v, uint32_t *n) {
    alvk_params_trainable_range(p, 0, p->count, values, grads, m, v, n);
}

const alvk_init *alvk_params_recipe(const alvk_params *p, int i) {
    return p->tensors[i].has_recipe ? &p->tensors[i].recipe : NULL;
}

void alvk_params_put_recipe(alvk_params *p, int i, const alvk_init *recipe) {
    p->tensors[i].recipe = *recipe;
    p->tensors[i].has_recipe = 1;
}

const char *alvk_params_name(const alvk_params *p, int i) { return p->tensors[i].name; }
alvk_param_kind alvk_params_kind(const alvk_params *p, int i) { return p->tensors[i].kind; }

uint32_t alvk_params_shape(const alvk_params *p, int i, uint32_t shape[ALVK_MAX_DIMS]) {
    memcpy(shape, p->tensors[i].shape, sizeof p->tensors[i].shape);
    return p->tensors[i].ndims;
}
