/* Pooling graph ops: max pooling (PyTorch's semantics; the argmax kept for
 * the backward), average pooling over windows (PyTorch's AvgPool2d with
 * count_include_pad=True) and global average pooling, with their gradient
 * kernels. */
#include "graph.h"

#include <string.h>

/* A pooling node's output [N, C, OH, OW] for a k x k window at this stride
 * and padding over x, or -1 with a sticky error that says what is wrong
 * (PyTorch's rules: pad at most half the window, which keeps every window
 * partly on the image). */
static alvk_node pool_window(alvk_graph *g, graph_op op, alvk_node x, uint32_t k, uint32_t stride,
                             uint32_t pad, const char *name) {
    node *X = graph_arg(g, x, name);
    if (!X) return -1;
    if (X->ndims != 4) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: x must be NCHW (4-D), not %u-D", name, X->ndims);
    if (!k || !stride) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: window %u, stride %u: neither may be 0", name, k, stride);
    if (2 * pad > k)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: pad %u is more than half the window %u", name, pad, k);
    uint32_t OH = alvk_conv_out(X->shape[2], k, stride, pad), OW = alvk_conv_out(X->shape[3], k, stride, pad);
    if (!OH || !OW)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: a %ux%u window (pad %u) does not fit the %ux%u "
                          "input", name, k, k, pad, X->shape[2], X->shape[3]);
    alvk_node y = graph_add(g, op, &x, 1, (uint32_t[]){0, X->shape[1], OH, OW}, 4, X->batched);
    if (y >= 0) graph_at(g, y)->attr[0] = k, graph_at(g, y)->attr[1] = stride, graph_at(g, y)->attr[2] = pad;
    return y;
}

/* The window of pooling node i over the planes of node `in` at this batch. */
static alvk_maxpool window_of(const alvk_graph *g, int i, int in, uint32_t batch) {
    const node *n = &g->nodes[i], *X = graph_at(g, in);
    return (alvk_maxpool){graph_dim(g, in, 0, batch), X->shape[1], X->shape[2], X->shape[3],
                          n->attr[0], n->attr[1], n->attr[2]};
}

alvk_node alvk_graph_maxpool2d(alvk_graph *g, alvk_node x, uint32_t k, uint32_t stride, uint32_t pad) {
    alvk_node y = pool_window(g, OP_MAXPOOL, x, k, stride, pad, "maxpool2d");
    if (y >= 0) graph_at(g, y)->aux_bytes[0] = graph_at(g, y)->bytes; /* argmax */
    return y;
}

static alvk_status record_maxpool(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    int ia = g->nodes[i].in[0];
    alvk_maxpool p = window_of(g, i, ia, batch);
    alvk_buffer x = graph_buffer(g, ia), y = graph_buffer(g, i), arg = graph_aux(g, i, 0);
    return alvk_op_maxpool2d(cmd, &p, &x, &y, &arg);
}

static alvk_status vjp_maxpool(graph_walk *w, int i, alvk_node gy) {
    alvk_node a = w->g->nodes[i].in[0];
    node A = *graph_at(w->g, a);
    if (graph_needs(w, a))
        graph_accumulate(w, a, graph_add(w->g, OP_MAXPOOL_BWD, (alvk_node[]){gy, a, i}, 3, A.shape, 4, A.batched));
    return ALVK_OK;
}
const graph_op_desc graph_op_maxpool = {.record = record_maxpool, .vjp = vjp_maxpool};

/* in: dy, x (for its shape), the MAXPOOL node (its argmax) */
static alvk_status record_maxpool_bwd(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_maxpool p = window_of(g, n->in[2], n->in[1], batch);
    alvk_buffer dy = graph_buffer(g, n->in[0]), dx = graph_buffer(g, i), arg = graph_aux(g, n->in[2], 0);
    return alvk_op_maxpool2d_backward(cmd, &p, &arg, &dy, &dx);
}
const graph_op_desc graph_op_maxpool_bwd = {.record = record_maxpool_bwd,
                                            .reads = {READ_VALUES, READ_NOTHING, READ_NOTHING}};

/* ---- average pooling over windows ---------------------------------------------
 * A linear map whose backward is its transpose: the VJP of avgpool2d is
 * avgpool2d_bwd, and that of avgpool2d_bwd is avgpool2d again, so both
 * differentiate to any order. */

alvk_node alvk_graph_avgpool2d(alvk_graph *g, alvk_node x, uint32_t k, uint32_t stride, uint32_t pad) {
    return pool_window(g, OP_AVGPOOL2D, x, k, stride, pad, "avgpool2d");
}

static alvk_status record_avgpool2d(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    int ia = g->nodes[i].in[0];
    alvk_maxpool p = window_of(g, i, ia, batch);
    alvk_buffer x = graph_buffer(g, ia), y = graph_buffer(g, i);
    return alvk_op_avgpool2d(cmd, &p, &x, &y);
}

static alvk_status vjp_avgpool2d(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    node n = g->nodes[i];
    alvk_node a = n.in[0];
    if (!graph_needs(w, a)) return ALVK_OK;
    node A = *graph_at(g, a);
    alvk_node dx = graph_like2(g, OP_AVGPOOL2D_BWD, gy, a, &A);
    if (dx >= 0) memcpy(graph_at(g, dx)->attr, n.attr, sizeof n.attr);
    graph_accumulate(w, a, dx);
    return ALVK_OK;
}
const graph_op_desc graph_op_avgpool2d = {.record = record_avgpool2d, .vjp = vjp_avgpool2d};

/* in: dy [N, C, OH, OW], x (for its shape); the window in its own attrs. */
static alvk_status record_avgpool2d_bwd(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_maxpool p = window_of(g, i, n->in[1], batch);
    alvk_buffer dy = graph_buffer(g, n->in[0]), dx = graph_buffer(g, i);
    return alvk_op_avgpool2d_backward(cmd, &p, &dy, &dx);
}

static alvk_status vjp_avgpool2d_bwd(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i];
    alvk_node dy = n.in[0];
    if (graph_needs(w, dy)) graph_accumulate(w, dy, alvk_graph_avgpool2d(w->g, gy, n.attr[0], n.attr[1], n.attr[2]));
    return ALVK_OK;
}
const graph_op_desc graph_op_avgpool2d_bwd = {.record = record_avgpool2d_bwd, .vjp = vjp_avgpool2d_bwd,
                                              .reads = {READ_VALUES, READ_NOTHING}};

/* ---- global average pooling ------------------------------------------------------ */

alvk_node alvk_graph_avgpool_global(alvk_graph *g, alvk_node x) {
    node *X = graph_arg(g, x, "avgpool_global");
    if (!X) return -1;
    if (X->ndims != 4) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "avgpool_global: NCHW input");
    return graph_add(g, OP_AVGPOOL, &x, 1, X->shape, 2, X->batched);
}

static alvk_status record_avgpool(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    int ia = g->nodes[i].in[0];
    alvk_buffer x = graph_buffer(g, ia), y = graph_buffer(g, i);
    return alvk_op_avgpool_global(cmd, graph_dim(g, ia, 0, batch), g->nodes[i].shape[1],
                                  graph_at(g, ia)->shape[2] * graph_at(g, ia)->shape[3], &x, &y);
}

static alvk_status vjp_avgpool(graph_walk *w, int i, alvk_node gy) {
    return graph_vjp_like_input(w, i, OP_AVGPOOL_BWD, gy);
}
const graph_op_desc graph_op_avgpool = {.record = record_avgpool, .vjp = vjp_avgpool};

/* in: dy [N, C], x (for its shape) */
static alvk_status record_avgpool_bwd(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer dy = graph_buffer(g, n->in[0]), dx = graph_buffer(g, i);
    return alvk_op_avgpool_global_backward(cmd, graph_dim(g, n->in[1], 0, batch), n->shape[1],
                                           n->shape[2] * n->shape[3], &dy, &dx);
}
const graph_op_desc graph_op_avgpool_bwd = {.record = record_avgpool_bwd, .reads = {READ_VALUES, READ_NOTHING}};
