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

/* Frees the device side: recordings and arena (the graph's own destroy,
 * or that of its context, store or a pool it gathers from). */
static void release(alvk_handle *h) {
    alvk_graph *g = (alvk_graph *)h;
    for (int i = 0; i < g->nrecordings; i++) {
        alvk_cmd_destroy(g->recordings[i].cmd);
        free(g->recordings[i].first_timed);
    }
    g->nrecordings = 0;
    alvk_buffer_free(g->ctx, &g->arena);
    alvk_buffer_free(g->ctx, &g->optim);
    alvk_buffer_free(g->ctx, &g->runs);
}

/* Tags of live graphs, handed out round robin so that a destroyed graph's
 * tag comes back as late as possible (its stale ids stay foreign), never
 * to two live graphs. */
static uint64_t tags_live[(GRAPH_MAX_TAG + 1) / 64];
static uint32_t tags_last;
static atomic_flag tags_lock = ATOMIC_FLAG_INIT;

static uint32_t tag_take(void) {
    uint32_t got = 0;
    handle_spin_lock(&tags_lock);
    for (uint32_t k = 1; k <= GRAPH_MAX_TAG && !got; k++) {
        uint32_t t = (tags_last + k - 1) % GRAPH_MAX_TAG + 1;
        if (!(tags_live[t / 64] >> (t % 64) & 1)) tags_live[t / 64] |= 1ull << (t % 64), got = tags_last = t;
    }
    handle_spin_unlock(&tags_lock);
    return got;
}

static void tag_give_back(uint32_t t) {
    handle_spin_lock(&tags_lock);
    tags_live[t / 64] &= ~(1ull << (t % 64));
    handle_spin_unlock(&tags_lock);
}

alvk_status alvk_graph_create(alvk_context *ctx, alvk_params *params, uint32_t max_batch,
                              alvk_graph_mode mode, alvk_graph **out) {
    if (!out) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_create: out is NULL");
    *out = NULL;
    alvk_status s = handle_check(ctx, HANDLE_CONTEXT, "alvk_graph_create");
    if (s == ALVK_OK && params) s = alvk_params_usable(params, "alvk_graph_create");
    if (s != ALVK_OK) return s;
    if (params && alvk_params_context(params) != ctx)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_create: the parameter store belongs to "
                          "another context");
    if (!max_batch) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_create: a maximum batch of 0");
    alvk_graph *g = calloc(1, sizeof *g);
    if (!g) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a graph");
    if (!(g->tag = tag_take())) {
        free(g);
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_create: %d graphs are alive, the most "
                          "there can be at once", GRAPH_MAX_TAG);
    }
    if ((s = handle_init(&g->h, HANDLE_GRAPH, release, &ctx->h)) != ALVK_OK) {
        tag_give_back(g->tag);
        free(g);
        return s;
    }
    g->ctx = ctx, g->params = params, g->max_batch = max_batch, g->mode = mode;
    g->bn_momentum = 0.1f;
    g->profile = ctx->env.profile == 1;
    if (params && (s = handle_use(&g->h, (alvk_handle *)params)) != ALVK_OK) {
        tag_give_back(g->tag);
        handle_retire(&g->h);
        return s;
    }
    *out = g;
    return ALVK_OK;
}

void alvk_graph_destroy(alvk_graph *g) {
    if (!g || !handle_alive(g, HANDLE_GRAPH, "alvk_graph_destroy")) return;
    if (!g->h.broken) {
        graph_profile_print(g);
        release(&g->h);
    }
    free(g->nodes);
    tag_give_back(g->tag);
    handle_retire(&g->h);
}

alvk_status graph_usable(const alvk_graph *g, const char *fn) { return handle_check(g, HANDLE_GRAPH, fn); }

alvk_node graph_id(const alvk_graph *g, int i) {
    return i < 0 || g->internal ? i : (alvk_node)(g->tag << GRAPH_INDEX_BITS | (uint32_t)i);
}

/* The index of x, or -1 when it is not a node of g: a plain index only
 * inside a sweep, otherwise an id with g's tag. */
static int index_of(const alvk_graph *g, alvk_node x) {
    int i = x & (GRAPH_MAX_NODES - 1);
    uint32_t tag = (uint32_t)x >> GRAPH_INDEX_BITS;
    if (x < 0 || i >= g->count || (tag != g->tag && !(tag == 0 && g->internal))) return -1;
    return i;
}

int graph_index(const alvk_graph *g, alvk_node x, const char *fn) {
    if (graph_usable(g, fn) != ALVK_OK) return -1;
    int i = index_of(g, x);
    if (i < 0)
        alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: %d is not a node of this graph (-1 from a failed "
                   "builder, or a node of another graph)", fn, x);
    return i;
}

alvk_node graph_fail(alvk_graph *g, alvk_status status, const char *fmt, ...) {
    if (handle_is(g, HANDLE_GRAPH) && g->error == ALVK_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->error_msg, sizeof g->error_msg, fmt, ap);
        va_end(ap);
        g->error = status;
    }
    return -1;
}

alvk_status graph_stick(alvk_graph *g, alvk_status s) {
    if (s != ALVK_OK && handle_is(g, HANDLE_GRAPH) && !g->compiled) graph_fail(g, s, "%s", alvk_last_error());
    return s;
}

uint64_t graph_numel(const node *n, uint32_t batch) {
    uint64_t k = n->batched ? batch : n->shape[0];
    for (uint32_t d = 1; d < n->ndims; d++) k *= n->shape[d];
    return k;
}

alvk_node graph_add(alvk_graph *g, graph_op op, const alvk_node *in, int nin,
                    const uint32_t *shape, uint32_t ndims, int batched) {
    if (graph_usable(g, graph_op_name(op)) != ALVK_OK) return -1;
    if (g->compiled) return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "the graph is compiled");
    if (g->count == GRAPH_MAX_NODES)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "a graph holds at most %d nodes", GRAPH_MAX_NODES);
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
    n->residual = n->mask = n->bias = -1;
    for (int k = 0; k < nin; k++) n->in[k] = in[k] < 0 ? in[k] : in[k] & (GRAPH_MAX_NODES - 1);
    memcpy(n->shape, dims, ndims * sizeof *dims);
    if (batched) n->shape[0] = g->max_batch;
    n->bytes = 4 * graph_numel(n, g->max_batch);
    return graph_id(g, g->count++);
}

int graph_u32_rows(const node *n) {
    return n->op == OP_LABELS || n->op == OP_GATHERED_LABELS;
}

int graph_u32(const node *n) { return graph_u32_rows(n) || n->op == OP_CORRECT; }

node *graph_node_of(alvk_graph *g, alvk_node i, const char *op) {
    if (graph_usable(g, op) != ALVK_OK) return NULL;
    int k = index_of(g, i);
    if (k < 0) {
        graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: operand %d is not a node of this graph "
                   "(an earlier call failed, or a node of another graph?)", op, i);
        return NULL;
    }
    return &g->nodes[k];
}

node *graph_arg(alvk_graph *g, alvk_node i, const char *op) {
    node *n = graph_node_of(g, i, op);
    if (n && graph_u32(n)) {
        graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "%s: node %d holds uint32 labels, indices or counts, "
                   "not floats", op, i);
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
    int i = graph_index(g, x, "alvk_graph_output");
    if (i < 0) return ALVK_ERROR_INVALID_ARGUMENT;
    if (g->compiled) /* the planner has already reused its memory */
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_output: the graph is compiled; mark "
                          "outputs before alvk_graph_compile");
    g->nodes[i].pinned = 1;
    return ALVK_OK;
}

alvk_status alvk_graph_set_bn_momentum(alvk_graph *g, float momentum) {
    alvk_status s = graph_usable(g, "alvk_graph_set_bn_momentum");
    if (s != ALVK_OK) return s;
    if (g->compiled || !(momentum >= 0 && momentum <= 1))
        return graph_stick(g, alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_set_bn_momentum: "
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
