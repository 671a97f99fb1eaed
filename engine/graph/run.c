/* Compiling and running a graph: liveness-based memory planning into one
 * arena, then one recorded command buffer per batch size, replayed with a
 * single submission per run. */
#include "graph.h"
#include "vk/context.h"
#include "vk/transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One allocation of the plan: an output or auxiliary buffer of a node, or
 * its scratch. */
typedef struct block {
    uint64_t bytes, offset;
    int first, last;
    uint64_t *where; /* the node field the offset goes to */
    int depth, reach; /* of its first writer; of the deepest kernel touching it */
} block;

static int by_size_desc(const void *a, const void *b) {
    const block *x = a, *y = b;
    return (x->bytes < y->bytes) - (x->bytes > y->bytes);
}

/* The node whose memory a view node lives in, or -1. */
static int owner(const node *n) {
    if (graph_desc(n->op)->view) return n->in[0];
    return n->fused_into ? n->fused_into : -1;
}

/* The node that owns x's memory: x, or what x is a view of or fused into. */
static int memory_of(const alvk_graph *g, int x) {
    for (int o; (o = owner(&g->nodes[x])) >= 0;) x = o;
    return x;
}

/* The nodes a node's kernel reads: its inputs and its epilogue's operands
 * (the fusion passes rewrite these to what the kernel really reads). */
static int operands(const node *x, int out[GRAPH_MAX_IN + 3]) {
    int m = 0, extra[3] = {x->residual, x->mask, x->bias};
    for (int k = 0; k < x->nin; k++)
        if (x->in[k] >= 0) out[m++] = x->in[k];
    for (int k = 0; k < 3; k++)
        if (extra[k] >= 0) out[m++] = extra[k];
    return m;
}

/* Live ranges: a node lives from its creation (or the start, for inputs
 * the host writes before the run, and for a constant: its fill then waits
 * on nothing) to its last reader (or the end, for outputs read after it). */
static void live_ranges(alvk_graph *g) {
    for (int i = 0; i < g->count; i++) g->nodes[i].first = g->nodes[i].last = i;
    for (int i = 0; i < g->count; i++)
        for (int k = 0; k < g->nodes[i].nin; k++) {
            int in = g->nodes[i].in[k];
            if (in >= 0 && g->nodes[in].last < i) g->nodes[in].last = i;
        }
    for (int i = 0; i < g->count; i++) {
        node *n = &g->nodes[i];
        if (n->op == OP_INPUT || n->op == OP_LABELS || n->op == OP_ONE) n->first = 0;
        if (n->pinned) n->last = g->count;
        /* Written by an earlier node's kernel (fuse.c): live from there. */
        if (n->ce_grad) g->nodes[n->ce_grad].first = i;
        if (n->dx_sums) g->nodes[n->dx_sums].first = i;
    }
    /* A view lives in its owner's memory: the owner lives as long. */
    for (int i = g->count - 1; i >= 0; i--) {
        node *n = &g->nodes[i];
        int o = owner(n);
        if (o >= 0 && g->nodes[o].last < n->last) g->nodes[o].last = n->last;
    }
}

/* depth[i]: how many recording nodes lie on the longest chain of operands
 * that ends at node i (i included). A node depends on everything its
 * operands depend on, so it is deeper than all of them; nodes of one depth
 * are independent. */
static void depths(const alvk_graph *g, int *depth) {
    for (int i = 0; i < g->count; i++) {
        int from[GRAPH_MAX_IN + 3], m = operands(&g->nodes[i], from), d = 0;
        for (int k = 0; k < m; k++)
            if (from[k] < i && depth[from[k]] > d) d = depth[from[k]];
        depth[i] = d + graph_records(&g->nodes[i]);
    }
}

/* reach[o], for each node o that owns memory: the depth of the deepest
 * recording node whose kernel touches it (o, or a reader). */
static void reaches(const alvk_graph *g, const int *depth, int *reach) {
    for (int i = 0; i < g->count; i++) reach[i] = depth[i];
    for (int i = 0; i < g->count; i++) {
        if (!graph_records(&g->nodes[i])) continue;
        int from[GRAPH_MAX_IN + 3], m = operands(&g->nodes[i], from);
        for (int k = 0; k < m; k++) {
            int o = memory_of(g, from[k]);
            if (reach[o] < depth[i]) reach[o] = depth[i];
        }
    }
}

/* Whether blocks a and b may share memory: their lives do not meet, and
 * the later one's writer is deeper than every kernel that touches the
 * earlier one, so it runs after them anyway and reusing the memory adds no
 * barrier. A write after a read between nodes of one depth would add one
 * (a convolution's two gradients, a block's two branches, the adversarial
 * step's labeled and unlabeled passes). */
static int may_share(const block *a, const block *b) {
    if (a->first > b->first) {
        const block *t = a;
        a = b, b = t;
    }
    return a->last < b->first && a->reach < b->depth;
}

/* Greedy placement, largest first, at the lowest offset that overlaps no
 * placed block it may not share memory with. Returns the arena size. */
static uint64_t place(block *blocks, int n, uint64_t align) {
    qsort(blocks, (size_t)n, sizeof *blocks, by_size_desc);
    uint64_t peak = 0;
    for (int i = 0; i < n; i++) {
        uint64_t at = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (int j = 0; j < i; j++) {
                const block *o = &blocks[j];
                if (may_share(o, &blocks[i])) continue;
                if (at < o->offset + o->bytes && o->offset < at + blocks[i].bytes) {
                    at = (o->offset + o->bytes + align - 1) / align * align;
                    moved = 1;
                }
            }
        }
        blocks[i].offset = at;
        *blocks[i].where = at;
        if (at + blocks[i].bytes > peak) peak = at + blocks[i].bytes;
    }
    return peak;
}

/* How far ahead of its node, in depth, a node's weights scratch may be
 * written: its kernels read parameters alone, so they need not wait for the
 * activations' chain. Ahead by 0, an evaluation graph's batch-norm folds
 * and weight transforms wait for the convolution before to finish with the
 * memory they reuse (72 barriers at batch 1024); by 2 they run during it
 * (53, what the data allows, for a little more memory: each convolution's
 * weights, not its activations' scratch, live during the two before). */
#define WEIGHTS_AHEAD 2

static alvk_status plan(alvk_graph *g) {
    live_ranges(g);
    block *blocks = calloc(5 * (size_t)(unsigned)g->count + 1, sizeof *blocks);
    int *depth = calloc(2 * (size_t)(unsigned)g->count, sizeof *depth), *reach = depth + g->count;
    if (!blocks || !depth) {
        free(blocks), free(depth);
        return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "planning a graph");
    }
    depths(g, depth);
    reaches(g, depth, reach);
    uint64_t align = g->ctx->memory.alignment, limit = g->ctx->limits.maxStorageBufferRange;
    int n = 0;
    for (int i = 0; i < g->count; i++) {
        node *nd = &g->nodes[i];
        int in_store = nd->op == OP_PARAM || nd->op == OP_TO_GRAD || nd->grad_of >= 0; /* output, aux */
        uint64_t *where[5] = {&nd->offset, &nd->aux_offset[0], &nd->aux_offset[1], &nd->scratch_offset[0],
                              &nd->scratch_offset[1]};
        uint64_t sizes[5] = {nd->bytes, nd->aux_bytes[0], nd->aux_bytes[1], nd->scratch_bytes[0],
                             nd->scratch_bytes[1]};
        for (int k = in_store ? 3 : 0; k < 5; k++) {
            if (!sizes[k]) continue;
            if (sizes[k] > limit) {
                free(blocks), free(depth);
                return alvk_error(ALVK_ERROR_UNSUPPORTED, "graph node %d needs %llu bytes, more than "
                                  "one binding can reach (%llu); use a smaller batch", i,
                                  (unsigned long long)sizes[k], (unsigned long long)limit);
            }
            /* Scratch lives while its node records; only its kernels touch it.
             * The weights' writer counts as WEIGHTS_AHEAD shallower. A loss
             * that writes its gradient too (ce_grad) still sums its scratch
             * while the gradient's readers run: one deeper. */
            int scratch = k >= 3, writer = k == 4 ? depth[i] - WEIGHTS_AHEAD : depth[i];
            int touched = scratch ? depth[i] + (nd->ce_grad != 0) : reach[i];
            blocks[n++] = (block){(sizes[k] + align - 1) / align * align, 0, scratch ? i : nd->first,
                                  scratch ? i : nd->last, where[k], writer, touched};
        }
    }
    g->arena_bytes = place(blocks, n, align);
    free(blocks), free(depth);
    if (!g->arena_bytes) g->arena_bytes = align;
    return alvk_buffer_alloc(g->ctx, g->arena_bytes, &g->arena);
}

/* Records every node once at the maximum batch without making anything
 * (alvk_cmd_set_measuring), to learn the scratch each asks for: what the
 * plan then reserves. A smaller batch asks for no more, except where an op
 * picks another form (a split GEMM); the recording's own buffers take that. */
static alvk_status measure_scratch(alvk_graph *g) {
    alvk_cmd *cmd;
    alvk_status s = alvk_cmd_create(g->ctx, 0, &cmd);
    if (s != ALVK_OK) return s;
    alvk_cmd_set_measuring(cmd, 1);
    s = alvk_cmd_begin(cmd);
    for (int i = 0; i < g->count && s == ALVK_OK; i++) {
        s = graph_record(g, cmd, i, g->max_batch);
        for (int k = 0; k < 2; k++) g->nodes[i].scratch_bytes[k] = alvk_cmd_scratch_taken(cmd, k);
        alvk_cmd_scratch_reuse(cmd);
    }
    if (s == ALVK_OK) s = alvk_cmd_end(cmd);
    alvk_cmd_destroy(cmd);
    return s;
}

alvk_status alvk_graph_compile(alvk_graph *g) {
    alvk_status s = graph_usable(g, "alvk_graph_compile");
    if (s != ALVK_OK) return s;
    if (g->error) return alvk_error(g->error, "%s", g->error_msg);
    if (g->compiled) return ALVK_OK;
    if (!g->count) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_compile: empty graph");
    if (g->params && !alvk_params_committed(g->params))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_compile: the parameter store is not "
                          "committed (alvk_params_commit)");
    graph_fuse(g);
    s = measure_scratch(g);
    if (s == ALVK_OK) s = plan(g);
    if (s != ALVK_OK) return s;
    g->compiled = 1; /* recording waits for the first run of each batch size */
    alvk_log(&g->ctx->log, ALVK_LOG_DEBUG, "graph: %d nodes, %.1f MiB planned", g->count,
             (double)g->arena_bytes / (1 << 20));
    return ALVK_OK;
}

uint64_t alvk_graph_peak_bytes(const alvk_graph *g) {
    return graph_usable(g, "alvk_graph_peak_bytes") == ALVK_OK ? g->arena_bytes : 0;
}

alvk_status alvk_graph_stats_get(const alvk_graph *g, alvk_graph_stats *out) {
    alvk_status s = graph_usable(g, "alvk_graph_stats_get");
    if (s != ALVK_OK) return s;
    if (!out) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_stats_get: out is NULL");
    *out = (alvk_graph_stats){.nodes = (uint32_t)g->count, .arena_bytes = g->arena_bytes};
    for (int i = 0; g->compiled && i < g->count; i++) out->kernels += (uint32_t)graph_records(&g->nodes[i]);
    for (int i = 0; i < g->nrecordings; i++) {
        const recording *r = &g->recordings[i];
        out->scratch_bytes += alvk_cmd_scratch_bytes(r->cmd);
        if (r->batch == g->last_batch)
            out->commands = alvk_cmd_commands(r->cmd), out->barriers = alvk_cmd_barriers(r->cmd);
    }
    return ALVK_OK;
}

/* Node x of a compiled graph as fn's operand, or -1 with an error. */
static int compiled_node(const alvk_graph *g, alvk_node x, const char *fn) {
    int i = graph_index(g, x, fn);
    if (i >= 0 && !g->compiled) {
        alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: the graph is not compiled", fn);
        return -1;
    }
    return i;
}

/* Whether `bytes` at data hold `need` bytes of node x. */
static alvk_status check_room(const void *data, size_t bytes, uint64_t need, alvk_node x, const char *fn) {
    char of[32];
    snprintf(of, sizeof of, "node %d", x);
    return alvk_check_room(fn, data, bytes, need, of);
}

alvk_status alvk_graph_set(alvk_graph *g, alvk_node x, const void *data, size_t bytes, uint32_t batch) {
    int i = compiled_node(g, x, "alvk_graph_set");
    if (i < 0) return ALVK_ERROR_INVALID_ARGUMENT;
    const node *n = &g->nodes[i];
    if ((n->op != OP_INPUT && n->op != OP_LABELS) || !batch || batch > g->max_batch)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_set: node %d is not an input, or "
                          "batch %u is not in 1..%u", x, batch, g->max_batch);
    alvk_status s = check_room(data, bytes, 4 * graph_numel(n, batch), x, "alvk_graph_set");
    if (s != ALVK_OK) return s;
    const uint32_t *values = data;
    for (uint32_t i = 0; n->op == OP_LABELS && n->limit && i < batch; i++)
        if (values[i] >= n->limit)
            return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_set: row %u of node %d is %u; its "
                              "uses take values below %u (a class, or an index into the pool)", i, x,
                              values[i], n->limit);
    alvk_buffer b = graph_buffer(g, i);
    return alvk_buffer_write(g->ctx, &b, 0, data, 4 * graph_numel(n, batch));
}

static alvk_status recording_for(alvk_graph *g, uint32_t batch, alvk_cmd **out) {
    for (int i = 0; i < g->nrecordings; i++)
        if (g->recordings[i].batch == batch) return *out = g->recordings[i].cmd, ALVK_OK;
    /* Keep the full batch and the most recent others: the oldest other goes. */
    if (g->nrecordings == GRAPH_MAX_RECORDINGS) {
        int old = g->recordings[0].batch == g->max_batch;
        alvk_cmd_destroy(g->recordings[old].cmd);
        free(g->recordings[old].first_timed);
        memmove(&g->recordings[old], &g->recordings[old + 1],
                (size_t)(GRAPH_MAX_RECORDINGS - old - 1) * sizeof *g->recordings);
        g->nrecordings--;
    }
    alvk_cmd *cmd;
    uint32_t *first = g->profile ? calloc((size_t)g->count + 1, sizeof *first) : NULL;
    /* Timing: up to 8 timed commands per node (a convolution takes 4). */
    alvk_status s = alvk_cmd_create(g->ctx, g->profile ? 8u * (uint32_t)g->count : 0, &cmd);
    if (s == ALVK_OK) s = alvk_cmd_begin(cmd);
    for (int i = 0; i < g->count && s == ALVK_OK; i++) {
        if (first) first[i] = alvk_cmd_timed_recorded(cmd);
        const node *n = &g->nodes[i];
        for (int k = 0; k < 2; k++)
            if (n->scratch_bytes[k]) {
                alvk_buffer region = alvk_buffer_view(&g->arena, n->scratch_offset[k], n->scratch_bytes[k]);
                alvk_cmd_scratch_region(cmd, k, &region);
            }
        s = graph_record(g, cmd, i, batch);
        alvk_cmd_scratch_reuse(cmd); /* an op's scratch is its own */
    }
    if (first) first[g->count] = alvk_cmd_timed_recorded(cmd);
    if (s == ALVK_OK) s = alvk_cmd_end(cmd);
    if (s != ALVK_OK) {
        alvk_cmd_destroy(cmd);
        free(first);
        return s;
    }
    g->recordings[g->nrecordings++] = (recording){batch, cmd, first, 0};
    alvk_log(&g->ctx->log, ALVK_LOG_DEBUG, "graph: batch %u recorded: %u commands, %u barriers, %.1f MiB "
             "of scratch", batch, alvk_cmd_commands(cmd), alvk_cmd_barriers(cmd),
             (double)alvk_cmd_scratch_bytes(cmd) / (1 << 20));
    *out = cmd;
    return ALVK_OK;
}

alvk_status alvk_graph_run(alvk_graph *g, uint32_t batch) {
    alvk_status s = graph_usable(g, "alvk_graph_run");
    if (s != ALVK_OK) return s;
    if (!g->compiled || !batch || batch > g->max_batch)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_run: not compiled, or batch %u "
                          "is not in 1..%u", batch, g ? g->max_batch : 0);
    alvk_cmd *cmd;
    s = recording_for(g, batch, &cmd);
    if (s == ALVK_OK) s = alvk_cmd_run(cmd);
    if (s == ALVK_OK) g->last_batch = batch;
    for (int i = 0; s == ALVK_OK && g->profile && i < g->nrecordings; i++)
        if (g->recordings[i].cmd == cmd) graph_profile_add(g, &g->recordings[i]);
    return s;
}

/* Whether node x's memory still holds its values after a run: outputs,
 * store tensors and their gradients, gathered labels (the gather keeps
 * them), and views (a reshape) of any of these. */
static int readable(const alvk_graph *g, alvk_node x) {
    const node *n = &g->nodes[x];
    if (n->op == OP_RESHAPE && !n->pinned) return readable(g, n->in[0]);
    return n->pinned || n->op == OP_PARAM || n->op == OP_TO_GRAD || n->grad_of >= 0 || n->op == OP_GATHERED_LABELS;
}

alvk_status alvk_graph_read(alvk_graph *g, alvk_node x, void *data, size_t bytes) {
    int i = compiled_node(g, x, "alvk_graph_read");
    if (i < 0) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!g->last_batch) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_read: nothing has run");
    const node *n = &g->nodes[i];
    if (!readable(g, i))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_read: node %d was not marked with "
                          "alvk_graph_output before compiling; its memory is reused", x);
    alvk_status s = check_room(data, bytes, 4 * graph_numel(n, g->last_batch), x, "alvk_graph_read");
    if (s != ALVK_OK) return s;
    alvk_buffer b = graph_buffer(g, i);
    return alvk_buffer_read(g->ctx, &b, 0, data, 4 * graph_numel(n, g->last_batch));
}

alvk_status alvk_graph_node_info(const alvk_graph *g, alvk_node x, alvk_node_info *out) {
    int i = graph_index(g, x, "alvk_graph_node_info");
    if (i < 0) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!out) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_graph_node_info: out is NULL");
    const node *n = &g->nodes[i];
    *out = (alvk_node_info){.dtype = graph_u32(n) ? ALVK_UINT32 : ALVK_FLOAT32, .ndims = n->ndims,
                            .batched = n->batched, .bytes = 4 * graph_numel(n, g->max_batch),
                            .settable = n->op == OP_INPUT || n->op == OP_LABELS, .readable = readable(g, i)};
    memcpy(out->shape, n->shape, sizeof out->shape);
    return ALVK_OK;
}


/* A recording's first run is left out: lavapipe finishes shader variants
 * as they are first dispatched (a training step's first run took 2.0-4.6 s
 * more than the next ones, 0.43 s each), which is not what the table is for. */
void graph_profile_add(alvk_graph *g, recording *r) {
    if (!r->first_timed || r->runs++ == 0) return;
    for (int i = 0; i < g->count; i++) {
        double ms = 0;
        for (uint32_t k = r->first_timed[i]; k < r->first_timed[i + 1]; k++)
            ms += alvk_cmd_dispatch_ms(r->cmd, k);
        g->profile_ms[g->nodes[i].op] += ms;
        g->profile_calls[g->nodes[i].op]++;
    }
    g->profile_runs++;
}

/* The per-op table, slowest first, on stderr: ALVK_PROFILE=1 asked for it. */
void graph_profile_print(const alvk_graph *g) {
    if (!g->profile) return;
    if (!g->profile_runs) {
        fprintf(stderr, "alvk profile: no run after a recording's first (left out), "
                        "nothing timed\n");
        return;
    }
    double total = 0;
    int order[OP_COUNT], n = 0;
    for (int op = 0; op < OP_COUNT; op++)
        if (g->profile_calls[op]) order[n++] = op, total += g->profile_ms[op];
    for (int i = 1; i < n; i++) /* insertion sort by time, descending */
        for (int j = i; j > 0 && g->profile_ms[order[j]] > g->profile_ms[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    fprintf(stderr, "alvk profile: %u runs (each recording's first left out), %.2f ms of GPU "
            "time per run\n", g->profile_runs, total / g->profile_runs);
    fprintf(stderr, "  %-18s %10s %12s %7s\n", "op", "nodes", "ms per run", "share");
    for (int i = 0; i < n; i++) {
        int op = order[i];
        fprintf(stderr, "  %-18s %10.0f %12.3f %6.1f%%\n", graph_op_name(op),
                (double)g->profile_calls[op] / g->profile_runs, g->profile_ms[op] / g->profile_runs,
                total > 0 ? 100 * g->profile_ms[op] / total : 0);
    }
}
