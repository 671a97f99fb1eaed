/* A convolutional network of one's own on Fashion-MNIST:
 *   conv 3x3 (16) -> batch norm -> ReLU -> max pool 2
 *   conv 3x3 (32) -> batch norm -> ReLU -> max pool 2 -> linear 32*7*7 -> 10
 * declared tensor by tensor in PyTorch's layouts (alvk_params_initialize
 * gives them PyTorch's default initialisation by their names), trained
 * with AdamW on batches the device gathers from a pool, then evaluated by
 * a second graph on the same store (batch norm on running statistics).
 *   usage: fashion_cnn [DATA_DIR [STEPS]]
 * DATA_DIR holds the IDX files (default: Debian's dataset-fashion-mnist);
 * exits 1 below 75 % test accuracy. */
#include <alvk/alvk.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH 64
#define CLASSES 10
#define TEST_IMAGES 2000

static int fail(const char *what) {
    fprintf(stderr, "fashion_cnn: %s: %s\n", what, alvk_last_error());
    return 1;
}

/* Declares NAME.weight (shape) and NAME.bias [shape[0]]. */
static alvk_status declare(alvk_params *p, const char *name, const uint32_t *shape, uint32_t ndims) {
    char n[64];
    snprintf(n, sizeof n, "%s.weight", name);
    alvk_status s = alvk_params_add(p, n, shape, ndims, ALVK_PARAM_TRAINABLE, NULL);
    snprintf(n, sizeof n, "%s.bias", name);
    return s != ALVK_OK ? s : alvk_params_add(p, n, shape, 1, ALVK_PARAM_TRAINABLE, NULL);
}

/* A batch norm's four tensors [c]: weight and bias trained, statistics kept. */
static alvk_status declare_bn(alvk_params *p, const char *name, uint32_t c) {
    static const char *const suffix[] = {"weight", "bias", "running_mean", "running_var"};
    alvk_status s = ALVK_OK;
    for (int k = 0; k < 4 && s == ALVK_OK; k++) {
        char n[64];
        snprintf(n, sizeof n, "%s.%s", name, suffix[k]);
        s = alvk_params_add(p, n, &c, 1, k < 2 ? ALVK_PARAM_TRAINABLE : ALVK_PARAM_STATE, NULL);
    }
    return s;
}

static alvk_node param(alvk_graph *g, const char *layer, const char *what) {
    char n[64];
    snprintf(n, sizeof n, "%s.%s", layer, what);
    return alvk_graph_param(g, n);
}

/* conv 3x3 pad 1 -> batch norm -> ReLU -> max pool 2. */
static alvk_node block(alvk_graph *g, alvk_node x, const char *conv, const char *bn) {
    alvk_node y = alvk_graph_conv2d(g, x, param(g, conv, "weight"), param(g, conv, "bias"), 1, 1);
    return alvk_graph_maxpool2d(g, alvk_graph_relu(g, alvk_graph_batchnorm(g, y, bn)), 2, 2, 0);
}

/* The network on a gathered batch; logits [B, 10]. */
static alvk_node network(alvk_graph *g, alvk_pool *pool, alvk_node indices, alvk_node *images) {
    *images = alvk_graph_gather(g, pool, indices);
    alvk_node h = block(g, block(g, *images, "conv1", "bn1"), "conv2", "bn2");
    h = alvk_graph_reshape(g, h, (uint32_t[]){32 * 7 * 7}, 1);
    return alvk_graph_linear(g, h, param(g, "fc", "weight"), param(g, "fc", "bias"));
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int steps = argc > 2 ? atoi(argv[2]) : 300;
    alvk_context *ctx;
    alvk_dataset *train, *test;
    alvk_pool *train_pool, *test_pool;
    alvk_params *p;
    if (alvk_context_create(NULL, &ctx)) return fail("opening a device");
    if (alvk_dataset_load(dir, "train", CLASSES, &train) || alvk_dataset_load(dir, "t10k", CLASSES, &test) ||
        alvk_pool_create(ctx, train, &train_pool) || alvk_pool_create(ctx, test, &test_pool))
        return fail(dir);
    if (alvk_params_create(ctx, &p) || declare(p, "conv1", (uint32_t[]){16, 1, 3, 3}, 4) ||
        declare_bn(p, "bn1", 16) || declare(p, "conv2", (uint32_t[]){32, 16, 3, 3}, 4) ||
        declare_bn(p, "bn2", 32) || declare(p, "fc", (uint32_t[]){CLASSES, 32 * 7 * 7}, 2) ||
        alvk_params_commit(p) || alvk_params_initialize(p, 1))
        return fail("declaring the model");

    /* Training: the loss of a gathered batch, its gradients, one AdamW step. */
    alvk_graph *g, *eval;
    alvk_node images;
    if (alvk_graph_create(ctx, p, BATCH, ALVK_GRAPH_TRAIN, &g)) return fail("creating a graph");
    alvk_node idx = alvk_graph_indices(g), logits = network(g, train_pool, idx, &images);
    alvk_node loss = alvk_graph_softmax_ce(g, logits, alvk_graph_gathered_labels(g, images));
    alvk_graph_backward(g, loss);
    alvk_graph_adamw(g, 2e-3, 0.9, 0.999, 1e-8, 1e-4);
    alvk_graph_output(g, loss);
    if (alvk_graph_compile(g)) return fail("the training graph");

    /* Evaluation: correct predictions of a batch, running statistics. */
    if (alvk_graph_create(ctx, p, BATCH, ALVK_GRAPH_EVAL, &eval)) return fail("creating a graph");
    alvk_node eidx = alvk_graph_indices(eval), elogits = network(eval, test_pool, eidx, &images);
    alvk_node hits = alvk_graph_correct(eval, elogits, alvk_graph_gathered_labels(eval, images));
    alvk_graph_output(eval, hits);
    if (alvk_graph_compile(eval)) return fail("the evaluation graph");

    uint32_t rows[BATCH], n = alvk_dataset_count(train);
    uint64_t state = 88172645463325252ull; /* xorshift64: the batches' order */
    float l = 0;
    for (int step = 1; step <= steps; step++) {
        for (int k = 0; k < BATCH; k++) {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            rows[k] = (uint32_t)(state % n);
        }
        if (alvk_graph_set(g, idx, rows, sizeof rows, BATCH) || alvk_graph_run(g, BATCH) ||
            alvk_graph_read(g, loss, &l, sizeof l))
            return fail("training");
        if (step % 100 == 0) printf("step %d loss %.4f\n", step, l);
    }
    uint32_t correct = 0, total = alvk_dataset_count(test) < TEST_IMAGES ? alvk_dataset_count(test) : TEST_IMAGES;
    for (uint32_t at = 0; at < total; at += BATCH) {
        uint32_t b = total - at < BATCH ? total - at : BATCH, h;
        for (uint32_t k = 0; k < b; k++) rows[k] = at + k;
        if (alvk_graph_set(eval, eidx, rows, sizeof rows, b) || alvk_graph_run(eval, b) ||
            alvk_graph_read(eval, hits, &h, sizeof h))
            return fail("evaluating");
        correct += h;
    }
    double accuracy = (double)correct / total;
    printf("fashion_cnn: test accuracy %.4f (%u images) after %d steps of %d\n", accuracy, total, steps, BATCH);
    alvk_graph_destroy(eval), alvk_graph_destroy(g), alvk_params_destroy(p);
    alvk_pool_destroy(test_pool), alvk_pool_destroy(train_pool);
    alvk_dataset_destroy(test), alvk_dataset_destroy(train), alvk_context_destroy(ctx);
    return accuracy >= 0.75 ? 0 : 1;
}
