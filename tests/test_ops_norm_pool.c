/* Op table: max pooling, average pooling (windows and global) and batch normalisation,
 * forward and backward, on ResNet18's shapes and odd ones. */
#include "ops_harness.h"
#include "ref/conv.h"
#include "ref/norm_pool.h"

#include <math.h>
#include <stdio.h>

#define EPS 1e-5
#define MOMENTUM 0.1

/* ---- max pooling: u = N, C, H, W, K, stride, pad ------------------------- */
static alvk_maxpool pool_of(const op_case *c) {
    return (alvk_maxpool){c->u[0], c->u[1], c->u[2], c->u[3], c->u[4], c->u[5], c->u[6]};
}
static ref_maxpool ref_pool_of(const op_case *c) {
    return (ref_maxpool){c->u[0], c->u[1], c->u[2], c->u[3], c->u[4], c->u[5], c->u[6]};
}
static alvk_status gpu_maxpool(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                               const alvk_buffer *out) {
    alvk_maxpool p = pool_of(c);
    alvk_buffer arg;
    alvk_status s = alvk_cmd_scratch(cmd, 4 * c->out_len[0], &arg);
    return s == ALVK_OK ? alvk_op_maxpool2d(cmd, &p, &in[0], &out[0], &arg) : s;
}
static void ref_maxpool_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_maxpool p = ref_pool_of(c);
    ref_maxpool2d(&p, in[0], out[0]);
}
/* Inputs x, dy; output dx. The forward runs first for its argmax. */
static alvk_status gpu_maxpool_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                   const alvk_buffer *out) {
    alvk_maxpool p = pool_of(c);
    alvk_buffer y, arg;
    alvk_status s = alvk_cmd_scratch(cmd, 4 * c->in_len[1], &y);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4 * c->in_len[1], &arg);
    if (s == ALVK_OK) s = alvk_op_maxpool2d(cmd, &p, &in[0], &y, &arg);
    return s == ALVK_OK ? alvk_op_maxpool2d_backward(cmd, &p, &arg, &in[1], &out[0]) : s;
}
static void ref_maxpool_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_maxpool p = ref_pool_of(c);
    ref_maxpool2d_backward(&p, in[0], in[1], out[0]);
}

static op_case maxpool_case(uint32_t N, uint32_t C, uint32_t H, uint32_t W, uint32_t K,
                            uint32_t stride, uint32_t pad, int backward) {
    size_t OH = ref_conv_out(H, K, stride, pad), OW = ref_conv_out(W, K, stride, pad);
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * OH * OW;
    op_case c = {.nin = 1, .nout = 1, .in_len = {nx}, .out_len = {ny}, .lo = {-1}, .hi = {1},
                 .gpu = gpu_maxpool, .ref = ref_maxpool_fwd, .tol = 0,
                 .u = {N, C, H, W, K, stride, pad}};
    if (backward) {
        c.nin = 2, c.in_len[1] = ny, c.lo[1] = -1, c.hi[1] = 1, c.out_len[0] = nx;
        c.gpu = gpu_maxpool_bwd, c.ref = ref_maxpool_bwd, c.fwd = ref_maxpool_fwd, c.fwd_nin = 1;
        c.tol = 1e-6;
    }
    snprintf(c.name, sizeof c.name, "maxpool2d%s N=%u C=%u %ux%u kernel=%u stride=%u pad=%u",
             backward ? "_backward" : "", N, C, H, W, K, stride, pad);
    return c;
}

/* ---- average pooling over windows: u = N, C, H, W, K, stride, pad -------- */
static alvk_status gpu_avgpool(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                               const alvk_buffer *out) {
    alvk_maxpool p = pool_of(c);
    return alvk_op_avgpool2d(cmd, &p, &in[0], &out[0]);
}
static void ref_avgpool_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_maxpool p = ref_pool_of(c);
    ref_avgpool2d(&p, in[0], out[0]);
}
/* Inputs x (for the finite differences), dy; output dx. */
static alvk_status gpu_avgpool_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                   const alvk_buffer *out) {
    alvk_maxpool p = pool_of(c);
    return alvk_op_avgpool2d_backward(cmd, &p, &in[1], &out[0]);
}
static void ref_avgpool_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_maxpool p = ref_pool_of(c);
    ref_avgpool2d_backward(&p, in[1], out[0]);
}

static op_case avgpool_case(uint32_t N, uint32_t C, uint32_t H, uint32_t W, uint32_t K,
                            uint32_t stride, uint32_t pad, int backward) {
    op_case c = maxpool_case(N, C, H, W, K, stride, pad, backward);
    c.gpu = backward ? gpu_avgpool_bwd : gpu_avgpool;
    c.ref = backward ? ref_avgpool_bwd : ref_avgpool_fwd;
    if (backward) c.fwd = ref_avgpool_fwd;
    c.tol = 1e-6;
    snprintf(c.name, sizeof c.name, "avgpool2d%s N=%u C=%u %ux%u kernel=%u stride=%u pad=%u",
             backward ? "_backward" : "", N, C, H, W, K, stride, pad);
    return c;
}

/* ---- global average pooling: u = N, C, HW -------------------------------- */
static alvk_status gpu_gap(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                           const alvk_buffer *out) {
    return alvk_op_avgpool_global(cmd, c->u[0], c->u[1], c->u[2], &in[0], &out[0]);
}
static void ref_gap_fwd(const op_case *c, const double *const *in, double *const *out) {
    for (size_t p = 0; p < (size_t)c->u[0] * c->u[1]; p++) {
        double s = 0;
        for (size_t i = 0; i < c->u[2]; i++) s += in[0][p * c->u[2] + i];
        out[0][p] = s / c->u[2];
    }
}
static alvk_status gpu_gap_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                               const alvk_buffer *out) {
    return alvk_op_avgpool_global_backward(cmd, c->u[0], c->u[1], c->u[2], &in[1], &out[0]);
}
static void ref_gap_bwd(const op_case *c, const double *const *in, double *const *out) {
    for (size_t i = 0; i < c->out_len[0]; i++) out[0][i] = in[1][i / c->u[2]] / c->u[2];
}
static op_case gap_case(uint32_t N, uint32_t C, uint32_t HW, int backward) {
    size_t nx = (size_t)N * C * HW, ny = (size_t)N * C;
    op_case c = {.nin = 1, .nout = 1, .in_len = {nx}, .out_len = {ny}, .lo = {-1}, .hi = {1},
                 .gpu = gpu_gap, .ref = ref_gap_fwd, .tol = 1e-6, .u = {N, C, HW}};
    if (backward) {
        c.nin = 2, c.in_len[1] = ny, c.lo[1] = -1, c.hi[1] = 1, c.out_len[0] = nx;
        c.gpu = gpu_gap_bwd, c.ref = ref_gap_bwd, c.fwd = ref_gap_fwd, c.fwd_nin = 1;
    }
    snprintf(c.name, sizeof c.name, "avgpool_global%s N=%u C=%u HW=%u",
             backward ? "_backward" : "", N, C, HW);
    return c;
}

/* ---- batch normalisation: u = N, C, HW, mode (0 train, 1 eval), fused ----
 * Forward inputs x, gamma, beta, running_mean, running_var; training outputs
 * y, mean, invstd, running_mean, running_var (updated copies). Fused
 * epilogues (u[4]): 1 relu(bn(x)), 2 relu(bn(x) + residual), the residual
 * input 5; backward: 1 masks dy by input 4 > 0 (a ReLU's gradient). */
static alvk_batchnorm bn_desc(const op_case *c, const alvk_buffer *in) {
    int backward = c->nout == 3;
    return (alvk_batchnorm){c->u[0], c->u[1], c->u[2], (float)EPS, (float)MOMENTUM,
                            .epi = {!backward && c->u[4] == 2 ? &in[5] : NULL, !backward && c->u[4] != 0},
                            .dy_mask = backward && c->u[4] ? &in[4] : NULL};
}
static alvk_status gpu_bn(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                          const alvk_buffer *out) {
    alvk_batchnorm b = bn_desc(c, in);
    alvk_bn_params p = {in[1], in[2], in[3], in[4]};
    if (c->u[3]) return alvk_op_batchnorm_eval(cmd, &b, &in[0], &p, &out[0]);
    /* The running statistics are updated in place: work on copies. */
    p.running_mean = out[3], p.running_var = out[4];
    alvk_status s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &in[3], &out[3], b.C);
    if (s == ALVK_OK) s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &in[4], &out[4], b.C);
    return s == ALVK_OK ? alvk_op_batchnorm_train(cmd, &b, &in[0], &p, &out[0], &out[1], &out[2]) : s;
}
/* The fused epilogue: y = relu(y + residual?). */
static void ref_epilogue(const op_case *c, const double *const *in, double *y) {
    for (size_t i = 0; c->u[4] && i < c->out_len[0]; i++) {
        double v = y[i] + (c->u[4] == 2 ? in[5][i] : 0.0);
        y[i] = v < 0 ? 0 : v;
    }
}
static void ref_bn_fwd(const op_case *c, const double *const *in, double *const *out) {
    size_t C = c->u[1];
    if (c->u[3]) {
        ref_batchnorm_eval(c->u[0], C, c->u[2], EPS, in[0], in[1], in[2], in[3], in[4], out[0]);
        ref_epilogue(c, in, out[0]);
        return;
    }
    if (c->nout > 1)
        for (size_t k = 0; k < C; k++) out[3][k] = in[3][k], out[4][k] = in[4][k];
    ref_batchnorm_train(c->u[0], C, c->u[2], EPS, MOMENTUM, in[0], in[1], in[2], out[0],
                        c->nout > 1 ? out[1] : NULL, c->nout > 1 ? out[2] : NULL,
                        c->nout > 1 ? out[3] : NULL, c->nout > 1 ? out[4] : NULL);
    ref_epilogue(c, in, out[0]);
}
/* Backward (training mode): inputs x, gamma, beta, dy; outputs dx, dgamma,
 * dbeta. The GPU forward runs first for the saved mean and invstd. */
static alvk_status gpu_bn_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                              const alvk_buffer *out) {
    alvk_batchnorm b = bn_desc(c, in);
    alvk_buffer y, mean, invstd, rm, rv;
    alvk_status s = alvk_cmd_scratch(cmd, 4 * c->in_len[0], &y);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * b.C, &mean);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * b.C, &invstd);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * b.C, &rm);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * b.C, &rv);
    alvk_bn_params p = {in[1], in[2], rm, rv};
    if (s == ALVK_OK) s = alvk_op_batchnorm_train(cmd, &b, &in[0], &p, &y, &mean, &invstd);
    if (c->nout > 3) b.dx_sums = &out[3];
    return s == ALVK_OK ? alvk_op_batchnorm_backward(cmd, &b, &in[0], &in[3], &in[1], &mean,
                                                     &invstd, &out[0], &out[1], &out[2]) : s;
}
/* y[ch] = the sum of channel ch of an NCHW tensor x (u = N, C, HW). */
static void sum_channels(const op_case *c, const double *x, double *y) {
    for (size_t ch = 0; ch < c->u[1]; ch++) {
        y[ch] = 0;
        for (size_t k = 0; k < (size_t)c->u[0] * c->u[2]; k++)
            y[ch] += x[((k / c->u[2]) * c->u[1] + ch) * c->u[2] + k % c->u[2]];
    }
}
static void ref_bn_bwd(const op_case *c, const double *const *in, double *const *out) {
    size_t n = c->in_len[3];
    double *dy = malloc(n * sizeof *dy);
    cr_assert(dy);
    for (size_t i = 0; i < n; i++) dy[i] = c->u[4] && !(in[4][i] > 0) ? 0.0 : in[3][i];
    ref_batchnorm_backward(c->u[0], c->u[1], c->u[2], EPS, in[0], in[1], dy, out[0], out[1], out[2]);
    free(dy);
    if (c->nout > 3) sum_channels(c, out[0], out[3]); /* the fused channel sums of dx */
}
/* The forward the finite differences differentiate: y only, training mode. */
static void ref_bn_y(const op_case *c, const double *const *in, double *const *out) {
    ref_batchnorm_train(c->u[0], c->u[1], c->u[2], EPS, MOMENTUM, in[0], in[1], in[2], out[0],
                        NULL, NULL, NULL, NULL);
}

static op_case bn_case(uint32_t N, uint32_t C, uint32_t HW, int mode) {
    size_t n = (size_t)N * C * HW;
    op_case c = {.nin = 5, .nout = mode == 0 ? 5 : 1, .in_len = {n, C, C, C, C},
                 .out_len = {n, C, C, C, C}, .lo = {-2, 0.5, -1, -1, 0.5}, .hi = {2, 1.5, 1, 1, 2},
                 .gpu = gpu_bn, .ref = ref_bn_fwd, .tol = 1e-5, .u = {N, C, HW, mode == 1}};
    if (mode == 2) {
        c.nin = 4, c.nout = 3;
        c.in_len[3] = n, c.lo[3] = -1, c.hi[3] = 1;
        c.out_len[0] = n, c.out_len[1] = C, c.out_len[2] = C;
        c.gpu = gpu_bn_bwd, c.ref = ref_bn_bwd, c.fwd = ref_bn_y, c.fwd_nin = 3;
        c.grad_of[0] = 0, c.grad_of[1] = 1, c.grad_of[2] = 2;
        c.tol = 2e-5 + 3e-7 * sqrt((double)N * HW);
    }
    static const char *const modes[] = {"batchnorm_train", "batchnorm_eval", "batchnorm_backward"};
    snprintf(c.name, sizeof c.name, "%s N=%u C=%u HW=%u eps=%g momentum=%g", modes[mode], N, C,
             HW, EPS, MOMENTUM);
    return c;
}

/* A row with the graph compiler's fused epilogue (u[4], see gpu_bn). */
static op_case bn_fused_case(uint32_t N, uint32_t C, uint32_t HW, int mode, uint32_t fused) {
    op_case c = bn_case(N, C, HW, mode);
    size_t n = (size_t)N * C * HW;
    c.u[4] = fused;
    uint32_t extra = mode == 2 ? 4 : 5; /* the mask, or the residual */
    if (mode == 2 || fused == 2) {
        c.nin = extra + 1, c.in_len[extra] = n, c.lo[extra] = -1, c.hi[extra] = 1;
    }
    c.fwd = NULL; /* a masked gradient is no forward's: the reference alone checks it */
    size_t len = strlen(c.name);
    snprintf(c.name + len, sizeof c.name - len, mode == 2 ? " relu_mask" : fused == 2 ? " +residual relu" : " relu");
    return c;
}

/* A backward row that also sums dx per channel (output 3: the graph's
 * fused channel sum, a convolution bias's gradient). */
static op_case bn_dx_sums_case(uint32_t N, uint32_t C, uint32_t HW) {
    op_case c = bn_case(N, C, HW, 2);
    c.nout = 4, c.out_len[3] = C;
    c.fwd = NULL; /* dx's sums are no output of the forward's */
    size_t len = strlen(c.name);
    snprintf(c.name + len, sizeof c.name - len, " +dx sums");
    return c;
}

/* ---- per-channel sums of NCHW (a convolution bias's gradient): u = N, C, HW */
static alvk_status gpu_channel_sum(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                   const alvk_buffer *out) {
    return alvk_op_channel_sum(cmd, c->u[0], c->u[1], c->u[2], &in[0], &out[0]);
}
static void ref_channel_sum(const op_case *c, const double *const *in, double *const *out) {
    sum_channels(c, in[0], out[0]);
}
static op_case channel_sum_case(uint32_t N, uint32_t C, uint32_t HW) {
    op_case c = {.nin = 1, .nout = 1, .in_len = {(size_t)N * C * HW}, .out_len = {C},
                 .lo = {-1}, .hi = {1}, .gpu = gpu_channel_sum, .ref = ref_channel_sum,
                 .tol = 1e-5, .u = {N, C, HW}};
    snprintf(c.name, sizeof c.name, "channel_sum N=%u C=%u HW=%u", N, C, HW);
    return c;
}

/* The graph's fusion of a convolution bias's gradient changes no bit: a
 * batch-norm backward's dx_sums minus alvk_op_channel_sum of its dx is
 * exactly zero (tolerance 0; inputs x, gamma, beta, dy as bn_case's). */
static alvk_status gpu_dx_sums_bits(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                    const alvk_buffer *out) {
    alvk_buffer dx, dgamma, dbeta, fused, apart;
    uint32_t C = c->u[1];
    alvk_status s = alvk_cmd_scratch(cmd, 4 * c->in_len[0], &dx);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * C, &dgamma);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * C, &dbeta);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * C, &fused);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * C, &apart);
    alvk_buffer bwd_out[4] = {dx, dgamma, dbeta, fused};
    op_case bwd = *c;
    bwd.nout = 4; /* gpu_bn_bwd's dx_sums row */
    if (s == ALVK_OK) s = gpu_bn_bwd(cmd, &bwd, in, bwd_out);
    if (s == ALVK_OK) s = alvk_op_channel_sum(cmd, c->u[0], C, c->u[2], &dx, &apart);
    if (s == ALVK_OK) s = alvk_op_binary(cmd, ALVK_BINARY_SUB, 1.0f, &fused, &apart, &out[0], C, C, 1);
    return s;
}
static void ref_zero(const op_case *c, const double *const *in, double *const *out) {
    (void)in;
    for (size_t i = 0; i < c->out_len[0]; i++) out[0][i] = 0;
}
static op_case dx_sums_bits_case(uint32_t N, uint32_t C, uint32_t HW) {
    op_case c = bn_case(N, C, HW, 2);
    c.nout = 1, c.out_len[0] = C, c.fwd = NULL, c.tol = 0;
    c.gpu = gpu_dx_sums_bits, c.ref = ref_zero;
    snprintf(c.name, sizeof c.name, "batchnorm_backward dx sums - channel_sum N=%u C=%u HW=%u", N, C,
             HW);
    return c;
}

/* Shapes of the channel sums: ResNet18's (28x28 input, batch 2 and 3), odd
 * planes, channels not in fours, and a channel of more values than a
 * device sums serially (128 x 49). */
static const uint32_t sums_shapes[][3] = {{2, 64, 196}, {3, 64, 49}, {3, 128, 16}, {3, 512, 1},
                                          {130, 3, 4}, {2, 5, 7}, {2, 8, 7}, {128, 4, 49}};
#define SUMS_SHAPES (sizeof sums_shapes / sizeof sums_shapes[0])

#define MAX_CASES 160
static op_case table[MAX_CASES];

static size_t build_table(void) {
    size_t n = 0;
    for (int bwd = 0; bwd < 2; bwd++) {
        table[n++] = maxpool_case(1, 64, 14, 14, 3, 2, 1, bwd); /* the stem's pool: 14 -> 7 */
        table[n++] = maxpool_case(3, 64, 14, 14, 3, 2, 1, bwd);
        table[n++] = maxpool_case(2, 3, 5, 6, 3, 2, 1, bwd);    /* odd, non-square */
        table[n++] = maxpool_case(2, 3, 7, 7, 2, 2, 0, bwd);    /* drops the last row */
        table[n++] = maxpool_case(2, 3, 1, 1, 3, 2, 1, bwd);    /* 1x1: all but one tap padding */
        table[n++] = maxpool_case(2, 3, 6, 5, 3, 1, 1, bwd);    /* stride 1: 3 windows per axis */
        table[n++] = maxpool_case(2, 2, 9, 9, 5, 2, 2, bwd);    /* 5x5 stride 2: 3 per axis */
        table[n++] = maxpool_case(2, 2, 10, 8, 4, 3, 1, bwd);   /* stride 3: 3x3 blocks of dx */
        table[n++] = maxpool_case(2, 3, 4, 4, 3, 1, 1, bwd);    /* whole planes, stride 1 */
        table[n++] = maxpool_case(2, 2, 8, 6, 2, 2, 0, bwd);    /* whole planes, no overlap */
        table[n++] = avgpool_case(2, 3, 6, 6, 2, 2, 0, bwd);    /* 2x2 stride 2: no overlap */
        table[n++] = avgpool_case(2, 3, 5, 6, 3, 2, 1, bwd);    /* overlapping, padded, odd */
        table[n++] = avgpool_case(2, 2, 7, 7, 3, 1, 1, bwd);    /* stride 1: 3 windows per axis */
        table[n++] = avgpool_case(1, 4, 9, 8, 5, 3, 2, bwd);    /* 5x5 stride 3, pad 2 */
        table[n++] = avgpool_case(2, 2, 7, 7, 2, 3, 0, bwd);    /* stride past the window: gaps */
        table[n++] = avgpool_case(2, 3, 1, 1, 3, 2, 1, bwd);    /* 1x1: all but one tap padding */
        table[n++] = avgpool_case(3, 64, 14, 14, 3, 2, 1, bwd); /* the stem pool's shape */
        table[n++] = gap_case(3, 512, 1, bwd);                  /* ResNet18 on 28x28 */
        table[n++] = gap_case(3, 64, 49, bwd);
        table[n++] = gap_case(130, 5, 4, bwd);
        table[n++] = gap_case(128, 512, 1, bwd);                /* 65,536 outputs: > one grid row */
        table[n++] = gap_case(2, 3, 100, bwd);                  /* a sum too long for one lane */
    }
    static const uint32_t bn[][3] = {{2, 64, 196}, {3, 64, 49}, {3, 128, 16}, {3, 256, 4},
                                     {3, 512, 1}, {130, 3, 4}, {2, 5, 7},
                                     {130, 8, 1} /* 1x1 by 4 channels, 3 segments */,
                                     {5, 3, 1} /* 1x1, channels not in fours */,
                                     {2, 8, 7} /* runs of 4 planes of 7 (walk 4) */,
                                     {3, 4, 3} /* runs of 4 planes of 3 */};
    for (int mode = 0; mode < 3; mode++)
        for (size_t i = 0; i < sizeof bn / sizeof bn[0]; i++)
            table[n++] = bn_case(bn[i][0], bn[i][1], bn[i][2], mode);
    /* Fused epilogues, one shape per walk of bn_apply.comp. */
    static const uint32_t fused[][3] = {{2, 64, 196}, {3, 128, 16}, {3, 512, 1}, {2, 5, 7},
                                        {3, 64, 49}, {2, 8, 9}};
    for (size_t i = 0; i < sizeof fused / sizeof fused[0]; i++) {
        const uint32_t *f = fused[i];
        table[n++] = bn_fused_case(f[0], f[1], f[2], 0, 1);
        table[n++] = bn_fused_case(f[0], f[1], f[2], 0, 2);
        table[n++] = bn_fused_case(f[0], f[1], f[2], 1, 2);
        table[n++] = bn_fused_case(f[0], f[1], f[2], 2, 1);
    }
    for (size_t i = 0; i < sizeof fused / sizeof fused[0]; i++)
        table[n++] = bn_dx_sums_case(fused[i][0], fused[i][1], fused[i][2]);
    for (size_t i = 0; i < SUMS_SHAPES; i++) {
        table[n++] = channel_sum_case(sums_shapes[i][0], sums_shapes[i][1], sums_shapes[i][2]);
        table[n++] = dx_sums_bits_case(sums_shapes[i][0], sums_shapes[i][1], sums_shapes[i][2]);
    }
    cr_assert(n <= MAX_CASES);
    return n;
}

OP_TABLE_TEST(ops_norm_pool, build_table, table, MAX_CASES)

/* The channel-sum rows again, under the sums forced by the caller. */
static void channel_sums_and_their_bits(void) {
    for (size_t i = 0; i < SUMS_SHAPES; i++) {
        op_case c = channel_sum_case(sums_shapes[i][0], sums_shapes[i][1], sums_shapes[i][2]);
        op_case_run(&c);
        c = dx_sums_bits_case(sums_shapes[i][0], sums_shapes[i][1], sums_shapes[i][2]);
        op_case_run(&c);
    }
}

/* Batch-norm statistics and channel sums summed by subgroups (shaders' _sg
 * twins), as on a device whose race picks them. */
Test(ops_norm_pool, batch_norm_by_subgroups) {
    test_force_subgroup_sums();
    setenv("ALVK_SERIAL_SUMS", "0", 1);
    static const uint32_t bn[][3] = {{2, 64, 196}, {3, 64, 49}, {3, 512, 1}, {130, 3, 4}, {2, 5, 7}};
    for (int mode = 0; mode < 3; mode++)
        for (size_t i = 0; i < sizeof bn / sizeof bn[0]; i++) {
            op_case c = bn_case(bn[i][0], bn[i][1], bn[i][2], mode);
            op_case_run(&c);
        }
    channel_sums_and_their_bits();
}

/* Small channels summed by a workgroup each (what a GPU's race picks; the
 * table above runs them serially on lavapipe), channel sums too. */
Test(ops_norm_pool, batch_norm_by_workgroups) {
    setenv("ALVK_SERIAL_SUMS", "0", 1);
    static const uint32_t bn[][3] = {{3, 128, 16}, {3, 512, 1}, {130, 3, 4}, {2, 5, 7}};
    for (int mode = 0; mode < 3; mode++)
        for (size_t i = 0; i < sizeof bn / sizeof bn[0]; i++) {
            op_case c = bn_case(bn[i][0], bn[i][1], bn[i][2], mode);
            op_case_run(&c);
        }
    channel_sums_and_their_bits();
}
