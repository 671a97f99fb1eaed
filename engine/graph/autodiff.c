/* Reverse-mode differentiation. Each op's vector-Jacobian product (its
 * descriptor's vjp) is written with graph ops; those of matmul, the
 * activations, elementwise ops and sums are differentiable themselves, so
 * differentiating a gradient (a gradient penalty) is the same walk run
 * again over the grown graph. */
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

int graph_needs(const graph_walk *w, alvk_node x) { return x >= 0 && w->need[x]; }

void graph_accumulate(graph_walk *w, alvk_node x, alvk_node contribution) {
    if (!graph_needs(w, x) || contribution < 0) return;
    w->grads[x] = w->grads[x] < 0 ? contribution : alvk_graph_add(w->g, w->grads[x], contribution);
}

alvk_node graph_like1(alvk_graph *g, graph_op op, alvk_node a, const node *like) {
    return graph_add(g, op, &a, 1, like->shape, like->ndims, like->batched);
}

alvk_node graph_like2(alvk_graph *g, graph_op op, alvk_node a, alvk_node b, const node *like) {
    return graph_add(g, op, (alvk_node[]){a, b}, 2, like->shape, like->ndims, like->batched);
}

alvk_status graph_vjp_like_input(graph_walk *w, int i, graph_op op, alvk_node gy) {
    alvk_node a = w->g->nodes[i].in[0];
    node A = w->g->nodes[a]; /* a copy: adding nodes may move the array */
    if (graph_needs(w, a)) graph_accumulate(w, a, graph_like2(w->g, op, gy, a, &A));
    return ALVK_OK;
}

/* Node i's VJP, by its op's descriptor. */
static alvk_status vjp(graph_walk *w, int i, alvk_node gy) {
    alvk_graph *g = w->g;
    graph_op op = g->nodes[i].op;
    const graph_op_desc *d = graph_desc(op);
    if (d->leaf) return ALVK_OK;
    if (!d->vjp)
        return graph_fail(g, ALVK_ERROR_UNSUPPORTED, "%s cannot be differentiated (a gradient kernel of "
                          "convolution, batch norm, pooling or the loss?)", graph_op_name(op)),
               g->error;
    return d->vjp(w, i, gy);
}

/* The order a sweep visits nodes 0..root in: deepest first (the longest
 * chain of inputs leading to a node), and among nodes of one depth, the
 * earlier first. Any order that visits a node after all its readers is
 * right; this one records, of a block's two branches, the shallow one's
 * gradients first, so that the deep one's take the add of the two (fuse.c
 * gives it to the later) and the shallow one's run beside them. A gradient
 * of three or more terms adds them in the order they come, which differs
 * from a reverse sweep's (rounding: the adversarial step's discriminator). */
static int *sweep_order(const alvk_graph *g, int root) {
    int n = root + 1, *order = malloc(3 * (size_t)n * sizeof *order);
    if (!order) return NULL;
    int *depth = order + n, *start = order + 2 * n; /* start[d]: where depth d's nodes go */
    for (int i = 0; i < n; i++) {
        depth[i] = start[i] = 0;
        for (int k = 0; k < g->nodes[i].nin; k++) {
            int in = g->nodes[i].in[k];
            if (in >= 0 && depth[in] + 1 > depth[i]) depth[i] = depth[in] + 1;
        }
    }
    for (int i = 0; i < n; i++) start[depth[i]]++; /* counts, then offsets, deepest first */
    for (int d = n - 1, at = 0; d >= 0; d--) {
        int count = start[d];
        start[d] = at, at += count;
    }
    for (int i = 0; i < n; i++) order[start[depth[i]]++] = i;
    return order;
}

/* Walks nodes root..0 (sweep_order) from the seed gradient of root. */
static alvk_status sweep(alvk_graph *g, alvk_node root, alvk_node seed, target t,
                         alvk_node **grads_out, char **need_out) {
    *grads_out = NULL;
    *need_out = NULL;
    if (seed < 0) return g->error;
    int first_new = g->count;
    char *need = needs_grad(g, root, t);
    alvk_node *grads = malloc((size_t)(root + 1) * sizeof *grads);
    int *order = sweep_order(g, root);
    if (!need || !grads || !order) {
        free(need), free(grads), free(order);
        return graph_fail(g, ALVK_ERROR_OUT_OF_HOST_MEMORY, "differentiating"), g->error;
    }
    for (int i = 0; i <= root; i++) grads[i] = -1;
    grads[root] = seed;
    graph_walk w = {g, grads, need, first_new};
    for (int k = 0; k <= root && g->error == ALVK_OK; k++) {
        int i = order[k];
        if (grads[i] >= 0 && need[i]) vjp(&w, i, grads[i]);
    }
    free(order);
    *grads_out = grads;
    *need_out = need;
    return g->error;
}

/* Whether gradient node x can write the store's gradient itself instead of
 * being copied there: it computes into its own memory (not a view or a
 * leaf), nothing else reads it, and it is nobody else's gradient yet. */
static int writes_in_place(const alvk_graph *g, alvk_node x) {
    const node *n = &g->nodes[x];
    const graph_op_desc *d = graph_desc(n->op);
    if (d->leaf || d->view || n->grad_of >= 0 || n->pinned) return 0;
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
    int count = graph_usable(g, "alvk_graph_backward") == ALVK_OK && g->params ? alvk_params_count(g->params) : 0;
    return alvk_graph_backward_params(g, loss, 0, count);
}

alvk_status alvk_graph_backward_params(alvk_graph *g, alvk_node loss_id, int first, int count) {
    alvk_status s = graph_usable(g, "alvk_graph_backward");
    if (s != ALVK_OK) return s;
    if (g->error) return alvk_error(g->error, "%s", g->error_msg);
    s = graph_check_group(g, first, count, "alvk_graph_backward");
    if (s != ALVK_OK) return graph_stick(g, s);
    int loss = graph_index(g, loss_id, "alvk_graph_backward");
    if (loss < 0) return graph_stick(g, ALVK_ERROR_INVALID_ARGUMENT);
    if (graph_numel(&g->nodes[loss], 1) != 1 || g->nodes[loss].batched)
        return graph_stick(g, alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_backward: the loss must be "
                                         "a scalar node, not node %d", loss_id));
    alvk_node *grads = NULL;
    char *need = NULL;
    g->internal++;
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
    g->internal--;
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

alvk_node alvk_graph_grad(alvk_graph *g, alvk_node y_id, alvk_node x_id) {
    if (!graph_node_of(g, y_id, "grad") || !graph_node_of(g, x_id, "grad")) return -1;
    int y = graph_index(g, y_id, "grad"), x = graph_index(g, x_id, "grad");
    if (x > y) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "grad: y must be a node made after x");
    alvk_node *grads = NULL;
    char *need = NULL;
    alvk_node result = -1;
    g->internal++;
    if (sweep(g, y, ones_like(g, y), (target){x, 0, 0}, &grads, &need) == ALVK_OK) {
        result = grads[x];
        if (result < 0 && batchnorm_weight(g, x, y))
            graph_fail(g, ALVK_ERROR_UNSUPPORTED, "grad: node %d is a batch-norm weight or bias, whose "
                       "gradient only alvk_graph_backward computes (into the store)", x_id);
        else if (result < 0) graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "grad: y does not depend on x");
    }
    g->internal--;
    free(grads);
    free(need);
    return result < 0 ? -1 : graph_id(g, result);
}
