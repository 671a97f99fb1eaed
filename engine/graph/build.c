/* Building graphs: leaves and ops with their shape rules. Errors stick to
 * the graph (the first one wins) and surface at compile time, so a model
 * can be written as a plain sequence of calls. */
#include "graph.h"
#include "data/pool.h"
#include "vk/context.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

alvk_status alvk_graph_create(alvk_context *ctx, alvk_params *params, uint32_t max_batch,
                              alvk_graph_mode mode, alvk_graph **out) {
    if (!ctx || !out || !max_batch)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_create: no context, no out, or "
                          "a maximum batch of 0");
    alvk_graph *g = calloc(1, sizeof *g);
    if (!g) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a graph");
    g->ctx = ctx, g->params = params, g->max_batch = max_batch, g->mode = mode;
    g->bn_momentum = 0.1f;
    const char *profile = getenv("ALVK_PROFILE");
    g->profile = profile && *profile && strcmp(profile, "0") != 0;
    *out = g;
    return ALVK_OK;
}

void alvk_graph_destroy(alvk_graph *g) {
    if (!g) return;
    graph_profile_print(g);
    for (int i = 0; i < g->nrecordings; i++) {
        alvk_cmd_destroy(g->recordings[i].cmd);
        free(g->recordings[i].first_timed);
    }
    alvk_buffer_free(g->ctx, &g->arena);
    free(g->nodes);
    free(g);
}

alvk_node graph_fail(alvk_graph *g, alvk_status status, const char *fmt, ...) {
    if (g && g->error == ALVK_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->error_msg, sizeof g->error_msg, fmt, ap);
        va_end(ap);
        g->error = status;
    }
    return -1;
}

alvk_status graph_stick(alvk_graph *g, alvk_status s) {
    if (s != ALVK_OK && g && !g->compiled) graph_fail(g, s, "%s", alvk_last_error());
    return s;
}

uint64_t graph_numel(const node *n, uint32_t batch) {
    uint64_t k = n->batched ? batch : n->shape[0];
    for (uint32_t d = 1; d < n->ndims; d++) k *= n->shape[d];
    return k;
}

alvk_node graph_add(alvk_graph *g, graph_op op, const alvk_node *in, int nin,
                    const uint32_t *shape, uint32_t ndims, int batched) {
    if (g->compiled) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "the graph is compiled");
    if (g->count == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        node *grown = realloc(g->nodes, (size_t)cap * sizeof *grown);
        if (!grown) return graph_fail(g, ALVK_ERROR_OUT_OF_HOST_MEMORY, "growing a graph");
        g->nodes = grown, g->cap = cap;
    }
    node *n = &g->nodes[g->count];
    memset(n, 0, sizeof *n);
    n->op = op, n->nin = nin, n->ndims = ndims, n->batched = batched, n->param = -1, n->grad_of = -1;
    memcpy(n->in, in, (size_t)nin * sizeof *in);
    memcpy(n->shape, shape, ndims * sizeof *shape);
    if (batched) n->shape[0] = g->max_batch;
    n->bytes = 4 * graph_numel(n, g->max_batch);
    return g->count++;
}

static int is_u32_rows(const node *n) {
    return n->op == OP_LABELS || n->op == OP_GATHERED_LABELS;
}

/* The node, or NULL (and a sticky error) when i is not one. */
static node *node_of(alvk_graph *g, alvk_node i, const char *op) {
    if (!g) return NULL;
    if (i < 0 || i >= g->count) {
        graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: operand %d is not a node of this graph "
                   "(an earlier call failed?)", op, i);
        return NULL;
    }
    return &g->nodes[i];
}

/* A float operand: node_of, and not uint32 labels or indices (only gather,
 * correct and softmax_ce take those, through node_of). */
static node *arg(alvk_graph *g, alvk_node i, const char *op) {
    node *n = node_of(g, i, op);
    if (n && is_u32_rows(n)) {
        graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: node %d holds uint32 labels or indices, not floats", op, i);
        return NULL;
    }
    return n;
}

static int same_shape(const node *a, const node *b) {
    if (a->ndims != b->ndims || a->batched != b->batched) return 0;
    for (uint32_t d = 0; d < a->ndims; d++)
        if (a->shape[d] != b->shape[d]) return 0;
    return 1;
}

/* ---- leaves ------------------------------------------------------------- */

alvk_node alvk_graph_input(alvk_graph *g, const uint32_t *shape, uint32_t ndims) {
    if (!g) return -1;
    if (!shape || ndims + 1 > GRAPH_MAX_DIMS)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "input: at most %d dimensions besides "
                          "the batch", GRAPH_MAX_DIMS - 1);
    uint32_t full[GRAPH_MAX_DIMS] = {0};
    for (uint32_t d = 0; d < ndims; d++) {
        if (!shape[d]) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "input: a dimension is 0");
        full[d + 1] = shape[d];
    }
    alvk_node x = graph_add(g, OP_INPUT, NULL, 0, full, ndims + 1, 1);
    if (x >= 0) g->nodes[x].pinned = 1;
    return x;
}

/* Values the host sets into a LABELS node must stay below `limit`. */
static void limit_values(node *n, uint32_t limit) {
    if (!n->limit || limit < n->limit) n->limit = limit;
}

/* Labels for C classes: a label set by the host is checked when it is set;
 * the labels of a pool are known now. 0 after a sticky error. */
static int labels_fit(alvk_graph *g, node *Y, uint32_t C, const char *op) {
    if (Y->op == OP_LABELS) {
        limit_values(Y, C);
        return 1;
    }
    const alvk_pool *pool = g->nodes[Y->in[0]].pool;
    if (pool->classes <= C) return 1;
    graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: the pool's labels go up to %u, but the logits have %u "
               "classes", op, pool->classes - 1, C);
    return 0;
}

alvk_node alvk_graph_indices(alvk_graph *g) { return alvk_graph_labels(g); }

alvk_node alvk_graph_gather(alvk_graph *g, alvk_pool *pool, alvk_node indices) {
    node *I = node_of(g, indices, "gather");
    if (!I) return -1;
    if (!pool || I->op != OP_LABELS)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "gather: no pool, or indices not from alvk_graph_indices");
    alvk_node x = graph_add(g, OP_GATHER, &indices, 1, (uint32_t[]){0, 1, pool->rows, pool->cols}, 4, 1);
    if (x >= 0) {
        limit_values(I, pool->count); /* an index past the pool would read past its buffers */
        g->nodes[x].pool = pool;
        g->nodes[x].aux_bytes[0] = 4ull * g->max_batch; /* the labels */
    }
    return x;
}

alvk_node alvk_graph_gathered_labels(alvk_graph *g, alvk_node gather) {
    node *G = arg(g, gather, "gathered_labels");
    if (!G) return -1;
    if (G->op != OP_GATHER) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "gathered_labels: not a gather node");
    alvk_node y = graph_add(g, OP_GATHERED_LABELS, &gather, 1, (uint32_t[]){0}, 1, 1);
    if (y >= 0) g->nodes[y].bytes = 0; /* a view of the gather's labels */
    return y;
}

alvk_node alvk_graph_correct(alvk_graph *g, alvk_node logits, alvk_node labels) {
    node *L = arg(g, logits, "correct"), *Y = node_of(g, labels, "correct");
    if (!L || !Y) return -1;
    if (L->ndims != 2 || !is_u32_rows(Y))
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "correct: logits [B,C] and labels expected");
    if (!labels_fit(g, Y, L->shape[1], "correct")) return -1;
    return graph_add(g, OP_CORRECT, (alvk_node[]){logits, labels}, 2, (uint32_t[]){1}, 1, 0);
}

alvk_node alvk_graph_labels(alvk_graph *g) {
    if (!g) return -1;
    alvk_node x = graph_add(g, OP_LABELS, NULL, 0, (uint32_t[]){0}, 1, 1);
    if (x >= 0) g->nodes[x].pinned = 1;
    return x;
}

alvk_node alvk_graph_param(alvk_graph *g, const char *name) {
    if (!g) return -1;
    int i = alvk_params_find(g->params, name);
    if (i < 0)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "no parameter \"%s\" in the store",
                          name ? name : "(null)");
    for (int k = 0; k < g->count; k++) /* one node per store tensor */
        if (g->nodes[k].op == OP_PARAM && g->nodes[k].param == i) return k;
    uint32_t shape[ALVK_MAX_DIMS], nd = alvk_params_shape(g->params, i, shape);
    alvk_node x = graph_add(g, OP_PARAM, NULL, 0, shape, nd, 0);
    if (x >= 0) g->nodes[x].param = i;
    return x;
}

/* ---- linear algebra ----------------------------------------------------- */

/* op(A) op(B), A and B 2-D; the result is batched when its rows are A's
 * batched rows. */
static alvk_node matmul(alvk_graph *g, alvk_node a, alvk_node b, int ta, int tb) {
    node *A = arg(g, a, "matmul"), *B = arg(g, b, "matmul");
    if (!A || !B) return -1;
    if (A->ndims != 2 || B->ndims != 2)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "matmul: operands must be 2-D");
    uint32_t M = ta ? A->shape[1] : A->shape[0], K = ta ? A->shape[0] : A->shape[1];
    uint32_t Kb = tb ? B->shape[1] : B->shape[0], N = tb ? B->shape[0] : B->shape[1];
    int a_rows_batched = A->batched && !ta, b_cols_batched = B->batched && tb;
    int ka = A->batched && ta, kb = B->batched && !tb;
    if (K != Kb || ka != kb || b_cols_batched)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "matmul: inner dimensions %u and %u "
                          "(batched %d, %d) do not match", K, Kb, ka, kb);
    alvk_node y = graph_add(g, OP_MATMUL, (alvk_node[]){a, b}, 2, (uint32_t[]){M, N}, 2, a_rows_batched);
    if (y >= 0) g->nodes[y].attr[0] = (uint32_t)ta, g->nodes[y].attr[1] = (uint32_t)tb;
    return y;
}

alvk_node alvk_graph_linear(alvk_graph *g, alvk_node x, alvk_node w, alvk_node b) {
    alvk_node y = matmul(g, x, w, 0, 1);
    if (y < 0 || b < 0) return y;
    node *Y = arg(g, y, "linear"), *B = arg(g, b, "linear");
    if (!Y || !B) return -1;
    if (B->ndims != 1 || B->shape[0] != Y->shape[1] || B->batched)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "linear: the bias must be [%u]", Y->shape[1]);
    return graph_add(g, OP_BIAS_ADD, (alvk_node[]){y, b}, 2, Y->shape, 2, Y->batched);
}

/* ---- convolution, normalisation, pooling --------------------------------- */

alvk_node alvk_graph_conv2d(alvk_graph *g, alvk_node x, alvk_node w, alvk_node b, uint32_t stride,
                            uint32_t pad) {
    node *X = arg(g, x, "conv2d"), *W = arg(g, w, "conv2d");
    if (!X || !W) return -1;
    if (X->ndims != 4 || W->ndims != 4 || W->shape[1] != X->shape[1] || W->shape[2] != W->shape[3] ||
        !stride)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "conv2d: input [N,%u,H,W] and weights "
                          "[Cout,%u,k,k] with stride >= 1 expected", W->shape[1], X->shape[1]);
    uint32_t OH = alvk_conv_out(X->shape[2], W->shape[2], stride, pad);
    uint32_t OW = alvk_conv_out(X->shape[3], W->shape[3], stride, pad);
    if (!OH || !OW) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "conv2d: the kernel does not fit");
    if (b >= 0) {
        node *B = arg(g, b, "conv2d");
        if (!B || B->ndims != 1 || B->shape[0] != W->shape[0])
            return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "conv2d: the bias must be [%u]", W->shape[0]);
    }
    alvk_node in[3] = {x, w, b};
    alvk_node y = graph_add(g, OP_CONV2D, in, b >= 0 ? 3 : 2,
                            (uint32_t[]){0, W->shape[0], OH, OW}, 4, X->batched);
    if (y >= 0) g->nodes[y].attr[0] = stride, g->nodes[y].attr[1] = pad;
    return y;
}

alvk_node alvk_graph_batchnorm(alvk_graph *g, alvk_node x, const char *prefix) {
    node *X = arg(g, x, "batchnorm");
    if (!X) return -1;
    static const char *const parts[] = {"weight", "bias", "running_mean", "running_var"};
    alvk_node in[5] = {x};
    for (int k = 0; k < 4; k++) {
        char name[256];
        snprintf(name, sizeof name, "%s.%s", prefix ? prefix : "", parts[k]);
        if ((in[k + 1] = alvk_graph_param(g, name)) < 0) return -1;
        if (g->nodes[in[k + 1]].shape[0] != X->shape[1])
            return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "batchnorm: %s does not match %u "
                              "channels", name, X->shape[1]);
    }
    X = &g->nodes[x];
    if (X->ndims != 4) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "batchnorm: input must be NCHW");
    alvk_node y = graph_add(g, OP_BATCHNORM, in, 5, X->shape, 4, X->batched);
    if (y >= 0) { /* the batch mean and 1/std, kept for the backward */
        g->nodes[y].aux_bytes[0] = g->nodes[y].aux_bytes[1] = 4ull * X->shape[1];
        g->nodes[y].attr[0] = g->mode == ALVK_GRAPH_EVAL;
    }
    return y;
}

alvk_node alvk_graph_maxpool2d(alvk_graph *g, alvk_node x, uint32_t k, uint32_t stride, uint32_t pad) {
    node *X = arg(g, x, "maxpool2d");
    if (!X) return -1;
    uint32_t OH = X->ndims == 4 && stride ? alvk_conv_out(X->shape[2], k, stride, pad) : 0;
    uint32_t OW = X->ndims == 4 && stride ? alvk_conv_out(X->shape[3], k, stride, pad) : 0;
    if (!OH || !OW || 2 * pad > k)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "maxpool2d: bad window for this input");
    alvk_node y = graph_add(g, OP_MAXPOOL, &x, 1, (uint32_t[]){0, X->shape[1], OH, OW}, 4, X->batched);
    if (y >= 0) {
        node *Y = &g->nodes[y];
        Y->attr[0] = k, Y->attr[1] = stride, Y->attr[2] = pad;
        Y->aux_bytes[0] = Y->bytes; /* argmax */
    }
    return y;
}

alvk_node graph_reshape(alvk_graph *g, alvk_node x, const uint32_t *shape, uint32_t ndims, int batched) {
    node *X = arg(g, x, "reshape");
    if (!X) return -1;
    uint64_t n = 1;
    for (uint32_t d = batched ? 1 : 0; d < ndims; d++) n *= shape[d];
    uint64_t have = graph_numel(X, 1); /* per row when batched */
    if (X->batched != batched || n != have || !ndims || ndims > GRAPH_MAX_DIMS)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "reshape: %llu values per row cannot "
                          "become %llu", (unsigned long long)have, (unsigned long long)n);
    alvk_node y = graph_add(g, OP_RESHAPE, &x, 1, shape, ndims, batched);
    if (y >= 0) g->nodes[y].bytes = 0; /* a view of x */
    return y;
}

alvk_node alvk_graph_reshape(alvk_graph *g, alvk_node x, const uint32_t *shape, uint32_t ndims) {
    if (!g || !shape || ndims + 1 > GRAPH_MAX_DIMS)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "reshape: bad shape");
    uint32_t full[GRAPH_MAX_DIMS] = {0};
    memcpy(full + 1, shape, ndims * sizeof *shape);
    return graph_reshape(g, x, full, ndims + 1, 1);
}

alvk_node alvk_graph_avgpool_global(alvk_graph *g, alvk_node x) {
    node *X = arg(g, x, "avgpool_global");
    if (!X) return -1;
    if (X->ndims != 4) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "avgpool_global: NCHW input");
    return graph_add(g, OP_AVGPOOL, &x, 1, X->shape, 2, X->batched);
}

/* ---- elementwise and sums ------------------------------------------------ */

static alvk_node unary(alvk_graph *g, graph_op op, alvk_node x, const char *name) {
    node *X = arg(g, x, name);
    return X ? graph_add(g, op, &x, 1, X->shape, X->ndims, X->batched) : -1;
}

alvk_node alvk_graph_relu(alvk_graph *g, alvk_node x) { return unary(g, OP_RELU, x, "relu"); }
alvk_node alvk_graph_sigmoid(alvk_graph *g, alvk_node x) { return unary(g, OP_SIGMOID, x, "sigmoid"); }
alvk_node alvk_graph_square(alvk_graph *g, alvk_node x) { return unary(g, OP_SQUARE, x, "square"); }
alvk_node alvk_graph_sqrt(alvk_graph *g, alvk_node x) { return unary(g, OP_SQRT, x, "sqrt"); }

alvk_node graph_affine(alvk_graph *g, alvk_node x, float alpha, float beta) {
    alvk_node y = unary(g, OP_AFFINE, x, "affine");
    if (y >= 0) g->nodes[y].alpha = alpha, g->nodes[y].beta = beta;
    return y;
}

alvk_node alvk_graph_affine(alvk_graph *g, alvk_node x, float alpha, float beta) {
    return graph_affine(g, x, alpha, beta);
}

alvk_node alvk_graph_scale(alvk_graph *g, alvk_node x, float alpha) {
    return graph_affine(g, x, alpha, 0.0f);
}

static alvk_node binary(alvk_graph *g, graph_op op, alvk_node a, alvk_node b, const char *name) {
    node *A = arg(g, a, name), *B = arg(g, b, name);
    if (!A || !B) return -1;
    if (!same_shape(A, B))
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: the operands' shapes differ", name);
    return graph_add(g, op, (alvk_node[]){a, b}, 2, A->shape, A->ndims, A->batched);
}

alvk_node alvk_graph_add(alvk_graph *g, alvk_node a, alvk_node b) { return binary(g, OP_ADD, a, b, "add"); }
alvk_node alvk_graph_sub(alvk_graph *g, alvk_node a, alvk_node b) { return binary(g, OP_SUB, a, b, "sub"); }
alvk_node alvk_graph_mul(alvk_graph *g, alvk_node a, alvk_node b) { return binary(g, OP_MUL, a, b, "mul"); }
alvk_node graph_div(alvk_graph *g, alvk_node a, alvk_node b) { return binary(g, OP_DIV, a, b, "div"); }

alvk_node alvk_graph_mul_rows(alvk_graph *g, alvk_node x, alvk_node s) {
    node *X = arg(g, x, "mul_rows"), *S = arg(g, s, "mul_rows");
    if (!X || !S) return -1;
    if (X->ndims != 2 || S->ndims != 1 || S->shape[0] != X->shape[0] || S->batched != X->batched)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "mul_rows: x [B,F] and s [B] expected");
    return graph_add(g, OP_MUL_ROWS, (alvk_node[]){x, s}, 2, X->shape, 2, X->batched);
}

alvk_node alvk_graph_sum_rows(alvk_graph *g, alvk_node x) {
    node *X = arg(g, x, "sum_rows");
    if (!X) return -1;
    if (X->ndims != 2) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "sum_rows: x must be 2-D");
    return graph_add(g, OP_SUM_ROWS, &x, 1, X->shape, 1, X->batched);
}

alvk_node alvk_graph_norm_rows(alvk_graph *g, alvk_node x) {
    return alvk_graph_sqrt(g, graph_affine(g, alvk_graph_sum_rows(g, alvk_graph_square(g, x)), 1.0f, 1e-30f));
}

alvk_node alvk_graph_mean(alvk_graph *g, alvk_node x) {
    node *X = arg(g, x, "mean");
    return X ? graph_add(g, OP_MEAN, &x, 1, (uint32_t[]){1}, 1, 0) : -1;
}

alvk_node alvk_graph_softmax_ce(alvk_graph *g, alvk_node logits, alvk_node labels) {
    node *L = arg(g, logits, "softmax_ce"), *Y = node_of(g, labels, "softmax_ce");
    if (!L || !Y) return -1;
    if (L->ndims != 2 || !is_u32_rows(Y) || !L->batched)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "softmax_ce: logits [B,C] and labels expected");
    if (!labels_fit(g, Y, L->shape[1], "softmax_ce")) return -1;
    alvk_node y = graph_add(g, OP_SOFTMAX_CE, (alvk_node[]){logits, labels}, 2, (uint32_t[]){1}, 1, 0);
    if (y >= 0) g->nodes[y].aux_bytes[0] = L->bytes; /* the probabilities */
    return y;
}

alvk_status alvk_graph_output(alvk_graph *g, alvk_node x) {
    if (g && g->compiled) /* the planner has already reused its memory */
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_output: the graph is compiled; mark "
                          "outputs before alvk_graph_compile");
    if (!node_of(g, x, "output")) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_output: no node %d", x);
    g->nodes[x].pinned = 1;
    return ALVK_OK;
}

alvk_status alvk_graph_set_bn_momentum(alvk_graph *g, float momentum) {
    if (!g || g->compiled || !(momentum >= 0 && momentum <= 1))
        return graph_stick(g, alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_set_bn_momentum: no graph, "
                                         "already compiled, or a momentum outside [0, 1]"));
    g->bn_momentum = momentum;
    return ALVK_OK;
}

/* Checks that first..first+count-1 are store tensors, at least one trainable. */
alvk_status graph_check_group(const alvk_graph *g, int first, int count, const char *what) {
    if (!g || !g->params || count < 1 || first < 0 || first + count > alvk_params_count(g->params))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: no graph, no parameter store, or "
                          "tensors %d..%d are not in the store", what, first, first + count - 1);
    for (int i = first; i < first + count; i++)
        if (alvk_params_kind(g->params, i) == ALVK_PARAM_TRAINABLE) return ALVK_OK;
    return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: tensors %d..%d hold nothing trainable",
                      what, first, first + count - 1);
}

alvk_status alvk_graph_adam_params(alvk_graph *g, int first, int count, double lr, double beta1,
                                   double beta2, double eps) {
    if (g && g->error) return alvk_error(g->error, "%s", g->error_msg);
    alvk_status s = graph_check_group(g, first, count, "alvk_graph_adam_params");
    if (s != ALVK_OK) return graph_stick(g, s);
    alvk_node a = graph_add(g, OP_ADAM, NULL, 0, (uint32_t[]){1}, 1, 0);
    if (a < 0) return alvk_error(g->error, "%s", g->error_msg);
    node *n = &g->nodes[a];
    n->hyper[0] = lr, n->hyper[1] = beta1, n->hyper[2] = beta2, n->hyper[3] = eps;
    n->param = first, n->nparams = count;
    n->bytes = 0; /* no output */
    return ALVK_OK;
}

alvk_status alvk_graph_adam(alvk_graph *g, double lr, double beta1, double beta2, double eps) {
    return alvk_graph_adam_params(g, 0, g && g->params ? alvk_params_count(g->params) : 0, lr,
                                  beta1, beta2, eps);
}
