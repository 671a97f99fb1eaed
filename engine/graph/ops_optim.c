/* A graph's optimiser steps: Adam (AdamW) and SGD over a parameter group,
 * after the gradients. Their hyperparameters live in a small buffer of the
 * graph's, one slot per step, outside the recordings: the host rewrites a
 * slot between runs (a learning-rate schedule) and the next run's kernel
 * reads it, so nothing is recompiled or re-recorded. */
#include "graph.h"
#include "vk/transfer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_step(const node *n) { return n->op == OP_ADAM || n->op == OP_SGD; }

/* torch.optim's ranges (and finite numbers); `what` names the public call. */
static alvk_status check_hyper(const alvk_optimizer *o, const char *what) {
    if (o->kind == ALVK_OPTIMIZER_ADAM) {
        if (!(o->lr >= 0 && isfinite(o->lr)) || !(o->eps >= 0 && isfinite(o->eps)) ||
            !(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) ||
            !(o->weight_decay >= 0 && isfinite(o->weight_decay)))
            return alvk_error(
                ALVK_ERROR_INVALID_ARGUMENT,
                "%s: bad hyperparameters lr=%g beta1=%g beta2=%g "
                "eps=%g weight_decay=%g (need lr, eps, weight_decay >= 0, betas in [0, 1))",
                what, o->lr, o->beta1, o->beta2, o->eps, o->weight_decay);
        return ALVK_OK;
    }
    if (o->kind != ALVK_OPTIMIZER_SGD)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: unknown optimiser kind %d", what,
                          (int)o->kind);
    if (!(o->lr >= 0 && isfinite(o->lr)) || !(o->momentum >= 0 && isfinite(o->momentum)) ||
        !isfinite(o->dampening) || !(o->weight_decay >= 0 && isfinite(o->weight_decay)))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "%s: bad hyperparameters lr=%g momentum=%g dampening=%g "
                          "weight_decay=%g (need lr, momentum, weight_decay >= 0)",
                          what, o->lr, o->momentum, o->dampening, o->weight_decay);
    if (o->nesterov && (o->momentum <= 0 || o->dampening != 0))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "%s: Nesterov momentum needs a momentum > 0 and "
                          "dampening 0 (momentum=%g dampening=%g)",
                          what, o->momentum, o->dampening);
    return ALVK_OK;
}

/* A step's slot as the kernels read it. */
static void slot_of(const alvk_optimizer *o, uint8_t out[ALVK_OPTIM_SLOT_BYTES]) {
    alvk_adam_hyper a;
    alvk_sgd_hyper s;
    if (o->kind == ALVK_OPTIMIZER_ADAM) {
        alvk_adam_hyper_set(&a, o->lr, o->beta1, o->beta2, o->eps, o->weight_decay);
        memcpy(out, &a, sizeof a);
    } else {
        alvk_sgd_hyper_set(&s, o->lr, o->momentum, o->dampening, o->weight_decay, o->nesterov);
        memcpy(out, &s, sizeof s);
    }
}

_Static_assert(sizeof(alvk_adam_hyper) == ALVK_OPTIM_SLOT_BYTES &&
                   sizeof(alvk_sgd_hyper) == ALVK_OPTIM_SLOT_BYTES,
               "a slot is the shaders' AdamHyper and SgdHyper: 8 words");

/* The buffer of slots, made when a step first records (compile's
 * measuring pass), when the graph's steps are all known; every slot is
 * written then, and rewritten by the setters after. */
static alvk_status hyper_buffer(alvk_graph *g, alvk_buffer *out) {
    if (!g->optim.block) {
        uint32_t n = 0;
        for (int k = 0; k < g->count; k++)
            n += (uint32_t)is_step(&g->nodes[k]);
        uint8_t(*slots)[ALVK_OPTIM_SLOT_BYTES] = calloc(n, sizeof *slots);
        if (!slots) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating optimiser slots");
        for (int k = 0; k < g->count; k++)
            if (is_step(&g->nodes[k])) slot_of(&g->nodes[k].optim, slots[g->nodes[k].attr[0]]);
        alvk_status s =
            alvk_buffer_alloc(g->ctx, (VkDeviceSize)n * ALVK_OPTIM_SLOT_BYTES, &g->optim);
        if (s == ALVK_OK)
            s = alvk_buffer_write(g->ctx, &g->optim, 0, slots, (size_t)n * sizeof *slots);
        free(slots);
        if (s != ALVK_OK) {
            alvk_buffer_free(g->ctx, &g->optim);
            return s;
        }
    }
    *out = g->optim;
    return ALVK_OK;
}

/* Adds a checked step over o->first..o->first+o->count-1. */
static alvk_status add_step(alvk_graph *g, graph_op op, const alvk_optimizer *o, const char *what) {
    alvk_status s = graph_usable(g, what);
    if (s != ALVK_OK) return s;
    if (g->error) return alvk_error(g->error, "%s", g->error_msg);
    s = graph_check_group(g, o->first, o->count, what);
    if (s == ALVK_OK) s = check_hyper(o, what);
    if (s != ALVK_OK) return graph_stick(g, s);
    uint32_t slot = 0;
    for (int k = 0; k < g->count; k++)
        slot += (uint32_t)is_step(&g->nodes[k]);
    alvk_node a = graph_add(g, op, NULL, 0, (uint32_t[]){1}, 1, 0);
    if (a < 0) return alvk_error(g->error, "%s", g->error_msg);
    node *n = graph_at(g, a);
    n->optim = *o;
    n->optim.nesterov = o->nesterov != 0;
    n->param = o->first, n->nparams = o->count, n->attr[0] = slot;
    n->bytes = 0; /* no output */
    return ALVK_OK;
}

static int all_tensors(const alvk_graph *g) {
    return handle_is(g, HANDLE_GRAPH) && !g->h.broken && g->params ? alvk_params_count(g->params) : 0;
}

static alvk_status adam_step(alvk_graph *g, int first, int count, double lr, double beta1,
                             double beta2, double eps, double weight_decay, const char *what) {
    alvk_optimizer o = {.kind = ALVK_OPTIMIZER_ADAM,
                        .first = first,
                        .count = count,
                        .lr = lr,
                        .beta1 = beta1,
                        .beta2 = beta2,
                        .eps = eps,
                        .weight_decay = weight_decay};
    return add_step(g, OP_ADAM, &o, what);
}

alvk_status alvk_graph_adam(alvk_graph *g, double lr, double beta1, double beta2, double eps) {
    return adam_step(g, 0, all_tensors(g), lr, beta1, beta2, eps, 0, "alvk_graph_adam");
}

alvk_status alvk_graph_adam_params(alvk_graph *g, int first, int count, double lr, double beta1,
                                   double beta2, double eps) {
    return adam_step(g, first, count, lr, beta1, beta2, eps, 0, "alvk_graph_adam_params");
}

alvk_status alvk_graph_adamw(alvk_graph *g, double lr, double beta1, double beta2, double eps,
                             double weight_decay) {
    return adam_step(g, 0, all_tensors(g), lr, beta1, beta2, eps, weight_decay, "alvk_graph_adamw");
}

alvk_status alvk_graph_adamw_params(alvk_graph *g, int first, int count, double lr, double beta1,
                                    double beta2, double eps, double weight_decay) {
    return adam_step(g, first, count, lr, beta1, beta2, eps, weight_decay,
                     "alvk_graph_adamw_params");
}

static alvk_status sgd_step(alvk_graph *g, int first, int count, double lr, double momentum,
                            double dampening, double weight_decay, int nesterov, const char *what) {
    alvk_optimizer o = {.kind = ALVK_OPTIMIZER_SGD,
                        .first = first,
                        .count = count,
                        .lr = lr,
                        .weight_decay = weight_decay,
                        .momentum = momentum,
                        .dampening = dampening,
                        .nesterov = nesterov};
    return add_step(g, OP_SGD, &o, what);
}

alvk_status alvk_graph_sgd(alvk_graph *g, double lr, double momentum, double dampening,
                           double weight_decay, int nesterov) {
    return sgd_step(g, 0, all_tensors(g), lr, momentum, dampening, weight_decay, nesterov,
                    "alvk_graph_sgd");
}

alvk_status alvk_graph_sgd_params(alvk_graph *g, int first, int count, double lr, double momentum,
                                  double dampening, double weight_decay, int nesterov) {
    return sgd_step(g, first, count, lr, momentum, dampening, weight_decay, nesterov,
                    "alvk_graph_sgd_params");
}

/* ---- hyperparameters between runs -------------------------------------------- */

/* Step `index` (its slot), or NULL. */
static node *step_node(const alvk_graph *g, int index) {
    for (int k = 0; g && index >= 0 && k < g->count; k++)
        if (is_step(&g->nodes[k]) && g->nodes[k].attr[0] == (uint32_t)index) return &g->nodes[k];
    return NULL;
}

int alvk_graph_optimizer_count(const alvk_graph *g) {
    int n = 0;
    if (graph_usable(g, "alvk_graph_optimizer_count") != ALVK_OK) return 0;
    for (int k = 0; k < g->count; k++)
        n += is_step(&g->nodes[k]);
    return n;
}

alvk_status alvk_graph_get_optimizer(const alvk_graph *g, int index, alvk_optimizer *out) {
    alvk_status s = graph_usable(g, "alvk_graph_get_optimizer");
    if (s != ALVK_OK) return s;
    const node *n = step_node(g, index);
    if (!n || !out)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "alvk_graph_get_optimizer: no graph, no out, or no "
                          "optimiser step %d (the graph has %d)",
                          index, alvk_graph_optimizer_count(g));
    *out = n->optim;
    return ALVK_OK;
}

/* Makes o step n's hyperparameters: the node's copy, and its slot once
 * the buffer exists (before, making it writes the slot). */
static alvk_status put(alvk_graph *g, node *n, const alvk_optimizer *o) {
    n->optim = *o;
    n->optim.nesterov = o->nesterov != 0;
    if (!g->optim.block) return ALVK_OK;
    uint8_t slot[ALVK_OPTIM_SLOT_BYTES];
    slot_of(&n->optim, slot);
    return alvk_buffer_write(g->ctx, &g->optim, (VkDeviceSize)n->attr[0] * ALVK_OPTIM_SLOT_BYTES,
                             slot, sizeof slot);
}

alvk_status alvk_graph_set_optimizer(alvk_graph *g, int index, const alvk_optimizer *o) {
    alvk_status s = graph_usable(g, "alvk_graph_set_optimizer");
    if (s != ALVK_OK) return s;
    node *n = step_node(g, index);
    if (!n || !o)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "alvk_graph_set_optimizer: no graph, no desc, or no "
                          "optimiser step %d (the graph has %d)",
                          index, alvk_graph_optimizer_count(g));
    if (o->kind != n->optim.kind || o->first != n->optim.first || o->count != n->optim.count)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "alvk_graph_set_optimizer: step %d is a %s over "
                          "tensors %d..%d; kind, first and count cannot change",
                          index, n->optim.kind == ALVK_OPTIMIZER_ADAM ? "Adam" : "SGD",
                          n->optim.first, n->optim.first + n->optim.count - 1);
    s = check_hyper(o, "alvk_graph_set_optimizer");
    return s == ALVK_OK ? put(g, n, o) : s;
}

alvk_status alvk_graph_set_lr(alvk_graph *g, int index, double lr) {
    if (graph_usable(g, "alvk_graph_set_lr") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
    int n = alvk_graph_optimizer_count(g);
    if (index < -1 || index >= n || !n)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "alvk_graph_set_lr: no graph, or no optimiser step %d "
                          "(the graph has %d)",
                          index, n);
    alvk_optimizer o = {.lr = lr};
    alvk_status s = check_hyper(&o, "alvk_graph_set_lr"); /* Adam's and SGD's lr ranges are one */
    for (int k = index < 0 ? 0 : index; s == ALVK_OK && k < (index < 0 ? n : index + 1); k++) {
        node *step = step_node(g, k);
        o = step->optim;
        o.lr = lr;
        s = put(g, step, &o);
    }
    return s;
}

/* ---- recording ------------------------------------------------------------------ */

/* The graph's first step advances the shared step counter (ops_train.h). */
static int first_step(const alvk_graph *g, int i) {
    for (int j = 0; j < i; j++)
        if (is_step(&g->nodes[j])) return 0;
    return 1;
}

static alvk_status record_adam(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer values, grads, m, v, steps = alvk_params_steps(g->params), hyper;
    uint32_t total;
    alvk_params_trainable_range(g->params, n->param, n->nparams, &values, &grads, &m, &v, &total);
    (void)batch;
    alvk_status s = hyper_buffer(g, &hyper);
    return s != ALVK_OK ? s
                        : alvk_op_adam(cmd, total, &values, &grads, &m, &v, &hyper,
                                               n->attr[0], &steps, first_step(g, i));
}
const graph_op_desc graph_op_adam = {.record = record_adam};

/* SGD's momentum buffer is the store's first moment (Adam's m). */
static alvk_status record_sgd(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch) {
    const node *n = &g->nodes[i];
    alvk_buffer values, grads, m, v, steps = alvk_params_steps(g->params), hyper;
    uint32_t total;
    alvk_params_trainable_range(g->params, n->param, n->nparams, &values, &grads, &m, &v, &total);
    (void)batch;
    alvk_status s = hyper_buffer(g, &hyper);
    return s != ALVK_OK ? s
                        : alvk_op_sgd(cmd, total, &values, &grads, &m, &hyper, n->attr[0], &steps,
                                      first_step(g, i));
}
const graph_op_desc graph_op_sgd = {.record = record_sgd};
