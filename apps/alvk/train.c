/* `alvk train`: the full-data baseline. ResNet18 with a head of as many
 * classes as the data set's labels trained with Adam, test accuracy after every epoch, the model
 * saved after every epoch (so an interruption loses at most the epoch in
 * progress). Before it evaluates and saves, an epoch recomputes the
 * batch-norm statistics from training images by default (bn_stats.c). */
#include "session.h"
#include "par.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: alvk train [options]\n"
    "\n"
    "Trains ResNet18 (1 input channel) with Adam on every label of an IDX data set,\n"
    "MNIST by default, and reports the test accuracy after every epoch: the notebook's\n"
    "full-data baseline (99.0-99.5 % on MNIST).\n"
    "\n"
    "  --epochs N       epochs (default 30, as the notebook)\n"
    "  --batch-size N   images per step (default 128)\n"
    "  --lr X           Adam learning rate (default 1e-3)\n"
    "  --seed N         initial weights and data order (default 0)\n"
    "  --subset N       train on N images drawn with the seed (default: all)\n"
    "  --test-size N    evaluate on N test images drawn with the seed (default: all)\n"
    "  --data DIR       a directory of IDX files: train-images-idx3-ubyte, train-labels-\n"
    "                   idx1-ubyte, t10k-images-..., t10k-labels-... (raw or .gz; any one\n"
    "                   image size; default: $ALVK_DATA, else data/mnist)\n"
    "  --classes N      classes of the head (default: the largest label + 1)\n"
    "  --device N|name  the Vulkan device (default: $ALVK_DEVICE, else the best)\n"
    "  --save FILE      write the model (safetensors) after every epoch\n"
    "  --bn-stats N     after every epoch, recompute the batch-norm statistics from N of\n"
    "                   the epoch's training images (default 8192; at most the epoch's)\n"
    "                   before evaluating and saving, and report the accuracy with the\n"
    "                   running statistics beside; 0: keep the running statistics (PyTorch's\n"
    "                   model.eval()). Running statistics trail weights that Adam still moves\n"
    "                   fast: after 1 epoch they can cost 1-3 points of accuracy.\n"
    "\n"
    "Under mpirun -np N (alvk built with MPI): data-parallel. Each batch is split over the\n"
    "ranks, their gradients summed in a fixed order (a run repeats bit for bit) and every\n"
    "rank takes the same Adam step. Batch-norm statistics are per rank, as PyTorch's\n"
    "DistributedDataParallel without SyncBatchNorm; the model evaluated and saved is rank\n"
    "0's. Each rank opens --device, else its turn among its host's devices of the best kind.\n";

typedef struct train_opts {
    uint32_t epochs, batch, seed, subset, test_size, classes, bn_stats;
    double lr;
    const char *data, *device, *save;
} train_opts;

static int parse(int argc, char **argv, train_opts *o) {
    *o = (train_opts){.epochs = 30, .batch = 128, .lr = 1e-3, .bn_stats = 8192};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            if (par_rank() == 0) fputs(usage, stdout);
            return -1;
        } else if (strcmp(a, "--epochs") == 0) ok = cli_uint(a, v, 1, 100000, &o->epochs), i++;
        else if (strcmp(a, "--batch-size") == 0) ok = cli_uint(a, v, 1, 4096, &o->batch), i++;
        else if (strcmp(a, "--seed") == 0) ok = cli_uint(a, v, 0, UINT32_MAX, &o->seed), i++;
        else if (strcmp(a, "--subset") == 0) ok = cli_uint(a, v, 1, UINT32_MAX, &o->subset), i++;
        else if (strcmp(a, "--test-size") == 0) ok = cli_uint(a, v, 1, UINT32_MAX, &o->test_size), i++;
        else if (strcmp(a, "--lr") == 0) ok = cli_double(a, v, 1e-12, 10, &o->lr), i++;
        else if (strcmp(a, "--bn-stats") == 0)
            ok = cli_uint(a, v, 0, UINT32_MAX, &o->bn_stats), i++;
        else if (strcmp(a, "--classes") == 0) ok = cli_uint(a, v, 2, 256, &o->classes), i++;
        else if (strcmp(a, "--data") == 0 && v) o->data = v, i++;
        else if (strcmp(a, "--device") == 0 && v) o->device = v, i++;
        else if (strcmp(a, "--save") == 0 && v) o->save = v, i++;
        else return cli_usage_error("train: unknown option or missing value '%s'", a);
        if (!ok) return EXIT_USAGE;
    }
    return 0;
}
static int save(alvk_params *p, const char *path) {
    if (path && par_rank() == 0 && alvk_params_save(p, path) != ALVK_OK) return cli_fail("saving the model");
    return EXIT_OK;
}

/* What a step needs. Under MPI every rank holds the whole model and runs
 * its share of each batch through a backward-only graph; the ranks sum the
 * gradients (par_reduce_gradients), and each takes the same Adam step. */
typedef struct trainer {
    session s;
    alvk_graph *g, *adam;  /* adam: over ranks only (alone, g holds the step) */
    alvk_node idx, loss;
    float *grads;          /* over ranks: the packed gradients, then the loss */
    double *weights;       /* each rank's share of the batch */
    bn_stats bn;           /* rank 0's, with --bn-stats */
} trainer;

/* Rows lo..hi-1 of a b-row batch are rank r's. */
static uint32_t share(uint32_t b, int r) { return (uint32_t)((uint64_t)b * (uint32_t)r / (uint32_t)par_size()); }

static int build(trainer *t, const train_opts *o) {
    int nparams = alvk_params_count(t->s.params), ranks = par_size();
    if (ranks == 1) return session_train_graph(&t->s, o->batch, o->lr, nparams, &t->g, &t->idx, &t->loss);
    uint64_t n = alvk_params_numel(t->s.params, -1, ALVK_PARAM_TRAINABLE);
    if (!(t->grads = malloc((n + 1) * sizeof *t->grads)) || !(t->weights = malloc(ranks * sizeof *t->weights)))
        return cli_fail("allocating");
    int rc = session_train_graph(&t->s, share(o->batch + ranks - 1, 1), 0, nparams, &t->g, &t->idx, &t->loss);
    return rc == EXIT_OK ? session_adam_graph(&t->s, o->lr, nparams, &t->adam) : rc;
}

/* One optimiser step over the b images ids; *loss: the batch's mean. On
 * every rank the same step, or EXIT_INTERRUPTED / EXIT_FAILED on all
 * (a rank that stops alone would leave the others waiting). */
static int step(trainer *t, const uint32_t *ids, uint32_t b, float *loss) {
    if (par_size() == 1) {
        if (alvk_graph_set(t->g, t->idx, ids, b * sizeof *ids, b) != ALVK_OK || alvk_graph_run(t->g, b) != ALVK_OK ||
            alvk_graph_read(t->g, t->loss, loss, sizeof *loss) != ALVK_OK)
            return cli_fail("training");
        return cli_interrupted ? EXIT_INTERRUPTED : EXIT_OK;
    }
    uint32_t lo = share(b, par_rank()), hi = share(b, par_rank() + 1);
    for (int r = 0; r < par_size(); r++) t->weights[r] = (double)(share(b, r + 1) - share(b, r)) / b;
    float mine = 0;
    int ok = hi == lo || (alvk_graph_set(t->g, t->idx, ids + lo, (hi - lo) * sizeof *ids, hi - lo) == ALVK_OK &&
                          alvk_graph_run(t->g, hi - lo) == ALVK_OK &&
                          alvk_graph_read(t->g, t->loss, &mine, sizeof mine) == ALVK_OK);
    if (!ok) cli_fail("training");
    uint64_t trouble[2] = {!ok, cli_interrupted != 0}; /* ranks failed, ranks interrupted */
    if (!par_sum_u64(trouble, 2) || trouble[0]) return EXIT_FAILED;
    if (trouble[1]) {
        cli_interrupted = 1; /* every rank stops here, as one */
        return EXIT_INTERRUPTED;
    }
    uint64_t n = alvk_params_numel(t->s.params, -1, ALVK_PARAM_TRAINABLE);
    t->grads[n] = mine;
    ok = par_reduce_gradients(t->s.params, t->grads, 1, t->weights, hi > lo) &&
         alvk_graph_run(t->adam, 1) == ALVK_OK;
    if (!ok) cli_fail("summing the gradients over the ranks");
    if (!par_all_ok(ok, NULL)) return EXIT_FAILED;
    *loss = t->grads[n];
    return EXIT_OK;
}

/* Test accuracy; over ranks, each evaluates a share of the test images
 * with rank 0's model (its batch-norm running statistics: the only tensors
 * that differ between ranks), as DistributedDataParallel's buffer broadcast. */
static double evaluate(trainer *t) {
    session *s = &t->s;
    if (par_size() == 1) return session_test_accuracy(s);
    uint64_t most = 0;
    for (int i = 0; i < alvk_params_count(s->params); i++)
        if (alvk_params_numel(s->params, i, ALVK_PARAM_TRAINABLE) > most) most = alvk_params_numel(s->params, i, 0);
    float *v = malloc(most * sizeof *v);
    int ready = par_all_ok(v != NULL, NULL), ok = ready;
    for (int i = 0; ready && i < alvk_params_count(s->params); i++) { /* every rank in every broadcast */
        uint64_t n = alvk_params_numel(s->params, i, ALVK_PARAM_TRAINABLE);
        if (par_rank() == 0 && alvk_params_read(s->params, i, v, n * sizeof *v) != ALVK_OK) ok = 0;
        if (!par_bcast(v, n * sizeof *v, 0) || alvk_params_write(s->params, i, v, n * sizeof *v) != ALVK_OK) ok = 0;
    }
    free(v);
    uint32_t lo = share(s->test_size, par_rank()), hi = share(s->test_size, par_rank() + 1);
    int64_t correct = ok ? session_test_correct(s, lo, hi - lo) : -1;
    if (!par_all_ok(correct >= 0, NULL)) return -1;
    uint64_t sum = (uint64_t)correct;
    return par_sum_u64(&sum, 1) ? (double)sum / s->test_size : -1;
}

/* Rank 0 of several runs each graph once on a batch's share, then restores
 * the model: every kernel variant is then chosen, for the other ranks to
 * take (par_share_choices). */
static int warm_up(trainer *t, uint32_t rows) {
    session *s = &t->s;
    uint32_t *ids = malloc(rows * sizeof *ids);
    if (!ids) return cli_fail("allocating");
    for (uint32_t i = 0; i < rows; i++) ids[i] = i % alvk_dataset_count(s->train);
    int ok = alvk_params_snapshot(s->params) == ALVK_OK && alvk_graph_set(t->g, t->idx, ids, rows * sizeof *ids, rows) == ALVK_OK &&
             alvk_graph_run(t->g, rows) == ALVK_OK && alvk_graph_run(t->adam, 1) == ALVK_OK &&
             session_test_correct(s, 0, s->test_size < s->eval_batch ? s->test_size : s->eval_batch) >= 0 &&
             alvk_params_restore(s->params) == ALVK_OK && alvk_params_reset_optimizer(s->params) == ALVK_OK;
    free(ids);
    return ok ? EXIT_OK : cli_fail("running the graphs once");
}

/* Opens this rank's device (with rank 0's kernel choices, on the others),
 * initialises the model and builds the graphs. */
static int start(trainer *t, const train_opts *o, const char *choices) {
    char buf[32];
    session *s = &t->s;
    s->choices = choices && *choices ? choices : NULL;
    int rc = session_open_device(s, par_device(o->device, buf, sizeof buf), o->batch, o->test_size, o->seed, DISC_NONE);
    if (rc == EXIT_OK && alvk_params_initialize(s->params, o->seed) != ALVK_OK) rc = cli_fail("initialising");
    if (rc == EXIT_OK) rc = build(t, o);
    if (rc == EXIT_OK && par_size() > 1 && par_rank() == 0) rc = warm_up(t, share(o->batch + par_size() - 1, 1));
    if (rc == EXIT_OK && o->bn_stats && par_rank() == 0) rc = bn_stats_init(&t->bn, s);
    return rc;
}

/* Rank 0 recomputes the batch-norm statistics from training images ids;
 * evaluate() then gives them to every rank. */
static int recompute_stats(trainer *t, const uint32_t *ids, uint32_t n) {
    int ok = par_rank() != 0 || bn_stats_recompute(&t->bn, ids, n) == EXIT_OK;
    return par_all_ok(ok, NULL) ? EXIT_OK : EXIT_FAILED;
}

int cmd_train(int argc, char **argv) {
    train_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    trainer t = {.idx = -1, .loss = -1};
    session *s = &t.s;
    rc = session_load_data(s, o.data, o.classes);
    /* Rank 0 first; the others then compute with its kernel choices. */
    if (rc == EXIT_OK && par_rank() == 0) rc = start(&t, &o, NULL);
    char choices[PAR_CHOICES];
    int worst = par_worst(par_rank() == 0 ? rc : EXIT_OK);
    if (worst == EXIT_OK) par_share_choices(s->ctx, choices);
    if (worst == EXIT_OK && rc == EXIT_OK && par_rank() != 0) rc = start(&t, &o, choices);
    if ((worst = par_worst(worst != EXIT_OK ? worst : rc)) != EXIT_OK) {
        if (rc != EXIT_OK && par_size() > 1)
            fprintf(stderr, "alvk: rank %d on %s could not start (see above); no rank trains\n", par_rank(), par_host());
        rc = worst;
    }
    uint32_t total = rc == EXIT_OK ? alvk_dataset_count(s->train) : 0, n = o.subset && o.subset < total ? o.subset : total;
    uint32_t *order = malloc((total ? total : 1) * sizeof *order), n0 = n;
    if (rc == EXIT_OK && !order) rc = cli_fail("allocating");
    /* Every rank must take the same steps: the same data behind --data. */
    if (par_size() > 1 && par_bcast(&n0, sizeof n0, 0) && rc == EXIT_OK && n0 != n) {
        fprintf(stderr, "alvk: train: rank %d on %s has %u training images where rank 0 has %u: give every rank "
                "the same data\n", par_rank(), par_host(), n, n0);
        rc = EXIT_USAGE;
    }
    rc = par_worst(rc);
    if (rc == EXIT_OK) {
        for (uint32_t i = 0; i < total; i++) order[i] = i;
        cli_shuffle(order, total, o.seed, STREAM_SUBSET); /* the subset: the first n of a seeded permutation */
        alvk_device_info d;
        alvk_context_device_info(s->ctx, alvk_context_device_index(s->ctx), &d);
        char ranks[96] = "";
        if (par_size() > 1) snprintf(ranks, sizeof ranks, " over %d ranks (up to %u images each)", par_size(),
                                     share(o.batch + par_size() - 1, 1));
        if (par_rank() == 0)
            fprintf(stderr, "training ResNet18 on %u %s images (%u classes), %u epochs of %u steps, batch %u%s, "
                    "on %s (%.0f MiB planned for activations and gradients)\n", n, s->data_name, s->classes,
                    o.epochs, (n + o.batch - 1) / o.batch, o.batch, ranks, d.name,
                    (double)alvk_graph_peak_bytes(t.g) / (1 << 20));
    }
    cli_catch_interrupts();
    uint32_t steps = (n + o.batch - 1) / o.batch;
    double start = cli_now();
    for (uint32_t epoch = 1; rc == EXIT_OK && epoch <= o.epochs; epoch++) {
        cli_shuffle(order, n, o.seed, epoch);
        double epoch_start = cli_now(), sum = 0;
        for (uint32_t k = 0; k < steps && rc == EXIT_OK; k++) {
            uint32_t b = n - k * o.batch < o.batch ? n - k * o.batch : o.batch;
            float l;
            if ((rc = step(&t, order + k * o.batch, b, &l)) != EXIT_OK) break;
            sum += l;
            double secs = cli_now() - epoch_start, rate = (k + 1.0) * o.batch / secs;
            int left = (int)(((double)(o.epochs - epoch) * steps + (steps - k - 1)) * o.batch / rate);
            cli_progress(0, "epoch %u/%u  step %u/%u  loss %.4f  %.0f images/s  ETA %d:%02d (training)",
                         epoch, o.epochs, k + 1, steps, sum / (k + 1), rate, left / 60, left % 60);
        }
        if (rc == EXIT_INTERRUPTED && par_rank() == 0)
            fprintf(stderr, "\ninterrupted in epoch %u; %s\n", epoch,
                    o.save ? "the model of the last finished epoch is in the saved file" : "nothing saved (no --save)");
        if (rc != EXIT_OK) break;
        /* With --bn-stats: the accuracy with the running statistics, then
         * with statistics recomputed from the first images of the epoch's order. */
        double running = o.bn_stats ? evaluate(&t) : 0, acc = -1;
        uint32_t stat_images = o.bn_stats < n ? o.bn_stats : n;
        if (running >= 0 &&
            (!o.bn_stats || (rc = recompute_stats(&t, order, stat_images)) == EXIT_OK))
            acc = evaluate(&t);
        if (acc < 0) {
            if (rc == EXIT_OK) rc = cli_fail("evaluating");
            break;
        }
        char also[64] = "";
        if (o.bn_stats)
            snprintf(also, sizeof also, " (running statistics: %.2f %%)", 100 * running);
        cli_progress(1, "epoch %u/%u  train loss %.4f  test accuracy %.2f %%%s  (%.0f s)", epoch,
                     o.epochs, sum / steps, 100 * acc, also, cli_now() - epoch_start);
        if (par_rank() == 0) {
            printf("epoch %u train_loss %.6f test_accuracy %.4f", epoch, sum / steps, acc);
            if (o.bn_stats) printf(" test_accuracy_running %.4f", running);
            printf("\n");
        }
        fflush(stdout);
        rc = par_all_ok(save(s->params, o.save) == EXIT_OK, NULL) ? EXIT_OK : EXIT_FAILED; /* rank 0 saves */
    }
    if (rc == EXIT_OK && par_rank() == 0) fprintf(stderr, "done in %.0f s\n", cli_now() - start);
    free(order), free(t.grads), free(t.weights);
    alvk_graph_destroy(t.g), alvk_graph_destroy(t.adam);
    bn_stats_free(&t.bn);
    session_close(s);
    return rc;
}
