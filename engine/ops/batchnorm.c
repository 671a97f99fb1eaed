/* Batch normalisation over NCHW, training and evaluation, with PyTorch's
 * semantics. Training's forward and backward are one dispatch each: a
 * workgroup owns a block of channels, sums them in a fixed order
 * (bit-for-bit repeatable), then walks their values (apply_walk_of: by
 * segments of a plane, or of the samples where planes are small), so a
 * channel's numbers load once per segment and every lane's loop has the
 * same length. Channels of few values are summed serially, a lane per
 * channel, where the device runs that faster (alvk_small_sums_serial).
 * Evaluation is the walk alone, an invocation per segment. */
#include "ops.h"
#include "vk/context.h"

#include <stdlib.h>

#define STATS_LOCAL 64
#define APPLY_LOCAL 64

/* How the per-channel sums cut planes: enough segments that a workgroup's
 * lanes all get one, each at least one value. */
static void stat_segments(const alvk_batchnorm *b, uint32_t *segs, uint32_t *seg) {
    uint32_t want = (STATS_LOCAL + b->N - 1) / b->N;
    *segs = want < b->HW ? want : b->HW;
    *seg = (b->HW + *segs - 1) / *segs;
}

/* The elementwise kernels cut planes into equal segments of at most 64
 * values (a 14x14 plane: 4 of 52, by vec4s), so lanes rarely idle at a
 * plane's end. */
#define APPLY_SEG 64u

/* How an elementwise kernel walks the tensor (shaders/bn_apply.comp's
 * WALK): planes by vec4s where they hold whole vec4s (small ones, HW <=
 * SMALL_PLANE, a channel's planes along n), a 1x1 map by 4 channels at a
 * time, other planes by vec4s of runs of 4 planes where channels come in
 * fours, else value by value; with the segments and the invocations that
 * takes. */
#define SMALL_PLANE 16u
typedef struct apply_walk {
    uint32_t walk, segs, seg;
    uint64_t invocations;
} apply_walk;

static apply_walk apply_walk_of(const alvk_batchnorm *b) {
    apply_walk w = {0};
    if (b->HW == 1 && b->C % 4 == 0) {
        w.walk = 2;
        alvk_segments(b->N, APPLY_SEG, &w.segs, &w.seg);
        w.invocations = (uint64_t)(b->C / 4) * w.segs;
        return w;
    }
    if (b->HW % 4 == 0 && b->HW <= SMALL_PLANE) {
        w.walk = 3;
        alvk_segments(b->N, APPLY_SEG / b->HW, &w.segs, &w.seg);
        w.invocations = (uint64_t)b->C * w.segs;
        return w;
    }
    if (b->HW % 4 && b->C % 4 == 0) {
        w.walk = 4;
        alvk_segments(b->HW, APPLY_SEG / 4, &w.segs, &w.seg);
        w.invocations = (uint64_t)b->N * b->C / 4 * w.segs;
        return w;
    }
    alvk_segments(b->HW, APPLY_SEG, &w.segs, &w.seg);
    if (b->HW % 4 == 0) {
        w.walk = 1;
        w.seg = (w.seg + 3) / 4 * 4;
        w.segs = (b->HW + w.seg - 1) / w.seg;
    }
    w.invocations = (uint64_t)b->N * b->C * w.segs;
    return w;
}

/* Channels per workgroup of the one-dispatch kernels: a block of the
 * workgroup's size when summing serially (a lane per channel), else one
 * channel, or four where the walk takes channels in fours. */
static uint32_t block_of(int serial, uint32_t walk) {
    return serial ? STATS_LOCAL : walk == 2 || walk == 4 ? 4 : 1;
}

/* The push constants both one-dispatch kernels begin with: the sums' sweep
 * (channel_sum.glsl) and the walk's segments. */
typedef struct bn_push {
    uint32_t N, C, HW, segs, seg, asegs, aseg;
    float eps, momentum;
} bn_push;

static bn_push push_of(const alvk_batchnorm *b, const apply_walk *w) {
    bn_push p = {.N = b->N, .C = b->C, .HW = b->HW, .asegs = w->segs, .aseg = w->seg,
                 .eps = b->eps, .momentum = b->momentum};
    stat_segments(b, &p.segs, &p.seg);
    return p;
}

/* Training's forward (bn_apply.comp, EVAL 0): statistics, running
 * statistics, and y, by workgroups or serially. */
static alvk_status train(alvk_cmd *cmd, const alvk_batchnorm *b, int serial, const alvk_buffer *x,
                         const alvk_bn_params *p, const alvk_buffer *y, const alvk_buffer *mean,
                         const alvk_buffer *invstd) {
    apply_walk w = apply_walk_of(b);
    bn_push push = push_of(b, &w);
    uint32_t block = block_of(serial, w.walk);
    alvk_shader_id shader = ALVK_SHADER_bn_apply;
    if (!serial) shader = alvk_group_sum_shader(alvk_cmd_context(cmd), shader);
    alvk_kernel k = {.shader = shader, .local = {STATS_LOCAL}, .nspec = 6,
                     .spec = {0, w.walk, b->epi.residual != NULL, b->epi.relu != 0, serial, block}};
    alvk_binding bind[12] = {alvk_in4(x), alvk_in4(x), alvk_in4(x), alvk_in4(&p->gamma),
                             alvk_in4(&p->beta), alvk_out(y),
                             alvk_in4(b->epi.residual ? b->epi.residual : x), alvk_in1(x),
                             alvk_out(mean), alvk_out(invstd), alvk_out(&p->running_mean),
                             alvk_out(&p->running_var)};
    uint32_t groups[3] = {(b->C + block - 1) / block, 1, 1};
    return alvk_op_dispatch(cmd, k, bind, 12, &push, sizeof push, groups);
}

/* Whether channels of at most ALVK_SERIAL_SUM_MAX values are summed one
 * invocation each, as lavapipe runs fastest (no barriers), or a workgroup
 * each, as a GPU does (one lane per channel leaves it idle: the statistics
 * of 128x128x4x4 took 0.89 ms on an H200). Raced once per device on that
 * shape and cached with the other choices; ALVK_SERIAL_SUMS=0|1 decides
 * instead. Reductions of as few values per output follow the same choice
 * (alvk_op_reduce: a conv's bias gradient is a channel sum). */
#define TUNE_N 128u
#define TUNE_C 128u
#define TUNE_HW 16u
static alvk_status record_stats_tune(alvk_cmd *cmd, int way, void *user) {
    const alvk_buffer *t = user;
    alvk_batchnorm b = {.N = TUNE_N, .C = TUNE_C, .HW = TUNE_HW, .eps = 1e-5f, .momentum = 0.1f};
    alvk_bn_params p = {t[2], t[3], t[4], t[5]};
    return train(cmd, &b, way, &t[0], &p, &t[1], &t[6], &t[7]);
}

static int race_serial(alvk_context *ctx, double ms[2]) {
    alvk_buffer t[8]; /* x, y, then gamma, beta, the running statistics, mean and invstd */
    int winner = -1;
    if (alvk_buffers_alloc(ctx, 2, 4ull * TUNE_N * TUNE_C * TUNE_HW, &t[0]) == ALVK_OK) {
        if (alvk_buffers_alloc(ctx, 6, 4ull * TUNE_C, &t[2]) == ALVK_OK) {
            winner = alvk_race(ctx, 2, record_stats_tune, t, ms);
            alvk_buffers_free(ctx, 6, &t[2]);
        }
        alvk_buffers_free(ctx, 2, &t[0]);
    }
    alvk_log(&ctx->log, ALVK_LOG_INFO, "batch-norm training forward of %ux%ux%u: by workgroups %.3f ms, "
             "serially %.3f ms", TUNE_N, TUNE_C, TUNE_HW, ms[0], ms[1]);
    return winner;
}

int alvk_small_sums_serial(alvk_context *ctx) {
    return alvk_choice_flag(ctx, ctx->env.serial_sums, &alvk_choices_get(ctx)->bn_serial, 1,
                            race_serial, 1);
}

static int serial(alvk_cmd *cmd, const alvk_batchnorm *b) {
    return (uint64_t)b->N * b->HW <= ALVK_SERIAL_SUM_MAX && alvk_small_sums_serial(alvk_cmd_context(cmd));
}

static alvk_status check_bn(const alvk_batchnorm *b, const alvk_buffer *const *big, int nbig,
                            const alvk_buffer *const *small, int nsmall, const char *what) {
    uint64_t n = (uint64_t)b->N * b->C * b->HW;
    if (!n || n > UINT32_MAX)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: impossible shape N=%u C=%u HW=%u",
                          what, b->N, b->C, b->HW);
    if (b->epi.mask)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: its epilogue takes no mask (a "
                          "ReLU's gradient goes into the backward kernel)", what);
    for (int i = 0; i < nbig; i++)
        if (big[i]->size < 4 * n)
            return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: a tensor operand is smaller "
                              "than N*C*HW = %llu floats", what, (unsigned long long)n);
    for (int i = 0; i < nsmall; i++)
        if (small[i]->size < 4ull * b->C)
            return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: a per-channel operand is "
                              "smaller than C = %u floats", what, b->C);
    return ALVK_OK;
}

/* Evaluation (bn_apply.comp, an invocation per item of the walk). */
static alvk_status apply_eval(alvk_cmd *cmd, const alvk_batchnorm *b, const alvk_buffer *x,
                              const alvk_bn_params *p, const alvk_buffer *y) {
    apply_walk w = apply_walk_of(b);
    bn_push push = push_of(b, &w);
    alvk_kernel k = {.shader = ALVK_SHADER_bn_apply, .local = {APPLY_LOCAL}, .nspec = 4,
                     .spec = {1, w.walk, b->epi.residual != NULL, b->epi.relu != 0}};
    /* The statistics' bindings are training's; y stands in for them. */
    alvk_binding bind[12] = {alvk_in4(x), alvk_in4(&p->running_mean), alvk_in4(&p->running_var),
                             alvk_in4(&p->gamma), alvk_in4(&p->beta), alvk_out(y),
                             alvk_in4(b->epi.residual ? b->epi.residual : x), alvk_in1(x),
                             alvk_out(y), alvk_out(y), alvk_out(y), alvk_out(y)};
    return alvk_op_dispatch_1d(cmd, k, bind, 12, &push, sizeof push, w.invocations);
}

alvk_status alvk_op_batchnorm_train(alvk_cmd *cmd, const alvk_batchnorm *b, const alvk_buffer *x,
                                    const alvk_bn_params *p, const alvk_buffer *y,
                                    const alvk_buffer *mean, const alvk_buffer *invstd) {
    const alvk_buffer *big[] = {x, y, b->epi.residual ? b->epi.residual : x};
    const alvk_buffer *small[] = {&p->gamma, &p->beta, &p->running_mean, &p->running_var, mean, invstd};
    alvk_status s = check_bn(b, big, 3, small, 6, "batchnorm (training)");
    if (s != ALVK_OK) return s;
    return train(cmd, b, serial(cmd, b), x, p, y, mean, invstd);
}

alvk_status alvk_op_batchnorm_eval(alvk_cmd *cmd, const alvk_batchnorm *b, const alvk_buffer *x,
                                   const alvk_bn_params *p, const alvk_buffer *y) {
    const alvk_buffer *big[] = {x, y, b->epi.residual ? b->epi.residual : x};
    const alvk_buffer *small[] = {&p->gamma, &p->beta, &p->running_mean, &p->running_var};
    alvk_status s = check_bn(b, big, 3, small, 4, "batchnorm (evaluation)");
    return s == ALVK_OK ? apply_eval(cmd, b, x, p, y) : s;
}

alvk_status alvk_op_batchnorm_backward(alvk_cmd *cmd, const alvk_batchnorm *b,
                                       const alvk_buffer *x, const alvk_buffer *dy,
                                       const alvk_buffer *gamma, const alvk_buffer *mean,
                                       const alvk_buffer *invstd, const alvk_buffer *dx,
                                       const alvk_buffer *dgamma, const alvk_buffer *dbeta) {
    const alvk_buffer *big[] = {x, dy, dx, b->dy_mask ? b->dy_mask : dy};
    const alvk_buffer *small[] = {gamma, mean, invstd, dgamma, dbeta, b->dx_sums ? b->dx_sums : dbeta};
    alvk_status s = check_bn(b, big, 4, small, 6, "batchnorm backward");
    if (s != ALVK_OK) return s;
    apply_walk w = apply_walk_of(b);
    bn_push push = push_of(b, &w);
    int ser = serial(cmd, b);
    uint32_t block = block_of(ser, w.walk);
    alvk_shader_id shader = ALVK_SHADER_bn_backward_apply;
    if (!ser) shader = alvk_group_sum_shader(alvk_cmd_context(cmd), shader);
    alvk_kernel k = {.shader = shader, .local = {STATS_LOCAL}, .nspec = 5,
                     .spec = {w.walk, b->dy_mask != NULL, ser, block, b->dx_sums != NULL}};
    const alvk_buffer *mask = b->dy_mask ? b->dy_mask : dy;
    alvk_binding bind[13] = {alvk_in4(x),      alvk_in4(dy),     alvk_in4(mean),  alvk_in4(invstd),
                             alvk_in4(gamma),  alvk_out(dgamma), alvk_out(dbeta), alvk_out(dx),
                             alvk_in4(mask),   alvk_in1(x),      alvk_in1(dy),    alvk_in1(mask),
                             alvk_out(b->dx_sums ? b->dx_sums : dbeta)};
    uint32_t groups[3] = {(b->C + block - 1) / block, 1, 1};
    return alvk_op_dispatch(cmd, k, bind, 13, &push, 7 * sizeof(uint32_t), groups);
}

/* Per-channel sums of an NCHW tensor (channel_sum.comp) in the order the
 * backward's dx_sums adds a channel: the same segments, workgroup size,
 * serial choice and group-sum form, so the graph compiler may fuse a
 * convolution bias's gradient into the batch-norm backward on any device
 * without changing a bit. */
alvk_status alvk_op_channel_sum(alvk_cmd *cmd, uint32_t N, uint32_t C, uint32_t HW,
                                const alvk_buffer *x, const alvk_buffer *y) {
    alvk_batchnorm b = {.N = N, .C = C, .HW = HW};
    alvk_status s = check_bn(&b, &x, 1, &y, 1, "channel sum");
    if (s != ALVK_OK) return s;
    struct { uint32_t N, C, HW, segs, seg; } push = {N, C, HW, 0, 0};
    stat_segments(&b, &push.segs, &push.seg);
    int ser = serial(cmd, &b);
    alvk_shader_id shader = ALVK_SHADER_channel_sum;
    if (!ser) shader = alvk_group_sum_shader(alvk_cmd_context(cmd), shader);
    alvk_kernel k = {.shader = shader, .local = {STATS_LOCAL}, .nspec = 1, .spec = {ser}};
    alvk_binding bind[3] = {alvk_in4(x), alvk_in1(x), alvk_out(y)};
    uint32_t groups[3] = {ser ? (C + STATS_LOCAL - 1) / STATS_LOCAL : C, 1, 1};
    return alvk_op_dispatch(cmd, k, bind, 3, &push, sizeof push, groups);
}

alvk_status alvk_op_batchnorm_fold(alvk_cmd *cmd, uint32_t Cout, uint32_t per_filter, float eps,
                                   const alvk_buffer *w, const alvk_buffer *b,
                                   const alvk_bn_params *p, const alvk_buffer *w_out,
                                   const alvk_buffer *b_out) {
    uint64_t n = (uint64_t)Cout * per_filter;
    if (!n || n > UINT32_MAX || w->size < 4 * n || w_out->size < 4 * n || b_out->size < 4ull * Cout ||
        (b && b->size < 4ull * Cout) || p->gamma.size < 4ull * Cout || p->beta.size < 4ull * Cout ||
        p->running_mean.size < 4ull * Cout || p->running_var.size < 4ull * Cout)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "batchnorm fold: an operand does not hold "
                          "%u filters of %u weights", Cout, per_filter);
    struct { uint32_t Cout, per_filter; float eps; } push = {Cout, per_filter, eps};
    int vec4 = per_filter % 4 == 0;
    alvk_kernel k = {.shader = ALVK_SHADER_bn_fold, .local = {64}, .nspec = 2,
                     .spec = {b != NULL, vec4}};
    alvk_binding bind[8] = {alvk_in4(w), alvk_in1(b ? b : w), alvk_in1(&p->gamma),
                            alvk_in1(&p->beta), alvk_in1(&p->running_mean),
                            alvk_in1(&p->running_var), alvk_out(w_out), alvk_out(b_out)};
    return alvk_op_dispatch_1d(cmd, k, bind, 8, &push, sizeof push, vec4 ? n / 4 : n);
}
