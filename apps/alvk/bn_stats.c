/* The batch-norm running statistics of the store's ResNet18: found by
 * name, saved and restored on the host, and recomputed from training
 * images by a forward pass in training mode at momentum 1 (after a run the
 * running statistics are exactly that batch's). `alvk run` records the
 * accuracy with them beside the notebook's; `alvk train` evaluates and
 * saves its model with them. Everything goes through the public API. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int build_graph(bn_stats *b) {
    session *s = b->s;
    if (alvk_graph_create(s->ctx, s->params, s->eval_batch, ALVK_GRAPH_TRAIN, &b->g) != ALVK_OK)
        return 0;
    b->idx = alvk_graph_indices(b->g);
    b->out = alvk_graph_resnet18(b->g, alvk_graph_gather(b->g, s->train_pool, b->idx));
    return alvk_graph_set_bn_momentum(b->g, 1.0f) == ALVK_OK &&
           alvk_graph_output(b->g, b->out) == ALVK_OK && alvk_graph_compile(b->g) == ALVK_OK;
}

/* The store indices of every batch norm's running mean and variance. */
static int find_tensors(bn_stats *b) {
    alvk_params *p = b->s->params;
    if (!(b->at = malloc((size_t)alvk_params_count(p) * sizeof *b->at))) return 0;
    /* ResNet18's batch norms, by torchvision name (the public API finds
     * tensors by name; it does not list them). */
    static const char *const blocks[] = {"layer1.0", "layer1.1", "layer2.0", "layer2.1",
                                         "layer3.0", "layer3.1", "layer4.0", "layer4.1"};
    static const char *const norms[] = {"bn1", "bn2", "downsample.1"};
    for (int k = -1; k < 8 * 3; k++) {
        char prefix[48], mean[64], var[64];
        if (k < 0) snprintf(prefix, sizeof prefix, "bn1"); /* the stem's */
        else snprintf(prefix, sizeof prefix, "%s.%s", blocks[k / 3], norms[k % 3]);
        snprintf(mean, sizeof mean, "%.47s.running_mean", prefix);
        snprintf(var, sizeof var, "%.47s.running_var", prefix);
        int im = alvk_params_find(p, mean), iv = alvk_params_find(p, var);
        if (im < 0 || iv < 0) continue; /* blocks without a shortcut */
        b->at[b->n++] = im;
        b->at[b->n++] = iv;
        b->floats += 2 * alvk_params_numel(p, im, ALVK_PARAM_STATE);
    }
    b->saved = malloc(b->floats * sizeof *b->saved);
    return b->saved != NULL && b->n > 0;
}

int bn_stats_init(bn_stats *b, session *s) {
    memset(b, 0, sizeof *b);
    b->s = s;
    if (!build_graph(b)) return cli_fail("building the statistics graph");
    if (!find_tensors(b)) return cli_fail("finding the batch-norm statistics");
    return EXIT_OK;
}

void bn_stats_free(bn_stats *b) {
    alvk_graph_destroy(b->g);
    free(b->at);
    free(b->saved);
    memset(b, 0, sizeof *b);
}

/* Copies every statistics tensor between the store and host (to_host) or back. */
static int copy(bn_stats *b, float *at, int to_host) {
    for (int k = 0; k < b->n; k++) {
        uint64_t n = alvk_params_numel(b->s->params, b->at[k], ALVK_PARAM_STATE);
        alvk_status s = to_host ? alvk_params_read(b->s->params, b->at[k], at, n * sizeof *at)
                                : alvk_params_write(b->s->params, b->at[k], at, n * sizeof *at);
        if (s != ALVK_OK) return 0;
        at += n;
    }
    return 1;
}

int bn_stats_save(bn_stats *b) {
    return copy(b, b->saved, 1) ? EXIT_OK : cli_fail("saving the batch-norm statistics");
}

int bn_stats_restore(bn_stats *b) {
    return copy(b, b->saved, 0) ? EXIT_OK : cli_fail("restoring the batch-norm statistics");
}

/* Runs the statistics graph over ids in near-equal batches (none of one
 * image: its variance is undefined) and pools each batch's mean and
 * unbiased variance into those of all n, as one pass would give them:
 * mean = sum(n_k mu_k) / n, var = (sum((n_k - 1) v_k + n_k mu_k^2) - n mu^2) / (n - 1). */
int bn_stats_recompute(bn_stats *b, const uint32_t *ids, uint32_t n) {
    if (n < 2) return EXIT_OK; /* nothing to compute from */
    uint32_t nb = (n + b->s->eval_batch - 1) / b->s->eval_batch;
    float *batch_stats = malloc(b->floats * sizeof *batch_stats);
    double *acc = calloc(b->floats, sizeof *acc);
    int rc = batch_stats && acc ? EXIT_OK : cli_fail("allocating");
    for (uint32_t k = 0, at = 0; k < nb && rc == EXIT_OK; k++) {
        uint32_t rows = (n - at) / (nb - k); /* near-equal shares: every batch >= 2 when n >= 2 */
        if (alvk_graph_set(b->g, b->idx, ids + at, rows * sizeof *ids, rows) != ALVK_OK ||
            alvk_graph_run(b->g, rows) != ALVK_OK || !copy(b, batch_stats, 1)) {
            rc = cli_fail("recomputing the batch-norm statistics");
            break;
        }
        /* stats alternate mean, variance per layer: accumulate both sums. */
        uint64_t off = 0;
        for (int t = 0; t < b->n; t += 2) {
            uint64_t c = alvk_params_numel(b->s->params, b->at[t], ALVK_PARAM_STATE);
            for (uint64_t j = 0; j < c; j++) {
                double mu = batch_stats[off + j], var = batch_stats[off + c + j];
                acc[off + j] += rows * mu;
                acc[off + c + j] += (rows - 1) * var + rows * mu * mu;
            }
            off += 2 * c;
        }
        at += rows;
    }
    if (rc == EXIT_OK) {
        uint64_t off = 0;
        for (int t = 0; t < b->n; t += 2) {
            uint64_t c = alvk_params_numel(b->s->params, b->at[t], ALVK_PARAM_STATE);
            for (uint64_t j = 0; j < c; j++) {
                double mu = acc[off + j] / n;
                batch_stats[off + j] = (float)mu;
                batch_stats[off + c + j] = (float)((acc[off + c + j] - n * mu * mu) / (n - 1));
            }
            off += 2 * c;
        }
        if (!copy(b, batch_stats, 0)) rc = cli_fail("writing the batch-norm statistics");
    }
    free(batch_stats);
    free(acc);
    return rc;
}
