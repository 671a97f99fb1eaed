/* The kernels alvk runs, one function per op, each recording its dispatches
 * into a command recorder. Tensors are f32 (buffer, offset, size) ranges;
 * shapes are passed explicitly. Every op here has a plain-C reference in
 * tests/ref/ and a row in the op tests. */
#ifndef ALVK_OPS_H
#define ALVK_OPS_H

#include "vk/command.h"
#include "vk/memory.h"
#include "core/error.h"
#include "vk/pipeline.h"

/* ---- read path ------------------------------------------------------------
 * Large inputs are read through storage buffers or uniform texel buffers,
 * whichever measures faster on the device (lavapipe on Mesa 22 reads texel
 * buffers ~3x faster, Mesa 25 the reverse). ALVK_READ_PATH=ssbo|texel
 * overrides the measurement. */
typedef enum alvk_read_path { ALVK_READ_SSBO, ALVK_READ_TEXEL } alvk_read_path;
alvk_read_path alvk_ops_read_path(alvk_context *ctx);

/* The kernel choices measured on this device (alvk_choices in
 * vk/context.h), loaded from the disk cache at the first call (choices.c),
 * every field -1 until known. A chooser that measures one sets its field
 * and saves. */
typedef struct alvk_choices alvk_choices;
alvk_choices *alvk_choices_get(alvk_context *ctx);
void alvk_choices_save(alvk_context *ctx);

/* Races n (at most 16) ways of recording the same work: each is recorded
 * once into its own command, then run ROUNDS times, interleaved across the
 * ways, so a burst of load from elsewhere slows one run of every way rather
 * than every run of one. A way's time is the GPU time of all its
 * dispatches, its best run; ms[i] gets it (-1 where the way failed). Returns
 * the fastest way, or -1 when none ran. */
typedef alvk_status (*alvk_race_way)(alvk_cmd *cmd, int way, void *user);
int alvk_race(alvk_context *ctx, int n, alvk_race_way record, void *user, double *ms);
/* Records way `way` once into a command of its own and runs it (a race's
 * winner checked against a host reference). */
alvk_status alvk_run_way(alvk_context *ctx, alvk_race_way record, int way, void *user);
/* n buffers of `bytes` each (a race's operands): all or none. */
alvk_status alvk_buffers_alloc(alvk_context *ctx, int n, VkDeviceSize bytes, alvk_buffer *out);
void alvk_buffers_free(alvk_context *ctx, int n, alvk_buffer *b);
/* A raced yes/no choice, the steps every such chooser takes: `forced` (the
 * environment's 0 or 1, a field of ctx->env; -1 when unset), else the
 * choice cached in *field (a field of alvk_choices_get(ctx)), else
 * race(ctx, ms)'s answer (-1: none,
 * `fallback` stands and is not kept; ms gets both ways' times), cached and,
 * where `save`, written to disk. The way that is not `fallback` must win by
 * 10 %: a near tie keeps the default, so it cannot flip between processes. */
int alvk_choice_flag(alvk_context *ctx, int forced, int *field, int fallback,
                     int (*race)(alvk_context *ctx, double ms[2]), int save);

/* ---- elementwise -------------------------------------------------------- */
/* An op's number is its place in its list; the shaders get the same
 * numbers as UNARY_RELU, BINARY_ADD, ... (generated/glsl/alvk_ops.glsl,
 * made by CMake from these lists). */
#define ALVK_UNARY_OPS(X)                                                      \
    X(RELU, relu) X(SIGMOID, sigmoid) X(SCALE, scale) X(SQUARE, square) X(SQRT, sqrt) X(AFFINE, affine) \
    X(TANH, tanh) X(EXP, exp) X(LOG, log) X(LEAKY_RELU, leaky_relu) X(GELU, gelu)
typedef enum alvk_unary_op {
#define ALVK_UNARY_ENUM(id, name) ALVK_UNARY_##id,
    ALVK_UNARY_OPS(ALVK_UNARY_ENUM)
#undef ALVK_UNARY_ENUM
    ALVK_UNARY_COUNT
} alvk_unary_op;

#define ALVK_BINARY_OPS(X) X(ADD, add) X(SUB, sub) X(MUL, mul) X(DIV, div) X(EXPAND, expand)
typedef enum alvk_binary_op {
#define ALVK_BINARY_ENUM(id, name) ALVK_BINARY_##id,
    ALVK_BINARY_OPS(ALVK_BINARY_ENUM)
#undef ALVK_BINARY_ENUM
    ALVK_BINARY_COUNT
} alvk_binary_op;

/* y = f(x) over n floats; alpha is SCALE's factor and LEAKY_RELU's slope. */
alvk_status alvk_op_unary(alvk_cmd *cmd, alvk_unary_op op, float alpha, const alvk_buffer *x,
                          const alvk_buffer *y, uint32_t n);
/* y = alpha x + beta over n floats (AFFINE). */
alvk_status alvk_op_affine(alvk_cmd *cmd, float alpha, float beta, const alvk_buffer *x,
                           const alvk_buffer *y, uint32_t n);
/* dx = dy * f'(.): `saved` is x for RELU, SQUARE, LOG, LEAKY_RELU and GELU, y for
 * SIGMOID, SQRT, TANH and EXP, and unused (may be dy) for SCALE and AFFINE.
 * With dy2 (else NULL), dy + dy2 takes dy's place: two gradients summed in
 * the same kernel (the graph's fused add). */
alvk_status alvk_op_unary_backward(alvk_cmd *cmd, alvk_unary_op op, float alpha,
                                   const alvk_buffer *saved, const alvk_buffer *dy,
                                   const alvk_buffer *dy2, const alvk_buffer *dx, uint32_t n);
/* c[i] = alpha * (a[i] op b[(i / inner) % nb]) over n floats. nb = n,
 * inner = 1: elementwise; inner = 1, nb = columns: one value per column of a
 * row-major matrix; inner = H*W, nb = C: one value per NCHW channel.
 * EXPAND ignores a (pass NULL): c = alpha * b broadcast, the backward of a
 * sum. */
alvk_status alvk_op_binary(alvk_cmd *cmd, alvk_binary_op op, float alpha, const alvk_buffer *a,
                           const alvk_buffer *b, const alvk_buffer *c, uint32_t n, uint32_t nb,
                           uint32_t inner);

/* Dropout over n floats: y[k] = x[k] * (kept ? 1 / (1 - p) : 0), element k
 * kept in run r (the uint32 at `runs` on the device) when the high 32 bits
 * of alvk_random(seed, r, k) are at least floor(p 2^32); p in [0, 1). */
alvk_status alvk_op_dropout(alvk_cmd *cmd, uint64_t seed, float p, const alvk_buffer *runs,
                            const alvk_buffer *x, const alvk_buffer *y, uint32_t n);
/* Adds one to the uint32 counter on the device (count.comp): a graph's run
 * count, advanced by its recording on every replay. */
alvk_status alvk_op_advance(alvk_cmd *cmd, const alvk_buffer *counter);
/* What alvk_op_dropout keeps and scales by, as the kernel gets them. */
uint32_t alvk_dropout_threshold(float p);
float alvk_dropout_scale(float p);

/* ---- reductions ----------------------------------------------------------
 * x viewed as [outer, mid, inner]; y[j] = post(scale * sum_{o,k} pre(x)),
 * pre = square when `square`, post = sqrt when `sqrt`. Covers the whole-
 * tensor sum (outer = 1, mid = 1), sums per row, per column (bias
 * gradients), per channel, means (scale = 1/count) and row L2 norms. The
 * order of additions is fixed by the shape alone. */
typedef struct alvk_reduce {
    uint32_t outer, mid, inner;
    float scale;
    int square, sqrt;
} alvk_reduce;
alvk_status alvk_op_reduce(alvk_cmd *cmd, const alvk_reduce *r, const alvk_buffer *x,
                           const alvk_buffer *y);
/* The form of a shader that sums across a workgroup (group_sum.glsl):
 * `tree` itself, or its subgroup twin where the device has subgroup
 * arithmetic and the twin won a race (once per device, cached with the
 * other choices; ALVK_SUBGROUP_SUMS=0|1 decides instead). */
alvk_shader_id alvk_group_sum_shader(alvk_context *ctx, alvk_shader_id tree);

/* ---- fused epilogues ------------------------------------------------------
 * What the graph compiler fuses into a kernel's store (engine/graph/fuse.c;
 * NULL / 0: nothing): y = relu?(y + residual?) * (mask > 0)?, residual and
 * mask shaped like y (the mask: a ReLU's gradient, after the add of a
 * residual block's two branch gradients, in the data gradient). The
 * same expressions as the separate add, relu and relu-gradient kernels, so
 * bit for bit. Convolutions (all three forms) and the GEMM take all of it,
 * batch norm all but the mask. */
typedef struct alvk_epilogue {
    const alvk_buffer *residual;
    int relu;
    const alvk_buffer *mask;
} alvk_epilogue;

/* ---- GEMM ----------------------------------------------------------------
 * C[M,N] = alpha * op(A) op(B) + beta * C + bias[n] (bias may be NULL).
 * op(A) is M x K (A stored K x M when trans_a), op(B) is K x N (stored N x K
 * when trans_b); leading dimensions 0 mean "packed". Linear layers are
 * y = x W^T + b (trans_b), dx = dy W, dW = dy^T x (trans_a). */
typedef struct alvk_gemm {
    uint32_t M, N, K;
    int trans_a, trans_b;
    uint32_t lda, ldb, ldc;
    float alpha, beta;
} alvk_gemm;
alvk_status alvk_op_gemm(alvk_cmd *cmd, const alvk_gemm *g, const alvk_buffer *a,
                         const alvk_buffer *b, const alvk_buffer *c, const alvk_buffer *bias);
/* The GEMM kernel itself, on operands already K-major and padded: at[k][m]
 * (row stride lda) and bk[k][n] (row stride ldb), both multiples of 8, rows
 * up to round8(K) present (zeros past K). With nchw_pixels = P, C is written
 * NCHW: row m is pixel m % P of image m / P, column n is the channel. With
 * batch > 1 it runs that many GEMMs of this shape, operand z starting
 * sa, sb and sc floats after operand z - 1 (sa and sb multiples of 4). */
typedef struct alvk_gemm_packed {
    uint32_t M, N, K, lda, ldb, ldc;
    float alpha, beta;
    uint32_t nchw_pixels;
    uint32_t batch, sa, sb, sc; /* 0: one GEMM */
    alvk_epilogue epi;          /* after alpha, beta and the bias */
} alvk_gemm_packed;
alvk_status alvk_op_gemm_packed(alvk_cmd *cmd, const alvk_gemm_packed *p, const alvk_buffer *at,
                                const alvk_buffer *bk, const alvk_buffer *c,
                                const alvk_buffer *bias);
/* Whether that GEMM runs with K split (then its sums round otherwise than
 * one pass's; an epilogue rules it out). */
int alvk_gemm_splits(alvk_context *ctx, const alvk_gemm_packed *p, int has_bias);
/* Whether alvk_op_gemm runs g unpacked, in one dispatch (gemm_small.comp):
 * then it never splits K. */
int alvk_gemm_small(const alvk_context *ctx, const alvk_gemm *g);

/* ---- conv2d (NCHW, weights [Cout][Cin][KH][KW], dilation 1, groups 1) ----
 * As GEMMs on the shared core: forward M = N*OH*OW pixels, N = Cout,
 * K = Cin*KH*KW; backward-data M = N*H*W, N = Cin, K = Cout*KH*KW;
 * backward-weight M = Cout, N = Cin*KH*KW, K = N*OH*OW. Stride-1 3x3
 * windows run Winograd F(2x2 or 4x4, 3x3) in all three directions (conv.c). */
typedef struct alvk_conv {
    uint32_t N, Cin, H, W, Cout, KH, KW, stride, pad;
} alvk_conv;
/* Output size along one dimension: (in + 2 pad - k) / stride + 1; 0 when the
 * window does not fit or stride is 0. */
uint32_t alvk_conv_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad);
alvk_status alvk_op_conv2d(alvk_cmd *cmd, const alvk_conv *c, const alvk_buffer *x,
                           const alvk_buffer *w, const alvk_buffer *b, const alvk_buffer *y);
/* The same with a fused epilogue after the bias (epi may be NULL). */
alvk_status alvk_op_conv2d_fused(alvk_cmd *cmd, const alvk_conv *c, const alvk_buffer *x,
                                 const alvk_buffer *w, const alvk_buffer *b,
                                 const alvk_epilogue *epi, const alvk_buffer *y);
/* dx, with a fused epilogue (epi may be NULL). */
alvk_status alvk_op_conv2d_backward_data(alvk_cmd *cmd, const alvk_conv *c, const alvk_buffer *dy,
                                         const alvk_buffer *w, const alvk_epilogue *epi,
                                         const alvk_buffer *dx);
/* Whether the data gradient of c, at every batch up to c->N, gives the
 * same bits with an epilogue as without it followed by the separate
 * kernels: not where it runs as one GEMM that would split K without one
 * (gemm.c), which an epilogue rules out. */
int alvk_conv2d_backward_data_fuses_exactly(alvk_context *ctx, const alvk_conv *c);
/* dw, and db (per-channel sums of dy) unless NULL. */
alvk_status alvk_op_conv2d_backward_weight(alvk_cmd *cmd, const alvk_conv *c,
                                           const alvk_buffer *x, const alvk_buffer *dy,
                                           const alvk_buffer *dw, const alvk_buffer *db);

/* ---- pooling ------------------------------------------------------------
 * Max pooling with PyTorch semantics (padding never wins, first maximum
 * wins ties); argmax (uint32, index in the input plane) is what the
 * backward needs. Windowed average pooling takes the same description.
 * Global average pooling: [N, C, HW] -> [N, C]. */
typedef struct alvk_maxpool {
    uint32_t N, C, H, W, K, stride, pad;
} alvk_maxpool;
alvk_status alvk_op_maxpool2d(alvk_cmd *cmd, const alvk_maxpool *p, const alvk_buffer *x,
                              const alvk_buffer *y, const alvk_buffer *argmax);
alvk_status alvk_op_maxpool2d_backward(alvk_cmd *cmd, const alvk_maxpool *p,
                                       const alvk_buffer *argmax, const alvk_buffer *dy,
                                       const alvk_buffer *dx);
/* Average pooling over the same windows (PyTorch's AvgPool2d with
 * count_include_pad=True): each output is its window's sum, padding counting
 * as zeros, over K^2; the backward gives every input pixel the sum of dy
 * over K^2 of the windows that cover it. */
alvk_status alvk_op_avgpool2d(alvk_cmd *cmd, const alvk_maxpool *p, const alvk_buffer *x,
                              const alvk_buffer *y);
alvk_status alvk_op_avgpool2d_backward(alvk_cmd *cmd, const alvk_maxpool *p,
                                       const alvk_buffer *dy, const alvk_buffer *dx);
alvk_status alvk_op_avgpool_global(alvk_cmd *cmd, uint32_t N, uint32_t C, uint32_t HW,
                                   const alvk_buffer *x, const alvk_buffer *y);
alvk_status alvk_op_avgpool_global_backward(alvk_cmd *cmd, uint32_t N, uint32_t C, uint32_t HW,
                                            const alvk_buffer *dy, const alvk_buffer *dx);

/* ---- copies between layouts (copy.c) --------------------------------------
 * Tensors [N, C, inner...] (NCHW: inner = H*W; [N, F]: inner = 1), one
 * dispatch each. concat: y [N, Ca + Cb, inner] = a's channels then b's.
 * channels: y [N, Cy, inner] with y[n][c] = x[n][c + first], zero where
 * c + first is not one of x's Cx channels: a window of x (first >= 0) or x
 * placed among zeros (first < 0), each the other's gradient. */
alvk_status alvk_op_concat(alvk_cmd *cmd, uint32_t N, uint32_t Ca, uint32_t Cb, uint32_t inner,
                           const alvk_buffer *a, const alvk_buffer *b, const alvk_buffer *y);
alvk_status alvk_op_channels(alvk_cmd *cmd, uint32_t N, uint32_t Cx, uint32_t Cy, int32_t first,
                             uint32_t inner, const alvk_buffer *x, const alvk_buffer *y);

/* ---- batchnorm2d (PyTorch semantics; eps 1e-5, momentum 0.1 by default) ---
 * Training: batch mean and biased variance normalise; the running mean and
 * the unbiased running variance are updated in place; mean and invstd
 * (1/sqrt(var + eps)) are saved for the backward. Evaluation: the running
 * statistics normalise and nothing is updated. */
typedef struct alvk_batchnorm {
    uint32_t N, C, HW;
    float eps, momentum;
    /* Fused by the graph compiler (zero: none). Forward: the epilogue.
     * Backward: dy is a ReLU's output gradient, taken as dy * (dy_mask > 0);
     * dx_sums (C floats) receives each channel's sum of dx (the gradient of
     * a convolution bias before the batch norm). */
    alvk_epilogue epi;
    const alvk_buffer *dy_mask, *dx_sums;
} alvk_batchnorm;
typedef struct alvk_bn_params {
    alvk_buffer gamma, beta, running_mean, running_var;
} alvk_bn_params;
/* Whether this device adds sums of at most ALVK_SERIAL_SUM_MAX values one
 * invocation per sum (lavapipe: no barriers) rather than a workgroup per
 * sum (a GPU): raced once on batch-norm statistics, cached; batch norm and
 * alvk_op_reduce both follow it. */
#define ALVK_SERIAL_SUM_MAX 4096u
int alvk_small_sums_serial(alvk_context *ctx);
alvk_status alvk_op_batchnorm_train(alvk_cmd *cmd, const alvk_batchnorm *b, const alvk_buffer *x,
                                    const alvk_bn_params *p, const alvk_buffer *y,
                                    const alvk_buffer *mean, const alvk_buffer *invstd);
alvk_status alvk_op_batchnorm_eval(alvk_cmd *cmd, const alvk_batchnorm *b, const alvk_buffer *x,
                                   const alvk_bn_params *p, const alvk_buffer *y);
/* Evaluation-mode batch norm folded into a convolution's Cout filters of
 * per_filter weights each (bn_fold.comp): w_out and b_out (Cout floats)
 * give conv(x; w_out, b_out) = bn(conv(x; w, b)); b may be NULL. */
alvk_status alvk_op_batchnorm_fold(alvk_cmd *cmd, uint32_t Cout, uint32_t per_filter, float eps,
                                   const alvk_buffer *w, const alvk_buffer *b,
                                   const alvk_bn_params *p, const alvk_buffer *w_out,
                                   const alvk_buffer *b_out);
/* y[c] = the sum of channel c of an NCHW tensor x, added in the order of
 * the backward's dx_sums (the same bits). A convolution bias's gradient. */
alvk_status alvk_op_channel_sum(alvk_cmd *cmd, uint32_t N, uint32_t C, uint32_t HW,
                                const alvk_buffer *x, const alvk_buffer *y);
/* Training-mode gradients: dx, dgamma, dbeta. */
alvk_status alvk_op_batchnorm_backward(alvk_cmd *cmd, const alvk_batchnorm *b,
                                       const alvk_buffer *x, const alvk_buffer *dy,
                                       const alvk_buffer *gamma, const alvk_buffer *mean,
                                       const alvk_buffer *invstd, const alvk_buffer *dx,
                                       const alvk_buffer *dgamma, const alvk_buffer *dbeta);

/* ---- helpers for op files ---------------------------------------------- */
/* x rounded up to a multiple of 8: the GEMM kernel's padding of K and rows. */
static inline uint32_t alvk_round8(uint32_t x) { return (x + 7u) & ~7u; }
/* Cuts n values (a plane, a row) into *segs equal segments of at most max
 * values, *seg each (the last may be shorter): the kernels that walk them
 * loop seg steps on every lane (batchnorm.c, reduce.c). */
static inline void alvk_segments(uint32_t n, uint32_t max, uint32_t *segs, uint32_t *seg) {
    *segs = (n + max - 1) / max;
    *seg = (n + *segs - 1) / *segs;
}
/* Bindings for an input read as vec4 / as scalars / as uint scalars (the
 * format matters only to a texel binding; any read-only storage binding may
 * use them), and for an output (written, or read and written). The command
 * recorder orders dispatches by this: an output declared as an input is a
 * missing barrier, which the hazard check of validation builds reports. */
alvk_binding alvk_in4(const alvk_buffer *b);
alvk_binding alvk_in1(const alvk_buffer *b);
alvk_binding alvk_in1u(const alvk_buffer *b);
alvk_binding alvk_out(const alvk_buffer *b);
/* Records one dispatch of `kernel` (its _texel twin when the read path says
 * so) over a grid of groups[0..2] workgroups. */
alvk_status alvk_op_dispatch(alvk_cmd *cmd, alvk_kernel kernel, const alvk_binding *bindings,
                             uint32_t nbind, const void *push, uint32_t push_size,
                             const uint32_t groups[3]);
/* The same over `items` invocations along x, folding the grid into 2-D when
 * it exceeds the device's per-dimension workgroup count. */
alvk_status alvk_op_dispatch_1d(alvk_cmd *cmd, alvk_kernel kernel, const alvk_binding *bindings,
                                uint32_t nbind, const void *push, uint32_t push_size,
                                uint64_t items);
/* `groups` workgroups, a grid folded into 2-D as above (the shader numbers
 * them gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x). */
alvk_status alvk_op_dispatch_groups(alvk_cmd *cmd, alvk_kernel kernel, const alvk_binding *bindings,
                                    uint32_t nbind, const void *push, uint32_t push_size,
                                    uint64_t groups);
/* The same grid repeated `layers` times along z (gl_WorkGroupID.z). */
alvk_status alvk_op_dispatch_layers(alvk_cmd *cmd, alvk_kernel kernel,
                                    const alvk_binding *bindings, uint32_t nbind,
                                    const void *push, uint32_t push_size, uint64_t items,
                                    uint32_t layers);

/* Losses, scores, the optimiser and batch gathering. */
#include "ops_train.h"

#endif
