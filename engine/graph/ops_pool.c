/* Pooling graph ops: max pooling (PyTorch's semantics; the argmax kept for
 * the backward) and global average pooling, with their gradient kernels. */
#include "graph.h"

alvk_node alvk_graph_maxpool2d(alvk_graph *g, alvk_node x, uint32_t k, uint32_t stride, uint32_t pad) {
    node *X = graph_arg(g, x, "maxpool2d");
    if (!X) return -1;
    uint32_t OH = X->ndims == 4 && stride ? alvk_conv_out(X->shape[2], k, stride, pad) : 0;
    uint32_t OW = X->ndims == 4 && stride ? alvk_conv_out(X->shape[3], k, stride, pad) : 0;
    if (!OH || !OW || 2 * pad > k)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "maxpool2d: bad window for this input");
    alvk_node y = graph_add(g, OP_MAXPOOL, &x, 1, (uint32_t[]){0, X->shape[1], OH, OW}, 4, X->batched);
    if (y >= 0) {
        node *Y = graph_at(g, y);
        Y->attr[0] = k, Y->attr[1] = stride, Y->attr[2] = pad;
        Y->aux_bytes[0] = Y->bytes; /* argmax */
    }
    return y;
}

static alvk_status record_maxpool(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    int ia = n->in[0];
    alvk_maxpool p = {graph_dim(g, ia, 0, batch), n->shape[1], graph_at(g, ia)->shape[2], graph_at(g, ia)->shape[3],
                      n->attr[0], n->attr[1], n->attr[2]};
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
    const node *n = &g->nodes[i], *fwd = graph_at(g, n->in[2]);
    alvk_maxpool p = {graph_dim(g, n->in[1], 0, batch), n->shape[1], n->shape[2], n->shape[3],
                      fwd->attr[0], fwd->attr[1], fwd->attr[2]};
    alvk_buffer dy = graph_buffer(g, n->in[0]), dx = graph_buffer(g, i), arg = graph_aux(g, n->in[2], 0);
    return alvk_op_maxpool2d_backward(cmd, &p, &arg, &dy, &dx);
}
const graph_op_desc graph_op_maxpool_bwd = {.record = record_maxpool_bwd,
                                            .reads = {READ_VALUES, READ_NOTHING, READ_NOTHING}};

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
