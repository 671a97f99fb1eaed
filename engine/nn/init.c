/* Initialisers: torch.nn.init's recipes (constant, normal, uniform,
 * Kaiming, Xavier, PyTorch's Linear default) drawn from the counter-based
 * generator, with PyTorch's fans; alvk_params_initialize, which applies
 * each tensor's recipe or the default its name and shape call for. */
#include "params.h"
#include "core/error.h"
#include "core/random.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NAME_CAP 192 /* a tensor name (< 128) and a suffix */

/* A tensor's stream number: a hash of its name, so values do not depend
 * on the order tensors were declared in. */
static uint64_t stream_of(const char *name) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
    return h;
}

/* PyTorch's _calculate_fan_in_and_fan_out: dimension 1 and 0 times the
 * receptive field (every dimension past the second). 0 when the tensor has
 * fewer than 2 dimensions, where PyTorch raises. */
static void fans(const alvk_params *p, int i, double *fan_in, double *fan_out) {
    uint32_t shape[ALVK_MAX_DIMS], nd = alvk_params_shape(p, i, shape);
    double field = 1;
    for (uint32_t d = 2; d < nd; d++)
        field *= shape[d];
    *fan_in = nd >= 2 ? shape[1] * field : 0;
    *fan_out = nd >= 2 ? shape[0] * field : 0;
}

/* The gain squared: squares are what the variances take, and 2 for ReLU is
 * exact where sqrt(2) squared is not (so sqrt(2 / fan) is computed as it
 * always was, and models' values do not move by an ulp). */
static double gain_squared(const alvk_init *d) {
    if (d->gain > 0) return d->gain * d->gain;
    int xavier = d->kind == ALVK_INIT_XAVIER_NORMAL || d->kind == ALVK_INIT_XAVIER_UNIFORM;
    switch (d->nonlinearity) {
    case ALVK_GAIN_LINEAR:
        return 1;
    case ALVK_GAIN_RELU:
        return 2;
    case ALVK_GAIN_LEAKY_RELU:
        return 2 / (1 + d->slope * d->slope);
    case ALVK_GAIN_TANH:
        return 25.0 / 9;
    default:
        return xavier ? 1 : 2;
    }
}

static int fan_based(alvk_init_kind k) {
    return k == ALVK_INIT_KAIMING_NORMAL || k == ALVK_INIT_KAIMING_UNIFORM ||
           k == ALVK_INIT_TORCH_DEFAULT;
}

static int finite(double x) { return x == x && x - x == 0; }

/* Checks a recipe against tensor i; `what` names the public call. */
static alvk_status check(const alvk_params *p, int i, const alvk_init *d, const char *what) {
    alvk_status s = alvk_params_usable(p, what);
    if (s != ALVK_OK) return s;
    if (i < 0 || i >= alvk_params_count(p))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: no tensor %d", what, i);
    const char *name = alvk_params_name(p, i);
    if (!d) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s(%s): desc is NULL", what, name);
    if ((unsigned)d->kind > ALVK_INIT_TORCH_DEFAULT || (unsigned)d->mode > ALVK_FAN_OUT ||
        (unsigned)d->nonlinearity > ALVK_GAIN_TANH)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "%s(%s): unknown kind %d, mode %d or nonlinearity %d", what, name,
                          (int)d->kind, (int)d->mode, (int)d->nonlinearity);
    if (!finite(d->value) || !finite(d->mean) || !finite(d->std) || !finite(d->low) ||
        !finite(d->high) || !finite(d->slope) || !finite(d->gain))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s(%s): a field is not a finite number",
                          what, name);
    if (d->std < 0 || d->low > d->high || d->gain < 0)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "%s(%s): std %g < 0, low %g > high %g, or gain "
                          "%g < 0",
                          what, name, d->std, d->low, d->high, d->gain);
    double fan_in, fan_out;
    fans(p, i, &fan_in, &fan_out);
    if ((fan_based(d->kind) && !d->fan && !fan_in) ||
        ((d->kind == ALVK_INIT_XAVIER_NORMAL || d->kind == ALVK_INIT_XAVIER_UNIFORM) && !fan_in))
        return alvk_error(
            ALVK_ERROR_INVALID_ARGUMENT,
            "%s(%s): a 1-dimensional tensor has no fan; "
            "Kaiming and the Torch default need desc.fan, Xavier 2 or more dimensions",
            what, name);
    return ALVK_OK;
}

/* Draws tensor i's n values into v under a checked recipe. Symmetric
 * uniforms are b (2u - 1), as they always were here; U(low, high) is
 * low + (high - low) u, as torch's uniform_. */
static void draw(const alvk_params *p, int i, const alvk_init *d, uint64_t seed, float *v,
                 uint64_t n) {
    uint64_t stream = stream_of(alvk_params_name(p, i));
    double fan_in, fan_out;
    fans(p, i, &fan_in, &fan_out);
    double fan = d->fan ? d->fan : d->mode == ALVK_FAN_OUT ? fan_out : fan_in, g2 = gain_squared(d);
    double mean = 0, std = 0, low = 0, high = 1, bound = 0;
    int normal = 0, symmetric = 0;
    switch (d->kind) {
    case ALVK_INIT_CONSTANT:
        for (uint64_t k = 0; k < n; k++)
            v[k] = (float)d->value;
        return;
    case ALVK_INIT_NORMAL:
        normal = 1, mean = d->mean, std = d->std ? d->std : 1;
        break;
    case ALVK_INIT_UNIFORM:
        if (d->low || d->high) low = d->low, high = d->high;
        break;
    case ALVK_INIT_KAIMING_NORMAL:
        normal = 1, std = sqrt(g2 / fan);
        break;
    case ALVK_INIT_KAIMING_UNIFORM:
        symmetric = 1, bound = sqrt(3 * g2 / fan);
        break;
    case ALVK_INIT_XAVIER_NORMAL:
        normal = 1, std = sqrt(2 * g2 / (fan_in + fan_out));
        break;
    case ALVK_INIT_XAVIER_UNIFORM:
        symmetric = 1, bound = sqrt(6 * g2 / (fan_in + fan_out));
        break;
    case ALVK_INIT_TORCH_DEFAULT:
        symmetric = 1, bound = 1.0 / sqrt(d->fan ? (double)d->fan : fan_in);
        break;
    }
    for (uint64_t k = 0; k < n; k++) {
        if (normal)
            v[k] = (float)(mean + std * alvk_random_normal(seed, stream, k));
        else if (symmetric)
            v[k] = (float)(bound * (2 * alvk_random_uniform(seed, stream, k) - 1));
        else
            v[k] = (float)(low + (high - low) * alvk_random_uniform(seed, stream, k));
    }
}

/* Whether the store holds PREFIX + suffix, PREFIX being name up to its last
 * dot (the layer a tensor belongs to). */
static int sibling(const alvk_params *p, const char *name, const char *suffix, int *index) {
    const char *dot = strrchr(name, '.');
    char other[NAME_CAP];
    size_t len = dot ? (size_t)(dot - name) : 0;
    if (!dot || len + strlen(suffix) + 1 >= sizeof other) return 0;
    memcpy(other, name, len);
    strcpy(other + len, suffix);
    int k = alvk_params_find(p, other);
    if (index) *index = k;
    return k >= 0;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* What a tensor declared without a recipe starts as: what the PyTorch module
 * its name and shape suggest would give it (batch norm's running variance
 * and weight 1, a weight matrix or kernel and its bias PyTorch's Linear and
 * Conv2d default), else zeros. */
static alvk_init default_recipe(const alvk_params *p, int i) {
    const char *name = alvk_params_name(p, i);
    uint32_t shape[ALVK_MAX_DIMS], nd = alvk_params_shape(p, i, shape);
    int w;
    if (alvk_params_kind(p, i) == ALVK_PARAM_STATE)
        return (alvk_init){.value = ends_with(name, ".running_var") ? 1 : 0};
    if (sibling(p, name, ".running_var", NULL)) /* a batch norm's weight and bias */
        return (alvk_init){.value = ends_with(name, ".weight") ? 1 : 0};
    if (nd >= 2) return (alvk_init){.kind = ALVK_INIT_TORCH_DEFAULT};
    if (ends_with(name, ".bias") && sibling(p, name, ".weight", &w) &&
        alvk_params_shape(p, w, shape) >= 2) {
        double fan_in, fan_out;
        fans(p, w, &fan_in, &fan_out);
        return (alvk_init){.kind = ALVK_INIT_TORCH_DEFAULT, .fan = (uint32_t)fan_in};
    }
    return (alvk_init){0};
}

/* Draws and writes tensor i; v holds room for its values. */
static alvk_status fill(alvk_params *p, int i, const alvk_init *d, uint64_t seed, float *v) {
    draw(p, i, d, seed, v, alvk_params_numel(p, i, 0));
    return alvk_params_write(p, i, v, alvk_params_numel(p, i, 0) * sizeof *v);
}

alvk_status alvk_params_init(alvk_params *p, int i, const alvk_init *d, uint64_t seed) {
    alvk_status s = check(p, i, d, "alvk_params_init");
    if (s != ALVK_OK) return s;
    if (!alvk_params_committed(p))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "alvk_params_init(%s): the store is not committed "
                          "(alvk_params_commit first)",
                          alvk_params_name(p, i));
    float *v = malloc(alvk_params_numel(p, i, 0) * sizeof *v);
    if (!v)
        return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY,
                          "alvk_params_init(%s): allocating %llu values", alvk_params_name(p, i),
                          (unsigned long long)alvk_params_numel(p, i, 0));
    s = fill(p, i, d, seed, v);
    free(v);
    return s;
}

alvk_status alvk_params_set_init(alvk_params *p, int i, const alvk_init *d) {
    alvk_status s = check(p, i, d, "alvk_params_set_init");
    if (s == ALVK_OK) alvk_params_put_recipe(p, i, d);
    return s;
}

alvk_status alvk_params_initialize(alvk_params *p, uint64_t seed) {
    if (alvk_params_usable(p, "alvk_params_initialize") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!alvk_params_committed(p))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "alvk_params_initialize: no store, or the store is "
                          "not committed (alvk_params_commit first)");
    int n = alvk_params_count(p);
    uint64_t largest = 0;
    for (int i = 0; i < n; i++)
        if (alvk_params_numel(p, i, 0) > largest) largest = alvk_params_numel(p, i, 0);
    float *v = malloc((largest ? largest : 1) * sizeof *v);
    if (!v) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "initialising parameters");
    alvk_status s = ALVK_OK;
    for (int i = 0; i < n && s == ALVK_OK; i++) {
        const alvk_init *recipe = alvk_params_recipe(p, i);
        alvk_init fallback = recipe ? *recipe : default_recipe(p, i);
        s = fill(p, i, &fallback, seed, v);
    }
    free(v);
    return s;
}
