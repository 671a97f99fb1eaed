/* Reverse-mode differentiation. Each op's vector-Jacobian product is
 * written with graph ops; those of matmul, the activations, elementwise ops
 * and sums are differentiable themselves, so differentiating a gradient (a
 * gradient penalty) is the same walk run again over the grown graph. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

/* What a sweep differentiates with respect to: node wrt, or (wrt < 0) the
 * trainable store tensors first..first+count-1. */
typedef struct target {
    alvk_node wrt;
    int first, count;
} target;

/* Which nodes lie on a path from a node of interest to `upto`. Only those
 * get gradients; everything else is a constant (torch's detach). */
static char *needs_grad(const alvk_graph *g, int upto, target t) {
    char *need = calloc((size_t)upto + 1, 1);
    if (!need) return NULL;
    for (int i = 0; i <= upto; i++) {
        const node *n = &g->nodes[i];
        if (t.wrt >= 0) need[i] = i == t.wrt;
        else need[i] = n->op == OP_PARAM && n->param >= t.first && n->param < t.first + t.count &&
                       alvk_params_kind(g->params, n->param) == ALVK_PARAM_TRAINABLE;
        for (int k = 0; k < n->nin && !need[i]; k++)
            if (n->in[k] >= 0 && need[n->in[k]]) need[i] = 1;
    }
    return need;
}

typedef struct walk {
    alvk_graph *g;
    alvk_node *grads;
    const char *need;
    int first_new; /* the first node this sweep added */
} walk;

/* grads[x] += contribution */
static void accumulate(walk *w, alvk_node x, alvk_node contribution) {
    if (x < 0 || !w->need[x] || contribution < 0) return;
    w->grads[x] = w->grads[x] < 0 ? contribution : alvk_graph_add(w->g, w->grads[x], contribution);
}

static alvk_node node1(alvk_graph *g, graph_op op, alvk_node a, const node *like) {
    return graph_add(g, op, &a, 1, like->shape, like->ndims, like->batched);
}

static alvk_node node2(alvk_graph *g, graph_op op, alvk_node a, alvk_node b, const node *like) {
    return graph_add(g, op, (alvk_node[]){a, b}, 2, like->shape, like->ndims, like->batched);
}

static alvk_node matmul(alvk_graph *g, alvk_node a, alvk_node b, int ta, int tb, const node *like) {
    alvk_node y = node2(g, OP_MATMUL, a, b, like);
    if (y >= 0) g->nodes[y].attr[0] = (uint32_t)ta, g->nodes[y].attr[1] = (uint32_t)tb;
    return y;
}

/* Whether this sweep already wrote the gradient of batch-norm weight
 * `param` (a model applied twice in one step, as the adversarial strategy's
 * backbone is): later batch-norm gradients then add to it. */
static int bn_seen(const walk *w, int param, alvk_node before) {
    const alvk_graph *g = w->g;
    for (int j = w->first_new; j < before; j++) {
        const node *bwd = &g->nodes[j], *fwd = &g->nodes[bwd->in[3]];
        for (int k = 0; bwd->op == OP_BATCHNORM_BWD && k < 2; k++)
            if (bwd->attr[k] != BN_GRAD_SCRATCH && g->nodes[fwd->in[1 + k]].param == param) return 1;
    }
    return 0;
}

/* The VJP of node i for output gradient gy. Nodes are copied, not held by
 * pointer: adding nodes may move the array. */
static alvk_status vjp(walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    node n = g->nodes[i];
    alvk_node a = n.nin > 0 ? n.in[0] : -1, b = n.nin > 1 ? n.in[1] : -1;
    node A = a >= 0 ? g->nodes[a] : n, B = b >= 0 ? g->nodes[b] : n;
    int na = a >= 0 && w->need[a], nb = b >= 0 && w->need[b];
    switch (n.op) {
    case OP_INPUT: case OP_LABELS: case OP_PARAM: case OP_ONE:
        return ALVK_OK;
    case OP_MATMUL: { /* C = op(A) op(B) */
        int ta = (int)n.attr[0], tb = (int)n.attr[1];
        if (na) /* dA in A's stored layout */
            accumulate(w, a, ta ? matmul(g, b, gy, tb, 1, &A) : matmul(g, gy, b, 0, !tb, &A));
        if (nb)
            accumulate(w, b, tb ? matmul(g, gy, a, 1, ta, &B) : matmul(g, a, gy, !ta, 0, &B));
        return ALVK_OK;
    }
    case OP_BIAS_ADD:
        if (na) accumulate(w, a, gy);
        if (nb) accumulate(w, b, node1(g, OP_SUM_COLS, gy, &B));
        return ALVK_OK;
    case OP_CONV2D: { /* the gradient nodes carry the stride and padding */
        alvk_node dx = na ? graph_add(g, OP_CONV_BWD_DATA, (alvk_node[]){gy, b, a}, 3, A.shape, 4, A.batched) : -1;
        alvk_node dw = nb ? graph_add(g, OP_CONV_BWD_WEIGHT, (alvk_node[]){a, gy, b}, 3, B.shape, 4, 0) : -1;
        if (dx >= 0) memcpy(g->nodes[dx].attr, n.attr, sizeof n.attr);
        if (dw >= 0) memcpy(g->nodes[dw].attr, n.attr, sizeof n.attr);
        accumulate(w, a, dx);
        accumulate(w, b, dw);
        if (n.nin > 2 && w->need[n.in[2]])
            accumulate(w, n.in[2], node1(g, OP_CHANNEL_SUM, gy, &g->nodes[n.in[2]]));
        return ALVK_OK;
    }
    case OP_BATCHNORM: {
        if (n.attr[0]) return graph_fail(g, ALVK_ERROR_UNSUPPORTED, "backward through batch norm in "
                                         "evaluation mode is not supported"), g->error;
        /* One kernel gives dx, dgamma and dbeta; the last two go straight
         * to the store (batch-norm weights have no other users), or to
         * scratch when this sweep does not differentiate them (a parameter
         * range without them, or the gradient of an input). */
        alvk_node dx = graph_add(g, OP_BATCHNORM_BWD, (alvk_node[]){a, gy, n.in[1], i}, 4, A.shape, 4, A.batched);
        if (dx < 0) return g->error;
        for (int k = 0; k < 2; k++) { /* gamma, beta */
            alvk_node wk = n.in[1 + k];
            g->nodes[dx].attr[k] = !w->need[wk] ? BN_GRAD_SCRATCH
                                   : bn_seen(w, g->nodes[wk].param, dx) ? BN_GRAD_ADD : BN_GRAD_STORE;
        }
        if (g->nodes[dx].attr[0] != BN_GRAD_STORE || g->nodes[dx].attr[1] != BN_GRAD_STORE)
            g->nodes[dx].aux_bytes[0] = g->nodes[dx].aux_bytes[1] = 4ull * A.shape[1];
        if (na) accumulate(w, a, dx);
        return ALVK_OK;
    }
    case OP_MAXPOOL:
        if (na) accumulate(w, a, graph_add(g, OP_MAXPOOL_BWD, (alvk_node[]){gy, a, i}, 3, A.shape, 4, A.batched));
        return ALVK_OK;
    case OP_AVGPOOL:
        if (na) accumulate(w, a, graph_add(g, OP_AVGPOOL_BWD, (alvk_node[]){gy, a}, 2, A.shape, 4, A.batched));
        return ALVK_OK;
    case OP_RELU: /* gy * (x > 0): differentiable in gy, zero in x */
        if (na) accumulate(w, a, node2(g, OP_RELU_GRAD, gy, a, &A));
        return ALVK_OK;
    case OP_RELU_GRAD: /* out = g * (x > 0) */
        if (na) accumulate(w, a, node2(g, OP_RELU_GRAD, gy, b, &A));
        return ALVK_OK;
    case OP_SIGMOID: /* gy * y (1 - y), y = this node */
        if (na) accumulate(w, a, alvk_graph_mul(g, gy, alvk_graph_mul(g, i, graph_affine(g, i, -1, 1))));
        return ALVK_OK;
    case OP_SQUARE:
        if (na) accumulate(w, a, alvk_graph_mul(g, gy, graph_affine(g, a, 2, 0)));
        return ALVK_OK;
    case OP_SQRT: /* gy / (2 y) */
        if (na) accumulate(w, a, graph_div(g, gy, graph_affine(g, i, 2, 0)));
        return ALVK_OK;
    case OP_AFFINE:
        if (na) accumulate(w, a, graph_affine(g, gy, n.alpha, 0));
        return ALVK_OK;
    case OP_ADD:
        if (na) accumulate(w, a, gy);
        if (nb) accumulate(w, b, gy);
        return ALVK_OK;
    case OP_SUB:
        if (na) accumulate(w, a, gy);
        if (nb) accumulate(w, b, graph_affine(g, gy, -1, 0));
        return ALVK_OK;
    case OP_MUL:
        if (na) accumulate(w, a, alvk_graph_mul(g, gy, b));
        if (nb) accumulate(w, b, alvk_graph_mul(g, gy, a));
        return ALVK_OK;
    case OP_DIV: /* a / b: da = gy / b, db = -gy a / b^2 */
        if (na) accumulate(w, a, graph_div(g, gy, b));
        if (nb)
            accumulate(w, b, graph_affine(g, alvk_graph_mul(g, graph_div(g, graph_div(g, gy, b), b), a), -1, 0));
        return ALVK_OK;
    case OP_MUL_ROWS:
        if (na) accumulate(w, a, alvk_graph_mul_rows(g, gy, b));
        if (nb) accumulate(w, b, alvk_graph_sum_rows(g, alvk_graph_mul(g, gy, a)));
        return ALVK_OK;
    case OP_SUM_ROWS:
        if (na) accumulate(w, a, graph_add(g, OP_EXPAND_ROWS, (alvk_node[]){gy, a}, 2, A.shape, 2, A.batched));
        return ALVK_OK;
    case OP_EXPAND_ROWS:
        if (na) accumulate(w, a, alvk_graph_sum_rows(g, gy));
        return ALVK_OK;
    case OP_SUM_COLS: /* [R, C] -> [C]; back: every row gets gy */
        if (na) accumulate(w, a, node2(g, OP_EXPAND_COLS, gy, a, &A));
        return ALVK_OK;
    case OP_EXPAND_COLS:
        if (na) accumulate(w, a, node1(g, OP_SUM_COLS, gy, &A));
        return ALVK_OK;
    case OP_MEAN:
        if (na) accumulate(w, a, graph_add(g, OP_EXPAND_MEAN, (alvk_node[]){gy, a}, 2, A.shape, A.ndims, A.batched));
        return ALVK_OK;
    case OP_EXPAND_MEAN: /* out = gy / count everywhere */
        if (na) accumulate(w, a, alvk_graph_mean(g, gy));
        return ALVK_OK;
    case OP_RESHAPE:
        if (na) accumulate(w, a, graph_reshape(g, gy, A.shape, A.ndims, A.batched));
        return ALVK_OK;
    case OP_SOFTMAX_CE:
        if (na) accumulate(w, a, graph_add(g, OP_SOFTMAX_CE_BWD, (alvk_node[]){i, b, gy}, 3, A.shape, 2, A.batched));
        return ALVK_OK;
    default:
        return graph_fail(g, ALVK_ERROR_UNSUPPORTED, "op %d cannot be differentiated (a gradient "
                          "kernel of convolution, batch norm, pooling or the loss?)", (int)n.op),
               g->error;
    }
}

/* Walks nodes root..0 backwards from the seed gradient of root. */
static alvk_status sweep(alvk_graph *g, alvk_node root, alvk_node seed, target t,
                         alvk_node **grads_out, char **need_out) {
    *grads_out = NULL;
    *need_out = NULL;
    if (seed < 0) return g->error;
    int first_new = g->count;
    char *need = needs_grad(g, root, t);
    alvk_node *grads = malloc((size_t)(root + 1) * sizeof *grads);
    if (!need || !grads) {
        free(need), free(grads);
        return graph_fail(g, ALVK_ERROR_OUT_OF_HOST_MEMORY, "differentiating"), g->error;
    }
    for (int i = 0; i <= root; i++) grads[i] = -1;
    grads[root] = seed;
    walk w = {g, grads, need, first_new};
    for (int i = root; i >= 0 && g->error == ALVK_OK; i--)
        if (grads[i] >= 0 && need[i]) vjp(&w, i, grads[i]);
    *grads_out = grads;
    *need_out = need;
    return g->error;
}

/* Whether gradient node x can write the store's gradient itself instead of
 * being copied there: it computes into its own memory (not a view or a
 * leaf), nothing else reads it, and it is nobody else's gradient yet. */
static int writes_in_place(const alvk_graph *g, alvk_node x) {
    const node *n = &g->nodes[x];
    if (n->op == OP_PARAM || n->op == OP_RESHAPE || n->op == OP_GATHERED_LABELS ||
        n->op == OP_INPUT || n->op == OP_LABELS || n->op == OP_ONE || n->grad_of >= 0 || n->pinned)
        return 0;
    for (int i = x + 1; i < g->count; i++)
        for (int k = 0; k < g->nodes[i].nin; k++)
            if (g->nodes[i].in[k] == x) return 0;
    return 1;
}

/* A node of ones shaped like x. */
static alvk_node ones_like(alvk_graph *g, alvk_node x) {
    node X = g->nodes[x];
    return graph_add(g, OP_ONE, NULL, 0, X.shape, X.ndims, X.batched);
}

alvk_status alvk_graph_backward(alvk_graph *g, alvk_node loss) {
    return alvk_graph_backward_params(g, loss, 0, g && g->params ? alvk_params_count(g->params) : 0);
}

alvk_status alvk_graph_backward_params(alvk_graph *g, alvk_node loss, int first, int count) {
    if (!g) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_backward: no graph");
    if (g->error) return alvk_error(g->error, "%s", g->error_msg);
    alvk_status s = graph_check_group(g, first, count, "alvk_graph_backward");
    if (s != ALVK_OK) return graph_stick(g, s);
    if (loss < 0 || loss >= g->count || graph_numel(&g->nodes[loss], 1) != 1 || g->nodes[loss].batched)
        return graph_stick(g, alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_backward: the loss must be "
                                         "a scalar node, not node %d", loss));
    alvk_node *grads = NULL;
    char *need = NULL;
    s = sweep(g, loss, ones_like(g, loss), (target){-1, first, count}, &grads, &need);
    for (int i = 0; s == ALVK_OK && i <= loss; i++) {
        const node *n = &g->nodes[i];
        if (n->op != OP_PARAM || grads[i] < 0) continue;
        if (writes_in_place(g, grads[i])) { /* the gradient lands in the store directly */
            g->nodes[grads[i]].grad_of = n->param;
            continue;
        }
        alvk_node t = graph_add(g, OP_TO_GRAD, &grads[i], 1, n->shape, n->ndims, 0);
        if (t >= 0) g->nodes[t].param = g->nodes[i].param;
    }
    free(grads);
    free(need);
    if (g->error) return alvk_error(g->error, "%s", g->error_msg);
    return ALVK_OK;
}

/* Whether x is the weight or bias of a batch norm made before y. */
static int batchnorm_weight(const alvk_graph *g, alvk_node x, alvk_node y) {
    for (int i = x + 1; i <= y; i++)
        if (g->nodes[i].op == OP_BATCHNORM && (g->nodes[i].in[1] == x || g->nodes[i].in[2] == x)) return 1;
    return 0;
}

alvk_node alvk_graph_grad(alvk_graph *g, alvk_node y, alvk_node x) {
    if (!g || y < 0 || x < 0 || y >= g->count || x > y)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "grad: y must be a node made after x");
    alvk_node *grads = NULL;
    char *need = NULL;
    alvk_node result = -1;
    if (sweep(g, y, ones_like(g, y), (target){x, 0, 0}, &grads, &need) == ALVK_OK) {
        result = grads[x];
        if (result < 0 && batchnorm_weight(g, x, y))
            graph_fail(g, ALVK_ERROR_UNSUPPORTED, "grad: node %d is a batch-norm weight or bias, whose "
                       "gradient only alvk_graph_backward computes (into the store)", x);
        else if (result < 0) graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "grad: y does not depend on x");
    }
    free(grads);
    free(need);
    return result;
}
