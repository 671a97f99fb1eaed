/* Batch gathering: the image pool stays on the device as u8, and each step
 * uploads only an index list, which this kernel turns into a float batch
 * and its labels. */
#include "ops.h"

#define LOCAL 64

static alvk_status need(const char *what, const alvk_buffer *b, uint64_t bytes) {
    if (!b) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "gather: no %s buffer", what);
    if (b->size < bytes)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "gather: %s holds %llu bytes, needs %llu",
                          what, (unsigned long long)b->size, (unsigned long long)bytes);
    return ALVK_OK;
}

alvk_status alvk_op_gather(alvk_cmd *cmd, const alvk_buffer *pool, uint32_t image_bytes,
                           const alvk_buffer *labels_pool, const alvk_buffer *indices,
                           uint32_t B, const alvk_buffer *batch,
                           const alvk_buffer *batch_labels) {
    uint64_t n = (uint64_t)B * image_bytes;
    /* n / 4 invocations, each touching elements up to 4 past its first. */
    if (!B || !image_bytes || n > UINT32_MAX / 4)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "gather: bad shape B=%u image_bytes=%u",
                          B, image_bytes);
    alvk_status s = need("pool", pool, image_bytes);
    if (s != ALVK_OK) return s;
    uint64_t images = pool->size / image_bytes;
    if (images > UINT32_MAX)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "gather: %llu images in the pool",
                          (unsigned long long)images);
    s = need("labels_pool", labels_pool, images);
    if (s == ALVK_OK) s = need("indices", indices, 4ull * B);
    if (s == ALVK_OK) s = need("batch", batch, 4 * n);
    if (s == ALVK_OK) s = need("batch_labels", batch_labels, 4ull * B);
    if (s != ALVK_OK) return s;
    alvk_kernel k = {.shader = ALVK_SHADER_gather, .local = {LOCAL}};
    alvk_binding b[5] = {alvk_in1u(pool), alvk_in1u(labels_pool), alvk_in1u(indices), alvk_out(batch),
                         alvk_out(batch_labels)};
    struct { uint32_t B, image_bytes, images; } push = {B, image_bytes, (uint32_t)images};
    return alvk_op_dispatch_1d(cmd, k, b, 5, &push, sizeof push, (n + 3) / 4);
}
