/* Convolution graph ops: conv2d (with the evaluation batch norm folded in
 * and a fused epilogue, fuse.c), its two gradient kernels and the bias's
 * gradient (per-channel sums). */
#include "graph.h"

#include <string.h>

alvk_node alvk_graph_conv2d(alvk_graph *g, alvk_node x, alvk_node w, alvk_node b, uint32_t stride,
                            uint32_t pad) {
    node *X = graph_arg(g, x, "conv2d"), *W = graph_arg(g, w, "conv2d");
    if (!X || !W) return -1;
    if (X->ndims != 4 || W->ndims != 4 || W->shape[1] != X->shape[1] || W->shape[2] != W->shape[3] ||
        !stride)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "conv2d: input [N,%u,H,W] and weights "
                          "[Cout,%u,k,k] with stride >= 1 expected", W->shape[1], X->shape[1]);
    uint32_t OH = alvk_conv_out(X->shape[2], W->shape[2], stride, pad);
    uint32_t OW = alvk_conv_out(X->shape[3], W->shape[3], stride, pad);
    if (!OH || !OW) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "conv2d: the kernel does not fit");
    if (b >= 0) {
        node *B = graph_arg(g, b, "conv2d");
        if (!B || B->ndims != 1 || B->shape[0] != W->shape[0])
            return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "conv2d: the bias must be [%u]", W->shape[0]);
    }
    alvk_node in[3] = {x, w, b};
    alvk_node y = graph_add(g, OP_CONV2D, in, b >= 0 ? 3 : 2,
                            (uint32_t[]){0, W->shape[0], OH, OW}, 4, X->batched);
    if (y >= 0) graph_at(g, y)->attr[0] = stride, graph_at(g, y)->attr[1] = pad;
    return y;
}

/* The convolution of input node x by weights node w at this batch. */
static alvk_conv conv_of(const alvk_graph *g, int x, int w, uint32_t stride, uint32_t pad, uint32_t batch) {
    return (alvk_conv){graph_dim(g, x, 0, batch), graph_dim(g, x, 1, batch), graph_dim(g, x, 2, batch),
                       graph_dim(g, x, 3, batch), graph_dim(g, w, 0, batch), graph_dim(g, w, 2, batch),
                       graph_dim(g, w, 3, batch), stride, pad};
}

/* With the evaluation batch norm after it folded in: the scaled weights and
 * bias go to the weights scratch (planned so that the fold runs ahead),
 * recomputed every run (the store may change between). */
static alvk_status conv_folded(const alvk_graph *g, alvk_cmd *cmd, const alvk_conv *c, const node *n,
                               const alvk_buffer *x, const alvk_buffer *w, const alvk_buffer *bias,
                               const alvk_epilogue *epi, const alvk_buffer *y) {
    uint32_t per_filter = c->Cin * c->KH * c->KW;
    alvk_bn_params p = graph_bn_params(g, graph_at(g, n->bn_folded));
    alvk_buffer w2, b2;
    alvk_status s = alvk_cmd_scratch_weights(cmd, 4ull * c->Cout * per_filter, &w2);
    if (s == ALVK_OK) s = alvk_cmd_scratch_weights(cmd, 4ull * c->Cout, &b2);
    if (s == ALVK_OK) s = alvk_op_batchnorm_fold(cmd, c->Cout, per_filter, GRAPH_BN_EPS, w, bias, &p, &w2, &b2);
    return s == ALVK_OK ? alvk_op_conv2d_fused(cmd, c, x, &w2, &b2, epi, y) : s;
}

static alvk_status record_conv2d(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_conv c = conv_of(g, n->in[0], n->in[1], n->attr[0], n->attr[1], batch);
    alvk_buffer x = graph_buffer(g, n->in[0]), w = graph_buffer(g, n->in[1]), y = graph_buffer(g, i);
    alvk_buffer bias, residual;
    if (n->nin > 2) bias = graph_buffer(g, n->in[2]);
    if (n->residual >= 0) residual = graph_buffer(g, n->residual);
    alvk_epilogue epi = {.residual = n->residual >= 0 ? &residual : NULL, .relu = n->relu};
    if (n->bn_folded) return conv_folded(g, cmd, &c, n, &x, &w, n->nin > 2 ? &bias : NULL, &epi, &y);
    return alvk_op_conv2d_fused(cmd, &c, &x, &w, n->nin > 2 ? &bias : NULL, &epi, &y);
}

/* The gradient nodes carry the stride and padding. */
static alvk_status vjp_conv2d(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    node n = g->nodes[i];
    alvk_node a = n.in[0], b = n.in[1];
    node A = *graph_at(g, a), B = *graph_at(g, b);
    alvk_node dx = graph_needs(w, a) ? graph_add(g, OP_CONV_BWD_DATA, (alvk_node[]){gy, b, a}, 3, A.shape, 4, A.batched) : -1;
    alvk_node dw = graph_needs(w, b) ? graph_add(g, OP_CONV_BWD_WEIGHT, (alvk_node[]){a, gy, b}, 3, B.shape, 4, 0) : -1;
    if (dx >= 0) memcpy(graph_at(g, dx)->attr, n.attr, sizeof n.attr);
    if (dw >= 0) memcpy(graph_at(g, dw)->attr, n.attr, sizeof n.attr);
    graph_accumulate(w, a, dx);
    graph_accumulate(w, b, dw);
    if (n.nin > 2 && graph_needs(w, n.in[2]))
        graph_accumulate(w, n.in[2], graph_like1(g, OP_CHANNEL_SUM, gy, graph_at(g, n.in[2])));
    return ALVK_OK;
}
const graph_op_desc graph_op_conv2d = {.record = record_conv2d, .vjp = vjp_conv2d, .epilogue = 1};

/* in: dy, w, x (for its shape); with a ReLU's gradient fused in (fuse.c),
 * dx = (dx + residual?) * (mask > 0). */
static alvk_status record_conv_bwd_data(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_conv c = conv_of(g, n->in[2], n->in[1], n->attr[0], n->attr[1], batch);
    alvk_buffer dy = graph_buffer(g, n->in[0]), w = graph_buffer(g, n->in[1]), dx = graph_buffer(g, i);
    alvk_buffer residual, mask;
    if (n->residual >= 0) residual = graph_buffer(g, n->residual);
    if (n->mask >= 0) mask = graph_buffer(g, n->mask);
    alvk_epilogue epi = {.residual = n->residual >= 0 ? &residual : NULL, .mask = n->mask >= 0 ? &mask : NULL};
    return alvk_op_conv2d_backward_data(cmd, &c, &dy, &w, &epi, &dx);
}

/* Whether node i's data gradient may take an epilogue and keep its bits
 * (alvk_conv2d_backward_data_fuses_exactly). */
int graph_conv_bwd_data_fuses(const alvk_graph *g, int i) {
    const node *n = &g->nodes[i];
    alvk_conv c = conv_of(g, n->in[2], n->in[1], n->attr[0], n->attr[1], g->max_batch);
    return alvk_conv2d_backward_data_fuses_exactly(g->ctx, &c);
}
const graph_op_desc graph_op_conv_bwd_data = {.record = record_conv_bwd_data,
                                              .reads = {READ_VALUES, READ_VALUES, READ_NOTHING}};

/* in: x, dy, w (for its shape) */
static alvk_status record_conv_bwd_weight(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_conv c = conv_of(g, n->in[0], n->in[2], n->attr[0], n->attr[1], batch);
    alvk_buffer x = graph_buffer(g, n->in[0]), dy = graph_buffer(g, n->in[1]), dw = graph_buffer(g, i);
    return alvk_op_conv2d_backward_weight(cmd, &c, &x, &dy, &dw, NULL);
}
const graph_op_desc graph_op_conv_bwd_weight = {.record = record_conv_bwd_weight,
                                                .reads = {READ_VALUES, READ_VALUES, READ_NOTHING}};

/* [N, C, H, W] -> [C]: a convolution bias's gradient, in batch norm's
 * order of additions (the batch-norm backward that computes it may sum it
 * itself: fuse.c). */
static alvk_status record_channel_sum(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    int ia = g->nodes[i].in[0];
    alvk_buffer x = graph_buffer(g, ia), y = graph_buffer(g, i);
    return alvk_op_channel_sum(cmd, graph_dim(g, ia, 0, batch), graph_dim(g, ia, 1, batch),
                               graph_dim(g, ia, 2, batch) * graph_dim(g, ia, 3, batch), &x, &y);
}
const graph_op_desc graph_op_channel_sum = {.record = record_channel_sum};
