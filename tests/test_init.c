/* Initialisers (alvk_params_init, alvk_params_set_init) and what
 * alvk_params_initialize gives tensors a program declares itself: the
 * statistics of every recipe on a large tensor against the distribution
 * asked for, PyTorch's fans, bounds, determinism, the defaults by name
 * (batch norm's weight and running variance 1), and bad input refused
 * without touching the store. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A convolution kernel [OUT_C, IN_C, 3, 3]: fan_in 128 * 9, fan_out 256 * 9
 * (PyTorch's), 294,912 values. */
enum { OUT_C = 256, IN_C = 128, BIAS_N = 1000 };
static const double FAN_IN = IN_C * 9.0, FAN_OUT = OUT_C * 9.0;

static alvk_params *big_store(alvk_context *ctx, int *w, int *b) {
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "conv.weight", (uint32_t[]){OUT_C, IN_C, 3, 3}, 4, ALVK_PARAM_TRAINABLE, w));
    TEST_OK(alvk_params_add(p, "conv.bias", (uint32_t[]){BIAS_N}, 1, ALVK_PARAM_TRAINABLE, b));
    TEST_OK(alvk_params_commit(p));
    return p;
}

static float *read_tensor(alvk_params *p, int i) {
    size_t n = alvk_params_numel(p, i, 0);
    float *v = malloc(n * sizeof *v);
    cr_assert(v);
    TEST_OK(alvk_params_read(p, i, v, n * sizeof *v));
    return v;
}

typedef struct stats {
    double mean, std, lo, hi;
} stats;

static stats stats_of(alvk_params *p, int i) {
    size_t n = alvk_params_numel(p, i, 0);
    float *v = read_tensor(p, i);
    stats s = {0, 0, INFINITY, -INFINITY};
    double s2 = 0;
    for (size_t k = 0; k < n; k++) s.mean += v[k], s2 += (double)v[k] * v[k];
    for (size_t k = 0; k < n; k++) s.lo = fmin(s.lo, v[k]), s.hi = fmax(s.hi, v[k]);
    s.mean /= (double)n;
    s.std = sqrt(s2 / (double)n - s.mean * s.mean);
    free(v);
    return s;
}

/* Draws desc into tensor i and checks mean and std (tolerances: the mean
 * within 0.01 std, the std within 1 %, both several times the sampling
 * noise of 294,912 values) and, for uniforms, the bounds [lo, hi] with
 * the extremes near them. */
static void expect_drawn(alvk_params *p, int i, alvk_init desc, double mean, double std,
                         double lo, double hi, const char *what) {
    TEST_OK(alvk_params_init(p, i, &desc, 11));
    stats s = stats_of(p, i);
    cr_expect(fabs(s.mean - mean) < 0.01 * std, "%s: mean %g, want %g", what, s.mean, mean);
    cr_expect(fabs(s.std / std - 1) < 0.01, "%s: std %g, want %g", what, s.std, std);
    if (lo < hi) {
        double margin = 0.01 * (hi - lo);
        cr_expect(s.lo >= lo && s.hi <= hi, "%s: values in [%g, %g], outside [%g, %g]", what, s.lo,
                  s.hi, lo, hi);
        cr_expect(s.lo < lo + margin && s.hi > hi - margin, "%s: [%g, %g] does not reach [%g, %g]",
                  what, s.lo, s.hi, lo, hi);
    }
}

Test(init, initialisers_draw_the_requested_distributions) {
    alvk_context *ctx = test_open(NULL);
    int w, b;
    alvk_params *p = big_store(ctx, &w, &b);
    const double r3 = sqrt(3.0), none = 0;
    /* Kaiming: gain / sqrt(fan); PyTorch's defaults are fan_in and ReLU. */
    double std = sqrt(2 / FAN_IN);
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL}, 0, std, none, none, "kaiming normal");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL, .mode = ALVK_FAN_OUT}, 0,
                 sqrt(2 / FAN_OUT), none, none, "kaiming normal fan_out");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL, .nonlinearity = ALVK_GAIN_LINEAR}, 0,
                 sqrt(1 / FAN_IN), none, none, "kaiming normal, linear gain");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL, .nonlinearity = ALVK_GAIN_LEAKY_RELU,
                                   .slope = 0.2},
                 0, sqrt(2 / 1.04 / FAN_IN), none, none, "kaiming normal, leaky ReLU gain");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL, .nonlinearity = ALVK_GAIN_TANH}, 0,
                 5.0 / 3 / sqrt(FAN_IN), none, none, "kaiming normal, tanh gain");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL, .gain = 0.5}, 0, 0.5 / sqrt(FAN_IN),
                 none, none, "kaiming normal, gain 0.5");
    double bound = sqrt(6 / FAN_IN);
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_KAIMING_UNIFORM}, 0, bound / r3, -bound, bound,
                 "kaiming uniform");
    bound = sqrt(3 / FAN_OUT);
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_KAIMING_UNIFORM, .mode = ALVK_FAN_OUT,
                                   .nonlinearity = ALVK_GAIN_LINEAR},
                 0, bound / r3, -bound, bound, "kaiming uniform fan_out, linear gain");
    /* Xavier: gain sqrt(2 / (fan_in + fan_out)); the default gain is 1. */
    std = sqrt(2 / (FAN_IN + FAN_OUT));
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_XAVIER_NORMAL}, 0, std, none, none, "xavier normal");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_XAVIER_NORMAL, .nonlinearity = ALVK_GAIN_RELU}, 0,
                 sqrt(2.0) * std, none, none, "xavier normal, ReLU gain");
    bound = sqrt(6 / (FAN_IN + FAN_OUT));
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_XAVIER_UNIFORM}, 0, bound / r3, -bound, bound,
                 "xavier uniform");
    /* Plain distributions, and their defaults N(0, 1) and U(0, 1). */
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_NORMAL, .mean = 3, .std = 0.5}, 3, 0.5, none, none,
                 "normal(3, 0.5)");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_NORMAL}, 0, 1, none, none, "normal()");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_UNIFORM, .low = -2, .high = 5}, 1.5, 7 / sqrt(12.0),
                 -2, 5, "uniform(-2, 5)");
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_UNIFORM}, 0.5, 1 / sqrt(12.0), 0, 1, "uniform()");
    /* PyTorch's Linear/Conv2d default, on the weight and on a bias given its fan. */
    bound = 1 / sqrt(FAN_IN);
    expect_drawn(p, w, (alvk_init){.kind = ALVK_INIT_TORCH_DEFAULT}, 0, bound / r3, -bound, bound,
                 "torch default");
    TEST_OK(alvk_params_init(p, b, &(alvk_init){.kind = ALVK_INIT_TORCH_DEFAULT, .fan = 64}, 3));
    stats s = stats_of(p, b);
    cr_expect(s.lo >= -0.125 && s.hi <= 0.125 && s.hi - s.lo > 0.2, "bias, fan 64: [%g, %g]", s.lo, s.hi);
    TEST_OK(alvk_params_init(p, b, &(alvk_init){.kind = ALVK_INIT_KAIMING_UNIFORM, .fan = 6}, 3));
    s = stats_of(p, b);
    cr_expect(s.lo >= -1 && s.hi <= 1 && s.hi - s.lo > 1.9, "bias, Kaiming with fan 6: [%g, %g]", s.lo, s.hi);
    /* Constants: zeros by default. */
    TEST_OK(alvk_params_init(p, w, &(alvk_init){.value = 0.25}, 1));
    s = stats_of(p, w);
    cr_expect(s.lo == 0.25 && s.hi == 0.25, "constant 0.25: [%g, %g]", s.lo, s.hi);
    TEST_OK(alvk_params_init(p, w, &(alvk_init){0}, 1));
    s = stats_of(p, w);
    cr_expect(s.lo == 0 && s.hi == 0, "zeros: [%g, %g]", s.lo, s.hi);
    alvk_params_destroy(p);
    test_close(ctx);
}

static int same_bits(alvk_params *p, int i, const float *v) {
    float *now = read_tensor(p, i);
    int same = memcmp(now, v, alvk_params_numel(p, i, 0) * sizeof *v) == 0;
    free(now);
    return same;
}

/* A seed gives the same values, another seed others; alvk_params_init is
 * what alvk_params_initialize gives under the same recipe; a built-in
 * model's tensor takes the values its documented recipe gives. */
Test(init, initialisers_are_deterministic) {
    alvk_context *ctx = test_open(NULL);
    int w, b;
    alvk_params *p = big_store(ctx, &w, &b);
    alvk_init xavier = {.kind = ALVK_INIT_XAVIER_UNIFORM};
    TEST_OK(alvk_params_init(p, w, &xavier, 5));
    float *first = read_tensor(p, w);
    TEST_OK(alvk_params_init(p, w, &xavier, 6));
    cr_expect(!same_bits(p, w, first), "another seed, other values");
    TEST_OK(alvk_params_init(p, w, &xavier, 5));
    cr_expect(same_bits(p, w, first), "the same seed, the same values");
    TEST_OK(alvk_params_set_init(p, w, &xavier));
    TEST_OK(alvk_params_init(p, w, &(alvk_init){0}, 5));
    TEST_OK(alvk_params_initialize(p, 5));
    cr_expect(same_bits(p, w, first), "alvk_params_initialize applies the recipe set");
    free(first);

    alvk_params *m;
    TEST_OK(alvk_params_create(ctx, &m));
    TEST_OK(alvk_model_mlp(m, "d", 64, (uint32_t[]){32}, 1, 1));
    TEST_OK(alvk_params_commit(m));
    TEST_OK(alvk_params_initialize(m, 9));
    int d0 = alvk_params_find(m, "d.0.weight");
    float *model = read_tensor(m, d0);
    alvk_init documented = {.kind = ALVK_INIT_KAIMING_NORMAL, .mode = ALVK_FAN_OUT, .nonlinearity = ALVK_GAIN_RELU};
    TEST_OK(alvk_params_init(m, d0, &(alvk_init){0}, 9));
    TEST_OK(alvk_params_init(m, d0, &documented, 9));
    cr_expect(same_bits(m, d0, model), "alvk_model_mlp's weights are Kaiming-normal, fan_out, ReLU gain");
    free(model);
    alvk_params_destroy(m);
    alvk_params_destroy(p);
    test_close(ctx);
}


Test(init, initialisers_refuse_bad_input) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *early;
    TEST_OK(alvk_params_create(ctx, &early));
    TEST_OK(alvk_params_add(early, "w", (uint32_t[]){4, 4}, 2, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_set_init(early, 0, &(alvk_init){.kind = ALVK_INIT_XAVIER_NORMAL})); /* before commit */
    TEST_REFUSED(alvk_params_init(early, 0, &(alvk_init){0}, 1), "not committed");
    TEST_REFUSED(alvk_params_initialize(early, 1), "not committed");
    alvk_params_destroy(early);

    int w, b;
    alvk_params *p = big_store(ctx, &w, &b);
    TEST_OK(alvk_params_init(p, w, &(alvk_init){.value = 7}, 1));
    TEST_OK(alvk_params_init(p, b, &(alvk_init){.value = 7}, 1));
    TEST_REFUSED(alvk_params_init(p, w, NULL, 1), "desc is NULL");
    TEST_REFUSED(alvk_params_init(p, 2, &(alvk_init){0}, 1), "no tensor 2");
    TEST_REFUSED(alvk_params_init(p, -1, &(alvk_init){0}, 1), "no tensor -1");
    TEST_REFUSED(alvk_params_init(NULL, 0, &(alvk_init){0}, 1), "is NULL");
    TEST_REFUSED(alvk_params_init(p, w, &(alvk_init){.kind = ALVK_INIT_NORMAL, .std = -1}, 1), "std -1");
    TEST_REFUSED(alvk_params_init(p, w, &(alvk_init){.kind = ALVK_INIT_UNIFORM, .low = 2, .high = 1}, 1),
                   "low 2 > high 1");
    TEST_REFUSED(alvk_params_init(p, w, &(alvk_init){.kind = (alvk_init_kind)99}, 1), "unknown kind 99");
    TEST_REFUSED(alvk_params_init(p, w, &(alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL, .mode = (alvk_init_fan)5}, 1),
                   "mode 5");
    TEST_REFUSED(alvk_params_init(p, w, &(alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL,
                                                       .nonlinearity = (alvk_init_gain)9}, 1),
                   "nonlinearity 9");
    TEST_REFUSED(alvk_params_init(p, w, &(alvk_init){.kind = ALVK_INIT_NORMAL, .mean = NAN}, 1), "finite");
    TEST_REFUSED(alvk_params_init(p, w, &(alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL, .gain = -1}, 1),
                   "gain -1");
    TEST_REFUSED(alvk_params_init(p, b, &(alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL}, 1), "desc.fan");
    TEST_REFUSED(alvk_params_init(p, b, &(alvk_init){.kind = ALVK_INIT_TORCH_DEFAULT}, 1), "desc.fan");
    TEST_REFUSED(alvk_params_init(p, b, &(alvk_init){.kind = ALVK_INIT_XAVIER_UNIFORM, .fan = 4}, 1), "Xavier");
    TEST_REFUSED(alvk_params_set_init(p, b, &(alvk_init){.kind = ALVK_INIT_KAIMING_UNIFORM}), "alvk_params_set_init");
    cr_expect(strstr(alvk_last_error(), "conv.bias"), "the message names the tensor: %s", alvk_last_error());
    stats s = stats_of(p, w), t = stats_of(p, b);
    cr_expect(s.lo == 7 && s.hi == 7 && t.lo == 7 && t.hi == 7, "a refused call changed the store");
    alvk_params_destroy(p);
    test_close(ctx);
}

/* Tensors declared by hand, without recipes, start as the PyTorch modules
 * their names suggest: a batch norm at weight 1 and running variance 1 (so
 * it passes its input through, where zeros would scale by 0 and divide by
 * sqrt(eps)), a convolution's and a linear layer's weight and bias
 * U(+-1/sqrt(fan_in)), anything else at 0; a recipe set wins. */
Test(init, hand_declared_tensors_start_as_pytorch_modules_do) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    enum { C = 8 };
    static const char *const bn[] = {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};
    for (int k = 0; k < 4; k++)
        TEST_OK(alvk_params_add(p, bn[k], (uint32_t[]){C}, 1, k < 2 ? ALVK_PARAM_TRAINABLE : ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_add(p, "conv.weight", (uint32_t[]){C, 4, 3, 3}, 4, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "conv.bias", (uint32_t[]){C}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "fc.weight", (uint32_t[]){10, 32}, 2, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "fc.bias", (uint32_t[]){10}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "extra", (uint32_t[]){3}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "count", (uint32_t[]){2}, 1, ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_add(p, "scale", (uint32_t[]){3}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_set_init(p, alvk_params_find(p, "scale"), &(alvk_init){.value = 2}));
    TEST_OK(alvk_params_commit(p));
    TEST_OK(alvk_params_initialize(p, 4));
    const struct {
        const char *name;
        double lo, hi; /* equal: a constant */
    } want[] = {{"bn.weight", 1, 1}, {"bn.bias", 0, 0}, {"bn.running_mean", 0, 0}, {"bn.running_var", 1, 1},
                {"conv.weight", -1 / 6.0, 1 / 6.0}, {"conv.bias", -1 / 6.0, 1 / 6.0},
                {"fc.weight", -1 / sqrt(32.0), 1 / sqrt(32.0)}, {"fc.bias", -1 / sqrt(32.0), 1 / sqrt(32.0)},
                {"extra", 0, 0}, {"count", 0, 0}, {"scale", 2, 2}};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        stats s = stats_of(p, alvk_params_find(p, want[k].name));
        if (want[k].lo == want[k].hi)
            cr_expect(s.lo == want[k].lo && s.hi == want[k].lo, "%s: [%g, %g], want %g", want[k].name, s.lo,
                      s.hi, want[k].lo);
        else
            cr_expect(s.lo >= want[k].lo && s.hi <= want[k].hi && s.hi - s.lo > 0.25 * (want[k].hi - want[k].lo),
                      "%s: [%g, %g], want U(%g, %g)", want[k].name, s.lo, s.hi, want[k].lo, want[k].hi);
    }

    /* The hand-declared batch norm, evaluated: x / sqrt(1 + eps). */
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, 2, ALVK_GRAPH_EVAL, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){C, 1, 1}, 3), y = alvk_graph_batchnorm(g, x, "bn");
    TEST_OK(alvk_graph_output(g, y));
    TEST_OK(alvk_graph_compile(g));
    float xs[2 * C], ys[2 * C];
    for (int k = 0; k < 2 * C; k++) xs[k] = (float)(k - 5);
    TEST_OK(alvk_graph_set(g, x, xs, sizeof xs, 2));
    TEST_OK(alvk_graph_run(g, 2));
    TEST_OK(alvk_graph_read(g, y, ys, sizeof ys));
    for (int k = 0; k < 2 * C; k++)
        cr_expect(fabs(ys[k] - xs[k] / sqrt(1 + 1e-5)) < 1e-5, "bn(%g) = %g", xs[k], ys[k]);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}
