/* The gradient table: a row for every graph op of ALVK_GRAPH_OPS, each a
 * tiny graph checked against a double-precision host reference three ways:
 *   1. forward: y against the reference;
 *   2. VJP: the gradient of L = sum(w * y) (w fixed random weights shaped
 *      like y) with respect to every leaf, against central differences of
 *      the reference (alvk_graph_grad for inputs, alvk_graph_backward and
 *      the store for parameters);
 *   3. second order, where the op's VJP is itself differentiable (what a
 *      gradient penalty needs): the gradient of sum(v * dL/da), v fixed
 *      random, with respect to chosen leaves, against differences of the
 *      reference's directional derivative.
 * Gradient ops that are differentiated again (sum_cols, the expands,
 * relu_grad) are built directly with graph_add: from the public ops only a
 * third derivative would reach their own VJPs. The fused gradient kernels
 * (convolution, batch norm, pooling, the loss) and the plumbing get a row
 * naming the row whose graphs exercise them, which checks they appear
 * there; the batch gather's a row naming the test that checks it (VIA_TEST:
 * the link fails when that test is gone). Adam, which has no derivative,
 * gets a row whose graph steps the store twice (check_adam).
 * every_op_has_a_row walks the X-macro, so an op added without a row
 * fails; every_row runs the table and lists the rows that failed. */
#include "harness.h"

#include "graph/graph.h"
#include "ref/conv.h"
#include "ref/copy.h"
#include "ref/norm_pool.h"
#include "ref/ref.h"
#include "ref/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tolerances, normwise (expect_close). The wants are exact to about 1e-9
 * (a double-precision reference; central differences with steps of 1e-6
 * and, nested, 1e-4 on values of order 1), so the budget is the device's
 * f32 rounding alone. The worst seen on lavapipe (default kernels, and with
 * ALVK_WINOGRAD=0/2/4, ALVK_GEMM_TILE=smem, ALVK_SUBGROUP_SUMS=1) are 6.3e-7
 * forward (conv2d's Winograd F = 4), 2.4e-6 first order (conv2d's dx) and
 * 4.8e-7 second order (sigmoid): the bounds leave a factor of 15 or more. */
#define TOL_FORWARD 1e-5
#define TOL_GRAD 5e-5 /* first and second order */
#define STEP1 1e-6 /* first differences */
#define STEP2 1e-4 /* each level of the nested ones */

enum { MAX_LEAVES = 5, ALL_LEAVES = MAX_LEAVES + 2 };

typedef enum leaf_kind {
    NONE,   /* the end of a row's leaves */
    IN,     /* a batched input: shape excludes the batch */
    CONST,  /* a batched input the op does not differentiate: a shape, a mask */
    PARAM,  /* a trainable store tensor */
    STATE,  /* a store tensor without gradient (running statistics) */
    LABELS  /* uint32 labels, classes in hi */
} leaf_kind;

typedef enum fill {
    ANY,      /* uniform in [lo, hi] */
    AWAY,     /* uniform in [lo, hi] with a random sign: away from a kink at 0 */
    DISTINCT  /* [lo, hi] evenly spaced, shuffled: a max never ties */
} fill;

typedef struct leaf {
    const char *name; /* a store tensor's name for PARAM and STATE */
    leaf_kind kind;
    uint32_t ndims, shape[4];
    double lo, hi;
    fill fill;
} leaf;

typedef struct row row;
/* Builds the op on the leaves' nodes x[]; returns y. */
typedef alvk_node build_fn(alvk_graph *g, const row *r, const alvk_node *x);
/* The reference: y from the leaves' values x[] (y starts zeroed). */
typedef void ref_fn(const row *r, double *const *x, double *y);

#define LEAF(k) (1u << (k))
#define LOSS_W (1u << 8) /* in d2_wrt: the loss weights w */

struct row {
    const char *op;   /* an ALVK_GRAPH_OPS name */
    const char *note; /* tells rows of one op apart */
    /* Set for ops checked elsewhere: the row (an op name) whose graphs must
     * contain this op, or a test in another suite ("suite/test", with
     * via_test: VIA_TEST). */
    const char *via;
    const struct criterion_test *via_test;
    build_fn *build;
    ref_fn *ref;
    uint32_t batch;
    leaf leaves[MAX_LEAVES];
    struct {
        int batched;
        uint32_t ndims, dims[4]; /* excluding the batch when batched */
    } out;
    double arg[3]; /* op attributes: stride and pad, a pool window, affine's alpha and beta;
                      Adam's lr, beta1 and beta2 */
    int adam;      /* the graph ends with alvk_graph_adam: check_adam checks its steps */
    /* Second order (none when d2_wrt is 0): sum(v * dL/d leaf d2_of) is
     * differentiated with respect to the leaves in d2_wrt. */
    int d2_of;
    unsigned d2_wrt;
};

/* ---- leaves' sizes -------------------------------------------------------- */

static int leaf_count(const row *r) {
    int n = 0;
    while (n < MAX_LEAVES && r->leaves[n].kind != NONE) n++;
    return n;
}

static size_t per_row(const leaf *l) {
    size_t n = 1;
    for (uint32_t d = 0; d < l->ndims; d++) n *= l->shape[d];
    return n;
}

static size_t leaf_numel(const leaf *l, uint32_t batch) {
    return l->kind == IN || l->kind == CONST || l->kind == LABELS ? batch * per_row(l) : per_row(l);
}

#define DIM(r, k, d) ((size_t)(r)->leaves[k].shape[d])
#define NOTE(r) ((r)->note ? (r)->note : "")

/* ---- builders and references, op by op ----------------------------------- */

/* Builders that pass the first leaves to a public op. */
#define BUILD1(name, op)                                                                  \
    static alvk_node name(alvk_graph *g, const row *r, const alvk_node *x) {              \
        (void)r;                                                                          \
        return op(g, x[0]);                                                               \
    }
#define BUILD2(name, op)                                                                  \
    static alvk_node name(alvk_graph *g, const row *r, const alvk_node *x) {              \
        (void)r;                                                                          \
        return op(g, x[0], x[1]);                                                         \
    }

/* Elementwise references: over leaf 0's values. */
#define EACH(r) for (size_t i = 0; i < leaf_numel(&(r)->leaves[0], (r)->batch); i++)

/* Leaf 2, when the row has one: a bias. */
#define HAS_BIAS(r) ((r)->leaves[2].kind != NONE)

static alvk_node b_linear(alvk_graph *g, const row *r, const alvk_node *x) {
    return alvk_graph_linear(g, x[0], x[1], HAS_BIAS(r) ? x[2] : -1);
}
static void r_linear(const row *r, double *const *x, double *y) {
    ref_gemm(r->batch, DIM(r, 1, 0), DIM(r, 0, 0), 0, 1, 1, 0, x[0], x[1], HAS_BIAS(r) ? x[2] : NULL, y);
}

static alvk_node b_conv(alvk_graph *g, const row *r, const alvk_node *x) {
    return alvk_graph_conv2d(g, x[0], x[1], HAS_BIAS(r) ? x[2] : -1, (uint32_t)r->arg[0],
                             (uint32_t)r->arg[1]);
}
static void r_conv(const row *r, double *const *x, double *y) {
    ref_conv c = {r->batch,     DIM(r, 0, 0), DIM(r, 0, 1),      DIM(r, 0, 2),     DIM(r, 1, 0),
                  DIM(r, 1, 2), DIM(r, 1, 3), (size_t)r->arg[0], (size_t)r->arg[1]};
    ref_conv2d(&c, x[0], x[1], HAS_BIAS(r) ? x[2] : NULL, y);
}

static alvk_node b_batchnorm(alvk_graph *g, const row *r, const alvk_node *x) {
    (void)r;
    return alvk_graph_batchnorm(g, x[0], "bn");
}
static void r_batchnorm(const row *r, double *const *x, double *y) {
    ref_batchnorm_train(r->batch, DIM(r, 0, 0), DIM(r, 0, 1) * DIM(r, 0, 2), 1e-5, 0.1, x[0], x[1],
                        x[2], y, NULL, NULL, NULL, NULL);
}

static alvk_node b_maxpool(alvk_graph *g, const row *r, const alvk_node *x) {
    return alvk_graph_maxpool2d(g, x[0], (uint32_t)r->arg[0], (uint32_t)r->arg[1],
                                (uint32_t)r->arg[2]);
}
static void r_maxpool(const row *r, double *const *x, double *y) {
    ref_maxpool p = {r->batch,          DIM(r, 0, 0),      DIM(r, 0, 1),     DIM(r, 0, 2),
                     (size_t)r->arg[0], (size_t)r->arg[1], (size_t)r->arg[2]};
    ref_maxpool2d(&p, x[0], y);
}

static alvk_node b_avgpool2d(alvk_graph *g, const row *r, const alvk_node *x) {
    return alvk_graph_avgpool2d(g, x[0], (uint32_t)r->arg[0], (uint32_t)r->arg[1], (uint32_t)r->arg[2]);
}
static void r_avgpool2d(const row *r, double *const *x, double *y) {
    ref_maxpool p = {r->batch,          DIM(r, 0, 0),      DIM(r, 0, 1),     DIM(r, 0, 2),
                     (size_t)r->arg[0], (size_t)r->arg[1], (size_t)r->arg[2]};
    ref_avgpool2d(&p, x[0], y);
}

BUILD1(b_avgpool, alvk_graph_avgpool_global)
static void r_avgpool(const row *r, double *const *x, double *y) {
    size_t planes = r->batch * DIM(r, 0, 0), hw = DIM(r, 0, 1) * DIM(r, 0, 2);
    for (size_t p = 0; p < planes; p++)
        for (size_t i = 0; i < hw; i++) y[p] += x[0][p * hw + i] / (double)hw;
}

BUILD1(b_relu, alvk_graph_relu)
static void r_relu(const row *r, double *const *x, double *y) { EACH(r) y[i] = x[0][i] > 0 ? x[0][i] : 0; }

BUILD1(b_sigmoid, alvk_graph_sigmoid)
static void r_sigmoid(const row *r, double *const *x, double *y) { EACH(r) y[i] = 1 / (1 + exp(-x[0][i])); }
BUILD1(b_tanh, alvk_graph_tanh)
static void r_tanh(const row *r, double *const *x, double *y) { EACH(r) y[i] = tanh(x[0][i]); }
BUILD1(b_exp, alvk_graph_exp)
static void r_exp(const row *r, double *const *x, double *y) { EACH(r) y[i] = exp(x[0][i]); }
BUILD1(b_log, alvk_graph_log)
static void r_log(const row *r, double *const *x, double *y) { EACH(r) y[i] = log(x[0][i]); }
static alvk_node b_leaky_relu(alvk_graph *g, const row *r, const alvk_node *x) {
    return alvk_graph_leaky_relu(g, x[0], (float)r->arg[0]);
}
BUILD1(b_gelu, alvk_graph_gelu)
static double normal_cdf(double v) { return 0.5 * erfc(-v / sqrt(2)); }
static void r_gelu(const row *r, double *const *x, double *y) { EACH(r) y[i] = x[0][i] * normal_cdf(x[0][i]); }
/* Dropout, p arg[0], seed arg[1]: the row's graph runs once, so its mask
 * is run 0's, fixed, and the differences see a linear map. */
static alvk_node b_dropout(alvk_graph *g, const row *r, const alvk_node *x) {
    return alvk_graph_dropout(g, x[0], (float)r->arg[0], (uint64_t)r->arg[1]);
}
static void r_dropout(const row *r, double *const *x, double *y) {
    ref_dropout((uint64_t)r->arg[1], 0, (float)r->arg[0], x[0], y, leaf_numel(&r->leaves[0], r->batch));
}
BUILD1(b_softmax, alvk_graph_softmax)
static void r_softmax(const row *r, double *const *x, double *y) { /* rows of 4 */
    EACH(r) {
        size_t row = i / 4 * 4;
        double m = x[0][row], sum = 0;
        for (size_t k = 1; k < 4; k++) m = fmax(m, x[0][row + k]);
        for (size_t k = 0; k < 4; k++) sum += exp(x[0][row + k] - m);
        y[i] = exp(x[0][i] - m) / sum;
    }
}
static void r_leaky_relu(const row *r, double *const *x, double *y) {
    EACH(r) y[i] = x[0][i] > 0 ? x[0][i] : r->arg[0] * x[0][i];
}

BUILD1(b_square, alvk_graph_square)
static void r_square(const row *r, double *const *x, double *y) { EACH(r) y[i] = x[0][i] * x[0][i]; }

BUILD1(b_sqrt, alvk_graph_sqrt)
static void r_sqrt(const row *r, double *const *x, double *y) { EACH(r) y[i] = sqrt(x[0][i]); }

static alvk_node b_affine(alvk_graph *g, const row *r, const alvk_node *x) {
    return graph_affine(g, x[0], (float)r->arg[0], (float)r->arg[1]);
}
static alvk_node b_scale(alvk_graph *g, const row *r, const alvk_node *x) {
    return alvk_graph_scale(g, x[0], (float)r->arg[0]);
}
static void r_affine(const row *r, double *const *x, double *y) {
    EACH(r) y[i] = r->arg[0] * x[0][i] + r->arg[1];
}

BUILD2(b_add, alvk_graph_add)
static void r_add(const row *r, double *const *x, double *y) { EACH(r) y[i] = x[0][i] + x[1][i]; }

BUILD2(b_sub, alvk_graph_sub)
static void r_sub(const row *r, double *const *x, double *y) { EACH(r) y[i] = x[0][i] - x[1][i]; }

BUILD2(b_mul, alvk_graph_mul)
static void r_mul(const row *r, double *const *x, double *y) { EACH(r) y[i] = x[0][i] * x[1][i]; }

BUILD2(b_div, graph_div)
static void r_div(const row *r, double *const *x, double *y) { EACH(r) y[i] = x[0][i] / x[1][i]; }

BUILD2(b_mul_rows, alvk_graph_mul_rows)
static void r_mul_rows(const row *r, double *const *x, double *y) {
    EACH(r) y[i] = x[0][i] * x[1][i / DIM(r, 0, 0)];
}

BUILD1(b_sum_rows, alvk_graph_sum_rows)
static void r_sum_rows(const row *r, double *const *x, double *y) { EACH(r) y[i / DIM(r, 0, 0)] += x[0][i]; }

BUILD1(b_mean, alvk_graph_mean)
static void r_mean(const row *r, double *const *x, double *y) {
    EACH(r) y[0] += x[0][i] / (double)leaf_numel(&r->leaves[0], r->batch);
}

BUILD2(b_softmax_ce, alvk_graph_softmax_ce)
static void r_softmax_ce(const row *r, double *const *x, double *y) {
    ref_softmax_ce(r->batch, DIM(r, 0, 0), x[0], x[1], y, NULL);
}

/* Batched rows flattened (the public reshape), or a whole store tensor
 * (whose gradient is then a view, copied to the store by a TO_GRAD). */
static alvk_node b_reshape(alvk_graph *g, const row *r, const alvk_node *x) {
    return alvk_graph_reshape(g, x[0], (uint32_t[]){(uint32_t)per_row(&r->leaves[0])}, 1);
}
static alvk_node b_reshape_param(alvk_graph *g, const row *r, const alvk_node *x) {
    return graph_reshape(g, x[0], (uint32_t[]){(uint32_t)per_row(&r->leaves[0])}, 1, 0);
}
static void r_copy(const row *r, double *const *x, double *y) { EACH(r) y[i] = x[0][i]; }

/* Gradient ops, built directly with the row's output shape. */
static alvk_node direct(alvk_graph *g, const row *r, graph_op op, const alvk_node *x, int nin) {
    uint32_t shape[GRAPH_MAX_DIMS] = {0}, b = (uint32_t)r->out.batched; /* graph_add sets the batch */
    memcpy(shape + b, r->out.dims, r->out.ndims * sizeof *shape);
    return graph_add(g, op, x, nin, shape, r->out.ndims + b, r->out.batched);
}

/* [B, C] -> [C] (a bias's gradient), and back. */
static alvk_node b_sum_cols(alvk_graph *g, const row *r, const alvk_node *x) {
    return direct(g, r, OP_SUM_COLS, x, 1);
}
static void r_sum_cols(const row *r, double *const *x, double *y) { EACH(r) y[i % DIM(r, 0, 0)] += x[0][i]; }

static alvk_node b_expand_cols(alvk_graph *g, const row *r, const alvk_node *x) {
    return direct(g, r, OP_EXPAND_COLS, x, 2);
}
static void r_expand_cols(const row *r, double *const *x, double *y) {
    for (size_t i = 0; i < r->batch * DIM(r, 1, 0); i++) y[i] = x[0][i % DIM(r, 1, 0)];
}

/* [B] -> [B, F], shaped like leaf 1. */
static alvk_node b_expand_rows(alvk_graph *g, const row *r, const alvk_node *x) {
    return direct(g, r, OP_EXPAND_ROWS, x, 2);
}
static void r_expand_rows(const row *r, double *const *x, double *y) {
    for (size_t i = 0; i < r->batch * DIM(r, 1, 0); i++) y[i] = x[0][i / DIM(r, 1, 0)];
}

/* A scalar over the count of leaf 1, everywhere. */
static alvk_node b_expand_mean(alvk_graph *g, const row *r, const alvk_node *x) {
    return direct(g, r, OP_EXPAND_MEAN, x, 2);
}
static void r_expand_mean(const row *r, double *const *x, double *y) {
    size_t n = leaf_numel(&r->leaves[1], r->batch);
    for (size_t i = 0; i < n; i++) y[i] = x[0][0] / (double)n;
}

/* gy * (x > 0): relu's VJP, differentiable in gy. */
static alvk_node b_relu_grad(alvk_graph *g, const row *r, const alvk_node *x) {
    return direct(g, r, OP_RELU_GRAD, x, 2);
}
static void r_relu_grad(const row *r, double *const *x, double *y) {
    EACH(r) y[i] = x[1][i] > 0 ? x[0][i] : 0;
}

/* avgpool2d's VJP on dy (leaf 0) shaped like leaf 1, the window in arg. */
static alvk_node b_avgpool2d_bwd(alvk_graph *g, const row *r, const alvk_node *x) {
    alvk_node y = direct(g, r, OP_AVGPOOL2D_BWD, x, 2);
    for (int k = 0; y >= 0 && k < 3; k++) graph_at(g, y)->attr[k] = (uint32_t)r->arg[k];
    return y;
}
static void r_avgpool2d_bwd(const row *r, double *const *x, double *y) {
    ref_maxpool p = {r->batch,          DIM(r, 1, 0),      DIM(r, 1, 1),     DIM(r, 1, 2),
                     (size_t)r->arg[0], (size_t)r->arg[1], (size_t)r->arg[2]};
    ref_avgpool2d_backward(&p, x[0], y);
}

/* Concatenation along dimension 1 of two leaves [*, Ca, inner] and
 * [*, Cb, inner] (batched inputs or store tensors). */
BUILD2(b_concat, alvk_graph_concat)
static size_t rows_of(const row *r, int k) { return r->leaves[k].kind == IN ? r->batch : DIM(r, k, 0); }
static size_t channel_dim(const row *r) { return r->leaves[0].kind == IN ? 0 : 1; }
static size_t inner_of(const row *r, int k) {
    size_t inner = 1;
    for (uint32_t d = (uint32_t)channel_dim(r) + 1; d < r->leaves[k].ndims; d++) inner *= DIM(r, k, d);
    return inner;
}
static void r_concat(const row *r, double *const *x, double *y) {
    size_t c = channel_dim(r);
    ref_concat(rows_of(r, 0), DIM(r, 0, c), DIM(r, 1, c), inner_of(r, 0), x[0], x[1], y);
}

/* Channels arg[0].. of leaf 0 (zero outside it), as many as the output has. */
static alvk_node b_channels(alvk_graph *g, const row *r, const alvk_node *x) {
    alvk_node y = direct(g, r, OP_CHANNELS, x, 1);
    if (y >= 0) graph_at(g, y)->attr[0] = (uint32_t)(int32_t)r->arg[0];
    return y;
}
static void r_channels(const row *r, double *const *x, double *y) {
    ref_channels(r->batch, DIM(r, 0, 0), r->out.dims[0], (long)r->arg[0], inner_of(r, 0), x[0], y);
}

/* gy gelu'(x): gelu's VJP, differentiable again in both. */
static alvk_node b_gelu_grad(alvk_graph *g, const row *r, const alvk_node *x) {
    return direct(g, r, OP_GELU_GRAD, x, 2);
}
static void r_gelu_grad(const row *r, double *const *x, double *y) {
    EACH(r) y[i] = x[0][i] * (normal_cdf(x[1][i]) + x[1][i] * exp(-0.5 * x[1][i] * x[1][i]) / sqrt(2 * acos(-1)));
}

/* ---- the table ------------------------------------------------------------
 * Leaves: {name, kind, ndims, shape, lo, hi, fill}; out: {batched, ndims,
 * dims}. Values stay clear of kinks (relu's 0, ties of a max) by more than
 * any difference step. */

#define X3 {"x", IN, 1, {3}, -1, 1, ANY}
#define X4 {"x", IN, 1, {4}, -1, 1, ANY}
#define X5 {"x", IN, 1, {5}, -1, 1, ANY}
#define Y4 {"y", IN, 1, {4}, -1, 1, ANY}
#define S {"s", IN, 0, {0}, -1, 1, ANY} /* one value per row */
#define FC_W {"fc.weight", PARAM, 2, {3, 4}, -1, 1, ANY}
#define FC_B {"fc.bias", PARAM, 1, {3}, -1, 1, ANY}
#define CONV_W {"conv.weight", PARAM, 4, {3, 2, 3, 3}, -0.5, 0.5, ANY}
#define CONV_B {"conv.bias", PARAM, 1, {3}, -1, 1, ANY}

/* A row checked by a test of another suite: its name, and the test's own
 * Criterion record (criterion/internal/test.h names it), so the link fails
 * when the test is renamed or gone and a row cannot point at nothing. */
#define VIA_TEST(suite, test) .via = #suite "/" #test, .via_test = &CR_IDENTIFIER_(suite, test, meta)
extern struct criterion_test CR_IDENTIFIER_(graph, gathers_batches_from_a_pool, meta);
extern struct criterion_test CR_IDENTIFIER_(optim, sgd_follows_the_reference_as_its_hyperparameters_change, meta);

#define ADAM_EPS 1e-8

static const row rows[] = {
    /* Leaves and plumbing. */
    {.op = "input", .via = "matmul"},
    {.op = "labels", .via = "softmax_ce"},
    {.op = "param", .via = "matmul"},
    {.op = "one", .via = "matmul"}, /* the seed of every gradient sweep */
    {.op = "to_grad", .via = "reshape"},
    {.op = "sgd", VIA_TEST(optim, sgd_follows_the_reference_as_its_hyperparameters_change)},
    {.op = "gather", VIA_TEST(graph, gathers_batches_from_a_pool)},
    {.op = "gathered_labels", VIA_TEST(graph, gathers_batches_from_a_pool)},
    {.op = "correct", VIA_TEST(graph, gathers_batches_from_a_pool)},

    /* The optimiser: not differentiable; its two steps of a linear layer's
     * weights and bias against the reference Adam on the same gradients. */
    {.op = "adam", .note = "two steps of x w^T + b", .build = b_linear, .ref = r_linear, .batch = 2,
     .leaves = {X4, FC_W, FC_B}, .out = {1, 1, {3}}, .arg = {0.05, 0.8, 0.9}, .adam = 1},

    /* Linear layers: dx and dw are matmuls with transposes, db a sum_cols,
     * and each of these differentiates again. */
    {.op = "matmul", .note = "x w^T; d(dx)", .build = b_linear, .ref = r_linear, .batch = 2,
     .leaves = {X4, FC_W}, .out = {1, 1, {3}}, .d2_of = 0, .d2_wrt = LEAF(1) | LOSS_W},
    {.op = "matmul", .note = "x w^T; d(dw)", .build = b_linear, .ref = r_linear, .batch = 2,
     .leaves = {X4, FC_W}, .out = {1, 1, {3}}, .d2_of = 1, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "bias_add", .note = "x w^T + b; d(db)", .build = b_linear, .ref = r_linear, .batch = 2,
     .leaves = {X4, FC_W, FC_B}, .out = {1, 1, {3}}, .d2_of = 2, .d2_wrt = LOSS_W},
    {.op = "sum_cols", .note = "[2,3] -> [3]", .build = b_sum_cols, .ref = r_sum_cols, .batch = 2,
     .leaves = {X3}, .out = {0, 1, {3}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "expand_cols", .note = "[3] -> [2,3]", .build = b_expand_cols, .ref = r_expand_cols, .batch = 2,
     .leaves = {{"g", PARAM, 1, {3}, -1, 1, ANY}, {"like", CONST, 1, {3}, -1, 1, ANY}},
     .out = {1, 1, {3}}, .d2_of = 0, .d2_wrt = LOSS_W},

    /* Convolution: the gradient kernels, not differentiable again. */
    {.op = "conv2d", .note = "2x2x4x4, 3x3 kernel, stride 1, pad 1, bias", .build = b_conv, .ref = r_conv,
     .batch = 2, .leaves = {{"x", IN, 3, {2, 4, 4}, -1, 1, ANY}, CONV_W, CONV_B},
     .out = {1, 3, {3, 4, 4}}, .arg = {1, 1}},
    {.op = "conv2d", .note = "2x2x5x5, 3x3 kernel, stride 2, pad 1, no bias", .build = b_conv,
     .ref = r_conv, .batch = 2, .leaves = {{"x", IN, 3, {2, 5, 5}, -1, 1, ANY}, CONV_W},
     .out = {1, 3, {3, 3, 3}}, .arg = {2, 1}},
    {.op = "conv_bwd_data", .via = "conv2d"},
    {.op = "conv_bwd_weight", .via = "conv2d"},
    {.op = "channel_sum", .via = "conv2d"},

    /* Batch norm in training mode: dx through the batch statistics (grad,
     * weight gradients to scratch), dgamma and dbeta into the store
     * (backward). */
    {.op = "batchnorm", .note = "training, 2x3x2x2", .build = b_batchnorm, .ref = r_batchnorm, .batch = 2,
     .leaves = {{"x", IN, 3, {3, 2, 2}, -1, 1, ANY},
                {"bn.weight", PARAM, 1, {3}, 0.5, 1.5, ANY},
                {"bn.bias", PARAM, 1, {3}, -0.5, 0.5, ANY},
                {"bn.running_mean", STATE, 1, {3}, -0.5, 0.5, ANY},
                {"bn.running_var", STATE, 1, {3}, 0.5, 1.5, ANY}},
     .out = {1, 3, {3, 2, 2}}},
    {.op = "batchnorm_bwd", .via = "batchnorm"},

    /* Pooling: overlapping windows, so a maximum can take two gradients. */
    {.op = "maxpool", .note = "2x2x4x4, window 3, stride 2, pad 1", .build = b_maxpool, .ref = r_maxpool,
     .batch = 2, .leaves = {{"x", IN, 3, {2, 4, 4}, -1, 1, DISTINCT}}, .out = {1, 3, {2, 2, 2}},
     .arg = {3, 2, 1}},
    {.op = "maxpool_bwd", .via = "maxpool"},
    {.op = "avgpool2d", .note = "2x2x5x5, window 3, stride 2, pad 1", .build = b_avgpool2d,
     .ref = r_avgpool2d, .batch = 2, .leaves = {{"x", IN, 3, {2, 5, 5}, -1, 1, ANY}},
     .out = {1, 3, {2, 3, 3}}, .arg = {3, 2, 1}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "avgpool2d", .note = "2x2x4x6, window 2, stride 2", .build = b_avgpool2d,
     .ref = r_avgpool2d, .batch = 2, .leaves = {{"x", IN, 3, {2, 4, 6}, -1, 1, ANY}},
     .out = {1, 3, {2, 2, 3}}, .arg = {2, 2, 0}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "avgpool2d_bwd", .note = "window 3, stride 2, pad 1", .build = b_avgpool2d_bwd,
     .ref = r_avgpool2d_bwd, .batch = 2,
     .leaves = {{"dy", IN, 3, {2, 3, 3}, -1, 1, ANY}, {"like", CONST, 3, {2, 5, 5}, -1, 1, ANY}},
     .out = {1, 3, {2, 5, 5}}, .arg = {3, 2, 1}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "avgpool", .note = "global, 2x3x2x2", .build = b_avgpool, .ref = r_avgpool, .batch = 2,
     .leaves = {{"x", IN, 3, {3, 2, 2}, -1, 1, ANY}}, .out = {1, 1, {3}}},
    {.op = "avgpool_bwd", .via = "avgpool"},

    /* Activations and elementwise ops, all differentiable twice. */
    {.op = "relu", .build = b_relu, .ref = r_relu, .batch = 2, .leaves = {{"x", IN, 1, {5}, 0.1, 1, AWAY}},
     .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "relu_grad", .build = b_relu_grad, .ref = r_relu_grad, .batch = 2,
     .leaves = {{"gy", IN, 1, {5}, -1, 1, ANY}, {"x", CONST, 1, {5}, 0.1, 1, AWAY}},
     .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "sigmoid", .build = b_sigmoid, .ref = r_sigmoid, .batch = 2,
     .leaves = {{"x", IN, 1, {5}, -2, 2, ANY}}, .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "tanh", .build = b_tanh, .ref = r_tanh, .batch = 2,
     .leaves = {{"x", IN, 1, {5}, -2, 2, ANY}}, .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "exp", .build = b_exp, .ref = r_exp, .batch = 2,
     .leaves = {{"x", IN, 1, {5}, -1, 1, ANY}}, .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "log", .build = b_log, .ref = r_log, .batch = 2,
     .leaves = {{"x", IN, 1, {5}, 0.5, 2, ANY}}, .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "gelu", .build = b_gelu, .ref = r_gelu, .batch = 2,
     .leaves = {{"x", IN, 1, {5}, -3, 3, ANY}}, .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "gelu_grad", .note = "d(dx)", .build = b_gelu_grad, .ref = r_gelu_grad, .batch = 2,
     .leaves = {{"gy", IN, 1, {5}, -1, 1, ANY}, {"x", IN, 1, {5}, -3, 3, ANY}}, .out = {1, 1, {5}},
     .d2_of = 1, .d2_wrt = LEAF(0) | LEAF(1) | LOSS_W},
    {.op = "dropout", .note = "p 0.5, run 0's mask (7 of 10 kept)", .build = b_dropout, .ref = r_dropout,
     .batch = 2, .arg = {0.5, 7}, .leaves = {X5}, .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "dropout", .note = "p 0.25, seed 2^40 + 12345 (9 of 10 kept)", .build = b_dropout, .ref = r_dropout,
     .batch = 2, .arg = {0.25, 1099511640121.0}, .leaves = {X5}, .out = {1, 1, {5}}, .d2_of = 0,
     .d2_wrt = LOSS_W},
    {.op = "softmax", .note = "rows of 4", .build = b_softmax, .ref = r_softmax, .batch = 2,
     .leaves = {{"x", IN, 1, {4}, -2, 2, ANY}}, .out = {1, 1, {4}}, .d2_of = 0, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "leaky_relu", .note = "slope 0.1", .build = b_leaky_relu, .ref = r_leaky_relu, .batch = 2,
     .arg = {0.1}, .leaves = {{"x", IN, 1, {5}, 0.1, 1, AWAY}}, .out = {1, 1, {5}}, .d2_of = 0,
     .d2_wrt = LOSS_W},
    {.op = "square", .build = b_square, .ref = r_square, .batch = 2, .leaves = {X5}, .out = {1, 1, {5}},
     .d2_of = 0, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "sqrt", .build = b_sqrt, .ref = r_sqrt, .batch = 2, .leaves = {{"x", IN, 1, {5}, 0.5, 2, ANY}},
     .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "affine", .note = "1.5 x - 0.25", .build = b_affine, .ref = r_affine, .batch = 2, .leaves = {X5},
     .out = {1, 1, {5}}, .arg = {1.5, -0.25}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "affine", .note = "alvk_graph_scale, -0.75 x", .build = b_scale, .ref = r_affine, .batch = 2,
     .leaves = {X5}, .out = {1, 1, {5}}, .arg = {-0.75, 0}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "add", .build = b_add, .ref = r_add, .batch = 2, .leaves = {X4, Y4}, .out = {1, 1, {4}},
     .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "sub", .build = b_sub, .ref = r_sub, .batch = 2, .leaves = {X4, Y4}, .out = {1, 1, {4}},
     .d2_of = 1, .d2_wrt = LOSS_W},
    {.op = "mul", .build = b_mul, .ref = r_mul, .batch = 2, .leaves = {X4, Y4}, .out = {1, 1, {4}},
     .d2_of = 0, .d2_wrt = LEAF(1) | LOSS_W},
    {.op = "div", .note = "d(da)", .build = b_div, .ref = r_div, .batch = 2,
     .leaves = {X4, {"y", IN, 1, {4}, 0.5, 1.5, AWAY}}, .out = {1, 1, {4}},
     .d2_of = 0, .d2_wrt = LEAF(1) | LOSS_W},
    {.op = "div", .note = "d(db)", .build = b_div, .ref = r_div, .batch = 2,
     .leaves = {X4, {"y", IN, 1, {4}, 0.5, 1.5, AWAY}}, .out = {1, 1, {4}},
     .d2_of = 1, .d2_wrt = LEAF(0) | LEAF(1) | LOSS_W},

    /* Row-wise ops and sums, differentiable twice through their expands. */
    {.op = "mul_rows", .note = "d(dx)", .build = b_mul_rows, .ref = r_mul_rows, .batch = 2,
     .leaves = {X4, S}, .out = {1, 1, {4}}, .d2_of = 0, .d2_wrt = LEAF(1) | LOSS_W},
    {.op = "mul_rows", .note = "d(ds)", .build = b_mul_rows, .ref = r_mul_rows, .batch = 2,
     .leaves = {X4, S}, .out = {1, 1, {4}}, .d2_of = 1, .d2_wrt = LEAF(0) | LOSS_W},
    {.op = "sum_rows", .build = b_sum_rows, .ref = r_sum_rows, .batch = 2, .leaves = {X4}, .out = {1, 0, {0}},
     .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "expand_rows", .note = "[2] -> [2,4]", .build = b_expand_rows, .ref = r_expand_rows, .batch = 2,
     .leaves = {S, {"like", CONST, 1, {4}, -1, 1, ANY}}, .out = {1, 1, {4}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "mean", .build = b_mean, .ref = r_mean, .batch = 2, .leaves = {X3}, .out = {0, 1, {1}},
     .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "expand_mean", .note = "[1] -> [2,3]", .build = b_expand_mean, .ref = r_expand_mean, .batch = 2,
     .leaves = {{"g", PARAM, 1, {1}, -1, 1, ANY}, {"like", CONST, 1, {3}, -1, 1, ANY}},
     .out = {1, 1, {3}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "reshape", .note = "batched rows", .build = b_reshape, .ref = r_copy, .batch = 2,
     .leaves = {{"x", IN, 2, {2, 3}, -1, 1, ANY}}, .out = {1, 1, {6}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "reshape", .note = "a store tensor", .build = b_reshape_param, .ref = r_copy, .batch = 2,
     .leaves = {{"p", PARAM, 2, {2, 3}, -1, 1, ANY}}, .out = {0, 1, {6}}, .d2_of = 0, .d2_wrt = LOSS_W},

    /* Concatenation along channels and its windows: copies, differentiable
     * twice through each other. */
    {.op = "concat", .note = "NCHW, 2 + 1 channels of 3x3", .build = b_concat, .ref = r_concat, .batch = 2,
     .leaves = {{"a", IN, 3, {2, 3, 3}, -1, 1, ANY}, {"b", IN, 3, {1, 3, 3}, -1, 1, ANY}},
     .out = {1, 3, {3, 3, 3}}, .d2_of = 1, .d2_wrt = LOSS_W},
    {.op = "concat", .note = "[B, 3] and [B, 2]", .build = b_concat, .ref = r_concat, .batch = 2,
     .leaves = {X3, {"b", IN, 1, {2}, -1, 1, ANY}}, .out = {1, 1, {5}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "concat", .note = "store tensors [2,3] and [2,2]", .build = b_concat, .ref = r_concat,
     .batch = 2, .leaves = {{"p", PARAM, 2, {2, 3}, -1, 1, ANY}, {"q", PARAM, 2, {2, 2}, -1, 1, ANY}},
     .out = {0, 2, {2, 5}}, .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "channels", .note = "channels 2..4 of 4: one of zeros", .build = b_channels, .ref = r_channels,
     .batch = 2, .leaves = {{"x", IN, 2, {4, 2}, -1, 1, ANY}}, .out = {1, 2, {3, 2}}, .arg = {2},
     .d2_of = 0, .d2_wrt = LOSS_W},
    {.op = "channels", .note = "2 channels after 1 of zeros", .build = b_channels, .ref = r_channels,
     .batch = 2, .leaves = {{"x", IN, 2, {2, 2}, -1, 1, ANY}}, .out = {1, 2, {4, 2}}, .arg = {-1},
     .d2_of = 0, .d2_wrt = LOSS_W},

    /* The loss: its backward is a fused kernel. */
    {.op = "softmax_ce", .note = "3 rows, 4 classes", .build = b_softmax_ce, .ref = r_softmax_ce,
     .batch = 3, .leaves = {{"logits", IN, 1, {4}, -2, 2, ANY}, {"labels", LABELS, 0, {0}, 0, 4, ANY}},
     .out = {0, 1, {1}}},
    {.op = "softmax_ce_bwd", .via = "softmax_ce"},
};

enum { NROWS = sizeof rows / sizeof rows[0] };

static const char *const op_names[OP_COUNT] = {
#define GRAD_OP_NAME(id, name) #name,
    ALVK_GRAPH_OPS(GRAD_OP_NAME)
#undef GRAD_OP_NAME
};

static int op_of(const char *name) {
    for (int op = 0; op < OP_COUNT; op++)
        if (strcmp(op_names[op], name) == 0) return op;
    return -1;
}

/* ---- a row's values and its reference -------------------------------------- */

/* A row's leaves, then the loss weights w (index n, shaped like y) and,
 * for the second order, the direction v (index n + 1, shaped like leaf
 * d2_of), with their values: floats as the device gets them, and the same
 * in double for the reference to perturb. */
typedef struct setup {
    const row *r;
    int n, nall;
    leaf all[ALL_LEAVES];
    size_t numel[ALL_LEAVES], ny;
    float *val[ALL_LEAVES];
    double *x[ALL_LEAVES];
    double *y; /* the reference's scratch */
} setup;

static uint32_t next(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }
static double uniform(uint32_t *s) { return (next(s) >> 8) * (1.0 / 16777216.0); }

static void fill_leaf(const leaf *l, size_t n, uint32_t seed, float *v) {
    uint32_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double u = l->lo + (l->hi - l->lo) * uniform(&s);
        if (l->kind == LABELS) u = (double)((3 * i + 1) % (size_t)l->hi);
        else if (l->fill == AWAY && uniform(&s) < 0.5) u = -u;
        else if (l->fill == DISTINCT) u = l->lo + (l->hi - l->lo) * (double)i / (double)(n - 1);
        v[i] = (float)u;
    }
    for (size_t i = n - 1; l->fill == DISTINCT && i > 0; i--) { /* Fisher-Yates */
        size_t j = next(&s) % (i + 1);
        float t = v[i];
        v[i] = v[j], v[j] = t;
    }
}

static setup make_setup(const row *r) {
    setup s = {.r = r, .n = leaf_count(r)};
    memcpy(s.all, r->leaves, (size_t)s.n * sizeof *s.all);
    s.all[s.n] = (leaf){"loss.w", r->out.batched ? IN : PARAM, r->out.ndims, {0}, -1, 1, ANY};
    memcpy(s.all[s.n].shape, r->out.dims, sizeof r->out.dims);
    s.nall = s.n + 1;
    if (r->d2_wrt) { /* v is an input beside an input, a store tensor without gradient beside a tensor */
        const leaf *a = &r->leaves[r->d2_of];
        s.all[s.nall++] = (leaf){"loss.v", a->kind == IN ? IN : STATE, a->ndims,
                                 {a->shape[0], a->shape[1], a->shape[2], a->shape[3]}, -1, 1, ANY};
    }
    for (int k = 0; k < s.nall; k++) {
        s.numel[k] = leaf_numel(&s.all[k], r->batch);
        s.val[k] = malloc(s.numel[k] * sizeof *s.val[k]);
        s.x[k] = malloc(s.numel[k] * sizeof *s.x[k]);
        fill_leaf(&s.all[k], s.numel[k], 7919u * (uint32_t)k + 17u, s.val[k]);
        for (size_t i = 0; i < s.numel[k]; i++) s.x[k][i] = s.val[k][i];
    }
    s.ny = s.numel[s.n];
    s.y = malloc(s.ny * sizeof *s.y);
    return s;
}

static void free_setup(setup *s) {
    for (int k = 0; k < s->nall; k++) free(s->val[k]), free(s->x[k]);
    free(s->y);
}

/* L = sum(w * y) on the reference. */
static double loss_ref(setup *s) {
    memset(s->y, 0, s->ny * sizeof *s->y);
    s->r->ref(s->r, s->x, s->y);
    double l = 0;
    for (size_t i = 0; i < s->ny; i++) l += s->x[s->n][i] * s->y[i];
    return l;
}

/* sum(v * dL/da) for a = leaf d2_of: L's derivative along v. */
static double directional_ref(setup *s) {
    int a = s->r->d2_of;
    size_t n = s->numel[a];
    double *keep = malloc(n * sizeof *keep), l[2];
    memcpy(keep, s->x[a], n * sizeof *keep);
    for (int side = 0; side < 2; side++) {
        for (size_t j = 0; j < n; j++) s->x[a][j] = keep[j] + (side ? -STEP2 : STEP2) * s->x[s->n + 1][j];
        l[side] = loss_ref(s);
    }
    memcpy(s->x[a], keep, n * sizeof *keep); /* exactly as before, for the outer difference */
    free(keep);
    return (l[0] - l[1]) / (2 * STEP2);
}

/* d f / d x[k][i] by central differences. */
static double partial(setup *s, double (*f)(setup *), int k, size_t i, double h) {
    double keep = s->x[k][i];
    s->x[k][i] = keep + h;
    double up = f(s);
    s->x[k][i] = keep - h;
    double down = f(s);
    s->x[k][i] = keep;
    return (up - down) / (2 * h);
}

/* ---- the graph ------------------------------------------------------------ */

typedef struct built {
    alvk_graph *g;
    alvk_params *p;
    alvk_node node[ALL_LEAVES];
    int store[ALL_LEAVES]; /* the store index of PARAM and STATE leaves */
    alvk_node y, loss;
    alvk_node grad[ALL_LEAVES];  /* dL/dx of inputs (parameters' go to the store) */
    alvk_node grad2[ALL_LEAVES]; /* d sum(v * dL/da) / dx */
} built;

/* Whether leaf k is in the row's d2_wrt (k == n: the loss weights). */
static int in_d2(const setup *s, int k) {
    return k < s->n ? (s->r->d2_wrt & LEAF(k)) != 0 : k == s->n && (s->r->d2_wrt & LOSS_W);
}

/* A failed builder call sticks to the graph and compile reports it, so
 * marking outputs (and backward) need not be checked one by one. */
static void output(alvk_graph *g, alvk_node x) { (void)alvk_graph_output(g, x); }

static void make_store(alvk_context *ctx, setup *s, built *b) {
    for (int k = 0; k < s->nall; k++) {
        const leaf *l = &s->all[k];
        b->store[k] = -1;
        if (l->kind != PARAM && l->kind != STATE) continue;
        if (!b->p) TEST_OK(alvk_params_create(ctx, &b->p));
        TEST_OK(alvk_params_add(b->p, l->name, l->shape, l->ndims,
                                l->kind == PARAM ? ALVK_PARAM_TRAINABLE : ALVK_PARAM_STATE, &b->store[k]));
    }
    if (!b->p) return;
    TEST_OK(alvk_params_commit(b->p));
    for (int k = 0; k < s->nall; k++)
        if (b->store[k] >= 0) TEST_OK(alvk_params_write(b->p, b->store[k], s->val[k], s->numel[k] * sizeof *s->val[k]));
}

/* Builds the row's graph: y, L, every input's dL/dx, backward into the
 * store, the second-order gradients. 0 when it does not compile. */
static int build_graph(alvk_context *ctx, setup *s, built *b) {
    const row *r = s->r;
    *b = (built){0};
    make_store(ctx, s, b);
    TEST_OK(alvk_graph_create(ctx, b->p, r->batch, ALVK_GRAPH_TRAIN, &b->g));
    alvk_graph *g = b->g;
    int trainable = 0;
    for (int k = 0; k < s->nall; k++) {
        const leaf *l = &s->all[k];
        b->node[k] = l->kind == IN || l->kind == CONST ? alvk_graph_input(g, l->shape, l->ndims)
                     : l->kind == LABELS ? alvk_graph_labels(g) : alvk_graph_param(g, l->name);
        trainable |= l->kind == PARAM;
    }
    b->y = r->build(g, r, b->node);
    /* L = sum(w * y), as the mean times the count: a scalar for backward. */
    b->loss = graph_affine(g, alvk_graph_mean(g, alvk_graph_mul(g, b->y, b->node[s->n])), (float)s->ny, 0);
    output(g, b->y), output(g, b->loss);
    for (int k = 0; k <= s->n; k++) {
        b->grad[k] = b->grad2[k] = -1;
        if (s->all[k].kind == IN) output(g, b->grad[k] = alvk_graph_grad(g, b->loss, b->node[k]));
    }
    if (trainable) (void)alvk_graph_backward(g, b->loss); /* a failure sticks, as above */
    if (r->adam) (void)alvk_graph_adam(g, r->arg[0], r->arg[1], r->arg[2], ADAM_EPS);
    if (r->d2_wrt) {
        int a = r->d2_of;
        alvk_node ga = b->grad[a] >= 0 ? b->grad[a] : alvk_graph_grad(g, b->loss, b->node[a]);
        alvk_node l2 = alvk_graph_mul(g, ga, b->node[s->n + 1]); /* grad takes its sum */
        for (int k = 0; k <= s->n; k++)
            if (in_d2(s, k)) output(g, b->grad2[k] = alvk_graph_grad(g, l2, b->node[k]));
    }
    alvk_status status = alvk_graph_compile(g); /* reports the first builder error */
    cr_expect(status == ALVK_OK, "%s (%s): %s", r->op, NOTE(r), alvk_last_error());
    if (status != ALVK_OK) return 0;
    const node *Y = graph_at(g, b->y);
    int same = Y->batched == r->out.batched && Y->ndims == r->out.ndims + (uint32_t)r->out.batched;
    for (uint32_t d = 0; same && d < r->out.ndims; d++) same = Y->shape[d + r->out.batched] == r->out.dims[d];
    cr_expect(same, "%s (%s): y's shape is not the row's", r->op, NOTE(r));
    return same;
}

static void run_graph(setup *s, built *b) {
    for (int k = 0; k < s->nall; k++) {
        leaf_kind kind = s->all[k].kind;
        if (kind == IN || kind == CONST) TEST_OK(alvk_graph_set(b->g, b->node[k], s->val[k], s->numel[k] * sizeof *s->val[k], s->r->batch));
        if (kind != LABELS) continue;
        uint32_t labels[64];
        for (size_t i = 0; i < s->numel[k]; i++) labels[i] = (uint32_t)s->val[k][i];
        TEST_OK(alvk_graph_set(b->g, b->node[k], labels, sizeof labels, s->r->batch));
    }
    TEST_OK(alvk_graph_run(b->g, s->r->batch));
}

/* ---- checking -------------------------------------------------------------- */

/* One expectation per array: how many values are off, and the worst. The
 * error is normwise, |got - want| / scale with scale the largest |want|
 * (f32 rounding is relative to the array's magnitudes, not to each value,
 * so a value near 0 gets no looser or tighter a bound than its neighbours),
 * or the caller's scale when given. */
static int expect_close(const setup *s, const char *what, const float *got, const double *want, size_t n,
                         double scale, double tol) {
    if (!scale)
        for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    size_t bad = 0, worst = 0;
    double worst_err = -1;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]) / (scale ? scale : 1);
        if (!(err <= tol)) bad++;
        if (!(err <= worst_err)) worst = i, worst_err = err; /* NaN is the worst */
    }
    cr_expect(bad == 0, "%s (%s): %s: %zu of %zu values off by more than %g of %.3g; worst [%zu] %.7g, "
              "want %.7g", s->r->op, NOTE(s->r), what, bad, n, tol, scale, worst, got[worst], want[worst]);
    return bad == 0;
}

/* The checks return 1 when every value is close. */
static int check_forward(setup *s, built *b) {
    float *got = malloc(s->ny * sizeof *got), loss;
    TEST_OK(alvk_graph_read(b->g, b->y, got, s->ny * sizeof *got));
    double want_loss = loss_ref(s); /* leaves the reference's y in s->y */
    int ok = expect_close(s, "y", got, s->y, s->ny, 0, TOL_FORWARD);
    double terms = 0; /* L's rounding scales with its terms, which may cancel */
    for (size_t i = 0; i < s->ny; i++) terms += fabs(s->x[s->n][i] * s->y[i]);
    TEST_OK(alvk_graph_read(b->g, b->loss, &loss, sizeof loss));
    ok &= expect_close(s, "L = sum(w y)", &loss, &want_loss, 1, terms, TOL_FORWARD);
    free(got);
    return ok;
}

/* Every leaf's gradient of L: inputs' from their grad nodes, trainable
 * tensors' from the store (where backward put them). */
static int check_vjp(setup *s, built *b) {
    int ok = 1;
    for (int k = 0; k <= s->n; k++) {
        const leaf *l = &s->all[k];
        if (l->kind != IN && l->kind != PARAM) continue;
        size_t n = s->numel[k];
        float *got = malloc(n * sizeof *got);
        double *want = malloc(n * sizeof *want);
        if (l->kind == IN) TEST_OK(alvk_graph_read(b->g, b->grad[k], got, n * sizeof *got));
        else TEST_OK(alvk_params_read_grad(b->p, b->store[k], got, n * sizeof *got));
        for (size_t i = 0; i < n; i++) want[i] = partial(s, loss_ref, k, i, STEP1);
        char what[64];
        snprintf(what, sizeof what, "dL/d%s", l->name);
        ok &= expect_close(s, what, got, want, n, 0, TOL_GRAD);
        free(got), free(want);
    }
    return ok;
}

static int check_second_order(setup *s, built *b) {
    int ok = 1;
    for (int k = 0; k <= s->n; k++) {
        if (!in_d2(s, k)) continue;
        size_t n = s->numel[k];
        float *got = malloc(n * sizeof *got);
        double *want = malloc(n * sizeof *want);
        TEST_OK(alvk_graph_read(b->g, b->grad2[k], got, n * sizeof *got));
        for (size_t i = 0; i < n; i++) want[i] = partial(s, directional_ref, k, i, STEP2);
        char what[96];
        snprintf(what, sizeof what, "d/d%s of sum(v dL/d%s)", s->all[k].name, s->all[s->r->d2_of].name);
        ok &= expect_close(s, what, got, want, n, 0, TOL_GRAD);
        free(got), free(want);
    }
    return ok;
}

/* The inputs (and loss weights) of an Adam row's second run: each input's
 * values rotated by one, so the gradients change between the steps (a
 * linear layer's do not change with its weights). */
static void set_other_inputs(setup *s, built *b) {
    for (int k = 0; k < s->nall; k++) {
        if (s->all[k].kind != IN) continue;
        size_t n = s->numel[k];
        float *other = malloc(n * sizeof *other);
        for (size_t i = 0; i < n; i++) other[i] = s->val[k][(i + 1) % n];
        TEST_OK(alvk_graph_set(b->g, b->node[k], other, n * sizeof *other, s->r->batch));
        free(other);
    }
}

/* An Adam row, after its graph's first run: every trainable leaf's step
 * (new value minus old) against the reference Adam from zero moments on
 * the gradient the store holds, then a second run's step, on other
 * inputs, from the reference's moments (both moments, both betas, the bias
 * corrections of steps 1 and 2: the device's step counter). The reference
 * takes the device's gradients, so the check is Adam's alone; check_vjp
 * checked the first run's gradients. */
static int check_adam(setup *s, built *b) {
    const row *r = s->r;
    double *m[ALL_LEAVES] = {0}, *v[ALL_LEAVES] = {0};
    int ok = 1;
    for (int step = 1; step <= 2; step++) {
        if (step == 2) {
            set_other_inputs(s, b);
            TEST_OK(alvk_graph_run(b->g, r->batch));
        }
        for (int k = 0; k < s->n; k++) {
            if (s->all[k].kind != PARAM) continue;
            size_t n = s->numel[k];
            float *g = malloc(n * sizeof *g), *p = malloc(n * sizeof *p), *got = malloc(n * sizeof *got);
            double *gd = malloc(n * sizeof *gd), *want = malloc(n * sizeof *want), *p_ref = malloc(n * sizeof *p_ref);
            if (!m[k]) m[k] = calloc(n, sizeof *m[k]), v[k] = calloc(n, sizeof *v[k]);
            TEST_OK(alvk_params_read_grad(b->p, b->store[k], g, n * sizeof *g));
            TEST_OK(alvk_params_read(b->p, b->store[k], p, n * sizeof *p));
            for (size_t i = 0; i < n; i++) gd[i] = g[i];
            /* From the values before this step: the leaf's, then the first step's. */
            ref_adam(n, r->arg[0], r->arg[1], r->arg[2], ADAM_EPS, (unsigned)step, s->x[k], gd, m[k], v[k], p_ref,
                     m[k], v[k]);
            for (size_t i = 0; i < n; i++) {
                want[i] = p_ref[i] - s->x[k][i];
                got[i] = (float)(p[i] - s->x[k][i]);
                s->x[k][i] = p[i]; /* the next step starts from the device's values */
            }
            char what[64];
            snprintf(what, sizeof what, "step %d of %s", step, s->all[k].name);
            ok &= expect_close(s, what, got, want, n, 0, TOL_GRAD);
            free(g), free(p), free(got), free(gd), free(want), free(p_ref);
        }
    }
    for (int k = 0; k < ALL_LEAVES; k++) free(m[k]), free(v[k]);
    return ok;
}

/* Builds, runs and checks one row; marks the ops its graph holds. Returns
 * 1 when everything matched. */
static int check_row(alvk_context *ctx, const row *r, char seen[OP_COUNT]) {
    setup s = make_setup(r);
    built b;
    int ok = build_graph(ctx, &s, &b);
    for (int i = 0; i < b.g->count; i++) seen[b.g->nodes[i].op] = 1;
    ok &= seen[op_of(r->op)];
    cr_expect(seen[op_of(r->op)], "%s (%s): the row's graph has no %s node", r->op, NOTE(r), r->op);
    if (ok) {
        run_graph(&s, &b);
        ok &= check_forward(&s, &b);
        ok &= check_vjp(&s, &b);
        if (r->d2_wrt) ok &= check_second_order(&s, &b);
        if (r->adam) ok &= check_adam(&s, &b); /* last: it steps the store */
    }
    alvk_graph_destroy(b.g);
    alvk_params_destroy(b.p);
    free_setup(&s);
    return ok;
}

/* Whether some row of the table checks op `name` itself (not via another). */
static int has_real_row(const char *name) {
    for (int i = 0; i < NROWS; i++)
        if (!rows[i].via && strcmp(rows[i].op, name) == 0) return 1;
    return 0;
}

/* Every op of ALVK_GRAPH_OPS has a row (a new op fails here until it gets
 * one), every row names an op, and every via names a row or a test (the
 * test's own record, VIA_TEST). */
Test(graph_grad, every_op_has_a_row) {
    for (int op = 0; op < OP_COUNT; op++) {
        int found = 0;
        for (int i = 0; i < NROWS; i++) found |= strcmp(rows[i].op, op_names[op]) == 0;
        cr_expect(found, "graph op %s has no row in the gradient table", op_names[op]);
    }
    for (int i = 0; i < NROWS; i++) {
        cr_expect(op_of(rows[i].op) >= 0, "row %d: no graph op \"%s\"", i, rows[i].op);
        const struct criterion_test *t = rows[i].via_test;
        if (rows[i].via && strchr(rows[i].via, '/')) {
            char name[256];
            snprintf(name, sizeof name, "%s/%s", t ? t->category : "?", t ? t->name : "?");
            cr_expect(t && strcmp(name, rows[i].via) == 0, "%s: checked via test \"%s\", but its record "
                      "names \"%s\" (VIA_TEST)", rows[i].op, rows[i].via, name);
        } else if (rows[i].via) {
            cr_expect(has_real_row(rows[i].via), "%s: checked via \"%s\", which has no row of its own",
                      rows[i].op, rows[i].via);
        }
    }
}

/* Every row, in one context (a context per op would cost more than all
 * the rows together); then each op checked via a row must appear in that
 * row's graphs. The last expectation lists the rows that failed. */
Test(graph_grad, every_row) {
    alvk_context *ctx = test_open(NULL);
    static char seen[OP_COUNT][OP_COUNT]; /* [a row's op][an op its graphs hold] */
    char failed[1024] = "";
    for (int i = 0; i < NROWS; i++) {
        const row *r = &rows[i];
        if (r->via || check_row(ctx, r, seen[op_of(r->op)])) continue;
        size_t at = strlen(failed);
        snprintf(failed + at, sizeof failed - at, "%s%s (%s)", at ? ", " : "", r->op, NOTE(r));
    }
    for (int i = 0; i < NROWS; i++) {
        const row *r = &rows[i];
        if (r->via && !strchr(r->via, '/'))
            cr_expect(seen[op_of(r->via)][op_of(r->op)], "%s's row says %s's graphs exercise it, but they "
                      "hold no %s node", r->op, r->via, r->op);
    }
    cr_expect(!failed[0], "rows that failed: %s", failed);
    test_close(ctx);
}
