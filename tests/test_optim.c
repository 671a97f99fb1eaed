/* A graph's optimisers against plain-C references over several steps:
 * AdamW and SGD (momentum, dampening, Nesterov, weight decay) over two
 * parameter groups, with hyperparameters changed between runs taking
 * effect without recompiling or re-recording; Adam with weight decay 0 bit
 * for bit as before; bad hyperparameters refused. The gradients come from
 * the host (alvk_params_write_grad), so the references need no model. */
#include "harness.h"

#include "graph/graph.h"
#include "ref/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The store: a [3, 5], b [7], a state tensor, c [2, 2, 3]. Groups: tensor
 * 0 (a) and tensors 1..3 (b, the state tensor, c). */
enum { NT = 3, MAXN = 15, PACKED = 15 + 7 + 12 };
static const int tensor_index[NT] = {0, 1, 3};
static const size_t tensor_size[NT] = {15, 7, 12};

static alvk_params *make_store(alvk_context *ctx) {
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "a", (uint32_t[]){3, 5}, 2, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "b", (uint32_t[]){7}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "bn.running_mean", (uint32_t[]){4}, 1, ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_add(p, "c", (uint32_t[]){2, 2, 3}, 3, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_commit(p));
    for (int t = 0; t < NT; t++) {
        float v[MAXN];
        for (size_t k = 0; k < tensor_size[t]; k++) v[k] = (float)sin(1.3 * (double)k + t);
        TEST_OK(alvk_params_write(p, tensor_index[t], v, sizeof v));
    }
    return p;
}

/* Step s's gradients, packed in store order (a, b, c). */
static void gradients(int s, float g[PACKED]) {
    for (int k = 0; k < PACKED; k++) g[k] = (float)(0.5 * (k % 3 + 1) * sin(0.7 * k + 1.9 * s));
}

/* The host's copy: values, first and second moments, in double. */
typedef struct host {
    double p[NT][MAXN], m[NT][MAXN], v[NT][MAXN];
} host;

static void host_start(alvk_params *p, host *h) {
    memset(h, 0, sizeof *h);
    for (int t = 0; t < NT; t++) {
        float v[MAXN];
        TEST_OK(alvk_params_read(p, tensor_index[t], v, sizeof v));
        for (size_t k = 0; k < tensor_size[t]; k++) h->p[t][k] = v[k];
    }
}

/* The device's values against the host's, within float rounding. */
static void expect_close(alvk_params *p, const host *h, int run) {
    for (int t = 0; t < NT; t++) {
        float v[MAXN];
        TEST_OK(alvk_params_read(p, tensor_index[t], v, sizeof v));
        for (size_t k = 0; k < tensor_size[t]; k++)
            cr_expect(fabs(v[k] - h->p[t][k]) <= 1e-5 * (1 + fabs(h->p[t][k])), "run %d, tensor %d [%zu]: %.9g, "
                      "want %.9g", run, tensor_index[t], k, v[k], h->p[t][k]);
    }
}

/* Writes step s's gradients and runs g once; g's recording must stay the
 * one it made at its first run (no re-recording for new hyperparameters). */
static void run_step(alvk_graph *g, alvk_params *p, int s, alvk_cmd **recorded) {
    float grad[PACKED];
    gradients(s, grad);
    TEST_OK(alvk_params_write_grad(p, -1, grad, sizeof grad));
    TEST_OK(alvk_graph_run(g, 1));
    cr_assert_eq(g->nrecordings, 1, "run %d recorded the graph again", s);
    if (!*recorded) *recorded = g->recordings[0].cmd;
    cr_assert_eq(g->recordings[0].cmd, *recorded, "run %d made a new recording", s);
}

static int same_optimizer(const alvk_optimizer *a, const alvk_optimizer *b) {
    return a->kind == b->kind && a->first == b->first && a->count == b->count && a->lr == b->lr &&
           a->beta1 == b->beta1 && a->beta2 == b->beta2 && a->eps == b->eps &&
           a->weight_decay == b->weight_decay && a->momentum == b->momentum &&
           a->dampening == b->dampening && a->nesterov == b->nesterov;
}

/* The gradient of tensor t at step s, in double. */
static void grad_of(int s, int t, double *g) {
    float all[PACKED];
    gradients(s, all);
    size_t at = 0;
    for (int u = 0; u < t; u++) at += tensor_size[u];
    for (size_t k = 0; k < tensor_size[t]; k++) g[k] = all[at + k];
}

/* Two Adam groups: AdamW on a, Adam on b and c; between runs the learning
 * rates change (all, then one), and the second group's betas and weight
 * decay (from none). */
Test(optim, adamw_follows_the_reference_as_its_hyperparameters_change) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = make_store(ctx);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, 1, ALVK_GRAPH_TRAIN, &g));
    TEST_OK(alvk_graph_adamw_params(g, 0, 1, 0.01, 0.9, 0.999, 1e-8, 0.1));
    TEST_OK(alvk_graph_adam_params(g, 1, 3, 0.02, 0.9, 0.999, 1e-8));
    TEST_OK(alvk_graph_compile(g));
    cr_assert_eq(alvk_graph_optimizer_count(g), 2);
    alvk_optimizer want[2] = {
        {ALVK_OPTIMIZER_ADAM, 0, 1, 0.01, 0.9, 0.999, 1e-8, 0.1, 0, 0, 0},
        {ALVK_OPTIMIZER_ADAM, 1, 3, 0.02, 0.9, 0.999, 1e-8, 0, 0, 0, 0}};
    host h;
    host_start(p, &h);
    alvk_cmd *recorded = NULL;
    for (int s = 0; s < 6; s++) {
        if (s == 2) { /* a schedule: every step's rate at once */
            TEST_OK(alvk_graph_set_lr(g, -1, 0.005));
            want[0].lr = want[1].lr = 0.005;
        }
        if (s == 3) { /* the second group: other betas, weight decay from none */
            alvk_optimizer o;
            TEST_OK(alvk_graph_get_optimizer(g, 1, &o));
            cr_expect(same_optimizer(&o, &want[1]), "get_optimizer gives the step's hyperparameters");
            o.beta1 = 0.8, o.beta2 = 0.99, o.weight_decay = 0.05;
            TEST_OK(alvk_graph_set_optimizer(g, 1, &o));
            want[1] = o;
        }
        if (s == 4) {
            TEST_OK(alvk_graph_set_lr(g, 0, 0.03));
            want[0].lr = 0.03;
        }
        run_step(g, p, s, &recorded);
        for (int t = 0; t < NT; t++) {
            const alvk_optimizer *o = &want[t == 0 ? 0 : 1];
            double grad[MAXN];
            grad_of(s, t, grad);
            ref_adamw(tensor_size[t], o->lr, o->beta1, o->beta2, o->eps, o->weight_decay, (unsigned)s + 1,
                      h.p[t], grad, h.m[t], h.v[t]);
        }
        expect_close(p, &h, s);
    }
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* Two SGD groups: plain SGD with weight decay on a; momentum with
 * dampening on b and c, switched to Nesterov between runs; the rates
 * changed; after alvk_params_reset_optimizer the next step starts the
 * momentum buffer from the gradient again, as a fresh torch.optim.SGD. */
Test(optim, sgd_follows_the_reference_as_its_hyperparameters_change) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = make_store(ctx);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, 1, ALVK_GRAPH_TRAIN, &g));
    TEST_OK(alvk_graph_sgd_params(g, 0, 1, 0.1, 0, 0, 0.01, 0));
    TEST_OK(alvk_graph_sgd_params(g, 1, 3, 0.05, 0.9, 0.1, 0, 0));
    TEST_OK(alvk_graph_compile(g));
    alvk_optimizer want[2];
    TEST_OK(alvk_graph_get_optimizer(g, 0, &want[0]));
    TEST_OK(alvk_graph_get_optimizer(g, 1, &want[1]));
    cr_expect(want[0].kind == ALVK_OPTIMIZER_SGD && want[0].weight_decay == 0.01 && want[1].momentum == 0.9 &&
              want[1].dampening == 0.1 && want[1].first == 1 && want[1].count == 3);
    host h;
    host_start(p, &h);
    alvk_cmd *recorded = NULL;
    for (int s = 0; s < 7; s++) {
        if (s == 3) {
            alvk_optimizer o = want[1];
            o.dampening = 0, o.nesterov = 1;
            TEST_OK(alvk_graph_set_optimizer(g, 1, &o));
            want[1] = o;
        }
        if (s == 4) {
            TEST_OK(alvk_graph_set_lr(g, -1, 0.02));
            want[0].lr = want[1].lr = 0.02;
        }
        if (s == 6) TEST_OK(alvk_params_reset_optimizer(p));
        run_step(g, p, s, &recorded);
        for (int t = 0; t < NT; t++) {
            const alvk_optimizer *o = &want[t == 0 ? 0 : 1];
            double grad[MAXN];
            grad_of(s, t, grad);
            ref_sgd(tensor_size[t], o->lr, o->momentum, o->dampening, o->weight_decay, o->nesterov,
                    s == 0 || s == 6, h.p[t], grad, h.m[t]);
        }
        expect_close(p, &h, s);
    }
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* Five steps of an optimiser-only graph that `build` makes (after compile,
 * `adjust` may set hyperparameters); returns the values, packed. */
typedef void (*graph_fn)(alvk_graph *g);
static void adam_run(alvk_context *ctx, graph_fn build, graph_fn adjust, float out[PACKED]) {
    alvk_params *p = make_store(ctx);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, 1, ALVK_GRAPH_TRAIN, &g));
    build(g);
    TEST_OK(alvk_graph_compile(g));
    if (adjust) adjust(g);
    alvk_cmd *recorded = NULL;
    for (int s = 0; s < 5; s++) run_step(g, p, s, &recorded);
    for (int t = 0, at = 0; t < NT; at += (int)tensor_size[t++]) TEST_OK(alvk_params_read(p, tensor_index[t], out + at, tensor_size[t] * sizeof *out));
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
}

static void build_adam(alvk_graph *g) {
    TEST_OK(alvk_graph_adam_params(g, 0, 1, 0.01, 0.9, 0.999, 1e-8));
    TEST_OK(alvk_graph_adam_params(g, 1, 3, 0.02, 0.8, 0.99, 1e-6));
}
static void build_adamw_0(alvk_graph *g) {
    TEST_OK(alvk_graph_adamw_params(g, 0, 1, 0.01, 0.9, 0.999, 1e-8, 0));
    TEST_OK(alvk_graph_adamw_params(g, 1, 3, 0.02, 0.8, 0.99, 1e-6, 0));
}
static void build_adamw_decay(alvk_graph *g) {
    TEST_OK(alvk_graph_adamw_params(g, 0, 1, 0.01, 0.9, 0.999, 1e-8, 0.5));
    TEST_OK(alvk_graph_adamw_params(g, 1, 3, 0.02, 0.8, 0.99, 1e-6, 0.5));
}
static void no_decay(alvk_graph *g) {
    for (int i = 0; i < 2; i++) {
        alvk_optimizer o;
        TEST_OK(alvk_graph_get_optimizer(g, i, &o));
        o.weight_decay = 0;
        TEST_OK(alvk_graph_set_optimizer(g, i, &o));
    }
}

static uint64_t fnv1a(const void *data, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ ((const uint8_t *)data)[i]) * 0x100000001b3ull;
    return h;
}

/* Adam with weight decay 0 (however it got there) is the Adam step as it
 * always was: the same bits as alvk_graph_adam, and, on the device the
 * reference bits were taken on, the same bits as before weight decay and
 * device hyperparameters existed (so a checkpoint of the app does not
 * change). The pinned hash is the FNV-1a of this test's five steps, run by
 * the library before that change on lavapipe of Debian 12. */
Test(optim, adam_with_weight_decay_0_is_adam_bit_for_bit) {
    alvk_context *ctx = test_open(NULL);
    float adam[PACKED], adamw[PACKED], unset[PACKED], decayed[PACKED];
    adam_run(ctx, build_adam, NULL, adam);
    adam_run(ctx, build_adamw_0, NULL, adamw);
    adam_run(ctx, build_adamw_decay, no_decay, unset);
    adam_run(ctx, build_adamw_decay, NULL, decayed);
    cr_expect(memcmp(adam, adamw, sizeof adam) == 0, "AdamW with weight decay 0 differs from Adam");
    cr_expect(memcmp(adam, unset, sizeof adam) == 0, "AdamW set to weight decay 0 differs from Adam");
    cr_expect(memcmp(adam, decayed, sizeof adam) != 0, "weight decay changed nothing");
    alvk_device_info info;
    TEST_OK(alvk_context_device_info(ctx, alvk_context_device_index(ctx), &info));
    if (strcmp(info.driver_info, "Mesa 22.3.6 (LLVM 15.0.6)") == 0 && strstr(info.name, "llvmpipe"))
        cr_expect_eq(fnv1a(adam, sizeof adam), 0x7a9b5f66a1ff2cf3ull, "Adam's bits moved from the reference's: %#llx",
                     (unsigned long long)fnv1a(adam, sizeof adam));
    test_close(ctx);
}


/* Builders refuse hyperparameters out of torch.optim's ranges (and the
 * graph's compile reports it); setters refuse them, and a change of kind or
 * group, and leave the step as it was. */
Test(optim, optimisers_refuse_bad_hyperparameters) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = make_store(ctx);
    alvk_graph *g;
    struct {
        int sgd;
        double lr, a, b, c; /* Adam: beta1, beta2, weight decay; SGD: momentum, dampening, weight decay */
        int nesterov;
        const char *words;
    } bad[] = {{0, -1, 0.9, 0.999, 0, 0, "lr=-1"},       {0, 1e-3, 1, 0.999, 0, 0, "beta1=1"},
               {0, 1e-3, 0.9, 0.999, -0.1, 0, "weight_decay=-0.1"}, {0, NAN, 0.9, 0.999, 0, 0, "lr=nan"},
               {1, -0.1, 0, 0, 0, 0, "lr=-0.1"},          {1, 0.1, -0.5, 0, 0, 0, "momentum=-0.5"},
               {1, 0.1, 0.9, 0.1, 0, 1, "Nesterov"},      {1, 0.1, 0, 0, 0, 1, "Nesterov"},
               {1, 0.1, 0, 0, -1, 0, "weight_decay=-1"}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        TEST_OK(alvk_graph_create(ctx, p, 1, ALVK_GRAPH_TRAIN, &g));
        if (bad[k].sgd)
            TEST_REFUSED(alvk_graph_sgd(g, bad[k].lr, bad[k].a, bad[k].b, bad[k].c, bad[k].nesterov), bad[k].words);
        else
            TEST_REFUSED(alvk_graph_adamw(g, bad[k].lr, bad[k].a, bad[k].b, 1e-8, bad[k].c), bad[k].words);
        TEST_REFUSED(alvk_graph_compile(g), bad[k].words);
        alvk_graph_destroy(g);
    }
    TEST_OK(alvk_graph_create(ctx, p, 1, ALVK_GRAPH_TRAIN, &g));
    TEST_REFUSED(alvk_graph_sgd_params(g, 2, 1, 0.1, 0, 0, 0, 0), "nothing trainable"); /* the state tensor */
    alvk_graph_destroy(g);

    TEST_OK(alvk_graph_create(ctx, p, 1, ALVK_GRAPH_TRAIN, &g));
    TEST_REFUSED(alvk_graph_set_lr(g, -1, 0.1), "no optimiser step");
    TEST_OK(alvk_graph_adam(g, 1e-3, 0.9, 0.999, 1e-8));
    TEST_OK(alvk_graph_sgd_params(g, 3, 1, 0.1, 0.9, 0, 0, 1));
    TEST_OK(alvk_graph_compile(g));
    TEST_REFUSED(alvk_graph_set_lr(g, 2, 0.1), "no optimiser step 2");
    TEST_REFUSED(alvk_graph_set_lr(g, -1, -0.1), "lr=-0.1");
    alvk_optimizer o, before;
    TEST_OK(alvk_graph_get_optimizer(g, 1, &before));
    TEST_REFUSED(alvk_graph_get_optimizer(g, 2, &o), "no optimiser step 2");
    o = before, o.kind = ALVK_OPTIMIZER_ADAM;
    TEST_REFUSED(alvk_graph_set_optimizer(g, 1, &o), "cannot change");
    o = before, o.first = 0;
    TEST_REFUSED(alvk_graph_set_optimizer(g, 1, &o), "cannot change");
    o = before, o.dampening = 0.5;
    TEST_REFUSED(alvk_graph_set_optimizer(g, 1, &o), "Nesterov");
    TEST_REFUSED(alvk_graph_set_optimizer(g, 1, NULL), "no desc");
    TEST_OK(alvk_graph_get_optimizer(g, 1, &o));
    cr_expect(same_optimizer(&o, &before), "a refused call changed the step");
    TEST_OK(alvk_graph_get_optimizer(g, 0, &o));
    cr_expect_eq(o.lr, 1e-3, "a refused set_lr changed step 0");
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}
