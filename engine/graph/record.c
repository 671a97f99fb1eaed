/* The op table and what every recording shares: node buffers, dimensions
 * at the run's batch, and the dispatch of a node to its op's recording. */
#include "graph.h"

#define GRAPH_OP_ENTRY(id, name) [OP_##id] = &graph_op_##name,
static const graph_op_desc *const graph_ops[OP_COUNT] = {ALVK_GRAPH_OPS(GRAPH_OP_ENTRY)};
#undef GRAPH_OP_ENTRY

#define GRAPH_OP_NAME(id, name) [OP_##id] = #name,
static const char *const op_names[OP_COUNT] = {ALVK_GRAPH_OPS(GRAPH_OP_NAME)};
#undef GRAPH_OP_NAME

const graph_op_desc *graph_desc(graph_op op) { return graph_ops[op]; }
const char *graph_op_name(graph_op op) { return op_names[op]; }

uint32_t graph_dim(const alvk_graph *g, int i, uint32_t d, uint32_t batch) {
    const node *n = &g->nodes[i];
    return d == 0 && n->batched ? batch : n->shape[d];
}

uint32_t graph_count(const alvk_graph *g, int i, uint32_t batch) {
    return (uint32_t)graph_numel(&g->nodes[i], batch);
}

alvk_buffer graph_buffer(const alvk_graph *g, int i) {
    const node *n = &g->nodes[i];
    int view = graph_ops[n->op]->view;
    if (view == VIEW_INPUT_AUX) return graph_aux(g, n->in[0], 0);
    if (view == VIEW_INPUT) return graph_buffer(g, n->in[0]);
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

int graph_records(const node *n) {
    return !n->fused_into && !n->elided && graph_ops[n->op]->record; /* else another node computes it, or none */
}

alvk_status graph_record(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    return graph_records(&g->nodes[i]) ? graph_ops[g->nodes[i].op]->record(g, cmd, i, batch) : ALVK_OK;
}

alvk_status graph_record_reduce(alvk_graph *g, alvk_cmd *cmd, int i, const alvk_reduce *r) {
    alvk_buffer x = graph_buffer(g, g->nodes[i].in[0]), y = graph_buffer(g, i);
    return alvk_op_reduce(cmd, r, &x, &y);
}

alvk_status graph_record_expand(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch, float alpha,
                                uint32_t nb, uint32_t inner) {
    alvk_buffer b = graph_buffer(g, g->nodes[i].in[0]), y = graph_buffer(g, i);
    return alvk_op_binary(cmd, ALVK_BINARY_EXPAND, alpha, NULL, &b, &y, graph_count(g, i, batch), nb, inner);
}
