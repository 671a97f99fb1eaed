/* Host <-> device copies for memory that is not mapped (a discrete GPU's,
 * or any under force_staging): 16 MiB at a time through one host-visible
 * staging buffer per context, each chunk a copy command on the context's
 * transfer recording, waited for. Mapped memory is a memcpy. Memory
 * (memory.c) and commands (command.c) are below this: they never call it. */
#include "transfer.h"
#include "command.h"
#include "context.h"

#include <string.h>

#define STAGING_SIZE ((VkDeviceSize)16 << 20)

static alvk_status check_range(const alvk_buffer *buf, VkDeviceSize offset, size_t size) {
    if (!buf || !buf->block || offset > buf->size || size > buf->size - offset)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "bytes %llu..%llu are outside the buffer of %llu bytes",
                          (unsigned long long)offset, (unsigned long long)(offset + size),
                          (unsigned long long)(buf && buf->block ? buf->size : 0));
    return ALVK_OK;
}

/* The staging buffer, made at the first staged copy: contexts whose memory
 * is all mapped never need one. */
static alvk_status staging(alvk_context *ctx) {
    if (ctx->staging.block) return ALVK_OK;
    return alvk_host_buffer_alloc(ctx, STAGING_SIZE, &ctx->staging);
}

/* One chunk through the staging buffer: upload copies staging -> buf, a
 * download buf -> staging. */
static alvk_status staged_copy(alvk_context *ctx, const alvk_buffer *buf, VkDeviceSize offset,
                               VkDeviceSize size, int upload) {
    const alvk_buffer *st = &ctx->staging;
    alvk_status s = alvk_cmd_begin(ctx->transfer);
    if (s != ALVK_OK) return s;
    if (upload) alvk_cmd_copy(ctx->transfer, st, 0, buf, offset, size);
    else alvk_cmd_copy(ctx->transfer, buf, offset, st, 0, size);
    s = alvk_cmd_end(ctx->transfer);
    return s == ALVK_OK ? alvk_cmd_run(ctx->transfer) : s;
}

alvk_status alvk_buffer_write(alvk_context *ctx, const alvk_buffer *buf, VkDeviceSize offset,
                              const void *data, size_t size) {
    alvk_status s = check_range(buf, offset, size);
    if (s != ALVK_OK || size == 0) return s;
    if (buf->mapped) {
        memcpy(buf->mapped + offset, data, size);
        return ALVK_OK;
    }
    if ((s = staging(ctx)) != ALVK_OK) return s;
    for (size_t done = 0; done < size;) {
        size_t n = size - done < STAGING_SIZE ? size - done : (size_t)STAGING_SIZE;
        memcpy(ctx->staging.mapped, (const uint8_t *)data + done, n);
        if ((s = staged_copy(ctx, buf, offset + done, n, 1)) != ALVK_OK) return s;
        done += n;
    }
    return ALVK_OK;
}

alvk_status alvk_buffer_read(alvk_context *ctx, const alvk_buffer *buf, VkDeviceSize offset,
                             void *data, size_t size) {
    alvk_status s = check_range(buf, offset, size);
    if (s != ALVK_OK || size == 0) return s;
    if (buf->mapped) {
        memcpy(data, buf->mapped + offset, size);
        return ALVK_OK;
    }
    if ((s = staging(ctx)) != ALVK_OK) return s;
    for (size_t done = 0; done < size;) {
        size_t n = size - done < STAGING_SIZE ? size - done : (size_t)STAGING_SIZE;
        if ((s = staged_copy(ctx, buf, offset + done, n, 0)) != ALVK_OK) return s;
        memcpy((uint8_t *)data + done, ctx->staging.mapped, n);
        done += n;
    }
    return ALVK_OK;
}
