/* Classifies the MNIST test set with a checkpoint written by `alvk train
 * --save`: usage mnist_infer MODEL.safetensors MNIST_DIR */
#include <alvk/alvk.h>
#include <stdio.h>

int main(int argc, char **argv) {
    alvk_context *ctx = NULL; alvk_params *p = NULL; alvk_dataset *test = NULL;
    alvk_pool *pool = NULL; alvk_graph *g = NULL;
    if (argc != 3) return fprintf(stderr, "usage: %s MODEL MNIST_DIR\n", argv[0]), 2;
    if (alvk_context_create(NULL, &ctx) || alvk_dataset_load(argv[2], "t10k", 10, &test) ||
        alvk_params_create(ctx, &p) || alvk_model_resnet18(p, 1, 10) || alvk_params_commit(p) ||
        alvk_params_load(p, argv[1]) || alvk_pool_create(ctx, test, &pool) ||
        alvk_graph_create(ctx, p, 250, ALVK_GRAPH_EVAL, &g))
        return fprintf(stderr, "alvk: %s\n", alvk_last_error()), 1;
    alvk_node idx = alvk_graph_indices(g), x = alvk_graph_gather(g, pool, idx);
    alvk_node logits = alvk_graph_linear(g, alvk_graph_resnet18(g, x), alvk_graph_param(g, "fc.weight"),
                                         alvk_graph_param(g, "fc.bias"));
    alvk_node hits = alvk_graph_correct(g, logits, alvk_graph_gathered_labels(g, x));
    if (alvk_graph_output(g, hits) || alvk_graph_compile(g)) return fprintf(stderr, "alvk: %s\n", alvk_last_error()), 1;
    uint32_t n = alvk_dataset_count(test), correct = 0, rows[250], h;
    for (uint32_t at = 0; at < n; at += 250) {
        for (uint32_t k = 0; k < 250; k++) rows[k] = at + k < n ? at + k : n - 1;
        uint32_t b = n - at < 250 ? n - at : 250;
        if (alvk_graph_set(g, idx, rows, sizeof rows, b) || alvk_graph_run(g, b) ||
            alvk_graph_read(g, hits, &h, sizeof h))
            return fprintf(stderr, "alvk: %s\n", alvk_last_error()), 1;
        correct += h;
    }
    printf("test accuracy %.4f (%u images)\n", (double)correct / n, n);
    alvk_graph_destroy(g), alvk_pool_destroy(pool), alvk_params_destroy(p);
    alvk_dataset_destroy(test), alvk_context_destroy(ctx);
    return 0;
}
