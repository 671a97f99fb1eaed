/* Recording a graph's nodes into a command buffer, one op call each, with
 * the run's batch substituted for the first dimension of batched tensors. */
#include "graph.h"
#include "data/pool.h"
#include "vk/context.h"

#define BN_EPS 1e-5f /* PyTorch's default, as deeplay uses it */

/* Dimension d of node i at this batch. */
static uint32_t dim(const alvk_graph *g, int i, uint32_t d, uint32_t batch) {
    const node *n = &g->nodes[i];
    return d == 0 && n->batched ? batch : n->shape[d];
}

static uint32_t numel(const alvk_graph *g, int i, uint32_t batch) {
    return (uint32_t)graph_numel(&g->nodes[i], batch);
}

alvk_buffer graph_buffer(const alvk_graph *g, int i) {
    const node *n = &g->nodes[i];
    if (n->op == OP_GATHERED_LABELS) return graph_aux(g, n->in[0], 0);
    if (n->op == OP_RESHAPE) return graph_buffer(g, n->in[0]);
    if (n->fused_into) return graph_buffer(g, n->fused_into);
    if (n->op == OP_PARAM) return alvk_params_value(g->params, n->param);
    if (n->op == OP_TO_GRAD) return alvk_params_grad(g->params, n->param);
    if (n->grad_of >= 0) return alvk_params_grad(g->params, n->grad_of);
    return alvk_buffer_view(&g->arena, n->offset, n->bytes);
}

alvk_buffer graph_aux(const alvk_graph *g, int i, int k) {
    const node *n = &g->nodes[i];
    return alvk_buffer_view(&g->arena, n->aux_offset[k], n->aux_bytes[k]);
}

static alvk_conv conv_of(const alvk_graph *g, int x, int w, uint32_t stride, uint32_t pad,
                         uint32_t batch) {
    return (alvk_conv){dim(g, x, 0, batch), dim(g, x, 1, batch), dim(g, x, 2, batch),
                       dim(g, x, 3, batch), dim(g, w, 0, batch), dim(g, w, 2, batch),
                       dim(g, w, 3, batch), stride, pad};
}

/* The batch-norm parameters of a BATCHNORM node, as store views. */
static alvk_bn_params bn_params(const alvk_graph *g, const node *bn) {
    return (alvk_bn_params){graph_buffer(g, bn->in[1]), graph_buffer(g, bn->in[2]),
                            graph_buffer(g, bn->in[3]), graph_buffer(g, bn->in[4])};
}

/* A convolution with the evaluation batch norm after it folded in: the
 * scaled weights and bias go to scratch, recomputed every run. */
static alvk_status conv_folded(const alvk_graph *g, alvk_cmd *cmd, const alvk_conv *c,
                               const node *n, const alvk_buffer *x, const alvk_buffer *w,
                               const alvk_buffer *bias, const alvk_epilogue *epi,
                               const alvk_buffer *y) {
    uint32_t per_filter = c->Cin * c->KH * c->KW;
    alvk_bn_params p = bn_params(g, &g->nodes[n->bn_folded]);
    alvk_buffer w2, b2;
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * c->Cout * per_filter, &w2);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * c->Cout, &b2);
    if (s == ALVK_OK) s = alvk_op_batchnorm_fold(cmd, c->Cout, per_filter, BN_EPS, w, bias, &p, &w2, &b2);
    return s == ALVK_OK ? alvk_op_conv2d_fused(cmd, c, x, &w2, &b2, epi, y) : s;
}

static alvk_status elementwise2(alvk_cmd *cmd, alvk_binary_op op, const alvk_buffer *a,
                                const alvk_buffer *b, const alvk_buffer *y, uint32_t n) {
    return alvk_op_binary(cmd, op, 1.0f, a, b, y, n, n, 1);
}

alvk_status graph_record(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer y = graph_buffer(g, i), a, b;
    int ia = n->nin > 0 ? n->in[0] : -1, ib = n->nin > 1 ? n->in[1] : -1;
    if (ia >= 0) a = graph_buffer(g, ia);
    if (ib >= 0) b = graph_buffer(g, ib);
    uint32_t count = numel(g, i, batch);
    if (n->fused_into || n->elided) return ALVK_OK; /* another node's kernel computes it */
    switch (n->op) {
    case OP_INPUT: case OP_LABELS: case OP_PARAM:
        return ALVK_OK;
    case OP_ONE:
        alvk_cmd_fill(cmd, &y, 4ull * count, 0x3f800000u); /* 1.0f */
        return ALVK_OK;
    case OP_TO_GRAD:
        return alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &a, &y, count);
    case OP_MATMUL: {
        int ta = (int)n->attr[0], tb = (int)n->attr[1];
        uint32_t a0 = dim(g, ia, 0, batch), a1 = dim(g, ia, 1, batch);
        uint32_t b0 = dim(g, ib, 0, batch), b1 = dim(g, ib, 1, batch);
        alvk_gemm gm = {.M = ta ? a1 : a0, .N = tb ? b0 : b1, .K = ta ? a0 : a1,
                        .trans_a = ta, .trans_b = tb, .alpha = 1.0f};
        return alvk_op_gemm(cmd, &gm, &a, &b, &y, NULL);
    }
    case OP_BIAS_ADD:
        return alvk_op_binary(cmd, ALVK_BINARY_ADD, 1.0f, &a, &b, &y, count, n->shape[1], 1);
    case OP_SUM_COLS: {
        alvk_reduce r = {.outer = dim(g, ia, 0, batch), .mid = n->shape[0], .inner = 1, .scale = 1.0f};
        return alvk_op_reduce(cmd, &r, &a, &y);
    }
    case OP_EXPAND_COLS:
        return alvk_op_binary(cmd, ALVK_BINARY_EXPAND, 1.0f, NULL, &a, &y, count, n->shape[1], 1);
    case OP_CONV2D: {
        alvk_conv c = conv_of(g, ia, ib, n->attr[0], n->attr[1], batch);
        alvk_buffer bias, residual;
        if (n->nin > 2) bias = graph_buffer(g, n->in[2]);
        if (n->residual) residual = graph_buffer(g, n->residual);
        alvk_epilogue epi = {n->residual ? &residual : NULL, n->relu};
        if (n->bn_folded) return conv_folded(g, cmd, &c, n, &a, &b, n->nin > 2 ? &bias : NULL, &epi, &y);
        return alvk_op_conv2d_fused(cmd, &c, &a, &b, n->nin > 2 ? &bias : NULL, &epi, &y);
    }
    case OP_CONV_BWD_DATA: { /* in: dy, w, x (for its shape) */
        alvk_conv c = conv_of(g, n->in[2], ib, n->attr[0], n->attr[1], batch);
        return alvk_op_conv2d_backward_data(cmd, &c, &a, &b, &y);
    }
    case OP_CONV_BWD_WEIGHT: { /* in: x, dy, w */
        alvk_conv c = conv_of(g, ia, n->in[2], n->attr[0], n->attr[1], batch);
        return alvk_op_conv2d_backward_weight(cmd, &c, &a, &b, &y, NULL);
    }
    case OP_CHANNEL_SUM: { /* [N, C, H, W] -> [C] */
        alvk_reduce r = {.outer = dim(g, ia, 0, batch), .mid = dim(g, ia, 1, batch),
                         .inner = dim(g, ia, 2, batch) * dim(g, ia, 3, batch), .scale = 1.0f};
        return alvk_op_reduce(cmd, &r, &a, &y);
    }
    case OP_BATCHNORM: {
        alvk_buffer residual;
        if (n->residual) residual = graph_buffer(g, n->residual);
        alvk_batchnorm bn = {dim(g, ia, 0, batch), n->shape[1], n->shape[2] * n->shape[3], BN_EPS,
                             g->bn_momentum, {n->residual ? &residual : NULL, n->relu}, NULL};
        alvk_bn_params p = bn_params(g, n);
        if (n->attr[0]) return alvk_op_batchnorm_eval(cmd, &bn, &a, &p, &y);
        alvk_buffer mean = graph_aux(g, i, 0), invstd = graph_aux(g, i, 1);
        return alvk_op_batchnorm_train(cmd, &bn, &a, &p, &y, &mean, &invstd);
    }
    case OP_BATCHNORM_BWD: { /* in: x, dy, gamma, the BATCHNORM node[, a fused ReLU's mask] */
        const node *fwd = &g->nodes[n->in[3]];
        alvk_buffer mask;
        if (n->nin > 4) mask = graph_buffer(g, n->in[4]);
        alvk_batchnorm bn = {dim(g, ia, 0, batch), n->shape[1], n->shape[2] * n->shape[3], BN_EPS,
                             g->bn_momentum, {NULL, 0}, n->nin > 4 ? &mask : NULL};
        alvk_buffer gamma = graph_buffer(g, n->in[2]), mean = graph_aux(g, n->in[3], 0),
                    invstd = graph_aux(g, n->in[3], 1);
        alvk_buffer dgamma = alvk_params_grad(g->params, g->nodes[fwd->in[1]].param);
        alvk_buffer dbeta = alvk_params_grad(g->params, g->nodes[fwd->in[2]].param);
        if (n->attr[0] == BN_GRAD_STORE && n->attr[1] == BN_GRAD_STORE)
            return alvk_op_batchnorm_backward(cmd, &bn, &a, &b, &gamma, &mean, &invstd, &y, &dgamma, &dbeta);
        /* Otherwise this batch's weight sums go to scratch (the kernel needs
         * them alone for dx), and from there each into the store: copied,
         * added to an earlier use's, or not at all (attr[0] gamma, [1] beta). */
        alvk_buffer mine[2] = {graph_aux(g, i, 0), graph_aux(g, i, 1)}, *store[2] = {&dgamma, &dbeta};
        alvk_status s = alvk_op_batchnorm_backward(cmd, &bn, &a, &b, &gamma, &mean, &invstd, &y, &mine[0], &mine[1]);
        for (int k = 0; k < 2 && s == ALVK_OK; k++) {
            if (n->attr[k] == BN_GRAD_ADD) s = elementwise2(cmd, ALVK_BINARY_ADD, store[k], &mine[k], store[k], bn.C);
            if (n->attr[k] == BN_GRAD_STORE) alvk_cmd_copy(cmd, &mine[k], 0, store[k], 0, 4ull * bn.C);
        }
        return s;
    }
    case OP_MAXPOOL: {
        alvk_maxpool p = {dim(g, ia, 0, batch), n->shape[1], g->nodes[ia].shape[2],
                          g->nodes[ia].shape[3], n->attr[0], n->attr[1], n->attr[2]};
        alvk_buffer arg = graph_aux(g, i, 0);
        return alvk_op_maxpool2d(cmd, &p, &a, &y, &arg);
    }
    case OP_MAXPOOL_BWD: { /* in: dy, x, the MAXPOOL node */
        const node *fwd = &g->nodes[n->in[2]];
        alvk_maxpool p = {dim(g, ib, 0, batch), n->shape[1], n->shape[2], n->shape[3],
                          fwd->attr[0], fwd->attr[1], fwd->attr[2]};
        alvk_buffer arg = graph_aux(g, n->in[2], 0);
        return alvk_op_maxpool2d_backward(cmd, &p, &arg, &a, &y);
    }
    case OP_AVGPOOL:
        return alvk_op_avgpool_global(cmd, dim(g, ia, 0, batch), n->shape[1],
                                      g->nodes[ia].shape[2] * g->nodes[ia].shape[3], &a, &y);
    case OP_AVGPOOL_BWD: /* in: dy [N, C], x */
        return alvk_op_avgpool_global_backward(cmd, dim(g, ib, 0, batch), n->shape[1],
                                               n->shape[2] * n->shape[3], &a, &y);
    case OP_RELU: return alvk_op_unary(cmd, ALVK_UNARY_RELU, 0, &a, &y, count);
    case OP_RELU_GRAD: return alvk_op_unary_backward(cmd, ALVK_UNARY_RELU, 0, &b, &a, &y, count);
    case OP_SIGMOID: return alvk_op_unary(cmd, ALVK_UNARY_SIGMOID, 0, &a, &y, count);
    case OP_SQUARE: return alvk_op_unary(cmd, ALVK_UNARY_SQUARE, 0, &a, &y, count);
    case OP_SQRT: return alvk_op_unary(cmd, ALVK_UNARY_SQRT, 0, &a, &y, count);
    case OP_AFFINE: return alvk_op_affine(cmd, n->alpha, n->beta, &a, &y, count);
    case OP_ADD: return elementwise2(cmd, ALVK_BINARY_ADD, &a, &b, &y, count);
    case OP_SUB: return elementwise2(cmd, ALVK_BINARY_SUB, &a, &b, &y, count);
    case OP_MUL: return elementwise2(cmd, ALVK_BINARY_MUL, &a, &b, &y, count);
    case OP_DIV: return elementwise2(cmd, ALVK_BINARY_DIV, &a, &b, &y, count);
    case OP_MUL_ROWS:
        return alvk_op_binary(cmd, ALVK_BINARY_MUL, 1.0f, &a, &b, &y, count, dim(g, i, 0, batch), n->shape[1]);
    case OP_SUM_ROWS: {
        alvk_reduce r = {.outer = 1, .mid = dim(g, ia, 0, batch), .inner = g->nodes[ia].shape[1], .scale = 1.0f};
        return alvk_op_reduce(cmd, &r, &a, &y);
    }
    case OP_EXPAND_ROWS: /* in: g [B], x [B, F] */
        return alvk_op_binary(cmd, ALVK_BINARY_EXPAND, 1.0f, NULL, &a, &y, count, dim(g, i, 0, batch), n->shape[1]);
    case OP_MEAN: {
        uint32_t total = numel(g, ia, batch);
        alvk_reduce r = {.outer = 1, .mid = 1, .inner = total, .scale = 1.0f / (float)total};
        return alvk_op_reduce(cmd, &r, &a, &y);
    }
    case OP_EXPAND_MEAN: /* in: g (scalar), x */
        return alvk_op_binary(cmd, ALVK_BINARY_EXPAND, 1.0f / (float)count, NULL, &a, &y, count, 1, count);
    case OP_SOFTMAX_CE: {
        alvk_buffer probs = graph_aux(g, i, 0);
        return alvk_op_softmax_ce(cmd, dim(g, ia, 0, batch), g->nodes[ia].shape[1], &a, &b, &y, &probs);
    }
    case OP_SOFTMAX_CE_BWD: { /* in: the SOFTMAX_CE node, labels, dloss */
        const node *ce = &g->nodes[ia];
        alvk_buffer probs = graph_aux(g, ia, 0), dloss = graph_buffer(g, n->in[2]);
        return alvk_op_softmax_ce_backward(cmd, dim(g, i, 0, batch), g->nodes[ce->in[0]].shape[1],
                                           &probs, &b, &dloss, &y);
    }
    case OP_GATHER: {
        alvk_buffer labels = graph_aux(g, i, 0);
        return alvk_op_gather(cmd, &n->pool->images, n->pool->rows * n->pool->cols, &n->pool->labels,
                              &a, batch, &y, &labels);
    }
    case OP_GATHERED_LABELS: case OP_RESHAPE: /* views */
        return ALVK_OK;
    case OP_CORRECT:
        return alvk_op_correct_count(cmd, dim(g, ia, 0, batch), g->nodes[ia].shape[1], &a, &b, &y);
    case OP_ADAM: { /* the graph's last Adam advances the shared step counter */
        alvk_buffer values, grads, m, v, steps = alvk_params_steps(g->params);
        uint32_t total;
        alvk_params_trainable_range(g->params, n->param, n->nparams, &values, &grads, &m, &v, &total);
        alvk_adam h = {n->hyper[0], n->hyper[1], n->hyper[2], n->hyper[3], 0};
        int last = 1;
        for (int j = i + 1; j < g->count; j++) last &= g->nodes[j].op != OP_ADAM;
        return alvk_op_adam_counted(cmd, total, &values, &grads, &m, &v, &h, &steps, last);
    }
    default:
        return alvk_error(ALVK_ERROR_UNSUPPORTED, "graph op %d has no recording", (int)n->op);
    }
}
