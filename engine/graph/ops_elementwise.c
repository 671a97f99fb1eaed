/* Elementwise graph ops and the sums beside them: activations, affine
 * maps, arithmetic on two tensors, scaling rows, row sums, the mean, and
 * the broadcasts their VJPs need. Every VJP here is made of these ops, so
 * each can be differentiated again (a gradient penalty's second order). */
#include "graph.h"
#include "vk/transfer.h"

/* ---- unary ------------------------------------------------------------------ */

static alvk_node unary(alvk_graph *g, graph_op op, alvk_node x, const char *name) {
    node *X = graph_arg(g, x, name);
    return X ? graph_add(g, op, &x, 1, X->shape, X->ndims, X->batched) : -1;
}

alvk_node alvk_graph_relu(alvk_graph *g, alvk_node x) { return unary(g, OP_RELU, x, "relu"); }
alvk_node alvk_graph_sigmoid(alvk_graph *g, alvk_node x) { return unary(g, OP_SIGMOID, x, "sigmoid"); }
alvk_node alvk_graph_square(alvk_graph *g, alvk_node x) { return unary(g, OP_SQUARE, x, "square"); }
alvk_node alvk_graph_sqrt(alvk_graph *g, alvk_node x) { return unary(g, OP_SQRT, x, "sqrt"); }
alvk_node alvk_graph_tanh(alvk_graph *g, alvk_node x) { return unary(g, OP_TANH, x, "tanh"); }
alvk_node alvk_graph_exp(alvk_graph *g, alvk_node x) { return unary(g, OP_EXP, x, "exp"); }
alvk_node alvk_graph_log(alvk_graph *g, alvk_node x) { return unary(g, OP_LOG, x, "log"); }
alvk_node alvk_graph_gelu(alvk_graph *g, alvk_node x) { return unary(g, OP_GELU, x, "gelu"); }
alvk_node alvk_graph_leaky_relu(alvk_graph *g, alvk_node x, float slope) {
    alvk_node y = unary(g, OP_LEAKY_RELU, x, "leaky_relu");
    if (y >= 0) graph_at(g, y)->alpha = slope;
    return y;
}

alvk_node graph_affine(alvk_graph *g, alvk_node x, float alpha, float beta) {
    alvk_node y = unary(g, OP_AFFINE, x, "affine");
    if (y >= 0) graph_at(g, y)->alpha = alpha, graph_at(g, y)->beta = beta;
    return y;
}
alvk_node alvk_graph_affine(alvk_graph *g, alvk_node x, float alpha, float beta) {
    return graph_affine(g, x, alpha, beta);
}
alvk_node alvk_graph_scale(alvk_graph *g, alvk_node x, float alpha) { return graph_affine(g, x, alpha, 0.0f); }

/* y = f(x) by unary.comp (alpha: a leaky ReLU's slope, else 0). */
static alvk_status record_unary(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch, alvk_unary_op op) {
    alvk_buffer x = graph_buffer(g, g->nodes[i].in[0]), y = graph_buffer(g, i);
    return alvk_op_unary(cmd, op, g->nodes[i].alpha, &x, &y, graph_count(g, i, batch));
}

/* record_NAME: the recording of a graph op that is one elementwise kernel
 * call, how(g, cmd, i, batch, op). */
#define RECORD_AS(name, how, op)                                                      \
    static alvk_status record_##name(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) { \
        return how(g, cmd, i, batch, op);                                            \
    }
RECORD_AS(relu, record_unary, ALVK_UNARY_RELU)
RECORD_AS(sigmoid, record_unary, ALVK_UNARY_SIGMOID)
RECORD_AS(square, record_unary, ALVK_UNARY_SQUARE)
RECORD_AS(sqrt, record_unary, ALVK_UNARY_SQRT)
RECORD_AS(tanh, record_unary, ALVK_UNARY_TANH)
RECORD_AS(exp, record_unary, ALVK_UNARY_EXP)
RECORD_AS(log, record_unary, ALVK_UNARY_LOG)
RECORD_AS(leaky_relu, record_unary, ALVK_UNARY_LEAKY_RELU)
RECORD_AS(gelu, record_unary, ALVK_UNARY_GELU)

/* A unary VJP: x's gradient, when wanted, from gy, x (a) and y (node i). */
typedef alvk_node unary_vjp(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n);
static alvk_status vjp_unary(graph_walk *w, int i, alvk_node gy, unary_vjp *f) {
    node n = w->g->nodes[i];
    if (graph_needs(w, n.in[0])) graph_accumulate(w, n.in[0], f(w->g, gy, n.in[0], i, &n));
    return ALVK_OK;
}

/* relu: gy (x > 0), differentiable in gy, zero in x */
static alvk_node d_relu(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)y;
    return graph_like2(g, OP_RELU_GRAD, gy, a, n);
}
/* sigmoid: gy y (1 - y) */
static alvk_node d_sigmoid(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)a, (void)n;
    return alvk_graph_mul(g, gy, alvk_graph_mul(g, y, graph_affine(g, y, -1, 1)));
}
static alvk_node d_square(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)y, (void)n;
    return alvk_graph_mul(g, gy, graph_affine(g, a, 2, 0));
}
/* sqrt: gy / (2 y) */
static alvk_node d_sqrt(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)a, (void)n;
    return graph_div(g, gy, graph_affine(g, y, 2, 0));
}
/* tanh: gy (1 - y^2) */
static alvk_node d_tanh(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)a, (void)n;
    return alvk_graph_mul(g, gy, graph_affine(g, alvk_graph_square(g, y), -1, 1));
}
/* exp: gy y */
static alvk_node d_exp(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)a, (void)n;
    return alvk_graph_mul(g, gy, y);
}
/* log: gy / x */
static alvk_node d_log(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)y, (void)n;
    return graph_div(g, gy, a);
}
/* leaky relu: gy where x > 0, slope gy elsewhere = (1 - slope) relu_grad(gy, x)
 * + slope gy, made of ops whose own VJPs exist */
static alvk_node d_leaky_relu(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)y;
    alvk_node masked = graph_like2(g, OP_RELU_GRAD, gy, a, n);
    return alvk_graph_add(g, graph_affine(g, masked, 1 - n->alpha, 0), graph_affine(g, gy, n->alpha, 0));
}
/* gelu: gy gelu'(x), one node whose own VJP is made of graph ops (below) */
static alvk_node d_gelu(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)y;
    return graph_like2(g, OP_GELU_GRAD, gy, a, n);
}
static alvk_node d_affine(alvk_graph *g, alvk_node gy, alvk_node a, alvk_node y, const node *n) {
    (void)a, (void)y;
    return graph_affine(g, gy, n->alpha, 0);
}

#define UNARY_VJP(name)                                                              \
    static alvk_status vjp_##name(graph_walk *w, int i, alvk_node gy) {              \
        return vjp_unary(w, i, gy, d_##name);                                        \
    }
UNARY_VJP(relu)
UNARY_VJP(sigmoid)
UNARY_VJP(square)
UNARY_VJP(sqrt)
UNARY_VJP(tanh)
UNARY_VJP(exp)
UNARY_VJP(log)
UNARY_VJP(leaky_relu)
UNARY_VJP(gelu)
UNARY_VJP(affine)

const graph_op_desc graph_op_relu = {.record = record_relu, .vjp = vjp_relu};
const graph_op_desc graph_op_sigmoid = {.record = record_sigmoid, .vjp = vjp_sigmoid};
const graph_op_desc graph_op_square = {.record = record_square, .vjp = vjp_square};
const graph_op_desc graph_op_sqrt = {.record = record_sqrt, .vjp = vjp_sqrt};
const graph_op_desc graph_op_tanh = {.record = record_tanh, .vjp = vjp_tanh};
const graph_op_desc graph_op_exp = {.record = record_exp, .vjp = vjp_exp};
const graph_op_desc graph_op_log = {.record = record_log, .vjp = vjp_log};
const graph_op_desc graph_op_leaky_relu = {.record = record_leaky_relu, .vjp = vjp_leaky_relu};
const graph_op_desc graph_op_gelu = {.record = record_gelu, .vjp = vjp_gelu};

static alvk_status record_affine(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer x = graph_buffer(g, n->in[0]), y = graph_buffer(g, i);
    return alvk_op_affine(cmd, n->alpha, n->beta, &x, &y, graph_count(g, i, batch));
}
const graph_op_desc graph_op_affine = {.record = record_affine, .vjp = vjp_affine};

/* out = g (x > 0), in: g, x[, g2: then (g + g2) (x > 0), an add fused in
 * at compile]; its own VJP: differentiable in g, zero in x. */
static alvk_status record_relu_grad(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer gy = graph_buffer(g, n->in[0]), x = graph_buffer(g, n->in[1]), y = graph_buffer(g, i), g2;
    if (n->nin > 2) g2 = graph_buffer(g, n->in[2]);
    return alvk_op_unary_backward(cmd, ALVK_UNARY_RELU, 0, &x, &gy, n->nin > 2 ? &g2 : NULL, &y,
                                  graph_count(g, i, batch));
}

static alvk_status vjp_relu_grad(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i], A = *graph_at(w->g, n.in[0]);
    if (graph_needs(w, n.in[0])) graph_accumulate(w, n.in[0], graph_like2(w->g, OP_RELU_GRAD, gy, n.in[1], &A));
    return ALVK_OK;
}
const graph_op_desc graph_op_relu_grad = {.record = record_relu_grad, .vjp = vjp_relu_grad,
                                          .reads = {READ_VALUES, READ_SIGN}};

/* out = dy gelu'(x), in: dy, x; gelu'(x) = Phi(x) + x phi(x), by
 * unary_backward.comp. Its VJP: gelu_grad again in dy, and in x
 * gy dy gelu''(x) with gelu''(x) = phi(x) (2 - x^2), which exp, square and
 * affine give (no erf), so GELU differentiates to any order. */
static alvk_status record_gelu_grad(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer dy = graph_buffer(g, n->in[0]), x = graph_buffer(g, n->in[1]), y = graph_buffer(g, i);
    return alvk_op_unary_backward(cmd, ALVK_UNARY_GELU, 0, &x, &dy, NULL, &y, graph_count(g, i, batch));
}

static alvk_status vjp_gelu_grad(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    node n = g->nodes[i];
    alvk_node dy = n.in[0], x = n.in[1];
    if (graph_needs(w, dy)) graph_accumulate(w, dy, graph_like2(g, OP_GELU_GRAD, gy, x, &n));
    if (!graph_needs(w, x)) return ALVK_OK;
    alvk_node x2 = alvk_graph_square(g, x);
    alvk_node pdf = graph_affine(g, alvk_graph_exp(g, graph_affine(g, x2, -0.5f, 0)), 0.3989422804014327f, 0);
    alvk_node second = alvk_graph_mul(g, pdf, graph_affine(g, x2, -1, 2));
    graph_accumulate(w, x, alvk_graph_mul(g, alvk_graph_mul(g, gy, dy), second));
    return ALVK_OK;
}
const graph_op_desc graph_op_gelu_grad = {.record = record_gelu_grad, .vjp = vjp_gelu_grad};

/* ---- dropout ------------------------------------------------------------------
 * How the run number reaches the kernel: the graph keeps a uint32 counter
 * on the device (g->runs, zeroed when the first dropout is built); every
 * dropout kernel reads it, and the last dropout node of the graph (in node
 * order, so after every forward and backward dropout of the run) records
 * count.comp after its kernel, as Adam advances its step count. A
 * recording replays with no host work, whatever the batch: every run
 * advances the same counter. The mask is a function of (seed, run,
 * element) alone, so the VJP, dropout of gy with the same seed in the same
 * run, multiplies by the same mask, and is itself differentiable. */

/* The graph's run counter, made and zeroed at first use. */
static int run_counter(alvk_graph *g) {
    if (g->runs.buffer) return 1;
    alvk_status s = alvk_buffer_alloc(g->ctx, 4, &g->runs);
    if (s == ALVK_OK) s = alvk_buffer_write(g->ctx, &g->runs, 0, &(uint32_t){0}, 4);
    if (s == ALVK_OK) return 1;
    alvk_buffer_free(g->ctx, &g->runs);
    graph_stick(g, s);
    return 0;
}

/* A DROPOUT node keeps p in alpha and the seed's words in attr[0..1]. */
static uint64_t seed_of(const node *n) { return (uint64_t)n->attr[1] << 32 | n->attr[0]; }

static alvk_node dropout_node(alvk_graph *g, alvk_node x, float p, uint64_t seed) {
    node X = *graph_at(g, x);
    alvk_node y = graph_like1(g, OP_DROPOUT, x, &X);
    if (y >= 0) {
        node *Y = graph_at(g, y);
        Y->alpha = p, Y->attr[0] = (uint32_t)seed, Y->attr[1] = (uint32_t)(seed >> 32);
    }
    return y;
}

alvk_node alvk_graph_dropout(alvk_graph *g, alvk_node x, float p, uint64_t seed) {
    if (!graph_arg(g, x, "dropout")) return -1;
    if (!(p >= 0 && p < 1))
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "dropout: p = %g; the probability of dropping "
                          "an element must be in [0, 1)", (double)p);
    if (g->mode == ALVK_GRAPH_EVAL || p == 0) return x; /* the identity: nothing to record */
    return run_counter(g) ? dropout_node(g, x, p, seed) : -1;
}

static alvk_status record_dropout(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer x = graph_buffer(g, n->in[0]), y = graph_buffer(g, i);
    alvk_status s = alvk_op_dropout(cmd, seed_of(n), n->alpha, &g->runs, &x, &y, graph_count(g, i, batch));
    int last = 1;
    for (int j = i + 1; j < g->count; j++) last &= g->nodes[j].op != OP_DROPOUT;
    return s == ALVK_OK && last ? alvk_op_advance(cmd, &g->runs) : s;
}

static alvk_status vjp_dropout(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i];
    if (graph_needs(w, n.in[0])) graph_accumulate(w, n.in[0], dropout_node(w->g, gy, n.alpha, seed_of(&n)));
    return ALVK_OK;
}
const graph_op_desc graph_op_dropout = {.record = record_dropout, .vjp = vjp_dropout};

/* ---- binary ------------------------------------------------------------------ */

static alvk_node binary(alvk_graph *g, graph_op op, alvk_node a, alvk_node b, const char *name) {
    node *A = graph_arg(g, a, name), *B = graph_arg(g, b, name);
    if (!A || !B) return -1;
    if (!graph_same_shape(A, B))
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: the operands' shapes differ", name);
    return graph_add(g, op, (alvk_node[]){a, b}, 2, A->shape, A->ndims, A->batched);
}

alvk_node alvk_graph_add(alvk_graph *g, alvk_node a, alvk_node b) { return binary(g, OP_ADD, a, b, "add"); }
alvk_node alvk_graph_sub(alvk_graph *g, alvk_node a, alvk_node b) { return binary(g, OP_SUB, a, b, "sub"); }
alvk_node alvk_graph_mul(alvk_graph *g, alvk_node a, alvk_node b) { return binary(g, OP_MUL, a, b, "mul"); }
alvk_node graph_div(alvk_graph *g, alvk_node a, alvk_node b) { return binary(g, OP_DIV, a, b, "div"); }

/* c = a op b elementwise by binary.comp. */
static alvk_status record_binary(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch, alvk_binary_op op) {
    const node *n = &g->nodes[i];
    alvk_buffer a = graph_buffer(g, n->in[0]), b = graph_buffer(g, n->in[1]), y = graph_buffer(g, i);
    uint32_t count = graph_count(g, i, batch);
    return alvk_op_binary(cmd, op, 1.0f, &a, &b, &y, count, count, 1);
}

RECORD_AS(add, record_binary, ALVK_BINARY_ADD)
RECORD_AS(sub, record_binary, ALVK_BINARY_SUB)
RECORD_AS(mul, record_binary, ALVK_BINARY_MUL)
RECORD_AS(div, record_binary, ALVK_BINARY_DIV)

static alvk_status vjp_add(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i];
    graph_accumulate(w, n.in[0], gy);
    graph_accumulate(w, n.in[1], gy);
    return ALVK_OK;
}

static alvk_status vjp_sub(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i];
    graph_accumulate(w, n.in[0], gy);
    if (graph_needs(w, n.in[1])) graph_accumulate(w, n.in[1], graph_affine(w->g, gy, -1, 0));
    return ALVK_OK;
}

static alvk_status vjp_mul(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i];
    alvk_node a = n.in[0], b = n.in[1];
    if (graph_needs(w, a)) graph_accumulate(w, a, alvk_graph_mul(w->g, gy, b));
    if (graph_needs(w, b)) graph_accumulate(w, b, alvk_graph_mul(w->g, gy, a));
    return ALVK_OK;
}

/* a / b: da = gy / b, db = -gy a / b^2 */
static alvk_status vjp_div(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    node n = g->nodes[i];
    alvk_node a = n.in[0], b = n.in[1];
    if (graph_needs(w, a)) graph_accumulate(w, a, graph_div(g, gy, b));
    if (graph_needs(w, b))
        graph_accumulate(w, b, graph_affine(g, alvk_graph_mul(g, graph_div(g, graph_div(g, gy, b), b), a), -1, 0));
    return ALVK_OK;
}

const graph_op_desc graph_op_add = {.record = record_add, .vjp = vjp_add};
const graph_op_desc graph_op_sub = {.record = record_sub, .vjp = vjp_sub};
const graph_op_desc graph_op_mul = {.record = record_mul, .vjp = vjp_mul};
const graph_op_desc graph_op_div = {.record = record_div, .vjp = vjp_div};

/* ---- rows: x [B, F] scaled by s [B], summed to [B], and back --------------------- */

alvk_node alvk_graph_mul_rows(alvk_graph *g, alvk_node x, alvk_node s) {
    node *X = graph_arg(g, x, "mul_rows"), *S = graph_arg(g, s, "mul_rows");
    if (!X || !S) return -1;
    if (X->ndims != 2 || S->ndims != 1 || S->shape[0] != X->shape[0] || S->batched != X->batched)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "mul_rows: x [B,F] and s [B] expected");
    return graph_add(g, OP_MUL_ROWS, (alvk_node[]){x, s}, 2, X->shape, 2, X->batched);
}

static alvk_status record_mul_rows(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer a = graph_buffer(g, n->in[0]), b = graph_buffer(g, n->in[1]), y = graph_buffer(g, i);
    return alvk_op_binary(cmd, ALVK_BINARY_MUL, 1.0f, &a, &b, &y, graph_count(g, i, batch),
                          graph_dim(g, i, 0, batch), n->shape[1]);
}

static alvk_status vjp_mul_rows(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    node n = g->nodes[i];
    alvk_node a = n.in[0], b = n.in[1];
    if (graph_needs(w, a)) graph_accumulate(w, a, alvk_graph_mul_rows(g, gy, b));
    if (graph_needs(w, b)) graph_accumulate(w, b, alvk_graph_sum_rows(g, alvk_graph_mul(g, gy, a)));
    return ALVK_OK;
}
const graph_op_desc graph_op_mul_rows = {.record = record_mul_rows, .vjp = vjp_mul_rows};

alvk_node alvk_graph_sum_rows(alvk_graph *g, alvk_node x) {
    node *X = graph_arg(g, x, "sum_rows");
    if (!X) return -1;
    if (X->ndims != 2) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "sum_rows: x must be 2-D");
    return graph_add(g, OP_SUM_ROWS, &x, 1, X->shape, 1, X->batched);
}

alvk_node alvk_graph_norm_rows(alvk_graph *g, alvk_node x) {
    return alvk_graph_sqrt(g, graph_affine(g, alvk_graph_sum_rows(g, alvk_graph_square(g, x)), 1.0f, 1e-30f));
}

static alvk_status record_sum_rows(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    int ia = g->nodes[i].in[0];
    alvk_reduce r = {.outer = 1, .mid = graph_dim(g, ia, 0, batch), .inner = graph_at(g, ia)->shape[1], .scale = 1.0f};
    return graph_record_reduce(g, cmd, i, &r);
}

static alvk_status vjp_sum_rows(graph_walk *w, int i, alvk_node gy) {
    return graph_vjp_like_input(w, i, OP_EXPAND_ROWS, gy);
}
const graph_op_desc graph_op_sum_rows = {.record = record_sum_rows, .vjp = vjp_sum_rows};

/* in: g [B], x [B, F] (for its shape): row b is g[b] everywhere. */
static alvk_status record_expand_rows(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    return graph_record_expand(g, cmd, i, batch, 1.0f, graph_dim(g, i, 0, batch), g->nodes[i].shape[1]);
}

static alvk_status vjp_expand_rows(graph_walk *w, int i, alvk_node gy) {
    alvk_node a = w->g->nodes[i].in[0];
    if (graph_needs(w, a)) graph_accumulate(w, a, alvk_graph_sum_rows(w->g, gy));
    return ALVK_OK;
}
const graph_op_desc graph_op_expand_rows = {.record = record_expand_rows, .vjp = vjp_expand_rows,
                                            .reads = {READ_VALUES, READ_NOTHING}};

/* ---- the mean of everything, and back --------------------------------------------- */

alvk_node alvk_graph_mean(alvk_graph *g, alvk_node x) {
    node *X = graph_arg(g, x, "mean");
    return X ? graph_add(g, OP_MEAN, &x, 1, (uint32_t[]){1}, 1, 0) : -1;
}

static alvk_status record_mean(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    uint32_t total = graph_count(g, g->nodes[i].in[0], batch);
    alvk_reduce r = {.outer = 1, .mid = 1, .inner = total, .scale = 1.0f / (float)total};
    return graph_record_reduce(g, cmd, i, &r);
}

static alvk_status vjp_mean(graph_walk *w, int i, alvk_node gy) {
    return graph_vjp_like_input(w, i, OP_EXPAND_MEAN, gy);
}
const graph_op_desc graph_op_mean = {.record = record_mean, .vjp = vjp_mean};

/* in: g (a scalar), x (for its shape): g / count everywhere. */
static alvk_status record_expand_mean(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    uint32_t count = graph_count(g, i, batch);
    return graph_record_expand(g, cmd, i, batch, 1.0f / (float)count, 1, count);
}

static alvk_status vjp_expand_mean(graph_walk *w, int i, alvk_node gy) {
    alvk_node a = w->g->nodes[i].in[0];
    if (graph_needs(w, a)) graph_accumulate(w, a, alvk_graph_mean(w->g, gy));
    return ALVK_OK;
}
const graph_op_desc graph_op_expand_mean = {.record = record_expand_mean, .vjp = vjp_expand_mean,
                                            .reads = {READ_VALUES, READ_NOTHING}};
