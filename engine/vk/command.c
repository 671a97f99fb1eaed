/* Command buffers: a recording is made once and may be submitted many times.
 * Every dispatch and copy is followed by a full compute/transfer barrier: the
 * simple, always-correct order (nothing drops them yet: barriers only where
 * data flows is the graph compiler's issue). Each dispatch can be bracketed
 * by timestamp queries. */
#include "command.h"
#include "context.h"

#include <stdlib.h>

struct alvk_cmd {
    alvk_context *ctx;
    VkCommandBuffer cb;
    VkFence fence;
    VkQueryPool queries;   /* 2 per timed dispatch, or VK_NULL_HANDLE */
    uint32_t max_timed;
    uint32_t timed;        /* dispatches timed in the current recording */
    uint64_t *ticks;
    const char **labels;   /* per timed command: the shader's name, or "copy" */
    int have_ticks;        /* ticks hold the last run's results */
    /* What the current recording owns. */
    alvk_bindset **sets;
    uint32_t nsets, cap_sets;
    alvk_buffer *scratch;
    char *scratch_busy;    /* scratch[i] is taken since the last reuse point */
    uint32_t nscratch, cap_scratch;
};

static void release_owned(alvk_cmd *cmd) {
    for (uint32_t i = 0; i < cmd->nsets; i++) alvk_bindset_destroy(cmd->ctx, cmd->sets[i]);
    for (uint32_t i = 0; i < cmd->nscratch; i++) alvk_buffer_free(cmd->ctx, &cmd->scratch[i]);
    cmd->nsets = cmd->nscratch = 0;
}

/* Makes room for one more element in a growable array. */
static int grow(void **items, uint32_t *cap, uint32_t count, size_t size) {
    if (count < *cap) return 1;
    uint32_t n = *cap ? 2 * *cap : 16;
    void *p = realloc(*items, n * size);
    if (!p) return 0;
    *items = p;
    *cap = n;
    return 1;
}

alvk_status alvk_cmd_bindset(alvk_cmd *cmd, const alvk_pipeline *pipe,
                             const alvk_binding *bindings, uint32_t n, alvk_bindset **out) {
    if (!grow((void **)&cmd->sets, &cmd->cap_sets, cmd->nsets, sizeof *cmd->sets))
        return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "growing a recording's binding sets");
    alvk_status s = alvk_bindset_create(cmd->ctx, pipe, bindings, n, out);
    if (s == ALVK_OK) cmd->sets[cmd->nsets++] = *out;
    return s;
}

alvk_status alvk_cmd_scratch(alvk_cmd *cmd, VkDeviceSize size, alvk_buffer *out) {
    /* The smallest free scratch buffer that holds size, seen as size bytes. */
    int best = -1;
    for (uint32_t i = 0; i < cmd->nscratch; i++)
        if (!cmd->scratch_busy[i] && cmd->scratch[i].size >= size &&
            (best < 0 || cmd->scratch[i].size < cmd->scratch[best].size))
            best = (int)i;
    if (best >= 0) {
        cmd->scratch_busy[best] = 1;
        *out = alvk_buffer_view(&cmd->scratch[best], 0, size);
        return ALVK_OK;
    }
    uint32_t cap = cmd->cap_scratch;
    if (!grow((void **)&cmd->scratch, &cmd->cap_scratch, cmd->nscratch, sizeof *cmd->scratch) ||
        (cmd->cap_scratch != cap && !(cmd->scratch_busy = realloc(cmd->scratch_busy, cmd->cap_scratch))))
        return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "growing a recording's scratch list");
    alvk_status s = alvk_buffer_alloc(cmd->ctx, size, out);
    if (s == ALVK_OK) {
        cmd->scratch_busy[cmd->nscratch] = 1;
        cmd->scratch[cmd->nscratch++] = *out;
    }
    return s;
}

void alvk_cmd_scratch_reuse(alvk_cmd *cmd) {
    for (uint32_t i = 0; i < cmd->nscratch; i++) cmd->scratch_busy[i] = 0;
}

alvk_context *alvk_cmd_context(const alvk_cmd *cmd) { return cmd->ctx; }

alvk_status alvk_cmd_create(alvk_context *ctx, uint32_t max_timed, alvk_cmd **out) {
    *out = NULL;
    alvk_vk *vk = &ctx->vk;
    alvk_cmd *cmd = calloc(1, sizeof *cmd);
    if (!cmd) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a command recorder");
    cmd->ctx = ctx;
    VkCommandBufferAllocateInfo ainfo = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                         .commandPool = ctx->command_pool,
                                         .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                         .commandBufferCount = 1};
    VkResult r = vk->vkAllocateCommandBuffers(ctx->device, &ainfo, &cmd->cb);
    alvk_status s = r == VK_SUCCESS ? ALVK_OK : alvk_vk_error(r, "vkAllocateCommandBuffers");
    if (s == ALVK_OK) {
        VkFenceCreateInfo finfo = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        r = vk->vkCreateFence(ctx->device, &finfo, ctx->allocator, &cmd->fence);
        if (r != VK_SUCCESS) s = alvk_vk_error(r, "vkCreateFence");
    }
    if (s == ALVK_OK && max_timed > 0 && ctx->timestamp_bits > 0) {
        VkQueryPoolCreateInfo qinfo = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                       .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                       .queryCount = 2 * max_timed};
        r = vk->vkCreateQueryPool(ctx->device, &qinfo, ctx->allocator, &cmd->queries);
        if (r != VK_SUCCESS) s = alvk_vk_error(r, "vkCreateQueryPool");
        cmd->ticks = calloc(2 * (size_t)max_timed, sizeof *cmd->ticks);
        cmd->labels = calloc(max_timed, sizeof *cmd->labels);
        if (s == ALVK_OK && (!cmd->ticks || !cmd->labels))
            s = alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating timestamps");
        cmd->max_timed = max_timed;
    }
    if (s != ALVK_OK) {
        alvk_cmd_destroy(cmd);
        return s;
    }
    *out = cmd;
    return ALVK_OK;
}

void alvk_cmd_destroy(alvk_cmd *cmd) {
    if (!cmd) return;
    alvk_context *ctx = cmd->ctx;
    alvk_vk *vk = &ctx->vk;
    release_owned(cmd);
    free(cmd->sets);
    free(cmd->scratch);
    free(cmd->scratch_busy);
    if (cmd->queries) vk->vkDestroyQueryPool(ctx->device, cmd->queries, ctx->allocator);
    if (cmd->fence) vk->vkDestroyFence(ctx->device, cmd->fence, ctx->allocator);
    if (cmd->cb) vk->vkFreeCommandBuffers(ctx->device, ctx->command_pool, 1, &cmd->cb);
    free(cmd->ticks);
    free(cmd->labels);
    free(cmd);
}

VkCommandBuffer alvk_cmd_handle(const alvk_cmd *cmd) { return cmd->cb; }

uint32_t alvk_cmd_timed_recorded(const alvk_cmd *cmd) { return cmd->timed; }

static void barrier(alvk_cmd *cmd, VkPipelineStageFlags dst_stage, VkAccessFlags dst_access) {
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = dst_access};
    cmd->ctx->vk.vkCmdPipelineBarrier(
        cmd->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, dst_stage,
        0, 1, &mb, 0, NULL, 0, NULL);
}

static void device_barrier(alvk_cmd *cmd) {
    barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                VK_ACCESS_TRANSFER_WRITE_BIT);
}

alvk_status alvk_cmd_begin(alvk_cmd *cmd) {
    VkCommandBufferBeginInfo info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkResult r = cmd->ctx->vk.vkBeginCommandBuffer(cmd->cb, &info);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkBeginCommandBuffer");
    cmd->timed = 0;
    cmd->have_ticks = 0;
    release_owned(cmd);
    if (cmd->queries)
        cmd->ctx->vk.vkCmdResetQueryPool(cmd->cb, cmd->queries, 0, 2 * cmd->max_timed);
    /* A barrier's first scope reaches back over earlier submissions on the
     * queue, so this orders a replay after whatever ran before it. */
    device_barrier(cmd);
    return ALVK_OK;
}

void alvk_cmd_dispatch(alvk_cmd *cmd, const alvk_pipeline *pipe, const alvk_bindset *set,
                       const void *push, uint32_t push_size, uint32_t gx, uint32_t gy,
                       uint32_t gz) {
    alvk_vk *vk = &cmd->ctx->vk;
    VkPipelineLayout layout = alvk_pipeline_layout(pipe);
    vk->vkCmdBindPipeline(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, alvk_pipeline_handle(pipe));
    if (set) {
        VkDescriptorSet ds = alvk_bindset_handle(set);
        vk->vkCmdBindDescriptorSets(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &ds, 0,
                                    NULL);
    }
    if (push_size) vk->vkCmdPushConstants(cmd->cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);
    int timed = cmd->queries && cmd->timed < cmd->max_timed;
    if (timed)
        vk->vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, cmd->queries,
                                2 * cmd->timed);
    vk->vkCmdDispatch(cmd->cb, gx, gy, gz);
    if (timed) {
        vk->vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, cmd->queries,
                                2 * cmd->timed + 1);
        cmd->labels[cmd->timed++] = alvk_shader_spirv(alvk_pipeline_shader(pipe)).name;
    }
    device_barrier(cmd);
}

void alvk_cmd_copy(alvk_cmd *cmd, const alvk_buffer *src, VkDeviceSize src_offset,
                   const alvk_buffer *dst, VkDeviceSize dst_offset, VkDeviceSize size) {
    VkBufferCopy region = {.srcOffset = src->offset + src_offset,
                           .dstOffset = dst->offset + dst_offset,
                           .size = size};
    alvk_vk *vk = &cmd->ctx->vk;
    int timed = cmd->queries && cmd->timed < cmd->max_timed;
    if (timed)
        vk->vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_TRANSFER_BIT, cmd->queries, 2 * cmd->timed);
    vk->vkCmdCopyBuffer(cmd->cb, src->buffer, dst->buffer, 1, &region);
    if (timed) {
        vk->vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_TRANSFER_BIT, cmd->queries,
                                2 * cmd->timed + 1);
        cmd->labels[cmd->timed++] = "copy";
    }
    device_barrier(cmd);
}

void alvk_cmd_fill(alvk_cmd *cmd, const alvk_buffer *buf, VkDeviceSize size, uint32_t value) {
    cmd->ctx->vk.vkCmdFillBuffer(cmd->cb, buf->buffer, buf->offset, (size + 3) / 4 * 4, value);
    device_barrier(cmd);
}

alvk_status alvk_cmd_end(alvk_cmd *cmd) {
    /* Make the device's writes visible to the host once the fence signals. */
    barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
    VkResult r = cmd->ctx->vk.vkEndCommandBuffer(cmd->cb);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkEndCommandBuffer");
    return alvk_check_validation(cmd->ctx);
}

alvk_status alvk_cmd_run(alvk_cmd *cmd) {
    alvk_context *ctx = cmd->ctx;
    alvk_vk *vk = &ctx->vk;
    VkResult r = vk->vkResetFences(ctx->device, 1, &cmd->fence);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkResetFences");
    VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                           .commandBufferCount = 1,
                           .pCommandBuffers = &cmd->cb};
    r = vk->vkQueueSubmit(ctx->queue, 1, &submit, cmd->fence);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkQueueSubmit");
    ctx->submissions++;
    r = vk->vkWaitForFences(ctx->device, 1, &cmd->fence, VK_TRUE, UINT64_MAX);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkWaitForFences");
    if (cmd->timed) {
        r = vk->vkGetQueryPoolResults(ctx->device, cmd->queries, 0, 2 * cmd->timed,
                                      2 * cmd->timed * sizeof(uint64_t), cmd->ticks,
                                      sizeof(uint64_t),
                                      VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
        if (r != VK_SUCCESS) return alvk_vk_error(r, "vkGetQueryPoolResults");
        cmd->have_ticks = 1;
    }
    return alvk_check_validation(ctx);
}

uint32_t alvk_cmd_timed_count(const alvk_cmd *cmd) { return cmd->have_ticks ? cmd->timed : 0; }

const char *alvk_cmd_timed_label(const alvk_cmd *cmd, uint32_t i) {
    return i < cmd->timed ? cmd->labels[i] : NULL;
}

double alvk_cmd_dispatch_ms(const alvk_cmd *cmd, uint32_t i) {
    if (!cmd->have_ticks || i >= cmd->timed) return -1.0;
    uint32_t bits = cmd->ctx->timestamp_bits;
    uint64_t mask = bits >= 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
    uint64_t dt = (cmd->ticks[2 * i + 1] - cmd->ticks[2 * i]) & mask;
    return (double)dt * cmd->ctx->limits.timestampPeriod * 1e-6;
}
