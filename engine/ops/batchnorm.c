/* Batch normalisation over NCHW, training and evaluation, with PyTorch's
 * semantics. Statistics and gradient sums run one workgroup per channel in
 * a fixed order (bit-for-bit repeatable); the elementwise parts are
 * separate kernels, an invocation per segment of one channel's values
 * (apply_walk_of: of a plane, or of the samples where planes are small), so
 * a channel's numbers load once per segment and every lane's loop has the
 * same length. Channels of few values are summed serially where the device
 * runs that faster (alvk_small_sums_serial). */
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

/* The per-channel kernel: a workgroup per channel, or an invocation. */
static alvk_status per_channel(alvk_cmd *cmd, alvk_shader_id shader, const alvk_batchnorm *b,
                               int serial, const alvk_binding *bind, uint32_t nbind,
                               const void *push, uint32_t push_size) {
    if (!serial) shader = alvk_group_sum_shader(alvk_cmd_context(cmd), shader);
    alvk_kernel k = {.shader = shader, .local = {STATS_LOCAL}, .nspec = 2,
                     .spec = {serial, b->dy_mask != NULL}}; /* MASK: backward only */
    uint32_t groups[3] = {serial ? (b->C + STATS_LOCAL - 1) / STATS_LOCAL : b->C, 1, 1};
    return alvk_op_dispatch(cmd, k, bind, nbind, push, push_size, groups);
}

/* The training statistics (bn_stats.comp), by workgroups or serially. */
static alvk_status stats(alvk_cmd *cmd, const alvk_batchnorm *b, int serial, const alvk_buffer *x,
                         const alvk_buffer *mean, const alvk_buffer *invstd,
                         const alvk_buffer *running_mean, const alvk_buffer *running_var) {
    struct { uint32_t N, C, HW, segs, seg; float eps, momentum; } push = {.N = b->N, .C = b->C, .HW = b->HW};
    stat_segments(b, &push.segs, &push.seg);
    push.eps = b->eps, push.momentum = b->momentum;
    alvk_binding bind[6] = {alvk_in1(x), alvk_out(mean), alvk_out(invstd),
                            alvk_out(running_mean), alvk_out(running_var), alvk_in4(x)};
    return per_channel(cmd, ALVK_SHADER_bn_stats, b, serial, bind, 6, &push, sizeof push);
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
    return stats(cmd, &b, way, &t[0], &t[1], &t[2], &t[3], &t[4]);
}

static int race_serial(alvk_context *ctx, double ms[2]) {
    alvk_buffer t[5]; /* x, then mean, invstd and the running statistics */
    int winner = -1;
    if (alvk_buffer_alloc(ctx, 4ull * TUNE_N * TUNE_C * TUNE_HW, &t[0]) == ALVK_OK) {
        if (alvk_buffers_alloc(ctx, 4, 4ull * TUNE_C, &t[1]) == ALVK_OK) {
            winner = alvk_race(ctx, 2, record_stats_tune, t, ms);
            alvk_buffers_free(ctx, 4, &t[1]);
        }
        alvk_buffer_free(ctx, &t[0]);
    }
    alvk_log(&ctx->log, ALVK_LOG_INFO, "batch-norm statistics of %ux%ux%u: by workgroups %.3f ms, "
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

static alvk_status apply(alvk_cmd *cmd, const alvk_batchnorm *b, int eval, const alvk_buffer *x,
                         const alvk_buffer *mean, const alvk_buffer *scale,
                         const alvk_bn_params *p, const alvk_buffer *y) {
    apply_walk w = apply_walk_of(b);
    struct { uint32_t planes, C, HW, segs, seg; float eps; } push = {
        b->N * b->C, b->C, b->HW, w.segs, w.seg, b->eps};
    alvk_kernel k = {.shader = ALVK_SHADER_bn_apply, .local = {APPLY_LOCAL}, .nspec = 4,
                     .spec = {eval != 0, w.walk, b->epi.residual != NULL, b->epi.relu != 0}};
    alvk_binding bind[7] = {alvk_in4(x), alvk_in4(mean), alvk_in4(scale),
                            alvk_in4(&p->gamma), alvk_in4(&p->beta), alvk_out(y),
                            alvk_in4(b->epi.residual ? b->epi.residual : x)};
    return alvk_op_dispatch_1d(cmd, k, bind, 7, &push, sizeof push, w.invocations);
}

alvk_status alvk_op_batchnorm_train(alvk_cmd *cmd, const alvk_batchnorm *b, const alvk_buffer *x,
                                    const alvk_bn_params *p, const alvk_buffer *y,
                                    const alvk_buffer *mean, const alvk_buffer *invstd) {
    const alvk_buffer *big[] = {x, y, b->epi.residual ? b->epi.residual : x};
    const alvk_buffer *small[] = {&p->gamma, &p->beta, &p->running_mean, &p->running_var, mean, invstd};
    alvk_status s = check_bn(b, big, 3, small, 6, "batchnorm (training)");
    if (s != ALVK_OK) return s;
    s = stats(cmd, b, serial(cmd, b), x, mean, invstd, &p->running_mean, &p->running_var);
    return s == ALVK_OK ? apply(cmd, b, 0, x, mean, invstd, p, y) : s;
}

alvk_status alvk_op_batchnorm_eval(alvk_cmd *cmd, const alvk_batchnorm *b, const alvk_buffer *x,
                                   const alvk_bn_params *p, const alvk_buffer *y) {
    const alvk_buffer *big[] = {x, y, b->epi.residual ? b->epi.residual : x};
    const alvk_buffer *small[] = {&p->gamma, &p->beta, &p->running_mean, &p->running_var};
    alvk_status s = check_bn(b, big, 3, small, 4, "batchnorm (evaluation)");
    return s == ALVK_OK ? apply(cmd, b, 1, x, &p->running_mean, &p->running_var, p, y) : s;
}

alvk_status alvk_op_batchnorm_backward(alvk_cmd *cmd, const alvk_batchnorm *b,
                                       const alvk_buffer *x, const alvk_buffer *dy,
                                       const alvk_buffer *gamma, const alvk_buffer *mean,
                                       const alvk_buffer *invstd, const alvk_buffer *dx,
                                       const alvk_buffer *dgamma, const alvk_buffer *dbeta) {
    const alvk_buffer *big[] = {x, dy, dx, b->dy_mask ? b->dy_mask : dy};
    const alvk_buffer *small[] = {gamma, mean, invstd, dgamma, dbeta};
    alvk_status s = check_bn(b, big, 4, small, 5, "batchnorm backward");
    if (s != ALVK_OK) return s;
    struct { uint32_t N, C, HW, segs, seg; } spush = {.N = b->N, .C = b->C, .HW = b->HW};
    stat_segments(b, &spush.segs, &spush.seg);
    const alvk_buffer *mask = b->dy_mask ? b->dy_mask : dy;
    alvk_binding sb[10] = {alvk_in1(x),   alvk_in1(dy),     alvk_in1(mean),  alvk_in1(invstd),
                           alvk_out(dgamma), alvk_out(dbeta), alvk_in1(mask), alvk_in4(x),
                           alvk_in4(dy),     alvk_in4(mask)};
    s = per_channel(cmd, ALVK_SHADER_bn_backward_stats, b, serial(cmd, b), sb, 10, &spush, sizeof spush);
    if (s != ALVK_OK) return s;
    apply_walk w = apply_walk_of(b);
    struct { uint32_t planes, C, HW, segs, seg, count; } apush = {
        b->N * b->C, b->C, b->HW, w.segs, w.seg, b->N * b->HW};
    alvk_kernel ka = {.shader = ALVK_SHADER_bn_backward_apply, .local = {APPLY_LOCAL}, .nspec = 2,
                      .spec = {w.walk, b->dy_mask != NULL}};
    alvk_binding ab[9] = {alvk_in4(x), alvk_in4(dy), alvk_in4(mean), alvk_in4(invstd),
                          alvk_in4(gamma), alvk_in4(dgamma), alvk_in4(dbeta), alvk_out(dx),
                          alvk_in4(mask)};
    return alvk_op_dispatch_1d(cmd, ka, ab, 9, &apush, sizeof apush, w.invocations);
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
