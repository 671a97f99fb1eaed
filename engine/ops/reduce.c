/* Deterministic sums over [outer, mid, inner] views: one invocation per
 * output for short sums (always up to 64 values, up to 4,096 where the
 * device runs that faster), else one pass when each output's values fit
 * one workgroup's share, else partial sums per fixed chunk and a second
 * pass over them. The order of additions depends on the shape and on the
 * device's cached choices (serial or not, tree or subgroup sums) only, so
 * the result never changes between runs that share those choices. */
#include "ops.h"
#include "vk/context.h"
#include "vk/transfer.h"

#include <stdlib.h>
#include <string.h>

#define LOCAL 64
#define MAX_PARTS 1024u
#define MIN_CHUNK 2048u
#define SEG_MAX 64u
#define MAX_GRID 65535u
#define SERIAL_MAX 64u  /* sums this short run one invocation per output, always */

/* Groups for `parts` x `mid` outputs, mid folded into y and z. */
static void grid(uint32_t parts, uint32_t mid, uint32_t g[3]) {
    g[0] = parts;
    g[1] = mid < MAX_GRID ? mid : MAX_GRID;
    g[2] = (mid + g[1] - 1) / g[1];
}

/* The reduction with its workgroup sums by subgroups (`sg`) or by a tree. */
static alvk_status reduce(alvk_cmd *cmd, const alvk_reduce *r, const alvk_buffer *x,
                          const alvk_buffer *y, int sg) {
    uint64_t count = (uint64_t)r->outer * r->inner;
    if (!r->mid || !count || count * r->mid > UINT32_MAX)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "reduce: bad shape %ux%ux%u", r->outer,
                          r->mid, r->inner);
    if (x->size < 4 * count * r->mid || y->size < 4ull * r->mid)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "reduce: buffers too small for %ux%ux%u",
                          r->outer, r->mid, r->inner);
    /* A part holds at least a workgroup's worth of segments and MIN_CHUNK values. */
    uint32_t segs, seg;
    alvk_segments(r->inner, SEG_MAX, &segs, &seg);
    uint64_t rows = (uint64_t)r->outer * segs, chunk = (rows + MAX_PARTS - 1) / MAX_PARTS;
    if (chunk < LOCAL) chunk = LOCAL;
    if (chunk * seg < MIN_CHUNK) chunk = (MIN_CHUNK + seg - 1) / seg;
    uint32_t parts = (uint32_t)((rows + chunk - 1) / chunk), g[3];
    struct { uint32_t outer, mid, inner, chunk, parts, segs, seg; float scale; } push = {
        r->outer, r->mid, r->inner, (uint32_t)chunk, parts, segs, seg, r->scale};
    int serial = count <= SERIAL_MAX ||
                 (count <= ALVK_SERIAL_SUM_MAX && alvk_small_sums_serial(alvk_cmd_context(cmd)));
    alvk_kernel k = {.shader = sg ? ALVK_SHADER_reduce_sg : ALVK_SHADER_reduce, .local = {LOCAL}, .nspec = 3,
                     .spec = {r->square != 0, r->sqrt != 0, serial}};
    if (serial) {
        alvk_binding b[2] = {alvk_in1(x), alvk_out(y)};
        return alvk_op_dispatch_1d(cmd, k, b, 2, &push, sizeof push, r->mid);
    }
    if (parts == 1) {
        alvk_binding b[2] = {alvk_in1(x), alvk_out(y)};
        grid(1, r->mid, g);
        return alvk_op_dispatch(cmd, k, b, 2, &push, sizeof push, g);
    }
    alvk_buffer partial;
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * parts * r->mid, &partial);
    if (s != ALVK_OK) return s;
    alvk_binding b1[2] = {alvk_in1(x), alvk_out(&partial)};
    grid(parts, r->mid, g);
    s = alvk_op_dispatch(cmd, k, b1, 2, &push, sizeof push, g);
    if (s != ALVK_OK) return s;
    /* Second pass: [1, mid, parts] -> [mid], squares already taken. */
    push.outer = 1;
    push.inner = parts;
    alvk_segments(parts, SEG_MAX, &push.segs, &push.seg);
    push.chunk = push.segs;
    push.parts = 1;
    k.spec[0] = 0;
    alvk_binding b2[2] = {alvk_in1(&partial), alvk_out(y)};
    grid(1, r->mid, g);
    return alvk_op_dispatch(cmd, k, b2, 2, &push, sizeof push, g);
}

/* The two ways of a workgroup sum race on per-channel sums of a batch-norm
 * shape (128 x 64 x 7x7) of small integers, which every order of additions
 * sums exactly: a way that does not reproduce the host's sums (a driver
 * miscompiling subgroup operations) cannot win. */
#define TUNE_N 128u
#define TUNE_C 64u
#define TUNE_HW 49u
static const alvk_reduce tune_shape = {.outer = TUNE_N, .mid = TUNE_C, .inner = TUNE_HW, .scale = 1.0f};

static float tune_value(uint32_t i) { return (float)((int)(i % 13u) - 6); }

static alvk_status record_tune(alvk_cmd *cmd, int way, void *user) {
    const alvk_buffer *t = user;
    return reduce(cmd, &tune_shape, &t[0], &t[1], way);
}

/* Whether way `sg` sums the tuning tensor in t[0] into t[1] exactly. */
static int sums_right(alvk_context *ctx, const alvk_buffer *t, int sg) {
    float got[TUNE_C];
    int ok = alvk_run_way(ctx, record_tune, sg, (void *)t) == ALVK_OK &&
             alvk_buffer_read(ctx, &t[1], 0, got, sizeof got) == ALVK_OK;
    for (uint32_t c = 0; ok && c < TUNE_C; c++) {
        float want = 0;
        for (uint32_t n = 0; n < TUNE_N; n++)
            for (uint32_t p = 0; p < TUNE_HW; p++) want += tune_value((n * TUNE_C + c) * TUNE_HW + p);
        ok = got[c] == want;
    }
    return ok;
}

static int race_group_sum(alvk_context *ctx, double ms[2]) {
    const uint32_t n = TUNE_N * TUNE_C * TUNE_HW;
    alvk_buffer t[2];
    float *host = malloc(4ull * n);
    int winner = -1;
    if (host && alvk_buffer_alloc(ctx, 4ull * n, &t[0]) == ALVK_OK) {
        if (alvk_buffer_alloc(ctx, 4ull * TUNE_C, &t[1]) == ALVK_OK) {
            for (uint32_t i = 0; i < n; i++) host[i] = tune_value(i);
            if (alvk_buffer_write(ctx, &t[0], 0, host, 4ull * n) == ALVK_OK)
                winner = alvk_race(ctx, 2, record_tune, t, ms);
            alvk_log(&ctx->log, ALVK_LOG_INFO, "workgroup sums (%ux%ux%u by channel): tree %.3f ms, "
                     "subgroups %.3f ms", TUNE_N, TUNE_C, TUNE_HW, ms[0], ms[1]);
            if (winner == 1 && !sums_right(ctx, t, 1)) {
                alvk_log(&ctx->log, ALVK_LOG_WARN, "subgroup sums: wrong results on this device, not used");
                winner = 0;
            }
            alvk_buffer_free(ctx, &t[1]);
        }
        alvk_buffer_free(ctx, &t[0]);
    }
    free(host);
    return winner;
}

static int subgroup_sums(alvk_context *ctx) {
    if (!ctx->infos[ctx->device_index].subgroup_arithmetic) return 0;
    return alvk_choice_flag(ctx, ctx->env.subgroup_sums, &alvk_choices_get(ctx)->group_sum_sg, 0,
                            race_group_sum, 1);
}

/* The subgroup twin NAME_sg is compiled two after NAME (after NAME_texel;
 * CMakeLists.txt); the dispatch then picks its own texel twin. */
alvk_shader_id alvk_group_sum_shader(alvk_context *ctx, alvk_shader_id tree) {
    if (!subgroup_sums(ctx)) return tree;
    alvk_spirv base = alvk_shader_spirv(tree), twin = alvk_shader_spirv(tree + 2);
    size_t n = strlen(base.name);
    return strncmp(twin.name, base.name, n) == 0 && strcmp(twin.name + n, "_sg") == 0 ? tree + 2 : tree;
}

alvk_status alvk_op_reduce(alvk_cmd *cmd, const alvk_reduce *r, const alvk_buffer *x,
                           const alvk_buffer *y) {
    return reduce(cmd, r, x, y, subgroup_sums(alvk_cmd_context(cmd)));
}
