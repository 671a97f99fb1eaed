/* Model declarations: the tensors of ResNet18 (deeplay's variant, with
 * torchvision's names) and of MLPs, each with the initialisation the
 * reference workload uses; and alvk_params_initialize, which applies it. */
#include "params.h"
#include "core/error.h"
#include "core/random.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static alvk_status add(alvk_params *p, const char *name, const uint32_t *shape, uint32_t nd,
                       alvk_param_kind kind, alvk_init init, uint32_t fan_in) {
    int i;
    alvk_status s = alvk_params_add(p, name, shape, nd, kind, &i);
    if (s == ALVK_OK) alvk_params_set_init(p, i, init, fan_in);
    return s;
}

static alvk_status conv(alvk_params *p, const char *prefix, uint32_t out, uint32_t in, uint32_t k,
                        int bias) {
    char name[192]; /* a prefix of up to 127 and a suffix; add() rejects >= 128 */
    snprintf(name, sizeof name, "%s.weight", prefix);
    alvk_status s = add(p, name, (uint32_t[]){out, in, k, k}, 4, ALVK_PARAM_TRAINABLE,
                        ALVK_INIT_KAIMING_NORMAL_FAN_OUT, 0);
    snprintf(name, sizeof name, "%s.bias", prefix);
    if (s == ALVK_OK && bias)
        s = add(p, name, (uint32_t[]){out}, 1, ALVK_PARAM_TRAINABLE, ALVK_INIT_ZEROS, 0);
    return s;
}

static alvk_status batchnorm(alvk_params *p, const char *prefix, uint32_t c) {
    static const char *const names[] = {"weight", "bias", "running_mean", "running_var"};
    static const alvk_init inits[] = {ALVK_INIT_ONES, ALVK_INIT_ZEROS, ALVK_INIT_ZEROS, ALVK_INIT_ONES};
    alvk_status s = ALVK_OK;
    for (int i = 0; i < 4 && s == ALVK_OK; i++) {
        char name[192];
        snprintf(name, sizeof name, "%s.%s", prefix, names[i]);
        s = add(p, name, (uint32_t[]){c}, 1, i < 2 ? ALVK_PARAM_TRAINABLE : ALVK_PARAM_STATE,
                inits[i], 0);
    }
    return s;
}

alvk_status alvk_model_resnet18(alvk_params *p, uint32_t in_channels, uint32_t classes) {
    if (!p || !in_channels)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_model_resnet18: no store or no input channels");
    alvk_status s = conv(p, "conv1", 64, in_channels, 7, 0);
    if (s == ALVK_OK) s = batchnorm(p, "bn1", 64);
    uint32_t prev = 64;
    for (int stage = 1; stage <= 4 && s == ALVK_OK; stage++) {
        uint32_t c = 64u << (stage - 1);
        for (int block = 0; block < 2 && s == ALVK_OK; block++) {
            char name[128];
            uint32_t in = block == 0 ? prev : c;
            snprintf(name, sizeof name, "layer%d.%d.conv1", stage, block);
            s = conv(p, name, c, in, 3, 1);
            snprintf(name, sizeof name, "layer%d.%d.bn1", stage, block);
            if (s == ALVK_OK) s = batchnorm(p, name, c);
            snprintf(name, sizeof name, "layer%d.%d.conv2", stage, block);
            if (s == ALVK_OK) s = conv(p, name, c, c, 3, 1);
            snprintf(name, sizeof name, "layer%d.%d.bn2", stage, block);
            if (s == ALVK_OK) s = batchnorm(p, name, c);
            if (s == ALVK_OK && block == 0 && stage > 1) { /* the 1x1 stride-2 shortcut */
                snprintf(name, sizeof name, "layer%d.0.downsample.0", stage);
                s = conv(p, name, c, prev, 1, 1);
                snprintf(name, sizeof name, "layer%d.0.downsample.1", stage);
                if (s == ALVK_OK) s = batchnorm(p, name, c);
            }
        }
        prev = c;
    }
    if (s == ALVK_OK && classes) {
        s = add(p, "fc.weight", (uint32_t[]){classes, 512}, 2, ALVK_PARAM_TRAINABLE,
                ALVK_INIT_UNIFORM_FAN_IN, 512);
        if (s == ALVK_OK)
            s = add(p, "fc.bias", (uint32_t[]){classes}, 1, ALVK_PARAM_TRAINABLE,
                    ALVK_INIT_UNIFORM_FAN_IN, 512);
    }
    return s;
}

alvk_status alvk_model_mlp(alvk_params *p, const char *prefix, uint32_t in, const uint32_t *hidden,
                           uint32_t nhidden, uint32_t out) {
    if (!p || !prefix || !in || !out || (nhidden && !hidden))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_model_mlp: bad arguments");
    alvk_status s = ALVK_OK;
    for (uint32_t l = 0; l <= nhidden && s == ALVK_OK; l++) {
        uint32_t fan_in = l == 0 ? in : hidden[l - 1], width = l == nhidden ? out : hidden[l];
        char name[192];
        snprintf(name, sizeof name, "%s.%u.weight", prefix, l);
        s = add(p, name, (uint32_t[]){width, fan_in}, 2, ALVK_PARAM_TRAINABLE,
                ALVK_INIT_KAIMING_NORMAL_FAN_OUT, 0);
        snprintf(name, sizeof name, "%s.%u.bias", prefix, l);
        if (s == ALVK_OK)
            s = add(p, name, (uint32_t[]){width}, 1, ALVK_PARAM_TRAINABLE, ALVK_INIT_ZEROS, 0);
    }
    return s;
}

alvk_status alvk_model_mlp_default_init(alvk_params *p, const char *prefix) {
    size_t len = prefix ? strlen(prefix) : 0;
    int changed = 0;
    for (int i = 0; p && len && i < alvk_params_count(p); i++) {
        const char *name = alvk_params_name(p, i);
        uint32_t shape[ALVK_MAX_DIMS], layer;
        char kind[16];
        if (strncmp(name, prefix, len) != 0 || sscanf(name + len, ".%u.%15s", &layer, kind) != 2) continue;
        int w = alvk_params_find(p, name), weight = strcmp(kind, "weight") == 0;
        if (!weight && strcmp(kind, "bias") != 0) continue;
        char wname[192];
        snprintf(wname, sizeof wname, "%s.%u.weight", prefix, layer);
        alvk_params_shape(p, alvk_params_find(p, wname), shape);
        alvk_params_set_init(p, w, ALVK_INIT_UNIFORM_FAN_IN, shape[1]);
        changed++;
    }
    if (!changed)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_model_mlp_default_init: no layers "
                          "called %s.N.weight in the store", prefix ? prefix : "(null)");
    return ALVK_OK;
}

/* A tensor's stream number: a hash of its name, so values do not depend
 * on the order tensors were declared in. */
static uint64_t stream_of(const char *name) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *name; name++) h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
    return h;
}

alvk_status alvk_params_initialize(alvk_params *p, uint64_t seed) {
    int n = alvk_params_count(p);
    uint64_t largest = 0;
    for (int i = 0; i < n; i++)
        if (alvk_params_numel(p, i, 0) > largest) largest = alvk_params_numel(p, i, 0);
    float *v = malloc((largest ? largest : 1) * sizeof *v);
    if (!v) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "initialising parameters");
    alvk_status s = ALVK_OK;
    for (int i = 0; i < n && s == ALVK_OK; i++) {
        uint32_t shape[ALVK_MAX_DIMS], nd = alvk_params_shape(p, i, shape);
        uint64_t numel = alvk_params_numel(p, i, 0), stream = stream_of(alvk_params_name(p, i));
        alvk_init init;
        uint32_t fan_in;
        alvk_params_get_init(p, i, &init, &fan_in);
        /* PyTorch's fan_out: output features times the receptive field. */
        double fan_out = shape[0];
        for (uint32_t d = 2; d < nd; d++) fan_out *= shape[d];
        double std = sqrt(2.0 / fan_out), bound = fan_in ? 1.0 / sqrt((double)fan_in) : 0;
        for (uint64_t k = 0; k < numel; k++) {
            switch (init) {
            case ALVK_INIT_ONES: v[k] = 1.0f; break;
            case ALVK_INIT_KAIMING_NORMAL_FAN_OUT:
                v[k] = (float)(std * alvk_random_normal(seed, stream, k));
                break;
            case ALVK_INIT_UNIFORM_FAN_IN:
                v[k] = (float)(bound * (2 * alvk_random_uniform(seed, stream, k) - 1));
                break;
            default: v[k] = 0.0f; break;
            }
        }
        s = alvk_params_write(p, i, v);
    }
    free(v);
    return s;
}
