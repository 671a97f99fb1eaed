/* Model declarations and initialisation: ResNet18's names, shapes and
 * exact parameter count, the MLP, and initial values with the right
 * distributions, reproducible from the seed. */
#include "harness.h"
#include "core/random.h"
#include "nn/params.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static alvk_params *resnet(alvk_context *ctx, uint32_t classes) {
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_model_resnet18(p, 1, classes));
    TEST_OK(alvk_params_commit(p));
    return p;
}

static void expect_shape(alvk_params *p, const char *name, uint32_t nd, const uint32_t *want) {
    int i = alvk_params_find(p, name);
    cr_assert_geq(i, 0, "no tensor %s", name);
    uint32_t shape[ALVK_MAX_DIMS], got = alvk_params_shape(p, i, shape);
    cr_expect_eq(got, nd, "%s: %u dimensions", name, got);
    for (uint32_t d = 0; d < nd && d < got; d++)
        cr_expect_eq(shape[d], want[d], "%s dimension %u is %u, want %u", name, d, shape[d], want[d]);
}

Test(models, resnet18_has_deeplays_parameters_under_torchvision_names) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = resnet(ctx, 0);
    cr_expect_eq(alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE), 11174976,
                 "deeplay's test asserts 11,174,976 backbone parameters");
    cr_expect_eq(alvk_params_numel(p, -1, ALVK_PARAM_STATE), 2 * 4800, "running statistics");
    expect_shape(p, "conv1.weight", 4, (uint32_t[]){64, 1, 7, 7});
    cr_expect_eq(alvk_params_find(p, "conv1.bias"), -1, "the stem conv has no bias");
    expect_shape(p, "layer1.0.conv1.bias", 1, (uint32_t[]){64});
    expect_shape(p, "layer2.0.conv1.weight", 4, (uint32_t[]){128, 64, 3, 3});
    expect_shape(p, "layer2.0.downsample.0.weight", 4, (uint32_t[]){128, 64, 1, 1});
    expect_shape(p, "layer3.0.downsample.1.running_var", 1, (uint32_t[]){256});
    expect_shape(p, "layer4.1.bn2.weight", 1, (uint32_t[]){512});
    cr_expect_eq(alvk_params_find(p, "layer1.0.downsample.0.weight"), -1);
    cr_expect_eq(alvk_params_find(p, "fc.weight"), -1, "no head without classes");
    alvk_params_destroy(p);
    p = resnet(ctx, 10);
    expect_shape(p, "fc.weight", 2, (uint32_t[]){10, 512});
    cr_expect_eq(alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE), 11174976 + 5130);
    alvk_params_destroy(p);
    test_close(ctx);
}

static float *values(alvk_params *p, const char *name, size_t *n) {
    int i = alvk_params_find(p, name);
    cr_assert_geq(i, 0, "no tensor %s", name);
    *n = alvk_params_numel(p, i, 0);
    float *v = malloc(*n * sizeof *v);
    cr_assert(v);
    TEST_OK(alvk_params_read(p, i, v, *n * sizeof *v));
    return v;
}

static void expect_normal(alvk_params *p, const char *name, double std) {
    size_t n;
    float *v = values(p, name, &n);
    double s = 0, s2 = 0;
    for (size_t k = 0; k < n; k++) s += v[k], s2 += (double)v[k] * v[k];
    double mean = s / n, sd = sqrt(s2 / n - mean * mean);
    /* Tolerances well above sampling noise (n >= 262,144 here). */
    cr_expect(fabs(mean) < 0.01 * std, "%s: mean %g", name, mean);
    cr_expect(fabs(sd / std - 1) < 0.01, "%s: std %g, want %g", name, sd, std);
    free(v);
}

static void expect_constant(alvk_params *p, const char *name, float c) {
    size_t n;
    float *v = values(p, name, &n);
    for (size_t k = 0; k < n; k++) cr_expect_eq(v[k], c, "%s[%zu] = %g", name, k, v[k]);
    free(v);
}

static void expect_uniform(alvk_params *p, const char *name, double bound) {
    size_t n;
    float *v = values(p, name, &n);
    double lo = 1, hi = -1;
    for (size_t k = 0; k < n; k++) lo = fmin(lo, v[k]), hi = fmax(hi, v[k]);
    cr_expect(lo >= -bound && hi <= bound && hi - lo > bound, "%s in [%g, %g], bound %g", name, lo, hi, bound);
    free(v);
}

Test(models, resnet18_initialisation) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = resnet(ctx, 10);
    TEST_OK(alvk_params_initialize(p, 42));
    expect_normal(p, "layer4.0.conv2.weight", sqrt(2.0 / (512 * 9)));
    expect_normal(p, "layer3.1.conv1.weight", sqrt(2.0 / (256 * 9)));
    expect_constant(p, "layer2.0.conv1.bias", 0.0f);
    expect_constant(p, "bn1.weight", 1.0f);
    expect_constant(p, "layer1.1.bn2.bias", 0.0f);
    expect_constant(p, "layer4.0.downsample.1.running_mean", 0.0f);
    expect_constant(p, "layer4.0.downsample.1.running_var", 1.0f);
    expect_uniform(p, "fc.weight", 1 / sqrt(512.0));
    expect_uniform(p, "fc.bias", 1 / sqrt(512.0));
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(models, a_seed_reproduces_the_values_whatever_the_order) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *a, *b, *c;
    uint32_t hidden[2] = {512, 512};
    TEST_OK(alvk_params_create(ctx, &a));
    TEST_OK(alvk_model_mlp(a, "disc", 512, hidden, 2, 1));
    TEST_OK(alvk_params_add(a, "extra", (uint32_t[]){3}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_commit(a));
    TEST_OK(alvk_params_create(ctx, &b)); /* declared in another order */
    TEST_OK(alvk_params_add(b, "extra", (uint32_t[]){3}, 1, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_model_mlp(b, "disc", 512, hidden, 2, 1));
    TEST_OK(alvk_params_commit(b));
    TEST_OK(alvk_params_create(ctx, &c));
    TEST_OK(alvk_model_mlp(c, "disc", 512, hidden, 2, 1));
    TEST_OK(alvk_params_commit(c));
    TEST_OK(alvk_params_initialize(a, 7));
    TEST_OK(alvk_params_initialize(b, 7));
    TEST_OK(alvk_params_initialize(c, 8));
    size_t na, nb, nc;
    float *va = values(a, "disc.1.weight", &na), *vb = values(b, "disc.1.weight", &nb);
    float *vc = values(c, "disc.1.weight", &nc);
    cr_expect(na == nb && memcmp(va, vb, na * sizeof *va) == 0, "same seed, same values");
    cr_expect(memcmp(va, vc, na * sizeof *va) != 0, "another seed, other values");
    expect_shape(a, "disc.2.weight", 2, (uint32_t[]){1, 512});
    expect_normal(a, "disc.1.weight", sqrt(2.0 / 512));
    expect_constant(a, "disc.0.bias", 0.0f);
    free(va), free(vb), free(vc);
    alvk_params_destroy(a), alvk_params_destroy(b), alvk_params_destroy(c);
    test_close(ctx);
}

Test(models, the_generator_is_counter_based_and_normal) {
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int k = 0; k < n; k++) {
        double x = alvk_random_normal(3, 11, (uint64_t)k);
        s += x, s2 += x * x;
    }
    cr_expect(fabs(s / n) < 0.01 && fabs(s2 / n - 1) < 0.02, "mean %g var %g", s / n, s2 / n);
    cr_expect_eq(alvk_random_u64(3, 11, 5), alvk_random_u64(3, 11, 5));
    cr_expect_neq(alvk_random_u64(3, 11, 5), alvk_random_u64(3, 12, 5));
    cr_expect_neq(alvk_random_u64(3, 11, 5), alvk_random_u64(4, 11, 5));
}
