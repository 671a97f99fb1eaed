/* Graph ops that hold or move data rather than compute: the leaves (an
 * input, labels or indices the host sets, a store tensor), a tensor of
 * ones, a copy into the store's gradient, Adam over a parameter group,
 * gathering a batch from a device pool, and reshapes (views). */
#include "graph.h"
#include "data/pool.h"

#include <stdio.h>
#include <string.h>

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
const graph_op_desc graph_op_input = {.leaf = 1};

alvk_node alvk_graph_labels(alvk_graph *g) {
    if (!g) return -1;
    alvk_node x = graph_add(g, OP_LABELS, NULL, 0, (uint32_t[]){0}, 1, 1);
    if (x >= 0) g->nodes[x].pinned = 1;
    return x;
}
alvk_node alvk_graph_indices(alvk_graph *g) { return alvk_graph_labels(g); }
const graph_op_desc graph_op_labels = {.leaf = 1};

/* Values the host sets into a LABELS node must stay below `limit`. */
static void limit_values(node *n, uint32_t limit) {
    if (!n->limit || limit < n->limit) n->limit = limit;
}

int graph_labels_fit(alvk_graph *g, node *Y, uint32_t C, const char *op) {
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
const graph_op_desc graph_op_param = {.leaf = 1};

/* ---- ones and store gradients (autodiff's) -------------------------------- */

static alvk_status record_one(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    alvk_buffer y = graph_buffer(g, i);
    alvk_cmd_fill(cmd, &y, 4ull * graph_count(g, i, batch), 0x3f800000u); /* 1.0f */
    return ALVK_OK;
}
const graph_op_desc graph_op_one = {.record = record_one, .leaf = 1};

/* A gradient that could not be written in place, copied into the store. */
static alvk_status record_to_grad(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    alvk_buffer x = graph_buffer(g, g->nodes[i].in[0]), y = graph_buffer(g, i);
    return alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &x, &y, graph_count(g, i, batch));
}
const graph_op_desc graph_op_to_grad = {.record = record_to_grad};

/* ---- Adam ------------------------------------------------------------------ */

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

/* The graph's last Adam advances the shared step counter. */
static alvk_status record_adam(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer values, grads, m, v, steps = alvk_params_steps(g->params);
    uint32_t total;
    alvk_params_trainable_range(g->params, n->param, n->nparams, &values, &grads, &m, &v, &total);
    alvk_adam h = {n->hyper[0], n->hyper[1], n->hyper[2], n->hyper[3]};
    int last = 1;
    for (int j = i + 1; j < g->count; j++) last &= g->nodes[j].op != OP_ADAM;
    (void)batch;
    return alvk_op_adam(cmd, total, &values, &grads, &m, &v, &h, &steps, last);
}
const graph_op_desc graph_op_adam = {.record = record_adam};

/* ---- batches from a device pool -------------------------------------------- */

alvk_node alvk_graph_gather(alvk_graph *g, alvk_pool *pool, alvk_node indices) {
    node *I = graph_node_of(g, indices, "gather");
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

static alvk_status record_gather(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer idx = graph_buffer(g, n->in[0]), y = graph_buffer(g, i), labels = graph_aux(g, i, 0);
    return alvk_op_gather(cmd, &n->pool->images, n->pool->rows * n->pool->cols, &n->pool->labels,
                          &idx, batch, &y, &labels);
}
const graph_op_desc graph_op_gather = {.record = record_gather};

alvk_node alvk_graph_gathered_labels(alvk_graph *g, alvk_node gather) {
    node *G = graph_arg(g, gather, "gathered_labels");
    if (!G) return -1;
    if (G->op != OP_GATHER) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "gathered_labels: not a gather node");
    alvk_node y = graph_add(g, OP_GATHERED_LABELS, &gather, 1, (uint32_t[]){0}, 1, 1);
    if (y >= 0) g->nodes[y].bytes = 0; /* a view of the gather's labels */
    return y;
}
const graph_op_desc graph_op_gathered_labels = {.view = VIEW_INPUT_AUX};

/* ---- reshapes: views ----------------------------------------------------------- */

alvk_node graph_reshape(alvk_graph *g, alvk_node x, const uint32_t *shape, uint32_t ndims, int batched) {
    node *X = graph_arg(g, x, "reshape");
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

static alvk_status vjp_reshape(graph_walk *w, int i, alvk_node gy) {
    alvk_node a = w->g->nodes[i].in[0];
    node A = w->g->nodes[a];
    if (graph_needs(w, a)) graph_accumulate(w, a, graph_reshape(w->g, gy, A.shape, A.ndims, A.batched));
    return ALVK_OK;
}
const graph_op_desc graph_op_reshape = {.vjp = vjp_reshape, .view = VIEW_INPUT};
