/* Graph ops that hold or move data rather than compute: the leaves (an
 * input, labels or indices the host sets, a store tensor), a tensor of
 * ones, a copy into the store's gradient, gathering a batch from a device
 * pool, reshapes (views), and concatenation along channels with the
 * windows of channels its gradient takes. The optimisers are in
 * ops_optim.c. */
#include "graph.h"
#include "data/pool.h"

#include <stdio.h>
#include <string.h>

/* ---- leaves ------------------------------------------------------------- */

alvk_node alvk_graph_input(alvk_graph *g, const uint32_t *shape, uint32_t ndims) {
    if (graph_usable(g, "alvk_graph_input") != ALVK_OK) return -1;
    if (!shape || ndims > GRAPH_MAX_DIMS - 1)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "input: at most %d dimensions besides "
                          "the batch", GRAPH_MAX_DIMS - 1);
    uint32_t full[GRAPH_MAX_DIMS] = {0};
    for (uint32_t d = 0; d < ndims; d++) {
        if (!shape[d]) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "input: a dimension is 0");
        full[d + 1] = shape[d];
    }
    alvk_node x = graph_add(g, OP_INPUT, NULL, 0, full, ndims + 1, 1);
    if (x >= 0) graph_at(g, x)->pinned = 1;
    return x;
}
const graph_op_desc graph_op_input = {.leaf = 1};

alvk_node alvk_graph_labels(alvk_graph *g) {
    alvk_node x = graph_add(g, OP_LABELS, NULL, 0, (uint32_t[]){0}, 1, 1);
    if (x >= 0) graph_at(g, x)->pinned = 1;
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
    const alvk_pool *pool = graph_at(g, Y->in[0])->pool;
    if (pool->classes <= C) return 1;
    graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: the pool's labels go up to %u, but the logits have %u "
               "classes", op, pool->classes - 1, C);
    return 0;
}

alvk_node alvk_graph_param(alvk_graph *g, const char *name) {
    if (graph_usable(g, "alvk_graph_param") != ALVK_OK) return -1;
    int i = alvk_params_find(g->params, name);
    if (i < 0)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "no parameter \"%s\" in the store",
                          name ? name : "(null)");
    for (int k = 0; k < g->count; k++) /* one node per store tensor */
        if (g->nodes[k].op == OP_PARAM && g->nodes[k].param == i) return graph_id(g, k);
    uint32_t shape[ALVK_MAX_DIMS], nd = alvk_params_shape(g->params, i, shape);
    alvk_node x = graph_add(g, OP_PARAM, NULL, 0, shape, nd, 0);
    if (x >= 0) graph_at(g, x)->param = i;
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

/* ---- batches from a device pool -------------------------------------------- */

alvk_node alvk_graph_gather(alvk_graph *g, alvk_pool *pool, alvk_node indices) {
    node *I = graph_node_of(g, indices, "gather");
    if (!I) return -1;
    if (I->op != OP_LABELS)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "gather: indices not from alvk_graph_indices");
    alvk_status s = handle_check(pool, HANDLE_POOL, "alvk_graph_gather");
    if (s == ALVK_OK && pool->ctx != g->ctx)
        s = alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_gather: the pool belongs to another context");
    if (s != ALVK_OK) return graph_fail(g, s, "%s", alvk_last_error());
    limit_values(I, pool->count); /* an index past the pool would read past its buffers */
    alvk_node x = graph_add(g, OP_GATHER, &indices, 1, (uint32_t[]){0, 1, pool->rows, pool->cols}, 4, 1);
    if (x < 0) return -1;
    graph_at(g, x)->pool = pool;
    graph_at(g, x)->aux_bytes[0] = 4ull * g->max_batch; /* the labels */
    s = handle_use(&g->h, (alvk_handle *)pool); /* a destroyed pool orphans the graph */
    return s == ALVK_OK ? x : graph_fail(g, s, "%s", alvk_last_error());
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
    if (y >= 0) graph_at(g, y)->bytes = 0; /* a view of the gather's labels */
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
    if (y >= 0) graph_at(g, y)->bytes = 0; /* a view of x */
    return y;
}

alvk_node alvk_graph_reshape(alvk_graph *g, alvk_node x, const uint32_t *shape, uint32_t ndims) {
    if (!shape || ndims > GRAPH_MAX_DIMS - 1)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "reshape: bad shape");
    uint32_t full[GRAPH_MAX_DIMS] = {0};
    memcpy(full + 1, shape, ndims * sizeof *shape);
    return graph_reshape(g, x, full, ndims + 1, 1);
}

static alvk_status vjp_reshape(graph_walk *w, int i, alvk_node gy) {
    alvk_node a = w->g->nodes[i].in[0];
    node A = *graph_at(w->g, a);
    if (graph_needs(w, a)) graph_accumulate(w, a, graph_reshape(w->g, gy, A.shape, A.ndims, A.batched));
    return ALVK_OK;
}
const graph_op_desc graph_op_reshape = {.vjp = vjp_reshape, .view = VIEW_INPUT};

/* ---- concatenation along channels, and windows of channels ---------------------
 * Both copy whole rows of [N, C, ...] tensors side by side (copy.c): one
 * dispatch each. The VJP of concat is two windows of the gradient; that of
 * a window is the opposite window (the values put back among zeros), so
 * both differentiate to any order. */

/* Floats per channel of n: the dimensions after the channels. */
static uint32_t per_channel(const node *n) {
    uint32_t inner = 1;
    for (uint32_t d = 2; d < n->ndims; d++) inner *= n->shape[d];
    return inner;
}

static void shape_text(const node *n, char *text, size_t size) {
    int at = snprintf(text, size, "[%s", n->batched ? "B" : "");
    for (uint32_t d = n->batched ? 1 : 0; d < n->ndims && at > 0 && (size_t)at < size; d++)
        at += snprintf(text + at, size - (size_t)at, "%s%u", d ? "," : "", n->shape[d]);
    if (at > 0 && (size_t)at < size) snprintf(text + at, size - (size_t)at, "]");
}

alvk_node alvk_graph_concat(alvk_graph *g, alvk_node a, alvk_node b) {
    node *A = graph_arg(g, a, "concat"), *B = graph_arg(g, b, "concat");
    if (!A || !B) return -1;
    int same = A->ndims == B->ndims && A->batched == B->batched && A->ndims >= 2;
    for (uint32_t d = 0; same && d < A->ndims; d++) same = d == 1 || A->shape[d] == B->shape[d];
    if (!same) {
        char sa[64], sb[64];
        shape_text(A, sa, sizeof sa), shape_text(B, sb, sizeof sb);
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "concat: a %s and b %s must have 2 to 4 dimensions "
                          "and differ in dimension 1 (channels) alone", sa, sb);
    }
    uint32_t shape[GRAPH_MAX_DIMS];
    memcpy(shape, A->shape, sizeof shape);
    shape[1] = A->shape[1] + B->shape[1];
    return graph_add(g, OP_CONCAT, (alvk_node[]){a, b}, 2, shape, A->ndims, A->batched);
}

static alvk_status record_concat(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer a = graph_buffer(g, n->in[0]), b = graph_buffer(g, n->in[1]), y = graph_buffer(g, i);
    return alvk_op_concat(cmd, graph_dim(g, i, 0, batch), graph_at(g, n->in[0])->shape[1],
                          graph_at(g, n->in[1])->shape[1], per_channel(n), &a, &b, &y);
}

/* Channels first..first+count-1 of x (zero where x has none) as a node. */
static alvk_node graph_channels(alvk_graph *g, alvk_node x, int32_t first, uint32_t count) {
    node *X = graph_arg(g, x, "channels");
    if (!X) return -1;
    uint32_t shape[GRAPH_MAX_DIMS];
    memcpy(shape, X->shape, sizeof shape);
    shape[1] = count;
    alvk_node y = graph_add(g, OP_CHANNELS, &x, 1, shape, X->ndims, X->batched);
    if (y >= 0) graph_at(g, y)->attr[0] = (uint32_t)first;
    return y;
}

static alvk_status vjp_concat(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i];
    uint32_t Ca = graph_at(w->g, n.in[0])->shape[1], Cb = graph_at(w->g, n.in[1])->shape[1];
    if (graph_needs(w, n.in[0])) graph_accumulate(w, n.in[0], graph_channels(w->g, gy, 0, Ca));
    if (graph_needs(w, n.in[1])) graph_accumulate(w, n.in[1], graph_channels(w->g, gy, (int32_t)Ca, Cb));
    return ALVK_OK;
}
const graph_op_desc graph_op_concat = {.record = record_concat, .vjp = vjp_concat};

/* attr[0]: the first channel, an int32 (negative: x placed after zeros). */
static alvk_status record_channels(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer x = graph_buffer(g, n->in[0]), y = graph_buffer(g, i);
    return alvk_op_channels(cmd, graph_dim(g, i, 0, batch), graph_at(g, n->in[0])->shape[1], n->shape[1],
                            (int32_t)n->attr[0], per_channel(n), &x, &y);
}

static alvk_status vjp_channels(graph_walk *w, int i, alvk_node gy) {
    node n = w->g->nodes[i];
    alvk_node a = n.in[0];
    if (graph_needs(w, a))
        graph_accumulate(w, a, graph_channels(w->g, gy, -(int32_t)n.attr[0], graph_at(w->g, a)->shape[1]));
    return ALVK_OK;
}
const graph_op_desc graph_op_channels = {.record = record_channels, .vjp = vjp_channels};
