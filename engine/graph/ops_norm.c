/* Batch normalisation as graph ops: batch norm (training: batch statistics,
 * running statistics updated; evaluation: running statistics) and its
 * backward kernel, which writes the weights' gradients into the store
 * itself. Fused (fuse.c): a ReLU and a residual add into the forward's
 * store, a ReLU's gradient into the backward's reads. */
#include "graph.h"

#include <stdio.h>

alvk_node alvk_graph_batchnorm(alvk_graph *g, alvk_node x, const char *prefix) {
    node *X = graph_arg(g, x, "batchnorm");
    if (!X) return -1;
    static const char *const parts[] = {"weight", "bias", "running_mean", "running_var"};
    alvk_node in[5] = {x};
    uint32_t C = X->shape[1]; /* X moves when adding a param node grows the array */
    for (int k = 0; k < 4; k++) {
        char name[256];
        snprintf(name, sizeof name, "%s.%s", prefix ? prefix : "", parts[k]);
        if ((in[k + 1] = alvk_graph_param(g, name)) < 0) return -1;
        if (graph_at(g, in[k + 1])->shape[0] != C)
            return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "batchnorm: %s does not match %u "
                              "channels", name, C);
    }
    X = graph_at(g, x);
    if (X->ndims != 4) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "batchnorm: input must be NCHW");
    alvk_node y = graph_add(g, OP_BATCHNORM, in, 5, X->shape, 4, X->batched);
    if (y >= 0) { /* the batch mean and 1/std, kept for the backward */
        graph_at(g, y)->aux_bytes[0] = graph_at(g, y)->aux_bytes[1] = 4ull * C;
        graph_at(g, y)->attr[0] = g->mode == ALVK_GRAPH_EVAL;
    }
    return y;
}

alvk_bn_params graph_bn_params(const alvk_graph *g, const node *bn) {
    return (alvk_bn_params){graph_buffer(g, bn->in[1]), graph_buffer(g, bn->in[2]),
                            graph_buffer(g, bn->in[3]), graph_buffer(g, bn->in[4])};
}

static alvk_status record_batchnorm(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer x = graph_buffer(g, n->in[0]), y = graph_buffer(g, i), residual;
    if (n->residual >= 0) residual = graph_buffer(g, n->residual);
    alvk_batchnorm bn = {graph_dim(g, n->in[0], 0, batch), n->shape[1], n->shape[2] * n->shape[3], GRAPH_BN_EPS,
                         g->bn_momentum, {.residual = n->residual >= 0 ? &residual : NULL, .relu = n->relu}, NULL, NULL};
    alvk_bn_params p = graph_bn_params(g, n);
    if (n->attr[0]) return alvk_op_batchnorm_eval(cmd, &bn, &x, &p, &y);
    alvk_buffer mean = graph_aux(g, i, 0), invstd = graph_aux(g, i, 1);
    return alvk_op_batchnorm_train(cmd, &bn, &x, &p, &y, &mean, &invstd);
}

/* Whether this sweep already wrote the gradient of batch-norm weight
 * `param` (a model applied twice in one step, as the adversarial strategy's
 * backbone is): later batch-norm gradients then add to it. */
static int bn_seen(const graph_walk *w, int param, alvk_node before) {
    const alvk_graph *g = w->g;
    for (int j = w->first_new; j < before; j++) {
        const node *bwd = &g->nodes[j], *fwd = graph_at(g, bwd->in[3]);
        for (int k = 0; bwd->op == OP_BATCHNORM_BWD && k < 2; k++)
            if (bwd->attr[k] != BN_GRAD_SCRATCH && graph_at(g, fwd->in[1 + k])->param == param) return 1;
    }
    return 0;
}

/* One kernel gives dx, dgamma and dbeta; the last two go straight to the
 * store (batch-norm weights have no other users), or to scratch when this
 * sweep does not differentiate them (a parameter range without them, or the
 * gradient of an input). */
static alvk_status vjp_batchnorm(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    node n = g->nodes[i];
    alvk_node a = n.in[0];
    node A = *graph_at(g, a);
    if (n.attr[0])
        return graph_fail(g, ALVK_ERROR_UNSUPPORTED, "backward through batch norm in evaluation mode is "
                          "not supported"), g->error;
    alvk_node dx = graph_add(g, OP_BATCHNORM_BWD, (alvk_node[]){a, gy, n.in[1], i}, 4, A.shape, 4, A.batched);
    if (dx < 0) return g->error;
    for (int k = 0; k < 2; k++) { /* gamma, beta */
        alvk_node wk = n.in[1 + k];
        graph_at(g, dx)->attr[k] = !graph_needs(w, wk) ? BN_GRAD_SCRATCH
                               : bn_seen(w, graph_at(g, wk)->param, dx) ? BN_GRAD_ADD : BN_GRAD_STORE;
    }
    if (graph_at(g, dx)->attr[0] != BN_GRAD_STORE || graph_at(g, dx)->attr[1] != BN_GRAD_STORE)
        graph_at(g, dx)->aux_bytes[0] = graph_at(g, dx)->aux_bytes[1] = 4ull * A.shape[1];
    graph_accumulate(w, a, dx);
    return ALVK_OK;
}
const graph_op_desc graph_op_batchnorm = {.record = record_batchnorm, .vjp = vjp_batchnorm, .epilogue = 1};

/* in: x, dy, gamma, the BATCHNORM node[, a fused ReLU's mask]; dx_sums:
 * a fused channel sum of dx. */
static alvk_status record_batchnorm_bwd(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i], *fwd = graph_at(g, n->in[3]);
    alvk_buffer x = graph_buffer(g, n->in[0]), dy = graph_buffer(g, n->in[1]), dx = graph_buffer(g, i), mask;
    if (n->nin > 4) mask = graph_buffer(g, n->in[4]);
    alvk_buffer sums = n->dx_sums ? graph_buffer(g, n->dx_sums) : dx;
    alvk_batchnorm bn = {graph_dim(g, n->in[0], 0, batch), n->shape[1], n->shape[2] * n->shape[3], GRAPH_BN_EPS,
                         g->bn_momentum, {0}, n->nin > 4 ? &mask : NULL, n->dx_sums ? &sums : NULL};
    alvk_buffer gamma = graph_buffer(g, n->in[2]), mean = graph_aux(g, n->in[3], 0),
                invstd = graph_aux(g, n->in[3], 1);
    alvk_buffer dgamma = alvk_params_grad(g->params, graph_at(g, fwd->in[1])->param);
    alvk_buffer dbeta = alvk_params_grad(g->params, graph_at(g, fwd->in[2])->param);
    if (n->attr[0] == BN_GRAD_STORE && n->attr[1] == BN_GRAD_STORE)
        return alvk_op_batchnorm_backward(cmd, &bn, &x, &dy, &gamma, &mean, &invstd, &dx, &dgamma, &dbeta);
    /* Otherwise this batch's weight sums go to scratch (the kernel needs
     * them alone for dx), and from there each into the store: copied,
     * added to an earlier use's, or not at all (attr[0] gamma, [1] beta). */
    alvk_buffer mine[2] = {graph_aux(g, i, 0), graph_aux(g, i, 1)}, *store[2] = {&dgamma, &dbeta};
    alvk_status s = alvk_op_batchnorm_backward(cmd, &bn, &x, &dy, &gamma, &mean, &invstd, &dx, &mine[0], &mine[1]);
    for (int k = 0; k < 2 && s == ALVK_OK; k++) {
        if (n->attr[k] == BN_GRAD_ADD) s = alvk_op_binary(cmd, ALVK_BINARY_ADD, 1.0f, store[k], &mine[k], store[k], bn.C, bn.C, 1);
        if (n->attr[k] == BN_GRAD_STORE) alvk_cmd_copy(cmd, &mine[k], 0, store[k], 0, 4ull * bn.C);
    }
    return s;
}
const graph_op_desc graph_op_batchnorm_bwd = {.record = record_batchnorm_bwd,
                                              .reads = {[3] = READ_NOTHING, [4] = READ_SIGN}};
