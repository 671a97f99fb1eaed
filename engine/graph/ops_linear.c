/* Linear algebra graph ops: matrix products (any transposes), bias rows,
 * and column sums with their broadcast (the bias's gradient and its VJP). */
#include "graph.h"

/* op(A) op(B), A and B 2-D; the result is batched when its rows are A's
 * batched rows. */
static alvk_node matmul(alvk_graph *g, alvk_node a, alvk_node b, int ta, int tb) {
    node *A = graph_arg(g, a, "matmul"), *B = graph_arg(g, b, "matmul");
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
    if (y >= 0) graph_at(g, y)->attr[0] = (uint32_t)ta, graph_at(g, y)->attr[1] = (uint32_t)tb;
    return y;
}

/* A product shaped like `like` (a VJP's: the shape is the operand's). */
alvk_node graph_matmul(alvk_graph *g, alvk_node a, alvk_node b, int ta, int tb, const node *like) {
    alvk_node y = graph_like2(g, OP_MATMUL, a, b, like);
    if (y >= 0) graph_at(g, y)->attr[0] = (uint32_t)ta, graph_at(g, y)->attr[1] = (uint32_t)tb;
    return y;
}

/* Node i's product at this batch. */
static alvk_gemm gemm_of(const alvk_graph *g, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    int ia = n->in[0], ib = n->in[1], ta = (int)n->attr[0], tb = (int)n->attr[1];
    uint32_t a0 = graph_dim(g, ia, 0, batch), a1 = graph_dim(g, ia, 1, batch);
    uint32_t b0 = graph_dim(g, ib, 0, batch), b1 = graph_dim(g, ib, 1, batch);
    return (alvk_gemm){.M = ta ? a1 : a0, .N = tb ? b0 : b1, .K = ta ? a0 : a1,
                       .trans_a = ta, .trans_b = tb, .alpha = 1.0f};
}

/* With a BIAS_ADD fused in (fuse.c), the GEMM's store adds the bias: the
 * same sum as binary.comp's. */
static alvk_status record_matmul(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer a = graph_buffer(g, n->in[0]), b = graph_buffer(g, n->in[1]), y = graph_buffer(g, i), bias;
    if (n->bias >= 0) bias = graph_buffer(g, n->bias);
    alvk_gemm gm = gemm_of(g, i, batch);
    return alvk_op_gemm(cmd, &gm, &a, &b, &y, n->bias >= 0 ? &bias : NULL);
}

/* A GEMM with a bias never splits K (gemm.c); without, it may, and then
 * rounds otherwise: fused only where it would not at any batch (a small
 * one, run unpacked, never does). */
int graph_matmul_fuses(const alvk_graph *g, int i) {
    for (uint32_t batch = 1; batch <= g->max_batch; batch++) {
        alvk_gemm gm = gemm_of(g, i, batch);
        alvk_gemm_packed p = {.M = gm.M, .N = gm.N, .K = gm.K, .ldc = gm.N, .alpha = 1.0f};
        if (!alvk_gemm_small(g->ctx, &gm) && alvk_gemm_splits(g->ctx, &p, 0)) return 0;
        if (!g->nodes[i].batched) break;
    }
    return 1;
}

/* C = op(A) op(B): each gradient in its operand's stored layout. */
static alvk_status vjp_matmul(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    node n = g->nodes[i]; /* copies: adding nodes may move the array */
    alvk_node a = n.in[0], b = n.in[1];
    node A = *graph_at(g, a), B = *graph_at(g, b);
    int ta = (int)n.attr[0], tb = (int)n.attr[1];
    if (graph_needs(w, a))
        graph_accumulate(w, a, ta ? graph_matmul(g, b, gy, tb, 1, &A) : graph_matmul(g, gy, b, 0, !tb, &A));
    if (graph_needs(w, b))
        graph_accumulate(w, b, tb ? graph_matmul(g, gy, a, 1, ta, &B) : graph_matmul(g, a, gy, !ta, 0, &B));
    return ALVK_OK;
}
const graph_op_desc graph_op_matmul = {.record = record_matmul, .vjp = vjp_matmul};

/* ---- bias rows: y = x W^T + b ------------------------------------------------ */

alvk_node alvk_graph_linear(alvk_graph *g, alvk_node x, alvk_node w, alvk_node b) {
    alvk_node y = matmul(g, x, w, 0, 1);
    if (y < 0 || b < 0) return y;
    node *Y = graph_arg(g, y, "linear"), *B = graph_arg(g, b, "linear");
    if (!Y || !B) return -1;
    if (B->ndims != 1 || B->shape[0] != Y->shape[1] || B->batched)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "linear: the bias must be [%u]", Y->shape[1]);
    return graph_add(g, OP_BIAS_ADD, (alvk_node[]){y, b}, 2, Y->shape, 2, Y->batched);
}

static alvk_status record_bias_add(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer a = graph_buffer(g, n->in[0]), b = graph_buffer(g, n->in[1]), y = graph_buffer(g, i);
    return alvk_op_binary(cmd, ALVK_BINARY_ADD, 1.0f, &a, &b, &y, graph_count(g, i, batch), n->shape[1], 1);
}

static alvk_status vjp_bias_add(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i], B = *graph_at(w->g, n.in[1]);
    graph_accumulate(w, n.in[0], gy);
    if (graph_needs(w, n.in[1])) graph_accumulate(w, n.in[1], graph_like1(w->g, OP_SUM_COLS, gy, &B));
    return ALVK_OK;
}
const graph_op_desc graph_op_bias_add = {.record = record_bias_add, .vjp = vjp_bias_add};

/* ---- column sums [R, C] -> [C] and their broadcast back ------------------------- */

static alvk_status record_sum_cols(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_reduce r = {.outer = graph_dim(g, n->in[0], 0, batch), .mid = n->shape[0], .inner = 1, .scale = 1.0f};
    return graph_record_reduce(g, cmd, i, &r);
}

static alvk_status vjp_sum_cols(graph_walk *w, int i, alvk_node gy) {
    return graph_vjp_like_input(w, i, OP_EXPAND_COLS, gy);
}
const graph_op_desc graph_op_sum_cols = {.record = record_sum_cols, .vjp = vjp_sum_cols};

/* in: g [C], x [R, C] (for its shape): every row gets g. */
static alvk_status record_expand_cols(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    return graph_record_expand(g, cmd, i, batch, 1.0f, g->nodes[i].shape[1], 1);
}

static alvk_status vjp_expand_cols(graph_walk *w, int i, alvk_node gy) {
    alvk_node a = w->g->nodes[i].in[0];
    node A = *graph_at(w->g, a);
    if (graph_needs(w, a)) graph_accumulate(w, a, graph_like1(w->g, OP_SUM_COLS, gy, &A));
    return ALVK_OK;
}
const graph_op_desc graph_op_expand_cols = {.record = record_expand_cols, .vjp = vjp_expand_cols,
                                            .reads = {READ_VALUES, READ_NOTHING}};
