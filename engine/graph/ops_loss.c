/* The loss, the metric and the output as graph ops: mean softmax
 * cross-entropy over a batch (the probabilities kept for its backward
 * kernel), the count of correct argmax predictions, and the softmax of each
 * row. */
#include "graph.h"

alvk_node alvk_graph_softmax_ce(alvk_graph *g, alvk_node logits, alvk_node labels) {
    node *L = graph_arg(g, logits, "softmax_ce"), *Y = graph_node_of(g, labels, "softmax_ce");
    if (!L || !Y) return -1;
    if (L->ndims != 2 || !graph_u32_rows(Y) || !L->batched)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "softmax_ce: logits [B,C] and labels expected");
    if (!graph_labels_fit(g, Y, L->shape[1], "softmax_ce")) return -1;
    uint64_t probs = L->bytes; /* L moves when graph_add grows the array */
    alvk_node y = graph_add(g, OP_SOFTMAX_CE, (alvk_node[]){logits, labels}, 2, (uint32_t[]){1}, 1, 0);
    if (y >= 0) graph_at(g, y)->aux_bytes[0] = probs; /* the probabilities */
    return y;
}

static alvk_status record_softmax_ce(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    int ia = n->in[0];
    alvk_buffer x = graph_buffer(g, ia), labels = graph_buffer(g, n->in[1]), y = graph_buffer(g, i),
                probs = graph_aux(g, i, 0);
    uint32_t B = graph_dim(g, ia, 0, batch), C = graph_at(g, ia)->shape[1];
    if (n->ce_grad) { /* fuse.c: the backward's dlogits instead of probabilities */
        alvk_buffer dlogits = graph_buffer(g, n->ce_grad);
        return alvk_op_softmax_ce_grad(cmd, B, C, &x, &labels, &y, &dlogits);
    }
    return alvk_op_softmax_ce(cmd, B, C, &x, &labels, &y, &probs);
}

static alvk_status vjp_softmax_ce(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i];
    alvk_node a = n.in[0];
    node A = *graph_at(w->g, a);
    if (graph_needs(w, a))
        graph_accumulate(w, a, graph_add(w->g, OP_SOFTMAX_CE_BWD, (alvk_node[]){i, n.in[1], gy}, 3, A.shape,
                                         2, A.batched));
    return ALVK_OK;
}
const graph_op_desc graph_op_softmax_ce = {.record = record_softmax_ce, .vjp = vjp_softmax_ce};

/* in: the SOFTMAX_CE node (its probabilities), labels, dloss */
static alvk_status record_softmax_ce_bwd(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i], *ce = graph_at(g, n->in[0]);
    alvk_buffer probs = graph_aux(g, n->in[0], 0), labels = graph_buffer(g, n->in[1]),
                dloss = graph_buffer(g, n->in[2]), y = graph_buffer(g, i);
    return alvk_op_softmax_ce_backward(cmd, graph_dim(g, i, 0, batch), graph_at(g, ce->in[0])->shape[1], &probs,
                                       &labels, &dloss, &y);
}
const graph_op_desc graph_op_softmax_ce_bwd = {.record = record_softmax_ce_bwd, .reads = {READ_NOTHING}};

alvk_node alvk_graph_correct(alvk_graph *g, alvk_node logits, alvk_node labels) {
    node *L = graph_arg(g, logits, "correct"), *Y = graph_node_of(g, labels, "correct");
    if (!L || !Y) return -1;
    if (L->ndims != 2 || !graph_u32_rows(Y))
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "correct: logits [B,C] and labels expected");
    if (!graph_labels_fit(g, Y, L->shape[1], "correct")) return -1;
    return graph_add(g, OP_CORRECT, (alvk_node[]){logits, labels}, 2, (uint32_t[]){1}, 1, 0);
}

static alvk_status record_correct(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    int ia = n->in[0];
    alvk_buffer x = graph_buffer(g, ia), labels = graph_buffer(g, n->in[1]), y = graph_buffer(g, i);
    return alvk_op_correct_count(cmd, graph_dim(g, ia, 0, batch), graph_at(g, ia)->shape[1], &x, &labels, &y);
}
const graph_op_desc graph_op_correct = {.record = record_correct};

alvk_node alvk_graph_softmax(alvk_graph *g, alvk_node x) {
    node *X = graph_arg(g, x, "softmax");
    if (!X) return -1;
    if (X->ndims != 2) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "softmax: x [B,C] expected");
    return graph_add(g, OP_SOFTMAX, &x, 1, X->shape, 2, X->batched);
}

static alvk_status record_softmax(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    alvk_buffer x = graph_buffer(g, g->nodes[i].in[0]), y = graph_buffer(g, i);
    return alvk_op_softmax(cmd, graph_dim(g, i, 0, batch), g->nodes[i].shape[1], &x, &y);
}

/* dx = y gy - y sum_rows(gy y): made of differentiable ops. */
static alvk_status vjp_softmax(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    alvk_node a = g->nodes[i].in[0];
    if (!graph_needs(w, a)) return ALVK_OK;
    alvk_node gyy = alvk_graph_mul(g, gy, i);
    graph_accumulate(w, a, alvk_graph_sub(g, gyy, alvk_graph_mul_rows(g, i, alvk_graph_sum_rows(g, gyy))));
    return ALVK_OK;
}
const graph_op_desc graph_op_softmax = {.record = record_softmax, .vjp = vjp_softmax};
