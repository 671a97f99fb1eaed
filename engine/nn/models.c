/* Model declarations: the tensors of ResNet18 (deeplay's variant, with
 * torchvision's names) and of MLPs, each with the initialisation the
 * reference workload uses (init.c applies it). */
#include "params.h"
#include "core/error.h"
#include "core/random.h"

#include <stdio.h>
#include <string.h>

/* The recipes of the reference workload: deeplay's convolutions and
 * discriminator (Kaiming-normal, fan_out, ReLU gain), PyTorch's Linear
 * default for the head, constants for biases and batch norm. */
static const alvk_init kaiming_fan_out = {.kind = ALVK_INIT_KAIMING_NORMAL, .mode = ALVK_FAN_OUT,
                                          .nonlinearity = ALVK_GAIN_RELU};
static const alvk_init zeros = {.kind = ALVK_INIT_CONSTANT}, ones = {.kind = ALVK_INIT_CONSTANT, .value = 1};

static alvk_init torch_default(uint32_t fan_in) {
    return (alvk_init){.kind = ALVK_INIT_TORCH_DEFAULT, .fan = fan_in};
}

static alvk_status add(alvk_params *p, const char *name, const uint32_t *shape, uint32_t nd,
                       alvk_param_kind kind, alvk_init init) {
    int i;
    alvk_status s = alvk_params_add(p, name, shape, nd, kind, &i);
    if (s == ALVK_OK) s = alvk_params_set_init(p, i, &init);
    return s;
}

static alvk_status conv(alvk_params *p, const char *prefix, uint32_t out, uint32_t in, uint32_t k,
                        int bias) {
    char name[192]; /* a prefix of up to 127 and a suffix; add() rejects >= 128 */
    snprintf(name, sizeof name, "%s.weight", prefix);
    alvk_status s = add(p, name, (uint32_t[]){out, in, k, k}, 4, ALVK_PARAM_TRAINABLE, kaiming_fan_out);
    snprintf(name, sizeof name, "%s.bias", prefix);
    if (s == ALVK_OK && bias)
        s = add(p, name, (uint32_t[]){out}, 1, ALVK_PARAM_TRAINABLE, zeros);
    return s;
}

static alvk_status batchnorm(alvk_params *p, const char *prefix, uint32_t c) {
    static const char *const names[] = {"weight", "bias", "running_mean", "running_var"};
    const alvk_init inits[] = {ones, zeros, zeros, ones};
    alvk_status s = ALVK_OK;
    for (int i = 0; i < 4 && s == ALVK_OK; i++) {
        char name[192];
        snprintf(name, sizeof name, "%s.%s", prefix, names[i]);
        s = add(p, name, (uint32_t[]){c}, 1, i < 2 ? ALVK_PARAM_TRAINABLE : ALVK_PARAM_STATE, inits[i]);
    }
    return s;
}

alvk_status alvk_model_resnet18(alvk_params *p, uint32_t in_channels, uint32_t classes) {
    alvk_status s = alvk_params_usable(p, "alvk_model_resnet18");
    if (s != ALVK_OK) return s;
    if (!in_channels) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_model_resnet18: no input channels");
    s = conv(p, "conv1", 64, in_channels, 7, 0);
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
        s = add(p, "fc.weight", (uint32_t[]){classes, 512}, 2, ALVK_PARAM_TRAINABLE, torch_default(512));
        if (s == ALVK_OK)
            s = add(p, "fc.bias", (uint32_t[]){classes}, 1, ALVK_PARAM_TRAINABLE, torch_default(512));
    }
    return s;
}

alvk_status alvk_model_mlp(alvk_params *p, const char *prefix, uint32_t in, const uint32_t *hidden,
                           uint32_t nhidden, uint32_t out) {
    if (alvk_params_usable(p, "alvk_model_mlp") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!prefix || !in || !out || (nhidden && !hidden))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_model_mlp: bad arguments");
    alvk_status s = ALVK_OK;
    for (uint32_t l = 0; l <= nhidden && s == ALVK_OK; l++) {
        uint32_t fan_in = l == 0 ? in : hidden[l - 1], width = l == nhidden ? out : hidden[l];
        char name[192];
        snprintf(name, sizeof name, "%s.%u.weight", prefix, l);
        s = add(p, name, (uint32_t[]){width, fan_in}, 2, ALVK_PARAM_TRAINABLE, kaiming_fan_out);
        snprintf(name, sizeof name, "%s.%u.bias", prefix, l);
        if (s == ALVK_OK)
            s = add(p, name, (uint32_t[]){width}, 1, ALVK_PARAM_TRAINABLE, zeros);
    }
    return s;
}

alvk_status alvk_model_mlp_default_init(alvk_params *p, const char *prefix) {
    if (alvk_params_usable(p, "alvk_model_mlp_default_init") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
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
        int wi = alvk_params_find(p, wname);
        if (wi < 0 || alvk_params_shape(p, wi, shape) < 2) continue; /* no layer: a bias alone */
        alvk_init init = torch_default(shape[1]);
        alvk_params_set_init(p, w, &init);
        changed++;
    }
    if (!changed)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_model_mlp_default_init: no layers "
                          "called %s.N.weight in the store", prefix ? prefix : "(null)");
    return ALVK_OK;
}
