/* Command buffers: a recording is made once and may be submitted many times.
 * Dispatches, copies and fills are not written to the Vulkan command buffer
 * as they come: each is kept with the buffer ranges it reads and writes,
 * and given a level one past the highest earlier command it conflicts with
 * (read-after-write, write-after-read, write-after-write on overlapping
 * ranges). alvk_cmd_end writes them level by level, in recorded order within
 * a level, with one barrier between levels: barriers only where data flows,
 * and independent work (a block's shortcut and main branch, a convolution's
 * data and weight gradients) between the same two barriers. Each command
 * can be bracketed by timestamp queries. */
#include "command.h"
#include "context.h"

#include <stdlib.h>
#include <string.h>

typedef enum { CMD_DISPATCH, CMD_COPY, CMD_FILL } command_kind;

/* One deferred command. */
typedef struct command {
    command_kind kind;
    const alvk_pipeline *pipe;
    const alvk_bindset *set;
    uint32_t groups[3], push_size;
    uint8_t push[ALVK_PUSH_BYTES];
    VkBuffer src, dst;          /* copy: both; fill: dst */
    VkBufferCopy region;        /* copy */
    VkDeviceSize offset, size;  /* fill */
    uint32_t value;             /* fill */
    int32_t slot;               /* timestamp pair, or -1 */
    uint32_t first, naccess;    /* its ranges in cmd->access */
    uint32_t level;
} command;

/* A scratch buffer of the recording. */
typedef struct scratch {
    alvk_buffer buffer;
    int busy;              /* taken since the last reuse point */
    uint32_t used;         /* the epoch it was last handed out in */
} scratch;

struct alvk_cmd {
    alvk_context *ctx;
    VkCommandBuffer cb;
    VkFence fence;
    VkQueryPool queries;   /* 2 per timed command, or VK_NULL_HANDLE */
    uint32_t max_timed;
    uint32_t timed;        /* commands timed in the current recording */
    uint64_t *ticks;
    const char **labels;   /* per timed command: the shader's name, "copy" or "fill" */
    int have_ticks;        /* ticks hold the last run's results */
    /* The current recording's commands, written at alvk_cmd_end. */
    command *cmds;
    uint32_t ncmds, cap_cmds;
    alvk_access *access;
    uint32_t naccess, cap_access;
    uint32_t barriers;     /* between levels in the last alvk_cmd_end */
    int oom;               /* a command could not be kept: alvk_cmd_end fails */
    /* What the current recording owns. */
    alvk_bindset **sets;
    uint32_t nsets, cap_sets;
    scratch *scratch;
    uint32_t nscratch, cap_scratch;
    uint32_t epoch;        /* alvk_cmd_scratch_reuse calls so far */
    /* Per kind (alvk_cmd_scratch, alvk_cmd_scratch_weights): the region of
     * alvk_cmd_scratch_region until the reuse point, and what was taken. */
    alvk_buffer region[2];
    VkDeviceSize region_used[2], taken[2];
    int measuring;         /* alvk_cmd_set_measuring */
};

static void release_owned(alvk_cmd *cmd) {
    for (uint32_t i = 0; i < cmd->nsets; i++) alvk_bindset_destroy(cmd->ctx, cmd->sets[i]);
    for (uint32_t i = 0; i < cmd->nscratch; i++) alvk_buffer_free(cmd->ctx, &cmd->scratch[i].buffer);
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
    if (cmd->measuring) return *out = NULL, ALVK_OK;
    if (!grow((void **)&cmd->sets, &cmd->cap_sets, cmd->nsets, sizeof *cmd->sets))
        return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "growing a recording's binding sets");
    alvk_status s = alvk_bindset_create(cmd->ctx, pipe, bindings, n, out);
    if (s == ALVK_OK) cmd->sets[cmd->nsets++] = *out;
    return s;
}

static alvk_status take(alvk_cmd *cmd, int weights, VkDeviceSize size, alvk_buffer *out) {
    VkDeviceSize align = cmd->ctx->memory.alignment, aligned = (size + align - 1) / align * align;
    cmd->taken[weights] += aligned;
    if (cmd->measuring) return *out = (alvk_buffer){.size = size}, ALVK_OK;
    if (cmd->region_used[weights] + aligned <= cmd->region[weights].size) {
        *out = alvk_buffer_view(&cmd->region[weights], cmd->region_used[weights], size);
        cmd->region_used[weights] += aligned;
        return ALVK_OK;
    }
    /* A free scratch buffer that holds size, seen as size bytes: the one
     * used longest ago, so that consecutive ops, which may be independent,
     * do not wait on each other for their scratch (a reuse is a conflict);
     * of those the smallest. */
    int best = -1;
    for (uint32_t i = 0; i < cmd->nscratch; i++) {
        const scratch *c = &cmd->scratch[i];
        if (c->busy || c->buffer.size < size) continue;
        if (best < 0 || c->used < cmd->scratch[best].used ||
            (c->used == cmd->scratch[best].used && c->buffer.size < cmd->scratch[best].buffer.size))
            best = (int)i;
    }
    if (best < 0) {
        if (!grow((void **)&cmd->scratch, &cmd->cap_scratch, cmd->nscratch, sizeof *cmd->scratch))
            return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "growing a recording's scratch list");
        alvk_buffer b;
        alvk_status s = alvk_buffer_alloc(cmd->ctx, size, &b);
        if (s != ALVK_OK) return s;
        best = (int)cmd->nscratch++;
        cmd->scratch[best] = (scratch){.buffer = b};
    }
    cmd->scratch[best].busy = 1;
    cmd->scratch[best].used = cmd->epoch;
    *out = alvk_buffer_view(&cmd->scratch[best].buffer, 0, size);
    return ALVK_OK;
}

alvk_status alvk_cmd_scratch(alvk_cmd *cmd, VkDeviceSize size, alvk_buffer *out) {
    return take(cmd, 0, size, out);
}

alvk_status alvk_cmd_scratch_weights(alvk_cmd *cmd, VkDeviceSize size, alvk_buffer *out) {
    return take(cmd, 1, size, out);
}

void alvk_cmd_scratch_reuse(alvk_cmd *cmd) {
    for (uint32_t i = 0; i < cmd->nscratch; i++) cmd->scratch[i].busy = 0;
    cmd->epoch++;
    memset(cmd->region, 0, sizeof cmd->region);
    memset(cmd->region_used, 0, sizeof cmd->region_used);
    memset(cmd->taken, 0, sizeof cmd->taken);
}

void alvk_cmd_scratch_region(alvk_cmd *cmd, int weights, const alvk_buffer *region) {
    cmd->region[weights] = *region;
    cmd->region_used[weights] = 0;
}

VkDeviceSize alvk_cmd_scratch_taken(const alvk_cmd *cmd, int weights) { return cmd->taken[weights]; }

void alvk_cmd_set_measuring(alvk_cmd *cmd, int on) { cmd->measuring = on; }

uint64_t alvk_cmd_scratch_bytes(const alvk_cmd *cmd) {
    uint64_t sum = 0;
    for (uint32_t i = 0; i < cmd->nscratch; i++) sum += cmd->scratch[i].buffer.size;
    return sum;
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
    if (cmd->queries) vk->vkDestroyQueryPool(ctx->device, cmd->queries, ctx->allocator);
    if (cmd->fence) vk->vkDestroyFence(ctx->device, cmd->fence, ctx->allocator);
    if (cmd->cb) vk->vkFreeCommandBuffers(ctx->device, ctx->command_pool, 1, &cmd->cb);
    free(cmd->ticks);
    free(cmd->labels);
    free(cmd->cmds);
    free(cmd->access);
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
    cmd->ncmds = cmd->naccess = cmd->barriers = 0;
    cmd->oom = 0;
    release_owned(cmd);
    if (cmd->queries)
        cmd->ctx->vk.vkCmdResetQueryPool(cmd->cb, cmd->queries, 0, 2 * cmd->max_timed);
    /* A barrier's first scope reaches back over earlier submissions on the
     * queue, so this orders a replay after whatever ran before it. */
    device_barrier(cmd);
    return ALVK_OK;
}

/* Whether two commands' ranges conflict: they overlap and one of them
 * writes, by the ops' declarations or (shader) by the SPIR-V's. */
static int conflict(const alvk_cmd *cmd, const command *a, const command *b, int shader) {
    for (uint32_t i = 0; i < a->naccess; i++) {
        const alvk_access *x = &cmd->access[a->first + i];
        for (uint32_t j = 0; j < b->naccess; j++) {
            const alvk_access *y = &cmd->access[b->first + j];
            int writes = shader ? x->shader_writes || y->shader_writes : x->writes || y->writes;
            if (writes && x->buffer == y->buffer && x->lo < y->hi && y->lo < x->hi) return 1;
        }
    }
    return 0;
}

/* A new command with room for n ranges (filled by the caller), or NULL
 * when out of host memory (reported at alvk_cmd_end). */
static command *add_command(alvk_cmd *cmd, command_kind kind, uint32_t n, const char *label) {
    if (cmd->measuring) return NULL;
    if (cmd->oom || !grow((void **)&cmd->cmds, &cmd->cap_cmds, cmd->ncmds, sizeof *cmd->cmds)) {
        cmd->oom = 1;
        return NULL;
    }
    while (cmd->naccess + n > cmd->cap_access)
        if (!grow((void **)&cmd->access, &cmd->cap_access, cmd->cap_access, sizeof *cmd->access)) {
            cmd->oom = 1;
            return NULL;
        }
    command *c = &cmd->cmds[cmd->ncmds];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->first = cmd->naccess, c->naccess = n;
    c->slot = -1;
    if (cmd->queries && cmd->timed < cmd->max_timed) {
        c->slot = (int32_t)cmd->timed;
        cmd->labels[cmd->timed++] = label;
    }
    cmd->naccess += n;
    return c;
}

/* Levels the newest command: one past every earlier command it conflicts with. */
static void place(alvk_cmd *cmd) {
    command *c = &cmd->cmds[cmd->ncmds];
    for (uint32_t i = cmd->ncmds; i-- > 0;) /* newest first: high levels come early */
        if (cmd->cmds[i].level >= c->level && conflict(cmd, &cmd->cmds[i], c, 0))
            c->level = cmd->cmds[i].level + 1;
    cmd->ncmds++;
}

void alvk_cmd_dispatch(alvk_cmd *cmd, const alvk_pipeline *pipe, const alvk_bindset *set,
                       const void *push, uint32_t push_size, uint32_t gx, uint32_t gy,
                       uint32_t gz) {
    uint32_t n = 0;
    const alvk_access *ranges = set ? alvk_bindset_access(set, &n) : NULL;
    command *c = add_command(cmd, CMD_DISPATCH, n, alvk_shader_spirv(alvk_pipeline_shader(pipe)).name);
    if (!c) return;
    if (n) memcpy(&cmd->access[c->first], ranges, n * sizeof *ranges);
    c->pipe = pipe, c->set = set;
    c->groups[0] = gx, c->groups[1] = gy, c->groups[2] = gz;
    c->push_size = push_size < ALVK_PUSH_BYTES ? push_size : ALVK_PUSH_BYTES;
    if (push_size) memcpy(c->push, push, c->push_size);
    place(cmd);
}

void alvk_cmd_copy(alvk_cmd *cmd, const alvk_buffer *src, VkDeviceSize src_offset,
                   const alvk_buffer *dst, VkDeviceSize dst_offset, VkDeviceSize size) {
    command *c = add_command(cmd, CMD_COPY, 2, "copy");
    if (!c) return;
    c->src = src->buffer, c->dst = dst->buffer;
    c->region = (VkBufferCopy){.srcOffset = src->offset + src_offset,
                               .dstOffset = dst->offset + dst_offset,
                               .size = size};
    VkDeviceSize s = c->region.srcOffset, d = c->region.dstOffset;
    cmd->access[c->first] = (alvk_access){src->buffer, s, s + size, 0, 0};
    cmd->access[c->first + 1] = (alvk_access){dst->buffer, d, d + size, 1, 1};
    place(cmd);
}

void alvk_cmd_fill(alvk_cmd *cmd, const alvk_buffer *buf, VkDeviceSize size, uint32_t value) {
    command *c = add_command(cmd, CMD_FILL, 1, "fill");
    if (!c) return;
    c->dst = buf->buffer, c->offset = buf->offset, c->size = (size + 3) / 4 * 4, c->value = value;
    cmd->access[c->first] = (alvk_access){buf->buffer, c->offset, c->offset + c->size, 1, 1};
    place(cmd);
}

/* Writes one deferred command into the Vulkan command buffer. */
static void emit(alvk_cmd *cmd, const command *c) {
    alvk_vk *vk = &cmd->ctx->vk;
    VkPipelineStageFlagBits stage = c->kind == CMD_DISPATCH ? VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
                                                            : VK_PIPELINE_STAGE_TRANSFER_BIT;
    if (c->slot >= 0) vk->vkCmdWriteTimestamp(cmd->cb, stage, cmd->queries, 2 * (uint32_t)c->slot);
    if (c->kind == CMD_DISPATCH) {
        VkPipelineLayout layout = alvk_pipeline_layout(c->pipe);
        vk->vkCmdBindPipeline(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, alvk_pipeline_handle(c->pipe));
        if (c->set) {
            VkDescriptorSet ds = alvk_bindset_handle(c->set);
            vk->vkCmdBindDescriptorSets(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &ds,
                                        0, NULL);
        }
        if (c->push_size)
            vk->vkCmdPushConstants(cmd->cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, c->push_size, c->push);
        vk->vkCmdDispatch(cmd->cb, c->groups[0], c->groups[1], c->groups[2]);
    } else if (c->kind == CMD_COPY) {
        vk->vkCmdCopyBuffer(cmd->cb, c->src, c->dst, 1, &c->region);
    } else {
        vk->vkCmdFillBuffer(cmd->cb, c->dst, c->offset, c->size, c->value);
    }
    if (c->slot >= 0) vk->vkCmdWriteTimestamp(cmd->cb, stage, cmd->queries, 2 * (uint32_t)c->slot + 1);
}

static const char *name_of(const command *c) {
    return c->kind == CMD_DISPATCH ? alvk_shader_spirv(alvk_pipeline_shader(c->pipe)).name
           : c->kind == CMD_COPY   ? "copy" : "fill";
}

/* The engine's own hazard check (validation builds: the layer of Debian 12
 * does not report dispatch-after-dispatch hazards). It trusts the shaders'
 * SPIR-V rather than the ops' declarations the levels came from: every
 * pair of commands that conflict must stay in recorded order with a
 * barrier between them, i.e. on strictly increasing levels. */
static alvk_status check_hazards(const alvk_cmd *cmd) {
    for (uint32_t j = 0; j < cmd->ncmds; j++)
        for (uint32_t i = 0; i < j; i++) {
            const command *a = &cmd->cmds[i], *b = &cmd->cmds[j];
            if (a->level < b->level || !conflict(cmd, a, b, 1)) continue;
            return alvk_error(ALVK_ERROR_VALIDATION, "engine hazard check: command %u (%s) and command %u "
                              "(%s) touch the same memory, one writing it, with no barrier between "
                              "them (an op declares a written binding as an input?)",
                              i, name_of(a), j, name_of(b));
        }
    return ALVK_OK;
}

alvk_status alvk_cmd_end(alvk_cmd *cmd) {
    alvk_status s = ALVK_OK;
    uint32_t top = 0;
    for (uint32_t i = 0; i < cmd->ncmds; i++)
        if (cmd->cmds[i].level > top) top = cmd->cmds[i].level;
    /* Level by level, a level's commands in recorded order (levels times
     * commands steps, once per recording). */
    for (uint32_t level = 0; !cmd->oom && cmd->ncmds && level <= top; level++) {
        if (level) {
            device_barrier(cmd);
            cmd->barriers++;
        }
        for (uint32_t i = 0; i < cmd->ncmds; i++)
            if (cmd->cmds[i].level == level) emit(cmd, &cmd->cmds[i]);
    }
    if (cmd->oom) s = alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "keeping a recording's commands");
    else if (cmd->ctx->validation) s = check_hazards(cmd);
    /* Make the device's writes visible to the host once the fence signals. */
    barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
    VkResult r = cmd->ctx->vk.vkEndCommandBuffer(cmd->cb);
    if (s != ALVK_OK) return s;
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkEndCommandBuffer");
    return alvk_check_validation(cmd->ctx);
}

uint32_t alvk_cmd_commands(const alvk_cmd *cmd) { return cmd->ncmds; }
uint32_t alvk_cmd_barriers(const alvk_cmd *cmd) { return cmd->barriers; }

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
