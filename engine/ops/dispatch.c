/* What every op does to record a dispatch: pick the shader variant for the
 * device's read path, get the pipeline, bind, dispatch. */
#include "ops.h"
#include "vk/context.h"

#include <stdlib.h>
#include <string.h>

alvk_binding alvk_in4(const alvk_buffer *b) {
    return (alvk_binding){.buffer = *b, .format = VK_FORMAT_R32G32B32A32_SFLOAT};
}
alvk_binding alvk_in1(const alvk_buffer *b) {
    return (alvk_binding){.buffer = *b, .format = VK_FORMAT_R32_SFLOAT};
}
alvk_binding alvk_in1u(const alvk_buffer *b) {
    return (alvk_binding){.buffer = *b, .format = VK_FORMAT_R32_UINT};
}
alvk_binding alvk_out(const alvk_buffer *b) { return (alvk_binding){.buffer = *b, .writes = 1}; }

/* The texel twin of a shader is compiled right after it, named NAME_texel. */
static alvk_shader_id variant(alvk_context *ctx, alvk_shader_id id) {
    if (id + 1 >= ALVK_SHADER_COUNT || alvk_ops_read_path(ctx) != ALVK_READ_TEXEL) return id;
    alvk_spirv base = alvk_shader_spirv(id), twin = alvk_shader_spirv(id + 1);
    size_t n = strlen(base.name);
    if (strncmp(twin.name, base.name, n) == 0 && strcmp(twin.name + n, "_texel") == 0)
        return id + 1;
    return id;
}

alvk_status alvk_op_dispatch(alvk_cmd *cmd, alvk_kernel kernel, const alvk_binding *bindings,
                             uint32_t nbind, const void *push, uint32_t push_size,
                             const uint32_t groups[3]) {
    alvk_context *ctx = alvk_cmd_context(cmd);
    if (!kernel.as_named) kernel.shader = variant(ctx, kernel.shader);
    for (int i = 0; i < 3; i++)
        if (groups[i] > ctx->limits.maxComputeWorkGroupCount[i])
            return alvk_error(ALVK_ERROR_UNSUPPORTED, "%s: %u workgroups in dimension %d exceed "
                              "the device's %u", alvk_shader_spirv(kernel.shader).name, groups[i],
                              i, ctx->limits.maxComputeWorkGroupCount[i]);
    alvk_pipeline *pipe;
    alvk_bindset *set;
    alvk_status s = alvk_pipeline_get(ctx, &kernel, &pipe);
    if (s == ALVK_OK) s = alvk_cmd_bindset(cmd, pipe, bindings, nbind, &set);
    if (s != ALVK_OK) return s;
    if (groups[0] && groups[1] && groups[2])
        alvk_cmd_dispatch(cmd, pipe, set, push, push_size, groups[0], groups[1], groups[2]);
    return ALVK_OK;
}

alvk_status alvk_op_dispatch_1d(alvk_cmd *cmd, alvk_kernel kernel, const alvk_binding *bindings,
                                uint32_t nbind, const void *push, uint32_t push_size,
                                uint64_t items) {
    return alvk_op_dispatch_layers(cmd, kernel, bindings, nbind, push, push_size, items, 1);
}

/* `groups` workgroups along x, folded into y past the device's per-dimension
 * count (the shader flattens gl_WorkGroupID), `layers` along z. */
static alvk_status dispatch_folded(alvk_cmd *cmd, alvk_kernel kernel, const alvk_binding *bindings,
                                   uint32_t nbind, const void *push, uint32_t push_size,
                                   uint64_t groups, uint32_t layers) {
    uint64_t max_x = alvk_cmd_context(cmd)->limits.maxComputeWorkGroupCount[0];
    uint32_t grid[3] = {(uint32_t)(groups < max_x ? groups : max_x),
                        (uint32_t)((groups + max_x - 1) / max_x), layers};
    if (groups == 0) grid[0] = grid[1] = 0;
    return alvk_op_dispatch(cmd, kernel, bindings, nbind, push, push_size, grid);
}

alvk_status alvk_op_dispatch_groups(alvk_cmd *cmd, alvk_kernel kernel, const alvk_binding *bindings,
                                    uint32_t nbind, const void *push, uint32_t push_size,
                                    uint64_t groups) {
    return dispatch_folded(cmd, kernel, bindings, nbind, push, push_size, groups, 1);
}

alvk_status alvk_op_dispatch_layers(alvk_cmd *cmd, alvk_kernel kernel,
                                    const alvk_binding *bindings, uint32_t nbind,
                                    const void *push, uint32_t push_size, uint64_t items,
                                    uint32_t layers) {
    uint64_t local = kernel.local[0] ? kernel.local[0] : 1;
    return dispatch_folded(cmd, kernel, bindings, nbind, push, push_size, (items + local - 1) / local,
                           layers);
}

#define RACE_ROUNDS 5
#define RACE_MAX_WAYS 16
#define RACE_MAX_TIMED 8

/* A way's GPU time, or -1 without timestamps (an untimed way cannot win).
 * The ways raced here record at most three dispatches, well within
 * RACE_MAX_TIMED (later ones would go untimed). */
static double recorded_ms(const alvk_cmd *cmd) {
    if (!alvk_cmd_timed_count(cmd)) return -1;
    double sum = 0;
    for (uint32_t i = 0; i < alvk_cmd_timed_count(cmd); i++) {
        double ms = alvk_cmd_dispatch_ms(cmd, i);
        if (ms < 0) return -1;
        sum += ms;
    }
    return sum;
}

int alvk_race(alvk_context *ctx, int n, alvk_race_way record, void *user, double *ms) {
    alvk_cmd *cmd[RACE_MAX_WAYS] = {0};
    for (int i = 0; i < n; i++) ms[i] = -1;
    if (n > RACE_MAX_WAYS) return -1; /* a caller's mistake: nothing raced */
    for (int i = 0; i < n; i++) {
        if (alvk_cmd_create(ctx, RACE_MAX_TIMED, &cmd[i]) != ALVK_OK || alvk_cmd_begin(cmd[i]) != ALVK_OK ||
            record(cmd[i], i, user) != ALVK_OK || alvk_cmd_end(cmd[i]) != ALVK_OK) {
            alvk_cmd_destroy(cmd[i]);
            cmd[i] = NULL;
        }
    }
    for (int r = 0; r < RACE_ROUNDS; r++)
        for (int i = 0; i < n; i++) {
            if (!cmd[i] || alvk_cmd_run(cmd[i]) != ALVK_OK) continue;
            double t = recorded_ms(cmd[i]);
            if (t >= 0 && (ms[i] < 0 || t < ms[i])) ms[i] = t;
        }
    int winner = -1;
    for (int i = 0; i < n; i++) {
        alvk_cmd_destroy(cmd[i]);
        if (ms[i] > 0 && (winner < 0 || ms[i] < ms[winner])) winner = i;
    }
    return winner;
}

alvk_status alvk_run_way(alvk_context *ctx, alvk_race_way record, int way, void *user) {
    alvk_cmd *cmd = NULL;
    alvk_status s = alvk_cmd_create(ctx, 0, &cmd);
    if (s == ALVK_OK) s = alvk_cmd_begin(cmd);
    if (s == ALVK_OK) s = record(cmd, way, user);
    if (s == ALVK_OK) s = alvk_cmd_end(cmd);
    if (s == ALVK_OK) s = alvk_cmd_run(cmd);
    alvk_cmd_destroy(cmd);
    return s;
}

alvk_status alvk_buffers_alloc(alvk_context *ctx, int n, VkDeviceSize bytes, alvk_buffer *out) {
    for (int i = 0; i < n; i++) {
        alvk_status s = alvk_buffer_alloc(ctx, bytes, &out[i]);
        if (s != ALVK_OK) {
            alvk_buffers_free(ctx, i, out);
            return s;
        }
    }
    return ALVK_OK;
}

void alvk_buffers_free(alvk_context *ctx, int n, alvk_buffer *b) {
    for (int i = 0; i < n; i++) alvk_buffer_free(ctx, &b[i]);
}

