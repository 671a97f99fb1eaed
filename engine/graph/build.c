/* Building graphs: creating and destroying one, adding nodes, checking
 * operands; each op's builder (its shape rule) lives with its descriptor
 * in its family's file. Errors stick to the graph (the first one wins) and
 * surface at compile time, so a model can be written as a plain sequence
 * of calls. */
#include "graph.h"
#include "data/pool.h"
#include "vk/context.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

alvk_status alvk_graph_create(alvk_context *ctx, alvk_params *params, uint32_t max_batch,
                              alvk_graph_mode mode, alvk_graph **out) {
    if (!ctx || !out || !max_batch)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_create: no context, no out, or "
                          "a maximum batch of 0");
    alvk_graph *g = calloc(1, sizeof *g);
    if (!g) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a graph");
    g->ctx = ctx, g->params = params, g->max_batch = max_batch, g->mode = mode;
    g->bn_momentum = 0.1f;
    g->profile = ctx->env.profile == 1;
    *out = g;
    return ALVK_OK;
}

void alvk_graph_destroy(alvk_graph *g) {
    if (!g) return;
    graph_profile_print(g);
    for (int i = 0; i < g->nrecordings; i++) {
        alvk_cmd_destroy(g->recordings[i].cmd);
        free(g->recordings[i].first_timed);
    }
    alvk_buffer_free(g->ctx, &g->arena);
    free(g->nodes);
    free(g);
}

alvk_node graph_fail(alvk_graph *g, alvk_status status, const char *fmt, ...) {
    if (g && g->error == ALVK_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->error_msg, sizeof g->error_msg, fmt, ap);
        va_end(ap);
        g->error = status;
    }
    return -1;
}

alvk_status graph_stick(alvk_graph *g, alvk_status s) {
    if (s != ALVK_OK && g && !g->compiled) graph_fail(g, s, "%s", alvk_last_error());
    return s;
}

uint64_t graph_numel(const node *n, uint32_t batch) {
    uint64_t k = n->batched ? batch : n->shape[0];
    for (uint32_t d = 1; d < n->ndims; d++) k *= n->shape[d];
    return k;
}

alvk_node graph_add(alvk_graph *g, graph_op op, const alvk_node *in, int nin,
                    const uint32_t *shape, uint32_t ndims, int batched) {
    if (g->compiled) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "the graph is compiled");
    uint32_t dims[GRAPH_MAX_DIMS] = {0}; /* shape may point into the array realloc moves */
    memcpy(dims, shape, ndims * sizeof *shape);
    if (g->count == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        node *grown = realloc(g->nodes, (size_t)cap * sizeof *grown);
        if (!grown) return graph_fail(g, ALVK_ERROR_OUT_OF_HOST_MEMORY, "growing a graph");
        g->nodes = grown, g->cap = cap;
    }
    node *n = &g->nodes[g->count];
    memset(n, 0, sizeof *n);
    n->op = op, n->nin = nin, n->ndims = ndims, n->batched = batched, n->param = -1, n->grad_of = -1;
    n->residual = -1;
    memcpy(n->in, in, (size_t)nin * sizeof *in);
    memcpy(n->shape, dims, ndims * sizeof *dims);
    if (batched) n->shape[0] = g->max_batch;
    n->bytes = 4 * graph_numel(n, g->max_batch);
    return g->count++;
}

int graph_u32_rows(const node *n) {
    return n->op == OP_LABELS || n->op == OP_GATHERED_LABELS;
}

node *graph_node_of(alvk_graph *g, alvk_node i, const char *op) {
    if (!g) return NULL;
    if (i < 0 || i >= g->count) {
        graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: operand %d is not a node of this graph "
                   "(an earlier call failed?)", op, i);
        return NULL;
    }
    return &g->nodes[i];
}

node *graph_arg(alvk_graph *g, alvk_node i, const char *op) {
    node *n = graph_node_of(g, i, op);
    if (n && graph_u32_rows(n)) {
        graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: node %d holds uint32 labels or indices, not floats", op, i);
        return NULL;
    }
    return n;
}

int graph_same_shape(const node *a, const node *b) {
    if (a->ndims != b->ndims || a->batched != b->batched) return 0;
    for (uint32_t d = 0; d < a->ndims; d++)
        if (a->shape[d] != b->shape[d]) return 0;
    return 1;
}

alvk_status alvk_graph_output(alvk_graph *g, alvk_node x) {
    if (g && g->compiled) /* the planner has already reused its memory */
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_output: the graph is compiled; mark "
                          "outputs before alvk_graph_compile");
    if (!graph_node_of(g, x, "output")) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_output: no node %d", x);
    g->nodes[x].pinned = 1;
    return ALVK_OK;
}

alvk_status alvk_graph_set_bn_momentum(alvk_graph *g, float momentum) {
    if (!g || g->compiled || !(momentum >= 0 && momentum <= 1))
        return graph_stick(g, alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_set_bn_momentum: no graph, "
                                         "already compiled, or a momentum outside [0, 1]"));
    g->bn_momentum = momentum;
    return ALVK_OK;
}

/* Checks that first..first+count-1 are store tensors, at least one trainable. */
alvk_status graph_check_group(const alvk_graph *g, int first, int count, const char *what) {
    if (!g || !g->params || count < 1 || first < 0 || first + count > alvk_params_count(g->params))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: no graph, no parameter store, or "
                          "tensors %d..%d are not in the store", what, first, first + count - 1);
    for (int i = first; i < first + count; i++)
        if (alvk_params_kind(g->params, i) == ALVK_PARAM_TRAINABLE) return ALVK_OK;
    return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: tensors %d..%d hold nothing trainable",
                      what, first, first + count - 1);
}
