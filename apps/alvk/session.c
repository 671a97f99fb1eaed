/* The session every subcommand that computes opens: the data set, the
 * device, the model in its store (ResNet18, its head and optionally the
 * discriminator), the image pools on the device and the evaluation graph;
 * the training and optimiser graphs built on them, and test accuracy. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *session_data_dir(const char *data_dir) {
    if (!data_dir) data_dir = getenv("ALVK_DATA");
    return data_dir && *data_dir ? data_dir : "data/mnist";
}

/* Declares the discriminator after everything else, so that the backbone
 * and head are one group of store tensors and it is another. */
static int add_discriminator(session *s, int kind) {
    s->disc_first = alvk_params_count(s->params);
    if (alvk_model_mlp(s->params, "disc", 512, (uint32_t[]){512, 512}, 2, 1) != ALVK_OK ||
        (kind == DISC_DEFAULT && alvk_model_mlp_default_init(s->params, "disc") != ALVK_OK))
        return 0;
    s->disc_count = alvk_params_count(s->params) - s->disc_first;
    return 1;
}

/* "fashion-mnist" for /usr/share/datasets/fashion-mnist/ */
static void data_name(const char *dir, char *out, size_t size) {
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/') start--;
    snprintf(out, size, "%.*s", (int)(end - start), dir + start);
}

int session_load_data(session *s, const char *data_dir, uint32_t classes) {
    memset(s, 0, sizeof *s);
    data_dir = session_data_dir(data_dir);
    data_name(data_dir, s->data_name, sizeof s->data_name);
    /* IDX labels are bytes: 256 admits every label, and the classes are
     * then the largest label + 1. */
    uint32_t limit = classes ? classes : 256;
    if (alvk_dataset_load(data_dir, "train", limit, &s->train) != ALVK_OK ||
        alvk_dataset_load(data_dir, "t10k", limit, &s->test) != ALVK_OK) {
        fprintf(stderr, "alvk: cannot load the IDX data set in %s: %s\n(fetch MNIST with "
                "scripts/fetch-mnist.sh, or point --data / ALVK_DATA at a directory of IDX files)\n",
                data_dir, alvk_last_error());
        return EXIT_FAILED;
    }
    uint32_t rows, cols, test_rows, test_cols;
    alvk_dataset_shape(s->train, &rows, &cols);
    alvk_dataset_shape(s->test, &test_rows, &test_cols);
    if (rows != test_rows || cols != test_cols) {
        fprintf(stderr, "alvk: %s: the training images are %ux%u but the test images %ux%u; both sets "
                "must have one image size\n", data_dir, rows, cols, test_rows, test_cols);
        return EXIT_FAILED;
    }
    if (rows < MIN_IMAGE_SIDE || cols < MIN_IMAGE_SIDE) {
        fprintf(stderr, "alvk: %s: images of %ux%u are too small for ResNet18 (at least %ux%u)\n", data_dir,
                rows, cols, MIN_IMAGE_SIDE, MIN_IMAGE_SIDE);
        return EXIT_FAILED;
    }
    uint32_t train = alvk_dataset_classes(s->train), test = alvk_dataset_classes(s->test);
    s->classes = classes ? classes : train > test ? train : test;
    if (s->classes < 2) {
        fprintf(stderr, "alvk: %s: every label is 0; classification needs at least two classes\n", data_dir);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

int session_open_device(session *s, const char *device, uint32_t eval_batch, uint32_t test_size, uint64_t seed,
                        int discriminator) {
    uint32_t n = alvk_dataset_count(s->test);
    if (test_size > n) {
        fprintf(stderr, "alvk: --test-size %u: the test set of %s has only %u images\n", test_size,
                s->data_name, n);
        return EXIT_USAGE;
    }
    s->test_size = test_size ? test_size : n;
    if (!(s->test_order = malloc(n * sizeof *s->test_order))) return cli_fail("allocating");
    for (uint32_t i = 0; i < n; i++) s->test_order[i] = i;
    if (s->test_size < n) cli_shuffle(s->test_order, n, seed, STREAM_TEST);
    alvk_context_desc desc = {.device = device, .choices = s->choices};
    if (alvk_context_create(&desc, &s->ctx) != ALVK_OK) return cli_fail("opening the device");
    s->eval_batch = eval_batch;
    if (alvk_params_create(s->ctx, &s->params) != ALVK_OK ||
        alvk_model_resnet18(s->params, 1, s->classes) != ALVK_OK ||
        (discriminator && !add_discriminator(s, discriminator)) || alvk_params_commit(s->params) != ALVK_OK)
        return cli_fail("creating the model");
    if (alvk_pool_create(s->ctx, s->train, &s->train_pool) != ALVK_OK ||
        alvk_pool_create(s->ctx, s->test, &s->test_pool) != ALVK_OK)
        return cli_fail("uploading the data set");
    alvk_graph *g;
    if (alvk_graph_create(s->ctx, s->params, eval_batch, ALVK_GRAPH_EVAL, &g) != ALVK_OK)
        return cli_fail("building the evaluation graph");
    s->eval = g;
    s->eval_indices = alvk_graph_indices(g);
    alvk_node x = alvk_graph_gather(g, s->test_pool, s->eval_indices);
    alvk_node logits = session_head(g, alvk_graph_resnet18(g, x));
    s->eval_correct = alvk_graph_correct(g, logits, alvk_graph_gathered_labels(g, x));
    if (alvk_graph_output(g, s->eval_correct) != ALVK_OK || alvk_graph_compile(g) != ALVK_OK)
        return cli_fail("building the evaluation graph");
    return EXIT_OK;
}

int session_open(session *s, const char *device, const char *data_dir, uint32_t classes, uint32_t eval_batch,
                 uint32_t test_size, uint64_t seed, int discriminator) {
    int rc = session_load_data(s, data_dir, classes);
    return rc == EXIT_OK ? session_open_device(s, device, eval_batch, test_size, seed, discriminator) : rc;
}

alvk_node session_head(alvk_graph *g, alvk_node z) {
    return alvk_graph_linear(g, z, alvk_graph_param(g, "fc.weight"), alvk_graph_param(g, "fc.bias"));
}

int session_train_graph(session *s, uint32_t batch, double lr, int nparams, alvk_graph **g,
                        alvk_node *indices, alvk_node *loss) {
    if (alvk_graph_create(s->ctx, s->params, batch, ALVK_GRAPH_TRAIN, g) != ALVK_OK)
        return cli_fail("building the training graph");
    *indices = alvk_graph_indices(*g);
    alvk_node x = alvk_graph_gather(*g, s->train_pool, *indices);
    *loss = alvk_graph_softmax_ce(*g, session_head(*g, alvk_graph_resnet18(*g, x)), alvk_graph_gathered_labels(*g, x));
    if (alvk_graph_backward_params(*g, *loss, 0, nparams) != ALVK_OK ||
        (lr > 0 && alvk_graph_adam_params(*g, 0, nparams, lr, 0.9, 0.999, 1e-8) != ALVK_OK) ||
        alvk_graph_output(*g, *loss) != ALVK_OK || alvk_graph_compile(*g) != ALVK_OK)
        return cli_fail("building the training graph");
    return EXIT_OK;
}

int session_adam_graph(session *s, double lr, int nparams, alvk_graph **g) {
    if (alvk_graph_create(s->ctx, s->params, 1, ALVK_GRAPH_TRAIN, g) != ALVK_OK ||
        alvk_graph_adam_params(*g, 0, nparams, lr, 0.9, 0.999, 1e-8) != ALVK_OK || alvk_graph_compile(*g) != ALVK_OK)
        return cli_fail("building the optimiser's graph");
    return EXIT_OK;
}

void session_close(session *s) {
    alvk_graph_destroy(s->eval);
    alvk_pool_destroy(s->train_pool);
    alvk_pool_destroy(s->test_pool);
    alvk_params_destroy(s->params);
    alvk_context_destroy(s->ctx);
    alvk_dataset_destroy(s->train);
    alvk_dataset_destroy(s->test);
    free(s->test_order);
    memset(s, 0, sizeof *s);
}

int64_t session_test_correct(session *s, uint32_t first, uint32_t count) {
    uint64_t correct = 0;
    for (uint32_t at = first; at < first + count; at += s->eval_batch) {
        uint32_t b = first + count - at < s->eval_batch ? first + count - at : s->eval_batch, hits;
        if (alvk_graph_set(s->eval, s->eval_indices, s->test_order + at, b * sizeof *s->test_order, b) != ALVK_OK ||
            alvk_graph_run(s->eval, b) != ALVK_OK ||
            alvk_graph_read(s->eval, s->eval_correct, &hits, sizeof hits) != ALVK_OK)
            return -1;
        correct += hits;
    }
    return (int64_t)correct;
}

double session_test_accuracy(session *s) {
    int64_t correct = session_test_correct(s, 0, s->test_size);
    return correct < 0 ? -1 : (double)correct / s->test_size;
}
