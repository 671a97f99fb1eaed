/* alvk-parity: alvk's side of benchmarks/parity.py, which checks that one
 * ResNet18 training step computes what PyTorch computes from the same
 * weights on the same images. It initialises the model of `alvk train`
 * (10 classes, 1 input channel) with --seed and runs the training graph's
 * forward and backward once, without an optimiser, on training images
 * 0..B-1 of --data. Writes into OUT:
 *   init.safetensors   the weights before the step
 *   after.safetensors  the same weights with the step's batch-norm running
 *                      statistics (momentum 0.1, unbiased variance)
 *   features.f32       the pooled features [B, 512] the head reads
 *   grads.f32          every trainable tensor's gradient, in store order
 *                      (alvk_params_read_grad with index -1)
 * and prints the loss. Uses only the public API. */
#include <alvk/alvk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: alvk-parity --data DIR --out DIR [--batch N] [--seed N]\n"
    "\n"
    "One ResNet18 training step (forward and backward, no optimiser step) on the first\n"
    "--batch (default 128) training images of the IDX data set in DIR, from the initial\n"
    "weights of --seed (default 0); writes init.safetensors, after.safetensors,\n"
    "features.f32 and grads.f32 into --out for benchmarks/parity.py.\n";

static int fail(const char *what) {
    fprintf(stderr, "alvk-parity: %s: %s\n", what, alvk_last_error());
    return 1;
}

static int write_floats(const char *dir, const char *name, const float *v, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    size_t wrote = f ? fwrite(v, sizeof *v, n, f) : 0;
    if (!f || fclose(f) != 0 || wrote != n)
        return fprintf(stderr, "alvk-parity: cannot write %s\n", path), 1;
    return 0;
}

static int save(alvk_params *p, const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return alvk_params_save(p, path) != ALVK_OK ? fail(path) : 0;
}

/* The step: gather, ResNet18, the linear head, cross-entropy, backward. */
static int step(alvk_context *ctx, alvk_params *p, alvk_pool *pool, uint32_t batch, float *loss_out,
                float *features) {
    alvk_graph *g;
    if (alvk_graph_create(ctx, p, batch, ALVK_GRAPH_TRAIN, &g) != ALVK_OK) return fail("graph");
    alvk_node idx = alvk_graph_indices(g), x = alvk_graph_gather(g, pool, idx);
    alvk_node z = alvk_graph_resnet18(g, x);
    alvk_node logits =
        alvk_graph_linear(g, z, alvk_graph_param(g, "fc.weight"), alvk_graph_param(g, "fc.bias"));
    alvk_node loss = alvk_graph_softmax_ce(g, logits, alvk_graph_gathered_labels(g, x));
    uint32_t *rows = malloc(batch * sizeof *rows);
    for (uint32_t i = 0; rows && i < batch; i++)
        rows[i] = i;
    int rc = !rows || alvk_graph_backward_params(g, loss, 0, alvk_params_count(p)) != ALVK_OK ||
             alvk_graph_output(g, loss) != ALVK_OK || alvk_graph_output(g, z) != ALVK_OK ||
             alvk_graph_compile(g) != ALVK_OK ||
             alvk_graph_set(g, idx, rows, batch * sizeof *rows, batch) != ALVK_OK ||
             alvk_graph_run(g, batch) != ALVK_OK ||
             alvk_graph_read(g, loss, loss_out, sizeof *loss_out) != ALVK_OK ||
             alvk_graph_read(g, z, features, (size_t)batch * 512 * sizeof *features) != ALVK_OK;
    free(rows);
    alvk_graph_destroy(g);
    return rc ? fail("training step") : 0;
}

int main(int argc, char **argv) {
    const char *data = NULL, *out = NULL;
    unsigned batch = 128, seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return fputs(usage, stdout), 0;
        if (!v) return fprintf(stderr, "alvk-parity: '%s' needs a value\n%s", a, usage), 2;
        int ok = 1;
        if (!strcmp(a, "--data"))
            data = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--batch"))
            ok = sscanf(v, "%u", &batch) == 1 && batch >= 2 && batch <= 1024;
        else if (!strcmp(a, "--seed"))
            ok = sscanf(v, "%u", &seed) == 1;
        else
            ok = 0;
        if (!ok) return fprintf(stderr, "alvk-parity: bad option '%s %s'\n%s", a, v, usage), 2;
        i++;
    }
    if (!data || !out)
        return fprintf(stderr, "alvk-parity: --data and --out are required\n%s", usage), 2;

    alvk_context *ctx = NULL;
    alvk_dataset *train = NULL;
    alvk_params *p = NULL;
    alvk_pool *pool = NULL;
    if (alvk_context_create(NULL, &ctx) != ALVK_OK) return fail("Vulkan");
    if (alvk_dataset_load(data, "train", 10, &train) != ALVK_OK) return fail(data);
    if (alvk_dataset_count(train) < batch)
        return fprintf(stderr, "alvk-parity: %s has fewer than %u training images\n", data, batch),
               1;
    if (alvk_params_create(ctx, &p) != ALVK_OK || alvk_model_resnet18(p, 1, 10) != ALVK_OK ||
        alvk_params_commit(p) != ALVK_OK || alvk_params_initialize(p, seed) != ALVK_OK ||
        alvk_pool_create(ctx, train, &pool) != ALVK_OK)
        return fail("model");
    size_t n = alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE);
    float loss, *features = malloc((size_t)batch * 512 * sizeof *features),
                *grads = malloc(n * sizeof *grads);
    if (!features || !grads) return fprintf(stderr, "alvk-parity: out of memory\n"), 1;
    int rc =
        save(p, out, "init.safetensors") || step(ctx, p, pool, batch, &loss, features) ||
        save(p, out, "after.safetensors") ||
        (alvk_params_read_grad(p, -1, grads, n * sizeof *grads) != ALVK_OK && fail("gradients")) ||
        write_floats(out, "features.f32", features, (size_t)batch * 512) ||
        write_floats(out, "grads.f32", grads, n);
    if (!rc) printf("loss %.9g\n", loss);
    free(features), free(grads);
    alvk_pool_destroy(pool), alvk_params_destroy(p), alvk_dataset_destroy(train),
        alvk_context_destroy(ctx);
    return rc;
}
