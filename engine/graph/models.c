/* Model forward passes as graphs, over the tensors engine/nn/models.c
 * declares: ResNet18 (deeplay's layout) and MLPs. */
#include "graph.h"

#include <stdio.h>

static alvk_node param(alvk_graph *g, const char *prefix, const char *what) {
    char name[256];
    snprintf(name, sizeof name, "%s.%s", prefix, what);
    return alvk_graph_param(g, name);
}

/* conv (with bias when the store has one) then batch norm. */
static alvk_node conv_bn(alvk_graph *g, alvk_node x, const char *conv, const char *bn,
                         uint32_t stride, uint32_t pad) {
    char bias[256];
    snprintf(bias, sizeof bias, "%s.bias", conv);
    alvk_node b = alvk_params_find(g->params, bias) >= 0 ? alvk_graph_param(g, bias) : -1;
    alvk_node y = alvk_graph_conv2d(g, x, param(g, conv, "weight"), b, stride, pad);
    return alvk_graph_batchnorm(g, y, bn);
}

/* conv-bn-relu-conv-bn of a basic block's main branch. */
static alvk_node main_branch(alvk_graph *g, alvk_node x, const char *p, uint32_t stride) {
    char a[96], b[96];
    snprintf(a, sizeof a, "%s.conv1", p), snprintf(b, sizeof b, "%s.bn1", p);
    alvk_node h = alvk_graph_relu(g, conv_bn(g, x, a, b, stride, 1));
    snprintf(a, sizeof a, "%s.conv2", p), snprintf(b, sizeof b, "%s.bn2", p);
    return conv_bn(g, h, a, b, 1, 1);
}

/* A basic block: the main branch plus the input (through a 1x1 stride-2
 * conv and bn when the block downsamples), then relu. The shortcut is
 * built first: fuse.c gives an add and its ReLU to the later of the add's
 * producers, so the main branch's bn2 (or, folded, conv2) takes it and the
 * shortcut runs beside the main branch; autodiff's sweep order (deepest
 * first, then earliest) does the same for the gradients. */
static alvk_node block(alvk_graph *g, alvk_node x, int stage, int index) {
    char p[64], a[96], b[96];
    snprintf(p, sizeof p, "layer%d.%d", stage, index);
    if (stage == 1 || index == 1) /* no downsampling: the input itself is the shortcut */
        return alvk_graph_relu(g, alvk_graph_add(g, main_branch(g, x, p, 1), x));
    snprintf(a, sizeof a, "%s.downsample.0", p), snprintf(b, sizeof b, "%s.downsample.1", p);
    alvk_node skip = conv_bn(g, x, a, b, 2, 0);
    alvk_node h = main_branch(g, x, p, 2);
    return alvk_graph_relu(g, alvk_graph_add(g, h, skip));
}

alvk_node alvk_graph_resnet18(alvk_graph *g, alvk_node x) {
    if (graph_usable(g, "alvk_graph_resnet18") != ALVK_OK) return -1;
    alvk_node h = alvk_graph_relu(g, conv_bn(g, x, "conv1", "bn1", 2, 3));
    h = alvk_graph_maxpool2d(g, h, 3, 2, 1);
    for (int stage = 1; stage <= 4; stage++)
        for (int index = 0; index < 2; index++) h = block(g, h, stage, index);
    return alvk_graph_avgpool_global(g, h);
}

alvk_node alvk_graph_mlp(alvk_graph *g, alvk_node x, const char *prefix, uint32_t layers) {
    if (graph_usable(g, "alvk_graph_mlp") != ALVK_OK) return -1;
    if (!prefix || !layers)
        return graph_fail(g, ALVK_ERROR_INVALID_ARGUMENT, "mlp: no tensor-name prefix, or 0 layers");
    for (uint32_t l = 0; l < layers; l++) {
        char w[128], b[128];
        snprintf(w, sizeof w, "%s.%u.weight", prefix, l);
        snprintf(b, sizeof b, "%s.%u.bias", prefix, l);
        x = alvk_graph_linear(g, x, alvk_graph_param(g, w), alvk_graph_param(g, b));
        if (l + 1 < layers) x = alvk_graph_relu(g, x);
    }
    return x;
}
