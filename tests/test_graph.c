/* Graphs: forward and backward of small models against double-precision
 * references (gradients by central differences), a gradient penalty
 * (a gradient differentiated again), partial batches, memory reuse, and
 * builder errors. */
#include "harness.h"

#include "graph/graph.h"
#include "nn/params.h"
#include "ref/conv.h"
#include "ref/norm_pool.h"
#include "ref/ref.h"
#include "ref/train.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The index inside the graph of a node id the API handed out. */
static int index_of(alvk_node x) { return x & (GRAPH_MAX_NODES - 1); }

/* ---- a small MLP with a softmax cross-entropy loss ------------------------ */

enum { IN = 5, HID = 7, OUT = 3, MAXB = 6 };

typedef struct mlp {
    double w1[HID * IN], b1[HID], w2[OUT * HID], b2[OUT];
} mlp;

static double mlp_loss(const mlp *m, const float *x, const uint32_t *y, int B) {
    double loss = 0;
    for (int b = 0; b < B; b++) {
        double h[HID], z[OUT], mx = -1e300, sum = 0;
        for (int j = 0; j < HID; j++) {
            double s = m->b1[j];
            for (int i = 0; i < IN; i++) s += m->w1[j * IN + i] * x[b * IN + i];
            h[j] = s > 0 ? s : 0;
        }
        for (int k = 0; k < OUT; k++) {
            z[k] = m->b2[k];
            for (int j = 0; j < HID; j++) z[k] += m->w2[k * HID + j] * h[j];
            if (z[k] > mx) mx = z[k];
        }
        for (int k = 0; k < OUT; k++) sum += exp(z[k] - mx);
        loss += log(sum) + mx - z[y[b]];
    }
    return loss / B;
}

static double *mlp_field(mlp *m, int t) {
    double *f[4] = {m->w1, m->b1, m->w2, m->b2};
    return f[t];
}
static const int mlp_sizes[4] = {HID * IN, HID, OUT * HID, OUT};
static const char *const mlp_names[4] = {"m.0.weight", "m.0.bias", "m.1.weight", "m.1.bias"};

/* A tensor's gradient through the public read, so the checks against
 * finite differences below are checks of alvk_params_read_grad too. */
static float *read_grad(alvk_context *ctx, alvk_params *p, const char *name) {
    int i = alvk_params_find(p, name);
    cr_assert_geq(i, 0);
    size_t n = alvk_params_numel(p, i, 0);
    float *v = malloc(n * sizeof *v);
    (void)ctx;
    TEST_OK(alvk_params_read_grad(p, i, v, n * sizeof *v));
    return v;
}

/* Builds the MLP graph; returns the loss node. */
static alvk_node build_mlp(alvk_graph *g, alvk_node *x, alvk_node *y) {
    *x = alvk_graph_input(g, (uint32_t[]){IN}, 1);
    *y = alvk_graph_labels(g);
    alvk_node h = alvk_graph_relu(g, alvk_graph_linear(g, *x, alvk_graph_param(g, "m.0.weight"),
                                                       alvk_graph_param(g, "m.0.bias")));
    alvk_node z = alvk_graph_linear(g, h, alvk_graph_param(g, "m.1.weight"), alvk_graph_param(g, "m.1.bias"));
    return alvk_graph_softmax_ce(g, z, *y);
}

/* The MLP's store (seeded) and a fixed batch of MAXB rows. */
static alvk_params *mlp_store(alvk_context *ctx) {
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_model_mlp(p, "m", IN, (uint32_t[]){HID}, 1, OUT));
    TEST_OK(alvk_params_commit(p));
    TEST_OK(alvk_params_initialize(p, 5));
    return p;
}

static void mlp_batch(float x[MAXB * IN], uint32_t y[MAXB]) {
    for (int i = 0; i < MAXB * IN; i++) x[i] = (float)sin(1.7 * i);
    for (int b = 0; b < MAXB; b++) y[b] = (uint32_t)(b * 2) % OUT;
}

Test(graph, mlp_loss_and_gradients_match_the_reference_at_every_batch) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = mlp_store(ctx);
    mlp m;
    for (int t = 0; t < 4; t++) {
        float v[64];
        TEST_OK(alvk_params_read(p, alvk_params_find(p, mlp_names[t]), v, sizeof v));
        for (int k = 0; k < mlp_sizes[t]; k++) mlp_field(&m, t)[k] = v[k];
    }
    float x[MAXB * IN];
    uint32_t y[MAXB];
    mlp_batch(x, y);

    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, MAXB, ALVK_GRAPH_TRAIN, &g));
    alvk_node xn, yn, loss = build_mlp(g, &xn, &yn);
    TEST_OK(alvk_graph_backward(g, loss));
    TEST_OK(alvk_graph_output(g, loss));
    TEST_OK(alvk_graph_compile(g));
    static const int batches[] = {6, 3, 6, 1};
    for (int r = 0; r < 4; r++) {
        int B = batches[r];
        TEST_OK(alvk_graph_set(g, xn, x, sizeof x, (uint32_t)B));
        TEST_OK(alvk_graph_set(g, yn, y, sizeof y, (uint32_t)B));
        TEST_OK(alvk_graph_run(g, (uint32_t)B));
        float got;
        TEST_OK(alvk_graph_read(g, loss, &got, sizeof got));
        double want = mlp_loss(&m, x, y, B);
        cr_expect(fabs(got - want) < 1e-5 * (1 + fabs(want)), "batch %d: loss %g, want %g", B, got, want);
        for (int t = 0; t < 4; t++) {
            float *gr = read_grad(ctx, p, mlp_names[t]);
            for (int k = 0; k < mlp_sizes[t]; k++) {
                double *v = &mlp_field(&m, t)[k], keep = *v, h = 1e-6;
                *v = keep + h;
                double up = mlp_loss(&m, x, y, B);
                *v = keep - h;
                double down = mlp_loss(&m, x, y, B);
                *v = keep;
                double fd = (up - down) / (2 * h);
                cr_expect(fabs(gr[k] - fd) < 1e-4 * (1 + fabs(fd)), "batch %d: d%s[%d] = %g, "
                          "finite differences %g", B, mlp_names[t], k, gr[k], fd);
            }
            free(gr);
        }
    }
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* A training step split as data-parallel training runs it (a backward-only
 * graph, the packed gradients read and written back, an Adam-only graph)
 * must leave exactly the weights of the fused step; the packed gradient is
 * the per-tensor ones end to end; state tensors and NULL are errors. */
static alvk_graph *mlp_graph(alvk_context *ctx, alvk_params *p, int backward, int adam, alvk_node *xn,
                             alvk_node *yn) {
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, MAXB, ALVK_GRAPH_TRAIN, &g));
    if (backward) TEST_OK(alvk_graph_backward(g, build_mlp(g, xn, yn)));
    if (adam) TEST_OK(alvk_graph_adam(g, 1e-2, 0.9, 0.999, 1e-8));
    TEST_OK(alvk_graph_compile(g));
    return g;
}

static void run_mlp(alvk_graph *g, alvk_node xn, alvk_node yn, const float *x, const uint32_t *y) {
    if (xn >= 0) TEST_OK(alvk_graph_set(g, xn, x, MAXB * IN * sizeof *x, MAXB));
    if (yn >= 0) TEST_OK(alvk_graph_set(g, yn, y, MAXB * sizeof *y, MAXB));
    TEST_OK(alvk_graph_run(g, MAXB));
}

static void read_all(alvk_params *p, float *out) {
    for (int t = 0; t < 4; t++, out += mlp_sizes[t - 1]) TEST_OK(alvk_params_read(p, t, out, mlp_sizes[t] * sizeof *out));
}

Test(graph, split_step_through_host_gradients_equals_the_fused_step) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = mlp_store(ctx);
    float x[MAXB * IN], fused[128], split[128], packed[128], one[64];
    uint32_t y[MAXB];
    mlp_batch(x, y);
    uint64_t n = alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE);
    cr_assert_eq(n, (uint64_t)(HID * IN + HID + OUT * HID + OUT));
    TEST_OK(alvk_params_snapshot(p));
    alvk_node xn = -1, yn = -1, none = -1;
    alvk_graph *whole = mlp_graph(ctx, p, 1, 1, &xn, &yn);
    for (int step = 0; step < 2; step++) run_mlp(whole, xn, yn, x, y);
    read_all(p, fused);

    TEST_OK(alvk_params_restore(p));
    TEST_OK(alvk_params_reset_optimizer(p));
    alvk_graph *back = mlp_graph(ctx, p, 1, 0, &xn, &yn), *adam = mlp_graph(ctx, p, 0, 1, &none, &none);
    for (int step = 0; step < 2; step++) {
        run_mlp(back, xn, yn, x, y);
        TEST_OK(alvk_params_read_grad(p, -1, packed, sizeof packed));
        float *at = packed;
        for (int t = 0; t < 4; at += mlp_sizes[t++]) {
            TEST_OK(alvk_params_read_grad(p, t, one, sizeof one));
            cr_expect_arr_eq(one, at, mlp_sizes[t] * sizeof *one, "tensor %d's gradient in the packed form", t);
        }
        float zero[128] = {0};
        TEST_OK(alvk_params_write_grad(p, -1, zero, sizeof zero)); /* what is written is what Adam reads */
        TEST_OK(alvk_params_write_grad(p, -1, packed, sizeof packed));
        run_mlp(adam, none, none, NULL, NULL);
    }
    read_all(p, split);
    cr_expect_arr_eq(split, fused, n * sizeof *split, "the split step's weights differ from the fused step's");

    alvk_params *s = NULL;
    TEST_OK(alvk_params_create(ctx, &s));
    TEST_OK(alvk_params_add(s, "bn.running_mean", (uint32_t[]){3}, 1, ALVK_PARAM_STATE, NULL));
    cr_expect_eq(alvk_params_read_grad(s, -1, one, sizeof one), ALVK_ERROR_INVALID_ARGUMENT, "before commit");
    TEST_OK(alvk_params_commit(s));
    cr_expect_eq(alvk_params_read_grad(s, 0, one, sizeof one), ALVK_ERROR_INVALID_ARGUMENT);
    cr_expect(strstr(alvk_last_error(), "state tensor"), "%s", alvk_last_error());
    cr_expect_eq(alvk_params_read_grad(p, 0, NULL, 0), ALVK_ERROR_INVALID_ARGUMENT);
    cr_expect_eq(alvk_params_write_grad(p, -1, NULL, 0), ALVK_ERROR_INVALID_ARGUMENT);
    cr_expect_eq(alvk_params_write_grad(p, 9, one, sizeof one), ALVK_ERROR_INVALID_ARGUMENT);
    alvk_params_destroy(s);
    alvk_graph_destroy(whole), alvk_graph_destroy(back), alvk_graph_destroy(adam);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* ---- a gradient penalty through a discriminator ----------------------------
 * A 3-layer MLP with a sigmoid output, as the adversarial strategy's:
 * D(x) = sigmoid(w3 . relu(W2 relu(W1 x + b1) + b2) + b3);
 * gp = mean((||dD/dx|| - 1)^2), differentiated with respect to the weights. */

enum { DIN = 4, DH1 = 6, DH2 = 5, DB = 3 };

typedef struct disc {
    double w1[DH1 * DIN], b1[DH1], w2[DH2 * DH1], b2[DH2], w3[DH2], b3[1];
} disc;

static double gp_ref(const disc *d, const float *x) {
    double gp = 0;
    for (int b = 0; b < DB; b++) {
        double p1[DH1], h1[DH1], p2[DH2], z = d->b3[0];
        for (int j = 0; j < DH1; j++) {
            p1[j] = d->b1[j];
            for (int i = 0; i < DIN; i++) p1[j] += d->w1[j * DIN + i] * x[b * DIN + i];
            h1[j] = p1[j] > 0 ? p1[j] : 0;
        }
        for (int k = 0; k < DH2; k++) {
            p2[k] = d->b2[k];
            for (int j = 0; j < DH1; j++) p2[k] += d->w2[k * DH1 + j] * h1[j];
            z += d->w3[k] * (p2[k] > 0 ? p2[k] : 0);
        }
        double s = 1 / (1 + exp(-z)), ds = s * (1 - s), norm2 = 0;
        /* dD/dx = ds * W1^T diag(p1 > 0) W2^T diag(p2 > 0) w3 */
        double g2[DH2], g1[DH1];
        for (int k = 0; k < DH2; k++) g2[k] = ds * d->w3[k] * (p2[k] > 0);
        for (int j = 0; j < DH1; j++) {
            g1[j] = 0;
            for (int k = 0; k < DH2; k++) g1[j] += d->w2[k * DH1 + j] * g2[k];
            g1[j] *= p1[j] > 0;
        }
        for (int i = 0; i < DIN; i++) {
            double gi = 0;
            for (int j = 0; j < DH1; j++) gi += d->w1[j * DIN + i] * g1[j];
            norm2 += gi * gi;
        }
        gp += (sqrt(norm2) - 1) * (sqrt(norm2) - 1);
    }
    return gp / DB;
}

static double *disc_field(disc *d, int t) {
    double *f[6] = {d->w1, d->b1, d->w2, d->b2, d->w3, d->b3};
    return f[t];
}
static const int disc_sizes[6] = {DH1 * DIN, DH1, DH2 * DH1, DH2, DH2, 1};
static const char *const disc_names[6] = {"d.0.weight", "d.0.bias", "d.1.weight", "d.1.bias",
                                          "d.2.weight", "d.2.bias"};

Test(graph, a_gradient_penalty_differentiates_a_gradient) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_model_mlp(p, "d", DIN, (uint32_t[]){DH1, DH2}, 2, 1));
    TEST_OK(alvk_params_commit(p));
    TEST_OK(alvk_params_initialize(p, 11));
    disc d;
    for (int t = 0; t < 6; t++) {
        float v[64];
        int i = alvk_params_find(p, disc_names[t]);
        if (t == 1 || t == 3) { /* non-zero biases, so every path is exercised */
            for (int k = 0; k < disc_sizes[t]; k++) v[k] = 0.1f * (float)(k - 2);
            TEST_OK(alvk_params_write(p, i, v, sizeof v));
        }
        TEST_OK(alvk_params_read(p, i, v, sizeof v));
        for (int k = 0; k < disc_sizes[t]; k++) disc_field(&d, t)[k] = v[k];
    }
    float x[DB * DIN];
    for (int i = 0; i < DB * DIN; i++) x[i] = (float)cos(0.9 * i);

    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, DB, ALVK_GRAPH_TRAIN, &g));
    alvk_node xn = alvk_graph_input(g, (uint32_t[]){DIN}, 1);
    alvk_node out = alvk_graph_sigmoid(g, alvk_graph_mlp(g, xn, "d", 3));
    alvk_node gx = alvk_graph_grad(g, out, xn);
    alvk_node norm = alvk_graph_norm_rows(g, gx);
    alvk_node gp = alvk_graph_mean(g, alvk_graph_square(g, graph_affine(g, norm, 1.0f, -1.0f)));
    TEST_OK(alvk_graph_backward(g, gp));
    TEST_OK(alvk_graph_output(g, gp));
    TEST_OK(alvk_graph_compile(g));
    TEST_OK(alvk_graph_set(g, xn, x, sizeof x, DB));
    TEST_OK(alvk_graph_run(g, DB));
    float got;
    TEST_OK(alvk_graph_read(g, gp, &got, sizeof got));
    double want = gp_ref(&d, x);
    cr_expect(fabs(got - want) < 1e-5 * (1 + fabs(want)), "gp %g, want %g", got, want);
    for (int t = 0; t < 6; t++) {
        float *gr = read_grad(ctx, p, disc_names[t]);
        for (int k = 0; k < disc_sizes[t]; k++) {
            double *v = &disc_field(&d, t)[k], keep = *v, hh = 1e-6;
            *v = keep + hh;
            double up = gp_ref(&d, x);
            *v = keep - hh;
            double down = gp_ref(&d, x);
            *v = keep;
            double fd = (up - down) / (2 * hh);
            cr_expect(fabs(gr[k] - fd) < 2e-4 * (1 + fabs(fd)), "d%s[%d] = %g, finite differences %g",
                      disc_names[t], k, gr[k], fd);
        }
        free(gr);
    }
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(graph, a_zero_row_has_norm_gradient_zero) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 2, ALVK_GRAPH_TRAIN, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){3}, 1);
    alvk_node y = alvk_graph_mean(g, alvk_graph_norm_rows(g, x));
    alvk_node dx = alvk_graph_grad(g, y, x);
    TEST_OK(alvk_graph_output(g, dx));
    TEST_OK(alvk_graph_compile(g));
    float in[6] = {3, 0, 4, 0, 0, 0}, out[6];
    TEST_OK(alvk_graph_set(g, x, in, sizeof in, 2));
    TEST_OK(alvk_graph_run(g, 2));
    TEST_OK(alvk_graph_read(g, dx, out, sizeof out));
    float want[6] = {0.3f, 0, 0.4f, 0, 0, 0}; /* x / (2 |x|) for the mean of two rows */
    for (int i = 0; i < 6; i++) cr_expect(fabsf(out[i] - want[i]) < 1e-6f, "dx[%d] = %g, want %g", i, out[i], want[i]);
    alvk_graph_destroy(g);
    test_close(ctx);
}

/* ALVK_PROFILE leaves each recording's first run out (a driver may compile
 * there): three runs at one batch and one at another count two. */
Test(graph, the_profile_leaves_out_each_recordings_first_run) {
    alvk_context *ctx = test_open(NULL);
    ctx->env.profile = 1;
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 2, ALVK_GRAPH_TRAIN, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){3}, 1);
    TEST_OK(alvk_graph_output(g, alvk_graph_mean(g, x)));
    TEST_OK(alvk_graph_compile(g));
    float in[6] = {0};
    TEST_OK(alvk_graph_set(g, x, in, sizeof in, 2));
    for (int i = 0; i < 3; i++) TEST_OK(alvk_graph_run(g, 2));
    TEST_OK(alvk_graph_run(g, 1));
    cr_expect_eq(g->profile_runs, 2, "%u runs counted", g->profile_runs);
    alvk_graph_destroy(g);
    test_close(ctx);
}

Test(graph, momentum_one_keeps_the_last_batch_statistics) {
    enum { N = 3, C = 2, HW = 4 };
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "bn.weight", (uint32_t[]){C}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "bn.bias", (uint32_t[]){C}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "bn.running_mean", (uint32_t[]){C}, 1, ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_add(p, "bn.running_var", (uint32_t[]){C}, 1, ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_commit(p));
    TEST_OK(alvk_params_write(p, 0, (float[]){1, 1}, 2 * sizeof(float)));
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, N, ALVK_GRAPH_TRAIN, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){C, 2, 2}, 3);
    TEST_OK(alvk_graph_output(g, alvk_graph_batchnorm(g, x, "bn")));
    TEST_OK(alvk_graph_set_bn_momentum(g, 1.0f));
    TEST_OK(alvk_graph_compile(g));
    cr_expect_eq(alvk_graph_set_bn_momentum(g, 0.5f), ALVK_ERROR_INVALID_ARGUMENT, "too late: compiled");
    float in[N * C * HW];
    for (int i = 0; i < N * C * HW; i++) in[i] = (float)sin(0.7 * i * i) * 3;
    TEST_OK(alvk_graph_set(g, x, in, sizeof in, N));
    TEST_OK(alvk_graph_run(g, N));
    float mean[C], var[C];
    TEST_OK(alvk_params_read(p, 2, mean, sizeof mean));
    TEST_OK(alvk_params_read(p, 3, var, sizeof var));
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0;
        for (int n = 0; n < N; n++)
            for (int k = 0; k < HW; k++) m += in[(n * C + c) * HW + k];
        m /= N * HW;
        for (int n = 0; n < N; n++)
            for (int k = 0; k < HW; k++) v += (in[(n * C + c) * HW + k] - m) * (in[(n * C + c) * HW + k] - m);
        v /= N * HW - 1; /* unbiased, as PyTorch updates the running variance */
        cr_expect(fabs(mean[c] - m) < 1e-5 && fabs(var[c] - v) < 1e-4 * v, "channel %d: mean %g var %g, want %g %g",
                  c, mean[c], var[c], m, v);
    }
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(graph, memory_is_reused_along_a_chain) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 16, ALVK_GRAPH_EVAL, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){1024}, 1), y = x;
    for (int i = 0; i < 20; i++) y = alvk_graph_relu(g, y);
    TEST_OK(alvk_graph_output(g, y));
    TEST_OK(alvk_graph_compile(g));
    uint64_t one = 16 * 1024 * 4;
    cr_expect_leq(alvk_graph_peak_bytes(g), 3 * one, "20 chained tensors need at most 3 live, "
                  "planned %llu bytes", (unsigned long long)alvk_graph_peak_bytes(g));
    float in[16 * 1024], out[16 * 1024];
    for (int i = 0; i < 16 * 1024; i++) in[i] = (float)(i % 7) - 3;
    TEST_OK(alvk_graph_set(g, x, in, sizeof in, 16));
    TEST_OK(alvk_graph_run(g, 16));
    TEST_OK(alvk_graph_read(g, y, out, sizeof out));
    for (int i = 0; i < 16 * 1024; i++) cr_assert_eq(out[i], in[i] > 0 ? in[i] : 0);
    alvk_graph_destroy(g);
    test_close(ctx);
}

/* Two independent chains (as the adversarial step's labeled and unlabeled
 * passes): the plan reuses memory only where that adds no barrier, so the
 * chains run side by side, a barrier per link, not one after the other. */
Test(graph, independent_chains_share_barriers_and_reuse_memory) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 16, ALVK_GRAPH_EVAL, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){1024}, 1), a = x, b = x;
    for (int i = 0; i < 6; i++) a = alvk_graph_relu(g, a);
    for (int i = 0; i < 6; i++) b = alvk_graph_relu(g, b);
    alvk_node y = alvk_graph_add(g, a, b);
    TEST_OK(alvk_graph_output(g, y));
    TEST_OK(alvk_graph_compile(g));
    uint64_t one = 16 * 1024 * 4;
    cr_expect_leq(alvk_graph_peak_bytes(g), 6 * one, "13 tensors, at most 5 live at once: planned %llu bytes",
                  (unsigned long long)alvk_graph_peak_bytes(g));
    float in[16 * 1024], out[16 * 1024];
    for (int i = 0; i < 16 * 1024; i++) in[i] = (float)(i % 7) - 3;
    TEST_OK(alvk_graph_set(g, x, in, sizeof in, 16));
    TEST_OK(alvk_graph_run(g, 16));
    TEST_OK(alvk_graph_read(g, y, out, sizeof out));
    for (int i = 0; i < 16 * 1024; i++) cr_assert_eq(out[i], in[i] > 0 ? 2 * in[i] : 0);
    alvk_graph_stats st;
    TEST_OK(alvk_graph_stats_get(g, &st));
    cr_expect_eq(st.commands, 13);
    cr_expect_leq(st.barriers, 7, "6 links and the add: %u barriers", st.barriers);
    alvk_graph_destroy(g);
    test_close(ctx);
}

Test(graph, builder_errors_surface_at_compile) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 4, ALVK_GRAPH_TRAIN, &g));
    alvk_node a = alvk_graph_input(g, (uint32_t[]){3}, 1), b = alvk_graph_input(g, (uint32_t[]){5}, 1);
    alvk_node c = alvk_graph_add(g, a, b); /* shapes differ */
    cr_expect_eq(c, -1);
    alvk_node d = alvk_graph_relu(g, c);   /* builds on the failure */
    cr_expect_eq(d, -1);
    cr_expect_eq(alvk_graph_param(g, "nothing"), -1);
    alvk_status s = alvk_graph_compile(g);
    cr_expect_eq(s, ALVK_ERROR_INVALID_ARGUMENT);
    cr_expect(strstr(alvk_last_error(), "add"), "the first error is reported: %s", alvk_last_error());
    alvk_graph_destroy(g);
    TEST_OK(alvk_graph_create(ctx, NULL, 4, ALVK_GRAPH_TRAIN, &g));
    a = alvk_graph_input(g, (uint32_t[]){3}, 1);
    alvk_node r = alvk_graph_relu(g, a), r2 = alvk_graph_relu(g, r);
    TEST_OK(alvk_graph_output(g, r2));
    TEST_OK(alvk_graph_compile(g));
    float v[12] = {0};
    TEST_OK(alvk_graph_set(g, a, v, sizeof v, 4));
    cr_expect_eq(alvk_graph_run(g, 5), ALVK_ERROR_INVALID_ARGUMENT, "batch above the maximum");
    TEST_OK(alvk_graph_run(g, 2));
    cr_expect_eq(alvk_graph_read(g, r, v, sizeof v), ALVK_ERROR_INVALID_ARGUMENT, "r is not an output");
    alvk_graph_destroy(g);
    test_close(ctx);
}

static void put_be32(FILE *f, uint32_t v) {
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    fwrite(b, 1, 4, f);
}

/* n images rows x cols written as IDX files and loaded: labels i % classes. */
static alvk_dataset *tiny_dataset(uint32_t n, uint32_t rows, uint32_t cols, uint32_t classes) {
    char dir[] = "/tmp/alvk-tiny-XXXXXX", path[64];
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
    FILE *f = fopen(path, "wb");
    put_be32(f, 0x803), put_be32(f, n), put_be32(f, rows), put_be32(f, cols);
    for (uint32_t i = 0; i < n * rows * cols; i++) fputc((int)(i * 37 % 256), f);
    fclose(f);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    f = fopen(path, "wb");
    put_be32(f, 0x801), put_be32(f, n);
    for (uint32_t i = 0; i < n; i++) fputc((int)(i % classes), f);
    fclose(f);
    alvk_dataset *ds;
    TEST_OK(alvk_dataset_load(dir, "train", 256, &ds));
    return ds;
}

/* Issue 13's silent wrong results, each now an error (or NaN) at the call. */
Test(graph, a_failed_backward_sticks_and_compile_refuses) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = mlp_store(ctx);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, MAXB, ALVK_GRAPH_TRAIN, &g));
    alvk_node x, y, loss = build_mlp(g, &x, &y);
    alvk_node logits = graph_id(g, graph_at(g, loss)->in[0]);
    cr_expect_eq(alvk_graph_backward(g, logits), ALVK_ERROR_INVALID_ARGUMENT, "the logits are no loss");
    cr_expect_eq(alvk_graph_adam(g, 1e-3, 0.9, 0.999, 1e-8), ALVK_ERROR_INVALID_ARGUMENT, "sticky");
    cr_expect_eq(alvk_graph_compile(g), ALVK_ERROR_INVALID_ARGUMENT);
    cr_expect(strstr(alvk_last_error(), "alvk_graph_backward"), "names the call: %s", alvk_last_error());
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(graph, outputs_after_compile_and_views_of_reused_memory_are_errors) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 4, ALVK_GRAPH_EVAL, &g));
    alvk_node a = alvk_graph_input(g, (uint32_t[]){6}, 1);
    alvk_node r = alvk_graph_relu(g, a), v = alvk_graph_reshape(g, r, (uint32_t[]){2, 3}, 2);
    alvk_node out = alvk_graph_relu(g, alvk_graph_relu(g, v));
    TEST_OK(alvk_graph_output(g, out));
    TEST_OK(alvk_graph_compile(g));
    cr_expect_eq(alvk_graph_output(g, r), ALVK_ERROR_INVALID_ARGUMENT, "outputs are marked before compile");
    float in[24] = {0}, back[24];
    TEST_OK(alvk_graph_set(g, a, in, sizeof in, 4));
    TEST_OK(alvk_graph_run(g, 4));
    cr_expect_eq(alvk_graph_read(g, v, back, sizeof back), ALVK_ERROR_INVALID_ARGUMENT, "a view of reused memory");
    TEST_OK(alvk_graph_read(g, out, back, sizeof back));
    cr_expect_eq(alvk_graph_read(g, out, NULL, 0), ALVK_ERROR_INVALID_ARGUMENT, "no crash on NULL");
    alvk_graph_destroy(g);
    test_close(ctx);
}

Test(graph, relu_keeps_nan) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 1, ALVK_GRAPH_EVAL, &g));
    alvk_node a = alvk_graph_input(g, (uint32_t[]){8}, 1), r = alvk_graph_relu(g, a);
    TEST_OK(alvk_graph_output(g, r));
    TEST_OK(alvk_graph_compile(g));
    float in[8] = {NAN, -1, 2, -NAN, INFINITY, -INFINITY, 0, 3}, out[8];
    TEST_OK(alvk_graph_set(g, a, in, sizeof in, 1));
    TEST_OK(alvk_graph_run(g, 1));
    TEST_OK(alvk_graph_read(g, r, out, sizeof out));
    cr_expect(isnan(out[0]) && isnan(out[3]), "relu(NaN) is NaN, as PyTorch's: %g %g", out[0], out[3]);
    cr_expect(out[1] == 0 && out[2] == 2 && out[4] == INFINITY && out[5] == 0 && out[6] == 0 && out[7] == 3);
    alvk_graph_destroy(g);
    test_close(ctx);
}

Test(graph, labels_and_indices_out_of_range_are_errors) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = mlp_store(ctx);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, MAXB, ALVK_GRAPH_TRAIN, &g));
    alvk_node x, y, loss = build_mlp(g, &x, &y);
    TEST_OK(alvk_graph_output(g, loss));
    TEST_OK(alvk_graph_compile(g));
    uint32_t labels[MAXB] = {0, 1, 2, 0, 1, OUT};
    cr_expect_eq(alvk_graph_set(g, y, labels, sizeof labels, MAXB), ALVK_ERROR_INVALID_ARGUMENT, "label %d of %d classes", OUT, OUT);
    TEST_OK(alvk_graph_set(g, y, labels, sizeof labels, MAXB - 1));
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    /* A pool whose labels pass the logits' classes, and indices past the pool. */
    alvk_dataset *ds = tiny_dataset(8, 4, 4, 7); /* labels 0..6 */
    alvk_pool *pool;
    TEST_OK(alvk_pool_create(ctx, ds, &pool));
    TEST_OK(alvk_graph_create(ctx, NULL, 4, ALVK_GRAPH_EVAL, &g));
    alvk_node idx = alvk_graph_indices(g), img = alvk_graph_gather(g, pool, idx);
    alvk_node z = alvk_graph_input(g, (uint32_t[]){5}, 1); /* logits of 5 classes */
    cr_expect_eq(alvk_graph_correct(g, z, alvk_graph_gathered_labels(g, img)), -1, "labels up to 6, 5 classes");
    cr_expect_eq(alvk_graph_compile(g), ALVK_ERROR_INVALID_ARGUMENT);
    cr_expect(strstr(alvk_last_error(), "labels go up to 6"), "%s", alvk_last_error());
    alvk_graph_destroy(g);
    TEST_OK(alvk_graph_create(ctx, NULL, 4, ALVK_GRAPH_EVAL, &g));
    idx = alvk_graph_indices(g), img = alvk_graph_gather(g, pool, idx);
    TEST_OK(alvk_graph_output(g, img));
    TEST_OK(alvk_graph_compile(g));
    cr_expect_eq(alvk_graph_set(g, idx, (uint32_t[]){0, 7, 8, 1}, 4 * sizeof(uint32_t), 4), ALVK_ERROR_INVALID_ARGUMENT, "index 8 of 8");
    TEST_OK(alvk_graph_set(g, idx, (uint32_t[]){0, 7, 3, 1}, 4 * sizeof(uint32_t), 4));
    alvk_graph_destroy(g);
    alvk_pool_destroy(pool);
    alvk_dataset_destroy(ds);
    test_close(ctx);
}

Test(graph, builders_record_every_failure) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = mlp_store(ctx);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, 4, ALVK_GRAPH_TRAIN, &g));
    cr_expect_eq(alvk_graph_mlp(g, alvk_graph_input(g, (uint32_t[]){IN}, 1), NULL, 2), -1);
    cr_expect_eq(alvk_graph_compile(g), ALVK_ERROR_INVALID_ARGUMENT, "mlp without a prefix sticks");
    cr_expect(strstr(alvk_last_error(), "mlp"), "%s", alvk_last_error());
    alvk_graph_destroy(g);
    TEST_OK(alvk_graph_create(ctx, p, 4, ALVK_GRAPH_TRAIN, &g));
    alvk_node labels = alvk_graph_labels(g);
    cr_expect_eq(alvk_graph_relu(g, labels), -1, "uint32 labels are not floats");
    cr_expect_eq(alvk_graph_compile(g), ALVK_ERROR_INVALID_ARGUMENT);
    cr_expect(strstr(alvk_last_error(), "uint32"), "%s", alvk_last_error());
    alvk_graph_destroy(g);
    cr_expect_eq(alvk_params_write(p, 0, NULL, 0), ALVK_ERROR_INVALID_ARGUMENT, "no crash on NULL");
    cr_expect_eq(alvk_params_read(p, 0, NULL, 0), ALVK_ERROR_INVALID_ARGUMENT, "no crash on NULL");
    alvk_params_destroy(p);
    test_close(ctx);
}

/* ---- a small convolutional net: conv, batch norm, relu, max pool, global
 * average pool, linear, loss; gradients against the reference by finite
 * differences. */

enum { CB = 3, CIN = 2, CH = 6, COUT = 4, CLS = 3 };

static const char *const cnn_names[] = {"conv.weight", "conv.bias", "bn.weight", "bn.bias",
                                        "fc.weight", "fc.bias"};

static double cnn_loss(double *const *w, const float *xf, const uint32_t *labels) {
    ref_conv c = {CB, CIN, CH, CH, COUT, 3, 3, 1, 1};
    double x[CB * CIN * CH * CH], y[CB * COUT * CH * CH], z[CB * COUT * CH * CH];
    double p[CB * COUT * 9], feat[CB * COUT], logits[CB * CLS], lab[CB], loss;
    for (int i = 0; i < CB * CIN * CH * CH; i++) x[i] = xf[i];
    ref_conv2d(&c, x, w[0], w[1], y);
    ref_batchnorm_train(CB, COUT, CH * CH, 1e-5, 0.1, y, w[2], w[3], z, NULL, NULL, NULL, NULL);
    for (int i = 0; i < CB * COUT * CH * CH; i++) z[i] = z[i] > 0 ? z[i] : 0;
    ref_maxpool p_ = {CB, COUT, CH, CH, 3, 2, 1};
    ref_maxpool2d(&p_, z, p);
    for (int i = 0; i < CB * COUT; i++) {
        feat[i] = 0;
        for (int k = 0; k < 9; k++) feat[i] += p[i * 9 + k] / 9;
    }
    ref_gemm(CB, CLS, COUT, 0, 1, 1, 0, feat, w[4], w[5], logits);
    for (int b = 0; b < CB; b++) lab[b] = labels[b];
    ref_softmax_ce(CB, CLS, logits, lab, &loss, NULL);
    return loss;
}

/* How check_cnn differentiates the net. */
enum { CNN_ALL,       /* once, every parameter */
       CNN_TWICE,     /* applied to two batches, the loss summed, conv and batch
                       * norm only: batch norm used twice adds its weight
                       * gradients, and fc's are left alone */
       CNN_CONV_ONLY, /* once, conv only: dx flows through batch norm, whose
                       * weight gradients are left alone */
       CNN_SPLIT };   /* once, conv and bn.weight: bn.bias's gradient is left alone */

/* The net on one or two batches with its loss, differentiated over store
 * tensors 0..range-1 (range < 0: all). */
static alvk_graph *cnn_graph(alvk_context *ctx, alvk_params *p, int twice, int range,
                             alvk_node xn[2], alvk_node yn[2], alvk_node *loss) {
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, CB, ALVK_GRAPH_TRAIN, &g));
    for (int r = 0; r <= twice; r++) {
        xn[r] = alvk_graph_input(g, (uint32_t[]){CIN, CH, CH}, 3), yn[r] = alvk_graph_labels(g);
        alvk_node h = alvk_graph_conv2d(g, xn[r], alvk_graph_param(g, "conv.weight"), alvk_graph_param(g, "conv.bias"), 1, 1);
        h = alvk_graph_relu(g, alvk_graph_batchnorm(g, h, "bn"));
        h = alvk_graph_avgpool_global(g, alvk_graph_maxpool2d(g, h, 3, 2, 1));
        alvk_node logits = alvk_graph_linear(g, h, alvk_graph_param(g, "fc.weight"), alvk_graph_param(g, "fc.bias"));
        alvk_node l = alvk_graph_softmax_ce(g, logits, yn[r]);
        *loss = r ? alvk_graph_add(g, *loss, l) : l;
    }
    TEST_OK(range < 0 ? alvk_graph_backward(g, *loss) : alvk_graph_backward_params(g, *loss, 0, range));
    TEST_OK(alvk_graph_output(g, *loss));
    TEST_OK(alvk_graph_compile(g));
    return g;
}

/* Runs it on batch `first` (and the next, twice). */
static void run_cnn(alvk_graph *g, int twice, const alvk_node xn[2], const alvk_node yn[2],
                    float x[2][CB * CIN * CH * CH], uint32_t labels[2][CB], int first) {
    for (int r = 0; r <= twice; r++) {
        TEST_OK(alvk_graph_set(g, xn[r], x[first + r], sizeof x[first + r], CB));
        TEST_OK(alvk_graph_set(g, yn[r], labels[first + r], sizeof labels[first + r], CB));
    }
    TEST_OK(alvk_graph_run(g, CB));
}

/* Counts a compiled graph's nodes of op `op` with fused_into set
 * (fused) or elided. */
static int fused_nodes(const alvk_graph *g, graph_op op, int elided) {
    int n = 0;
    for (int i = 0; i < g->count; i++)
        n += g->nodes[i].op == op && (elided ? g->nodes[i].elided : g->nodes[i].fused_into != 0);
    return n;
}

static void check_cnn(int mode) {
    int twice = mode == CNN_TWICE;
    /* The leading names of cnn_names differentiated, and the store range
     * (store order: conv.weight, conv.bias, bn.weight, bn.bias, bn's running
     * statistics, fc.weight, fc.bias). */
    int trained = mode == CNN_CONV_ONLY ? 2 : mode == CNN_SPLIT ? 3 : mode == CNN_TWICE ? 4 : 6;
    int range = mode == CNN_ALL ? -1 : mode == CNN_TWICE ? 6 : trained;
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "conv.weight", (uint32_t[]){COUT, CIN, 3, 3}, 4, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "conv.bias", (uint32_t[]){COUT}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "bn.weight", (uint32_t[]){COUT}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "bn.bias", (uint32_t[]){COUT}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "bn.running_mean", (uint32_t[]){COUT}, 1, ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_add(p, "bn.running_var", (uint32_t[]){COUT}, 1, ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_add(p, "fc.weight", (uint32_t[]){CLS, COUT}, 2, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "fc.bias", (uint32_t[]){CLS}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_commit(p));
    double *w[6];
    for (int t = 0; t < 6; t++) {
        int i = alvk_params_find(p, cnn_names[t]);
        size_t n = alvk_params_numel(p, i, 0);
        float v[128];
        w[t] = malloc(n * sizeof *w[t]);
        for (size_t k = 0; k < n; k++) v[k] = (float)(0.3 * sin(1.3 * (double)k + t) + (t == 2 ? 1 : 0));
        TEST_OK(alvk_params_write(p, i, v, sizeof v));
        for (size_t k = 0; k < n; k++) w[t][k] = v[k];
    }
    float x[2][CB * CIN * CH * CH];
    uint32_t labels[2][CB] = {{2, 0, 1}, {1, 1, 0}};
    for (int i = 0; i < CB * CIN * CH * CH; i++) x[0][i] = (float)cos(0.37 * i * i), x[1][i] = (float)sin(0.23 * i);

    /* Gradients outside the range must keep what was there: a full
     * backward on another batch puts values there first (0 otherwise). */
    alvk_node xn[2], yn[2], loss = -1;
    float *before[6] = {0};
    if (mode == CNN_CONV_ONLY || mode == CNN_SPLIT) {
        alvk_graph *prime = cnn_graph(ctx, p, 0, -1, xn, yn, &loss);
        run_cnn(prime, 0, xn, yn, x, labels, 1);
        alvk_graph_destroy(prime);
    }
    for (int t = trained; t < 6; t++) before[t] = read_grad(ctx, p, cnn_names[t]);

    alvk_graph *g = cnn_graph(ctx, p, twice, range, xn, yn, &loss);
    /* The conv bias's gradients, summed by batch norm's backward (fuse.c). */
    cr_expect_eq(fused_nodes(g, OP_CHANNEL_SUM, 1), twice ? 2 : 1);
    run_cnn(g, twice, xn, yn, x, labels, 0);
    float got;
    TEST_OK(alvk_graph_read(g, loss, &got, sizeof got));
#define CNN_LOSS() (cnn_loss(w, x[0], labels[0]) + (twice ? cnn_loss(w, x[1], labels[1]) : 0))
    double want = CNN_LOSS();
    cr_expect(fabs(got - want) < 1e-5 * (1 + fabs(want)), "loss %g, want %g", got, want);
    for (int t = 0; t < 6; t++) {
        float *gr = read_grad(ctx, p, cnn_names[t]);
        size_t n = alvk_params_numel(p, alvk_params_find(p, cnn_names[t]), 0);
        for (size_t k = 0; k < n && t >= trained; k++)
            cr_expect(gr[k] == before[t][k], "d%s[%zu] = %g changed (was %g)", cnn_names[t], k,
                      gr[k], before[t][k]);
        for (size_t k = 0; k < n && t < trained; k++) {
            double keep = w[t][k], hh = 1e-6;
            w[t][k] = keep + hh;
            double up = CNN_LOSS();
            w[t][k] = keep - hh;
            double down = CNN_LOSS();
            w[t][k] = keep;
            double fd = (up - down) / (2 * hh);
            cr_expect(fabs(gr[k] - fd) < 1e-4 * (1 + fabs(fd)), "d%s[%zu] = %g, want %g",
                      cnn_names[t], k, gr[k], fd);
        }
        free(gr);
        free(before[t]);
    }
#undef CNN_LOSS
    /* Training mode updated the running statistics. */
    float rm[COUT];
    TEST_OK(alvk_params_read(p, alvk_params_find(p, "bn.running_mean"), rm, sizeof rm));
    cr_expect(rm[0] != 0.0f, "the running mean moved");
    for (int t = 0; t < 6; t++) free(w[t]);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(graph, grad_of_batch_norm_weights_says_why_it_cannot) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    static const char *const parts[] = {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};
    for (int k = 0; k < 4; k++)
        TEST_OK(alvk_params_add(p, parts[k], (uint32_t[]){COUT}, 1, k < 2 ? ALVK_PARAM_TRAINABLE : ALVK_PARAM_STATE,
                                NULL));
    TEST_OK(alvk_params_commit(p));
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, CB, ALVK_GRAPH_TRAIN, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){COUT, CH, CH}, 3);
    alvk_node y = alvk_graph_mean(g, alvk_graph_batchnorm(g, x, "bn"));
    cr_expect_eq(alvk_graph_grad(g, y, alvk_graph_param(g, "bn.weight")), -1);
    cr_expect_eq(alvk_graph_compile(g), ALVK_ERROR_UNSUPPORTED);
    cr_expect(strstr(alvk_last_error(), "batch-norm weight"), "not \"does not depend\": %s", alvk_last_error());
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(graph, a_convolutional_net_matches_the_reference) { check_cnn(CNN_ALL); }

Test(graph, a_net_applied_twice_sums_its_batch_norm_gradients) { check_cnn(CNN_TWICE); }

Test(graph, batch_norm_outside_the_differentiated_range_keeps_its_gradients) {
    check_cnn(CNN_CONV_ONLY);
}

Test(graph, a_range_that_splits_batch_norm_weights_writes_only_its_own) { check_cnn(CNN_SPLIT); }

/* Evaluation folds batch norm into the convolution before it (fuse.c,
 * fold_batchnorm): conv -> bn -> relu matches the reference with nonzero
 * running statistics, the batch norm becomes a view with no dispatch, and a
 * convolution whose output is also read elsewhere keeps its batch norm.
 * Folding reorders the rounding, so the tolerance is the conv's. */
Test(graph, evaluation_folds_batch_norm_into_the_convolution) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "conv.weight", (uint32_t[]){COUT, CIN, 3, 3}, 4, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "conv.bias", (uint32_t[]){COUT}, 1, ALVK_PARAM_TRAINABLE, NULL));
    static const char *const bn[] = {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};
    for (int k = 0; k < 4; k++)
        TEST_OK(alvk_params_add(p, bn[k], (uint32_t[]){COUT}, 1, k < 2 ? ALVK_PARAM_TRAINABLE : ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_commit(p));
    double w[COUT * CIN * 9], b[COUT], t[4][COUT];
    float v[COUT * CIN * 9];
    for (int i = 0; i < COUT * CIN * 9; i++) w[i] = v[i] = (float)(0.3 * sin(1.3 * i));
    TEST_OK(alvk_params_write(p, alvk_params_find(p, "conv.weight"), v, sizeof v));
    for (int i = 0; i < COUT; i++) b[i] = v[i] = (float)(0.1 * i - 0.2);
    TEST_OK(alvk_params_write(p, alvk_params_find(p, "conv.bias"), v, sizeof v));
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < COUT; i++)
            t[k][i] = v[i] = (float)(k == 3 ? 0.5 + 0.3 * i : k == 0 ? 1.5 - 0.4 * i : 0.2 * cos(i + k));
        TEST_OK(alvk_params_write(p, alvk_params_find(p, bn[k]), v, sizeof v));
    }
    float x[CB * CIN * CH * CH];
    double xd[CB * CIN * CH * CH], y[CB * COUT * CH * CH], z[CB * COUT * CH * CH];
    for (int i = 0; i < CB * CIN * CH * CH; i++) xd[i] = x[i] = (float)cos(0.37 * i * i);
    ref_conv c = {CB, CIN, CH, CH, COUT, 3, 3, 1, 1};
    ref_conv2d(&c, xd, w, b, y);
    ref_batchnorm_eval(CB, COUT, CH * CH, 1e-5, y, t[0], t[1], t[2], t[3], z);
    for (int shared = 0; shared <= 1; shared++) {
        alvk_graph *g;
        TEST_OK(alvk_graph_create(ctx, p, CB, ALVK_GRAPH_EVAL, &g));
        alvk_node xn = alvk_graph_input(g, (uint32_t[]){CIN, CH, CH}, 3);
        alvk_node conv = alvk_graph_conv2d(g, xn, alvk_graph_param(g, "conv.weight"),
                                           alvk_graph_param(g, "conv.bias"), 1, 1);
        alvk_node bnn = alvk_graph_batchnorm(g, conv, "bn");
        alvk_node out = alvk_graph_relu(g, bnn);
        if (shared) out = alvk_graph_add(g, out, alvk_graph_relu(g, conv)); /* conv read twice */
        TEST_OK(alvk_graph_output(g, out));
        TEST_OK(alvk_graph_compile(g));
        cr_expect_eq(graph_at(g, bnn)->fused_into, shared ? 0 : index_of(conv), "folded into the conv: %d",
                     graph_at(g, bnn)->fused_into);
        TEST_OK(alvk_graph_set(g, xn, x, sizeof x, CB));
        TEST_OK(alvk_graph_run(g, CB));
        float got[CB * COUT * CH * CH];
        TEST_OK(alvk_graph_read(g, out, got, sizeof got));
        for (int i = 0; i < CB * COUT * CH * CH; i++) {
            double want = (z[i] > 0 ? z[i] : 0) + (shared && y[i] > 0 ? y[i] : 0);
            cr_assert(fabs(got[i] - want) <= 2e-5 * (1 + fabs(want)), "%s: output %d is %.7g, want %.7g",
                      shared ? "conv read twice" : "folded", i, got[i], want);
        }
        alvk_graph_destroy(g);
    }
    alvk_params_destroy(p);
    test_close(ctx);
}

/* An evaluation graph's batch-norm folds and weight packs read parameters
 * alone, so the plan lets them run ahead of the activations (their scratch
 * planned apart): a chain of convolutions with batch norm folded in takes
 * one barrier more than the same chain without batch norm (the first fold),
 * not one more per convolution. */
Test(graph, evaluation_folds_run_ahead_of_the_activations) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    static const char *const bn[] = {"weight", "bias", "running_mean", "running_var"};
    char name[32];
    for (int l = 0; l < 4; l++) {
        snprintf(name, sizeof name, "c%d.weight", l);
        TEST_OK(alvk_params_add(p, name, (uint32_t[]){COUT, l ? COUT : CIN, 3, 3}, 4, ALVK_PARAM_TRAINABLE, NULL));
        snprintf(name, sizeof name, "c%d.bias", l);
        TEST_OK(alvk_params_add(p, name, (uint32_t[]){COUT}, 1, ALVK_PARAM_TRAINABLE, NULL));
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "b%d.%s", l, bn[k]);
            TEST_OK(alvk_params_add(p, name, (uint32_t[]){COUT}, 1, k < 2 ? ALVK_PARAM_TRAINABLE : ALVK_PARAM_STATE, NULL));
        }
    }
    TEST_OK(alvk_params_commit(p));
    uint32_t barriers[2];
    for (int with_bn = 0; with_bn <= 1; with_bn++) {
        alvk_graph *g;
        TEST_OK(alvk_graph_create(ctx, p, CB, ALVK_GRAPH_EVAL, &g));
        alvk_node x = alvk_graph_input(g, (uint32_t[]){CIN, CH, CH}, 3), y = x;
        for (int l = 0; l < 4; l++) {
            char w[32], b[32];
            snprintf(w, sizeof w, "c%d.weight", l), snprintf(b, sizeof b, "c%d.bias", l), snprintf(name, sizeof name, "b%d", l);
            y = alvk_graph_conv2d(g, y, alvk_graph_param(g, w), alvk_graph_param(g, b), 1, 1);
            if (with_bn) y = alvk_graph_batchnorm(g, y, name);
            y = alvk_graph_relu(g, y);
        }
        TEST_OK(alvk_graph_output(g, y));
        TEST_OK(alvk_graph_compile(g));
        float in[CB * CIN * CH * CH] = {0};
        TEST_OK(alvk_graph_set(g, x, in, sizeof in, CB));
        TEST_OK(alvk_graph_run(g, CB));
        alvk_graph_stats st;
        TEST_OK(alvk_graph_stats_get(g, &st));
        barriers[with_bn] = st.barriers;
        alvk_graph_destroy(g);
    }
    cr_expect_eq(barriers[1], barriers[0] + 1, "folded: %u barriers, without batch norm %u (only the first "
                 "fold, with nothing before it, adds one)", barriers[1], barriers[0]);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* A committed store with ResNet18 and a 10-class head, and its training
 * graph at batch `batch` (input images, labels, loss; Adam when asked). */
static alvk_graph *resnet_train_graph(alvk_context *ctx, alvk_params **p, uint32_t batch, int adam,
                                      alvk_node *x, alvk_node *y, alvk_node *loss) {
    TEST_OK(alvk_params_create(ctx, p));
    TEST_OK(alvk_model_resnet18(*p, 1, 10));
    TEST_OK(alvk_params_commit(*p));
    TEST_OK(alvk_params_initialize(*p, 1));
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, *p, batch, ALVK_GRAPH_TRAIN, &g));
    *x = alvk_graph_input(g, (uint32_t[]){1, 28, 28}, 3);
    *y = alvk_graph_labels(g);
    alvk_node logits = alvk_graph_linear(g, alvk_graph_resnet18(g, *x), alvk_graph_param(g, "fc.weight"),
                                         alvk_graph_param(g, "fc.bias"));
    *loss = alvk_graph_softmax_ce(g, logits, *y);
    TEST_OK(alvk_graph_backward(g, *loss));
    if (adam) TEST_OK(alvk_graph_adam(g, 1e-3, 0.9, 0.999, 1e-8));
    TEST_OK(alvk_graph_output(g, *loss));
    TEST_OK(alvk_graph_compile(g));
    return g;
}

/* ResNet18 on 28x28 MNIST-sized inputs trains a step: the graph builds
 * from the store's names, plans memory, runs under validation, gives a
 * loss near ln 10 at initialisation, and repeats bit for bit. */
Test(graph, resnet18_runs_a_training_step) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    alvk_node x, y, loss;
    alvk_graph *g = resnet_train_graph(ctx, &p, 4, 0, &x, &y, &loss);
    cr_expect(alvk_graph_peak_bytes(g) > 0 && alvk_graph_peak_bytes(g) < (64u << 20),
              "planned %llu bytes", (unsigned long long)alvk_graph_peak_bytes(g));
    float img[4 * 784];
    uint32_t labels[4] = {3, 1, 4, 1};
    for (int i = 0; i < 4 * 784; i++) img[i] = (float)((i * 37) % 256) / 255.0f;
    TEST_OK(alvk_graph_set(g, x, img, sizeof img, 4));
    TEST_OK(alvk_graph_set(g, y, labels, sizeof labels, 4));
    float l1, l2;
    TEST_OK(alvk_params_snapshot(p));
    TEST_OK(alvk_graph_run(g, 4));
    TEST_OK(alvk_graph_read(g, loss, &l1, sizeof l1));
    float *g1 = read_grad(ctx, p, "layer2.0.conv1.weight");
    TEST_OK(alvk_params_restore(p)); /* the running statistics moved */
    TEST_OK(alvk_graph_run(g, 4));
    TEST_OK(alvk_graph_read(g, loss, &l2, sizeof l2));
    float *g2 = read_grad(ctx, p, "layer2.0.conv1.weight");
    cr_expect(isfinite(l1) && fabs(l1 - log(10.0)) < 1.5, "loss %g at initialisation", l1);
    cr_expect_eq(l1, l2, "a rerun from the same state repeats bit for bit");
    cr_expect(memcmp(g1, g2, 128 * 64 * 9 * sizeof(float)) == 0, "gradients repeat bit for bit");
    double norm = 0;
    for (int i = 0; i < 128 * 64 * 9; i++) norm += (double)g1[i] * g1[i];
    cr_expect(norm > 0 && isfinite(norm), "gradients flow to layer2");
    free(g1), free(g2);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* Nodes of op (a convolution, its data gradient, or a batch norm: then
 * of the convolution before it) of k x k kernels whose store adds a
 * residual. */
static int residual_hosts(const alvk_graph *g, graph_op op, uint32_t k) {
    int n = 0;
    for (int i = 0; i < g->count; i++) {
        const node *c = &g->nodes[i], *conv = op == OP_BATCHNORM ? &g->nodes[c->in[0]] : c;
        n += c->op == op && c->residual >= 0 && g->nodes[conv->in[1]].shape[2] == k;
    }
    return n;
}

/* The bias adds whose GEMM can take them: where the device's race has the
 * GEMM split K (gemm.c), it rounds otherwise and the add stays apart. */
static int bias_adds_that_fuse(const alvk_graph *g) {
    int n = 0;
    for (int i = 0; i < g->count; i++)
        n += g->nodes[i].op == OP_BIAS_ADD && graph_matmul_fuses(g, g->nodes[i].in[0]);
    return n;
}

/* The training graph's fusions (fuse.c): every ReLU into the batch norm
 * before it, the 8 residual adds with them, the 9 ReLU gradients that feed
 * a batch-norm backward alone into it, the 7 adds of a block's two
 * branch gradients into the ReLU gradient after them (the eighth, before
 * the max pool's backward, into layer1's first convolution's data
 * gradient), 7 of those ReLU gradients into the data gradient
 * of the convolution that computes one of the two (the eighth follows the
 * average pool's backward; layer4's runs as a GEMM alone, and fuses only
 * where that GEMM would not split K), the 19 convolution bias gradients
 * into the batch-norm backward whose dx they sum (serial sums or a
 * workgroup's: alvk_op_channel_sum adds in the same order), the
 * classifier's bias into its GEMM, the loss's gradient into the loss's
 * kernel, and the
 * average pool over layer4's 1x1 maps and its gradient (copies) into
 * their inputs' memory; the step's loss and every gradient
 * equal the unfused graph's bit for bit, in fewer commands and barriers. */
Test(graph, training_fuses_relu_residual_adds_and_relu_gradients_bit_for_bit) {
    alvk_context *ctx = test_open(NULL);
    float img[2 * 784], loss[2], *grads[2];
    uint32_t labels[2] = {7, 2}, commands[2], barriers[2];
    for (int i = 0; i < 2 * 784; i++) img[i] = (float)((i * 53) % 256) / 255.0f;
    int into_conv = 6 + alvk_conv2d_backward_data_fuses_exactly(ctx, &(alvk_conv){2, 512, 1, 1, 512, 3, 3, 1, 1});
    int bias = 0; /* the head's bias add fused into its GEMM: 1, or 0 where the GEMM splits K */
    for (int fused = 0; fused <= 1; fused++) {
        ctx->env.fuse = fused; /* ALVK_FUSE, as read at creation */
        alvk_params *p;
        alvk_node x, y, l;
        alvk_graph *g = resnet_train_graph(ctx, &p, 2, 0, &x, &y, &l);
        cr_expect_eq(fused_nodes(g, OP_RELU, 0), fused ? 17 : 0);
        cr_expect_eq(fused_nodes(g, OP_ADD, 0), fused ? 9 : 0);
        cr_expect_eq(fused_nodes(g, OP_RELU_GRAD, 1), fused ? 9 : 0);
        cr_expect_eq(fused_nodes(g, OP_ADD, 1), fused ? 7 : 0);
        cr_expect_eq(fused_nodes(g, OP_RELU_GRAD, 0), fused ? into_conv : 0);
        cr_expect_eq(fused_nodes(g, OP_CHANNEL_SUM, 1), fused ? 19 : 0);
        cr_expect_eq(fused_nodes(g, OP_AVGPOOL, 0) + fused_nodes(g, OP_AVGPOOL_BWD, 0), fused ? 2 : 0);
        cr_expect_eq(fused_nodes(g, OP_SOFTMAX_CE_BWD, 1), fused ? 1 : 0);
        /* A downsampling block's shortcut runs beside its main branch,
         * forward and backward: the main branch's bn2 takes the residual
         * add, and its first convolution's data gradient the add of the two
         * branches' (autodiff's sweep order). */
        cr_expect_eq(residual_hosts(g, OP_BATCHNORM, 3), fused ? 8 : 0);
        cr_expect_eq(residual_hosts(g, OP_BATCHNORM, 1) + residual_hosts(g, OP_CONV_BWD_DATA, 1), 0,
                     "a shortcut waits for its block's main branch");
        bias = bias_adds_that_fuse(g);
        cr_expect_eq(fused_nodes(g, OP_BIAS_ADD, 0), fused ? bias : 0);
        TEST_OK(alvk_graph_set(g, x, img, sizeof img, 2));
        TEST_OK(alvk_graph_set(g, y, labels, sizeof labels, 2));
        TEST_OK(alvk_graph_run(g, 2));
        TEST_OK(alvk_graph_read(g, l, &loss[fused], sizeof loss[fused]));
        grads[fused] = malloc(4 * alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE));
        cr_assert(grads[fused]);
        TEST_OK(alvk_params_read_grad(p, -1, grads[fused], 4 * alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE)));
        alvk_graph_stats st;
        TEST_OK(alvk_graph_stats_get(g, &st));
        commands[fused] = st.commands, barriers[fused] = st.barriers;
        cr_expect_eq(st.commands, alvk_cmd_commands(g->recordings[0].cmd));
        cr_expect_eq(st.nodes, (uint32_t)g->count);
        cr_expect(st.arena_bytes == alvk_graph_peak_bytes(g));
        cr_expect_eq(st.scratch_bytes, 0, "scratch outside the plan: %llu bytes", (unsigned long long)st.scratch_bytes);
        if (fused)
            cr_expect(memcmp(grads[0], grads[1], 4 * alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE)) == 0,
                      "gradients differ from the unfused graph's");
        alvk_graph_destroy(g);
        alvk_params_destroy(p);
    }
    cr_expect_eq(loss[0], loss[1], "loss %.9g unfused, %.9g fused", loss[0], loss[1]);
    cr_expect_eq(commands[1],
                 commands[0] - 17 - 9 - 9 - 7 - 2 - 1 - (uint32_t)(into_conv + 19 + bias),
                 "%u commands unfused, %u fused", commands[0], commands[1]);
    cr_expect_lt(barriers[1], barriers[0]);
    cr_expect_lt(barriers[0], commands[0], "independent work shares barriers");
    free(grads[0]), free(grads[1]);
    test_close(ctx);
}

/* The evaluation graph's fusions: batch norm folded into every
 * convolution, every ReLU and residual add into the convolution's store
 * (each block's second 3x3 convolution, so that a downsampling block's
 * 1x1 shortcut runs beside the main branch, not after it), the
 * classifier's bias into its GEMM, the pool over 1x1 maps a view; its
 * logits equal the unfused graph's bit for bit (folding alone is on in
 * both: it is what reorders rounding). */
Test(graph, evaluation_fuses_relu_and_residual_adds_into_convolutions_bit_for_bit) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_model_resnet18(p, 1, 10));
    TEST_OK(alvk_params_commit(p));
    TEST_OK(alvk_params_initialize(p, 3));
    float img[3 * 784], logits[2][30];
    for (int i = 0; i < 3 * 784; i++) img[i] = (float)((i * 29) % 256) / 255.0f;
    uint32_t commands[2];
    int bias = 0; /* as in the training graph's test */
    for (int fused = 0; fused <= 1; fused++) {
        ctx->env.fuse = fused; /* ALVK_FUSE, as read at creation */
        alvk_graph *g;
        TEST_OK(alvk_graph_create(ctx, p, 3, ALVK_GRAPH_EVAL, &g));
        alvk_node x = alvk_graph_input(g, (uint32_t[]){1, 28, 28}, 3);
        alvk_node out = alvk_graph_linear(g, alvk_graph_resnet18(g, x), alvk_graph_param(g, "fc.weight"),
                                          alvk_graph_param(g, "fc.bias"));
        TEST_OK(alvk_graph_output(g, out));
        TEST_OK(alvk_graph_compile(g));
        cr_expect_eq(fused_nodes(g, OP_BATCHNORM, 0), 20);
        cr_expect_eq(fused_nodes(g, OP_RELU, 0), fused ? 17 : 0);
        cr_expect_eq(fused_nodes(g, OP_ADD, 0), fused ? 8 : 0);
        cr_expect_eq(fused_nodes(g, OP_AVGPOOL, 0), fused);
        cr_expect_eq(residual_hosts(g, OP_CONV2D, 3), fused ? 8 : 0);
        cr_expect_eq(residual_hosts(g, OP_CONV2D, 1), 0,
                     "a shortcut convolution waits for its block's main branch");
        bias = bias_adds_that_fuse(g);
        cr_expect_eq(fused_nodes(g, OP_BIAS_ADD, 0), fused ? bias : 0);
        TEST_OK(alvk_graph_set(g, x, img, sizeof img, 3));
        TEST_OK(alvk_graph_run(g, 3));
        TEST_OK(alvk_graph_read(g, out, logits[fused], sizeof logits[fused]));
        commands[fused] = alvk_cmd_commands(g->recordings[0].cmd);
        alvk_graph_destroy(g);
    }
    cr_expect(memcmp(logits[0], logits[1], sizeof logits[0]) == 0, "logits differ: %.9g vs %.9g",
              logits[0][0], logits[1][0]);
    cr_expect_eq(commands[1], commands[0] - 17 - 8 - 1 - (uint32_t)bias, "%u commands unfused, %u fused",
                 commands[0], commands[1]);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* A residual operand that is node 0 (the graph's first input) fuses like
 * any other: relu(conv(x) + b + x) with x node 0 matches the reference
 * (node indices of 0 once meant "none" in the fusion fields). */
Test(graph, a_residual_from_the_first_node_is_kept) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    enum { C = 4, H = 5, B = 2 };
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "w", (uint32_t[]){C, C, 3, 3}, 4, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "b", (uint32_t[]){C}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_commit(p));
    float wf[C * C * 9], bf[C], x[B * C * H * H], got[B * C * H * H];
    double w[C * C * 9], b[C], xd[B * C * H * H], y[B * C * H * H];
    for (int i = 0; i < C * C * 9; i++) w[i] = wf[i] = (float)(0.2 * sin(0.7 * i));
    for (int i = 0; i < C; i++) b[i] = bf[i] = (float)(0.05 * i - 0.1);
    for (int i = 0; i < B * C * H * H; i++) xd[i] = x[i] = (float)cos(0.31 * i);
    TEST_OK(alvk_params_write(p, 0, wf, sizeof wf));
    TEST_OK(alvk_params_write(p, 1, bf, sizeof bf));
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, B, ALVK_GRAPH_EVAL, &g));
    alvk_node xn = alvk_graph_input(g, (uint32_t[]){C, H, H}, 3);
    cr_assert_eq(index_of(xn), 0);
    alvk_node conv = alvk_graph_conv2d(g, xn, alvk_graph_param(g, "w"), alvk_graph_param(g, "b"), 1, 1);
    alvk_node add = alvk_graph_add(g, conv, xn), out = alvk_graph_relu(g, add);
    TEST_OK(alvk_graph_output(g, out));
    TEST_OK(alvk_graph_compile(g));
    cr_expect_eq(graph_at(g, add)->fused_into, index_of(conv), "the add fused into the convolution");
    TEST_OK(alvk_graph_set(g, xn, x, sizeof x, B));
    TEST_OK(alvk_graph_run(g, B));
    TEST_OK(alvk_graph_read(g, out, got, sizeof got));
    ref_conv c = {B, C, H, H, C, 3, 3, 1, 1};
    ref_conv2d(&c, xd, w, b, y);
    for (int i = 0; i < B * C * H * H; i++) {
        double want = y[i] + xd[i] > 0 ? y[i] + xd[i] : 0;
        cr_assert(fabs(got[i] - want) <= 1e-5 * (1 + fabs(want)), "output %d is %.7g, want %.7g", i, got[i], want);
    }
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* A graph with Adam appended is a whole training step: one step moves
 * every weight by lr against its gradient's sign (Adam's first step), the
 * device counts the steps, and repeated steps drive the loss down. */
Test(graph, adam_in_the_graph_trains) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = mlp_store(ctx);
    float x[MAXB * IN];
    uint32_t y[MAXB];
    mlp_batch(x, y);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, MAXB, ALVK_GRAPH_TRAIN, &g));
    alvk_node xn, yn, loss = build_mlp(g, &xn, &yn);
    TEST_OK(alvk_graph_backward(g, loss));
    const double lr = 0.01;
    TEST_OK(alvk_graph_adam(g, lr, 0.9, 0.999, 1e-8));
    TEST_OK(alvk_graph_output(g, loss));
    TEST_OK(alvk_graph_compile(g));
    TEST_OK(alvk_graph_set(g, xn, x, sizeof x, MAXB));
    TEST_OK(alvk_graph_set(g, yn, y, sizeof y, MAXB));
    int w1 = alvk_params_find(p, "m.0.weight");
    float before[HID * IN], after[HID * IN];
    TEST_OK(alvk_params_read(p, w1, before, sizeof before));
    TEST_OK(alvk_graph_run(g, MAXB));
    TEST_OK(alvk_params_read(p, w1, after, sizeof after));
    float *grad = read_grad(ctx, p, "m.0.weight");
    int moved = 0;
    for (int k = 0; k < HID * IN; k++) {
        if (fabsf(grad[k]) < 1e-5f) continue; /* a dead unit: Adam's step is g / (|g| + eps) */
        double want = before[k] - lr * (grad[k] > 0 ? 1 : -1);
        cr_expect(fabs(after[k] - want) < 2e-5, "w[%d]: %g -> %g, want %g", k, before[k], after[k], want);
        moved++;
    }
    cr_expect_gt(moved, 10);
    float first, last = 0;
    TEST_OK(alvk_graph_read(g, loss, &first, sizeof first));
    for (int s = 1; s < 60; s++) TEST_OK(alvk_graph_run(g, MAXB));
    TEST_OK(alvk_graph_read(g, loss, &last, sizeof last));
    cr_expect_lt(last, 0.5f * first, "60 steps: loss %g -> %g", first, last);
    uint32_t steps;
    alvk_buffer sb = alvk_params_steps(p);
    TEST_OK(alvk_buffer_read(ctx, &sb, 0, &steps, 4));
    cr_expect_eq(steps, 60, "the device counted the steps");
    TEST_OK(alvk_params_reset_optimizer(p));
    TEST_OK(alvk_buffer_read(ctx, &sb, 0, &steps, 4));
    cr_expect_eq(steps, 0);
    free(grad);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* Batches come from a pool on the device: gathered images and labels match
 * the dataset, and the correct-count node counts argmax hits. */
/* Five steps of the MLP with one Adam over everything (groups = 0) or one
 * per layer; returns all weights, read back in a malloc'd array. */
static float *adam_steps(alvk_context *ctx, int groups) {
    alvk_params *p = mlp_store(ctx);
    float x[MAXB * IN];
    uint32_t y[MAXB];
    mlp_batch(x, y);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, MAXB, ALVK_GRAPH_TRAIN, &g));
    alvk_node xn, yn, loss = build_mlp(g, &xn, &yn);
    TEST_OK(alvk_graph_backward(g, loss));
    if (groups) {
        TEST_OK(alvk_graph_adam_params(g, 0, 2, 0.01, 0.9, 0.999, 1e-8));
        TEST_OK(alvk_graph_adam_params(g, 2, 2, 0.01, 0.9, 0.999, 1e-8));
    } else {
        TEST_OK(alvk_graph_adam(g, 0.01, 0.9, 0.999, 1e-8));
    }
    TEST_OK(alvk_graph_compile(g));
    TEST_OK(alvk_graph_set(g, xn, x, sizeof x, MAXB));
    TEST_OK(alvk_graph_set(g, yn, y, sizeof y, MAXB));
    for (int s = 0; s < 5; s++) TEST_OK(alvk_graph_run(g, MAXB));
    uint32_t steps;
    alvk_buffer sb = alvk_params_steps(p);
    TEST_OK(alvk_buffer_read(ctx, &sb, 0, &steps, 4));
    cr_expect_eq(steps, 5, "one count per run, however many optimisers");
    float *all = malloc(sizeof(float) * (HID * IN + HID + OUT * HID + OUT)), *at = all;
    for (int t = 0; t < 4; t++) {
        TEST_OK(alvk_params_read(p, alvk_params_find(p, mlp_names[t]), at, mlp_sizes[t] * sizeof *at));
        at += mlp_sizes[t];
    }
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    return all;
}

Test(graph, adam_per_parameter_group_equals_one_adam) {
    alvk_context *ctx = test_open(NULL);
    float *one = adam_steps(ctx, 0), *two = adam_steps(ctx, 1);
    int n = HID * IN + HID + OUT * HID + OUT;
    cr_expect(memcmp(one, two, sizeof(float) * (size_t)n) == 0, "two groups step as one Adam does");
    free(one);
    free(two);
    test_close(ctx);
}

Test(graph, gathers_batches_from_a_pool) {
    const char *mnist = getenv("ALVK_DATA");
    alvk_dataset *ds;
    if (!mnist || alvk_dataset_load(mnist, "t10k", 10, &ds) != ALVK_OK)
        cr_skip_test("MNIST not fetched (ALVK_DATA)");
    alvk_context *ctx = test_open(NULL);
    alvk_pool *pool;
    TEST_OK(alvk_pool_create(ctx, ds, &pool));
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 8, ALVK_GRAPH_EVAL, &g));
    alvk_node idx = alvk_graph_indices(g), img = alvk_graph_gather(g, pool, idx);
    alvk_node lab = alvk_graph_gathered_labels(g, img);
    alvk_node logits = alvk_graph_input(g, (uint32_t[]){10}, 1);
    alvk_node hits = alvk_graph_correct(g, logits, lab);
    TEST_OK(alvk_graph_output(g, img));
    TEST_OK(alvk_graph_output(g, hits));
    TEST_OK(alvk_graph_compile(g));
    uint32_t rows[5] = {0, 9999, 1234, 7, 7};
    const uint8_t *labels = alvk_dataset_labels(ds), *pixels = alvk_dataset_images(ds);
    float z[5 * 10] = {0};
    for (int b = 0; b < 5; b++) z[b * 10 + (b < 3 ? labels[rows[b]] : (labels[rows[b]] + 1) % 10)] = 1;
    TEST_OK(alvk_graph_set(g, idx, rows, sizeof rows, 5));
    TEST_OK(alvk_graph_set(g, logits, z, sizeof z, 5));
    TEST_OK(alvk_graph_run(g, 5));
    float got[5 * 784];
    uint32_t count, got_labels[5];
    TEST_OK(alvk_graph_read(g, img, got, sizeof got));
    TEST_OK(alvk_graph_read(g, hits, &count, sizeof count));
    TEST_OK(alvk_graph_read(g, lab, got_labels, sizeof got_labels));
    for (int b = 0; b < 5; b++) {
        cr_expect_eq(got_labels[b], labels[rows[b]]);
        /* Vulkan lets a shader's division be 2.5 ulp off (NVIDIA's is 1 ulp
         * off on some pixels): 3 ulp of tolerance, relative. */
        for (int i = 0; i < 784; i++) {
            float want = pixels[rows[b] * 784 + i] / 255.0f;
            cr_assert(fabsf(got[b * 784 + i] - want) <= 3 * FLT_EPSILON * want, "row %d pixel %d: %.9g, want %.9g",
                      b, i, got[b * 784 + i], want);
        }
    }
    cr_expect_eq(count, 3, "three rows have their label as argmax");
    alvk_graph_destroy(g);
    alvk_pool_destroy(pool);
    alvk_dataset_destroy(ds);
    test_close(ctx);
}

/* On ResNet18's training graph the planner never gives two tensors that
 * are live at the same time overlapping memory, and reuse brings the peak
 * well below the sum of all tensors; a steady-state step is one queue
 * submission. */
Test(graph, resnet18_plan_is_sound_and_a_step_is_one_submission) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    alvk_node x, y, loss;
    alvk_graph *g = resnet_train_graph(ctx, &p, 8, 1, &x, &y, &loss);
    /* Every (range, lifetime) pair of arena blocks: outputs, aux and the
     * ops' scratch (live while its node records) alike. */
    typedef struct { uint64_t lo, hi; int first, last; } span;
    span *spans = calloc(5 * (size_t)g->count, sizeof *spans);
    int n = 0;
    uint64_t sum = 0;
    for (int i = 0; i < g->count; i++) {
        const node *nd = &g->nodes[i];
        int in_store = nd->op == OP_PARAM || nd->op == OP_TO_GRAD || nd->grad_of >= 0;
        uint64_t off[5] = {nd->offset, nd->aux_offset[0], nd->aux_offset[1], nd->scratch_offset[0],
                           nd->scratch_offset[1]};
        uint64_t len[5] = {nd->bytes, nd->aux_bytes[0], nd->aux_bytes[1], nd->scratch_bytes[0],
                           nd->scratch_bytes[1]};
        for (int k = in_store ? 3 : 0; k < 5; k++)
            if (len[k]) {
                spans[n++] = (span){off[k], off[k] + len[k], k >= 3 ? i : nd->first, k >= 3 ? i : nd->last};
                sum += len[k];
                cr_assert_leq(off[k] + len[k], alvk_graph_peak_bytes(g), "node %d outside the arena", i);
            }
    }
    int overlaps = 0;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            int live = !(spans[a].last < spans[b].first || spans[b].last < spans[a].first);
            int share = spans[a].lo < spans[b].hi && spans[b].lo < spans[a].hi;
            overlaps += live && share;
        }
    cr_expect_eq(overlaps, 0, "%d pairs of live tensors share memory", overlaps);
    cr_expect_lt(alvk_graph_peak_bytes(g), sum, "peak %llu of %llu bytes in all",
                 (unsigned long long)alvk_graph_peak_bytes(g), (unsigned long long)sum);
    free(spans);

    float img[8 * 784] = {0};
    uint32_t labels[8] = {0};
    TEST_OK(alvk_graph_set(g, x, img, sizeof img, 8));
    TEST_OK(alvk_graph_set(g, y, labels, sizeof labels, 8));
    TEST_OK(alvk_graph_run(g, 8)); /* the first run records */
    uint64_t before = ctx->submissions;
    TEST_OK(alvk_graph_set(g, y, labels, sizeof labels, 8));
    TEST_OK(alvk_graph_run(g, 8));
    uint64_t used = ctx->submissions - before;
    if (ctx->memory.device.mapped) cr_expect_eq(used, 1, "a training step took %llu submissions",
                                                (unsigned long long)used);
    /* The reported peak is the device memory the graph holds: destroying
     * it gives back that much (the ops' scratch is planned in it). */
    uint64_t held = alvk_memory_in_use(ctx), peak = alvk_graph_peak_bytes(g);
    alvk_graph_destroy(g);
    uint64_t freed = held - alvk_memory_in_use(ctx);
    cr_expect(freed >= peak && freed - peak <= freed / 20, "the graph held %llu bytes, reported %llu",
              (unsigned long long)freed, (unsigned long long)peak);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* A few hundred real images: an MLP's training loss falls and its training
 * accuracy reaches 100 %; the same seed repeats the final loss bit for bit. */
static float train_small(alvk_dataset *ds, uint64_t seed, uint32_t *correct_out) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_model_mlp(p, "m", 784, (uint32_t[]){64}, 1, 10));
    TEST_OK(alvk_params_commit(p));
    TEST_OK(alvk_params_initialize(p, seed));
    alvk_pool *pool;
    TEST_OK(alvk_pool_create(ctx, ds, &pool));
    enum { N = 256 };
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, N, ALVK_GRAPH_TRAIN, &g));
    alvk_node idx = alvk_graph_indices(g), img = alvk_graph_gather(g, pool, idx);
    alvk_node logits = alvk_graph_mlp(g, alvk_graph_reshape(g, img, (uint32_t[]){784}, 1), "m", 2);
    alvk_node loss = alvk_graph_softmax_ce(g, logits, alvk_graph_gathered_labels(g, img));
    alvk_node hits = alvk_graph_correct(g, logits, alvk_graph_gathered_labels(g, img));
    TEST_OK(alvk_graph_backward(g, loss));
    TEST_OK(alvk_graph_adam(g, 1e-3, 0.9, 0.999, 1e-8));
    TEST_OK(alvk_graph_output(g, loss));
    TEST_OK(alvk_graph_output(g, hits));
    TEST_OK(alvk_graph_compile(g));
    uint32_t rows[N];
    for (uint32_t i = 0; i < N; i++) rows[i] = i * 37 % alvk_dataset_count(ds);
    float first = 0, last = 0;
    uint32_t correct = 0;
    TEST_OK(alvk_graph_set(g, idx, rows, sizeof rows, N));
    for (int s = 0; s < 150; s++) {
        TEST_OK(alvk_graph_run(g, N));
        if (s == 0) TEST_OK(alvk_graph_read(g, loss, &first, sizeof first));
    }
    TEST_OK(alvk_graph_read(g, loss, &last, sizeof last));
    TEST_OK(alvk_graph_read(g, hits, &correct, sizeof correct));
    cr_expect_lt(last, 0.1f * first, "loss %g -> %g", first, last);
    *correct_out = correct;
    alvk_graph_destroy(g);
    alvk_pool_destroy(pool);
    alvk_params_destroy(p);
    test_close(ctx);
    return last;
}

Test(graph, training_fits_a_few_hundred_images_reproducibly) {
    const char *mnist = getenv("ALVK_DATA");
    alvk_dataset *ds;
    if (!mnist || alvk_dataset_load(mnist, "t10k", 10, &ds) != ALVK_OK)
        cr_skip_test("MNIST not fetched (ALVK_DATA)");
    uint32_t c1, c2;
    float a = train_small(ds, 9, &c1), b = train_small(ds, 9, &c2);
    cr_expect_eq(c1, 256, "training accuracy %u / 256", c1);
    cr_expect(memcmp(&a, &b, sizeof a) == 0, "same seed, final loss %.9g vs %.9g", a, b);
    alvk_dataset_destroy(ds);
}

/* Two contexts in one process are independent: each runs its own graph,
 * interleaved, and gets the same answer it would get alone. */
Test(graph, two_contexts_in_one_process) {
    alvk_context *ctx[2] = {test_open(NULL), test_open(NULL)};
    alvk_graph *g[2];
    alvk_node x[2], y[2];
    for (int c = 0; c < 2; c++) {
        TEST_OK(alvk_graph_create(ctx[c], NULL, 4, ALVK_GRAPH_EVAL, &g[c]));
        x[c] = alvk_graph_input(g[c], (uint32_t[]){8}, 1);
        y[c] = alvk_graph_mean(g[c], alvk_graph_square(g[c], x[c]));
        TEST_OK(alvk_graph_output(g[c], y[c]));
        TEST_OK(alvk_graph_compile(g[c]));
    }
    float in[2][32], out[2];
    for (int i = 0; i < 32; i++) in[0][i] = (float)i / 8, in[1][i] = 1.0f;
    for (int round = 0; round < 3; round++)
        for (int c = 0; c < 2; c++) {
            TEST_OK(alvk_graph_set(g[c], x[c], in[c], sizeof in[c], 4));
            TEST_OK(alvk_graph_run(g[c], 4));
            TEST_OK(alvk_graph_read(g[c], y[c], &out[c], sizeof out[c]));
        }
    double want = 0;
    for (int i = 0; i < 32; i++) want += (double)in[0][i] * in[0][i] / 32;
    cr_expect(fabs(out[0] - want) < 1e-5 * want, "context 0: %g, want %g", out[0], want);
    cr_expect_eq(out[1], 1.0f, "context 1: %g", out[1]);
    for (int c = 0; c < 2; c++) {
        alvk_graph_destroy(g[c]);
        test_close(ctx[c]);
    }
}

/* A builder call that must fail: -1 at once, and compile reports `phrase`
 * (the first error sticks). */
static void expect_refused(alvk_graph *g, alvk_node got, const char *phrase) {
    cr_expect_eq(got, -1, "refused: %s", phrase);
    cr_expect_eq(alvk_graph_compile(g), ALVK_ERROR_INVALID_ARGUMENT, "compile reports it: %s", phrase);
    cr_expect(strstr(alvk_last_error(), phrase), "the message says \"%s\": %s", phrase, alvk_last_error());
}

/* A fresh training graph for one refusal. */
static alvk_graph *fresh(alvk_context *ctx, alvk_graph_mode mode) {
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 4, mode, &g));
    return g;
}

Test(graph, concat_refuses_operands_that_do_not_line_up) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = mlp_store(ctx);
    alvk_graph *g = fresh(ctx, ALVK_GRAPH_TRAIN);
    alvk_node a = alvk_graph_input(g, (uint32_t[]){2, 4, 4}, 3), b = alvk_graph_input(g, (uint32_t[]){3, 4, 5}, 3);
    expect_refused(g, alvk_graph_concat(g, a, b), "differ in dimension 1 (channels) alone");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    a = alvk_graph_input(g, (uint32_t[]){2, 4, 4}, 3), b = alvk_graph_input(g, (uint32_t[]){3, 4}, 2);
    expect_refused(g, alvk_graph_concat(g, a, b), "b [B,3,4]");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    a = alvk_graph_sum_rows(g, alvk_graph_input(g, (uint32_t[]){5}, 1)); /* [B]: nothing to join along */
    expect_refused(g, alvk_graph_concat(g, a, a), "2 to 4 dimensions");
    alvk_graph_destroy(g);
    TEST_OK(alvk_graph_create(ctx, p, 4, ALVK_GRAPH_TRAIN, &g)); /* a batch beside a store tensor */
    a = alvk_graph_input(g, (uint32_t[]){IN}, 1), b = alvk_graph_param(g, "m.0.weight");
    expect_refused(g, alvk_graph_concat(g, a, b), "concat: a [B,5] and b [7,5]");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    a = alvk_graph_input(g, (uint32_t[]){3}, 1);
    expect_refused(g, alvk_graph_concat(g, a, alvk_graph_labels(g)), "uint32");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    a = alvk_graph_input(g, (uint32_t[]){3}, 1);
    expect_refused(g, alvk_graph_concat(g, 12345, a), "not a node of this graph");
    alvk_graph_destroy(g);
    cr_expect_eq(alvk_graph_concat(NULL, 0, 1), -1, "no graph: no crash");
    alvk_params_destroy(p);
    test_close(ctx);
}

/* Dropout's masks, run after run at several batch sizes, bit for bit
 * against the host's definition (alvk_random of seed, run, element), its
 * gradient through the same mask in the same run, and the share kept. */
Test(graph, dropout_masks_follow_the_seed_the_run_and_the_element) {
    enum { F = 256, MAXROWS = 4 };
    const float p = 0.3f;
    const uint64_t seed = 99;
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g = fresh(ctx, ALVK_GRAPH_TRAIN);
    alvk_node x = alvk_graph_input(g, (uint32_t[]){F}, 1), w = alvk_graph_input(g, (uint32_t[]){F}, 1);
    alvk_node y = alvk_graph_dropout(g, x, p, seed);
    alvk_node dx = alvk_graph_grad(g, alvk_graph_mul(g, y, w), x); /* w * mask * scale */
    TEST_OK(alvk_graph_output(g, y));
    TEST_OK(alvk_graph_output(g, dx));
    TEST_OK(alvk_graph_compile(g));
    static float xs[MAXROWS * F], ws[MAXROWS * F], got_y[MAXROWS * F], got_dx[MAXROWS * F];
    for (int i = 0; i < MAXROWS * F; i++) xs[i] = (float)(i % 97) / 13.0f - 3.0f, ws[i] = (float)(i % 89) / 7.0f + 0.5f;
    const float scale = (float)(1.0 / (1.0 - (double)p));
    static const uint32_t batches[] = {4, 4, 2, 3, 1, 4};
    size_t kept = 0, total = 0, differs_from_run0 = 0;
    for (uint32_t run = 0; run < sizeof batches / sizeof batches[0]; run++) {
        uint32_t b = batches[run];
        TEST_OK(alvk_graph_set(g, x, xs, sizeof xs, b));
        TEST_OK(alvk_graph_set(g, w, ws, sizeof ws, b));
        TEST_OK(alvk_graph_run(g, b));
        TEST_OK(alvk_graph_read(g, y, got_y, sizeof got_y));
        TEST_OK(alvk_graph_read(g, dx, got_dx, sizeof got_dx));
        size_t bad = 0;
        for (size_t k = 0; k < (size_t)b * F; k++) {
            int keep = ref_dropout_keeps(seed, run, p, k);
            float want_y = xs[k] * (keep ? scale : 0.0f), want_dx = ws[k] * (keep ? scale : 0.0f);
            bad += got_y[k] != want_y || got_dx[k] != want_dx;
            kept += (size_t)keep, total++;
            differs_from_run0 += run > 0 && keep != ref_dropout_keeps(seed, 0, p, k);
        }
        cr_expect_eq(bad, 0, "run %u (batch %u): %zu values differ from the host's mask", run, b, bad);
    }
    cr_expect(differs_from_run0 > 0, "each run draws a new mask");
    double share = (double)kept / (double)total; /* 4,608 draws: a standard deviation of 0.0068 */
    cr_expect(fabs(share - (1 - p)) < 0.03, "kept %.4f of the elements, want about %.2f", share, 1 - p);
    alvk_graph_destroy(g);
    test_close(ctx);
}

Test(graph, dropout_is_the_identity_in_evaluation_and_refuses_bad_input) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g = fresh(ctx, ALVK_GRAPH_EVAL);
    alvk_node x = alvk_graph_input(g, (uint32_t[]){8}, 1);
    cr_expect_eq(alvk_graph_dropout(g, x, 0.5f, 1), x, "evaluation: x itself");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    x = alvk_graph_input(g, (uint32_t[]){8}, 1);
    cr_expect_eq(alvk_graph_dropout(g, x, 0.0f, 1), x, "p = 0: x itself");
    alvk_graph_destroy(g);
    static const float bad_p[] = {1.0f, -0.1f, 1.5f, NAN};
    for (int eval = 0; eval < 2; eval++)
        for (size_t i = 0; i < sizeof bad_p / sizeof bad_p[0]; i++) {
            g = fresh(ctx, eval ? ALVK_GRAPH_EVAL : ALVK_GRAPH_TRAIN);
            x = alvk_graph_input(g, (uint32_t[]){8}, 1);
            expect_refused(g, alvk_graph_dropout(g, x, bad_p[i], 1), "must be in [0, 1)");
            alvk_graph_destroy(g);
        }
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    expect_refused(g, alvk_graph_dropout(g, alvk_graph_labels(g), 0.5f, 1), "uint32");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    expect_refused(g, alvk_graph_dropout(g, 7, 0.5f, 1), "not a node of this graph");
    alvk_graph_destroy(g);
    cr_expect_eq(alvk_graph_dropout(NULL, 0, 0.5f, 1), -1, "no graph: no crash");
    test_close(ctx);
}

/* A pool built from the caller's memory gathers like one loaded from
 * files: pixels / 255 and the labels, at the indices asked for. */
Test(graph, gathers_from_a_pool_built_from_memory) {
    enum { COUNT = 6, ROWS = 3, COLS = 5, PIX = ROWS * COLS };
    uint8_t images[COUNT * PIX], labels[COUNT] = {4, 0, 2, 2, 1, 3};
    for (int i = 0; i < COUNT * PIX; i++) images[i] = (uint8_t)(i * 37 + 5);
    alvk_dataset *ds;
    TEST_OK(alvk_dataset_create(images, labels, COUNT, ROWS, COLS, 5, &ds));
    alvk_context *ctx = test_open(NULL);
    alvk_pool *pool;
    TEST_OK(alvk_pool_create(ctx, ds, &pool));
    alvk_dataset_destroy(ds); /* the pool holds its own copy */
    alvk_graph *g = fresh(ctx, ALVK_GRAPH_EVAL);
    alvk_node idx = alvk_graph_indices(g), img = alvk_graph_gather(g, pool, idx);
    alvk_node lab = alvk_graph_gathered_labels(g, img);
    TEST_OK(alvk_graph_output(g, img));
    TEST_OK(alvk_graph_compile(g));
    uint32_t rows[3] = {5, 0, 3}, got_labels[3];
    float got[3 * PIX];
    TEST_OK(alvk_graph_set(g, idx, rows, sizeof rows, 3));
    TEST_OK(alvk_graph_run(g, 3));
    TEST_OK(alvk_graph_read(g, img, got, sizeof got));
    TEST_OK(alvk_graph_read(g, lab, got_labels, sizeof got_labels));
    for (int b = 0; b < 3; b++) {
        cr_expect_eq(got_labels[b], labels[rows[b]], "row %d's label", b);
        for (int i = 0; i < PIX; i++) {
            float want = images[rows[b] * PIX + i] / 255.0f; /* 3 ulp: a shader's division */
            cr_expect(fabsf(got[b * PIX + i] - want) <= 3 * FLT_EPSILON * want, "row %d pixel %d: %.9g, want %.9g",
                      b, i, got[b * PIX + i], want);
        }
    }
    alvk_graph_destroy(g);
    alvk_pool_destroy(pool);
    test_close(ctx);
}

/* Pooling windows that cannot be, each refused at its builder with the
 * cause (average and max pooling share the check). */
Test(graph, pooling_refuses_impossible_windows) {
    alvk_context *ctx = test_open(NULL);
    static const struct {
        uint32_t k, stride, pad;
        const char *phrase;
    } bad[] = {{0, 1, 0, "window 0, stride 1: neither may be 0"},
               {2, 0, 0, "window 2, stride 0: neither may be 0"},
               {3, 1, 2, "pad 2 is more than half the window 3"},
               {7, 1, 0, "a 7x7 window (pad 0) does not fit the 5x6 input"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        for (int max = 0; max < 2; max++) {
            alvk_graph *g = fresh(ctx, ALVK_GRAPH_TRAIN);
            alvk_node x = alvk_graph_input(g, (uint32_t[]){2, 5, 6}, 3);
            alvk_node y = max ? alvk_graph_maxpool2d(g, x, bad[i].k, bad[i].stride, bad[i].pad)
                              : alvk_graph_avgpool2d(g, x, bad[i].k, bad[i].stride, bad[i].pad);
            expect_refused(g, y, bad[i].phrase);
            cr_expect(strstr(alvk_last_error(), max ? "maxpool2d" : "avgpool2d"), "%s", alvk_last_error());
            alvk_graph_destroy(g);
        }
    alvk_graph *g = fresh(ctx, ALVK_GRAPH_TRAIN);
    expect_refused(g, alvk_graph_avgpool2d(g, alvk_graph_input(g, (uint32_t[]){30}, 1), 2, 2, 0), "must be NCHW");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    expect_refused(g, alvk_graph_avgpool2d(g, alvk_graph_labels(g), 2, 2, 0), "uint32");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    expect_refused(g, alvk_graph_gelu(g, alvk_graph_labels(g)), "uint32");
    alvk_graph_destroy(g);
    g = fresh(ctx, ALVK_GRAPH_TRAIN);
    expect_refused(g, alvk_graph_gelu(g, 3), "gelu: operand 3 is not a node of this graph");
    alvk_graph_destroy(g);
    cr_expect_eq(alvk_graph_avgpool2d(NULL, 0, 2, 2, 0), -1, "no graph: no crash");
    cr_expect_eq(alvk_graph_gelu(NULL, 0), -1, "no graph: no crash");
    test_close(ctx);
}
