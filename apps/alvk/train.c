/* `alvk train`: the full-data baseline. ResNet18 with a head of as many
 * classes as the data set's labels trained with Adam, test accuracy after every epoch, the model
 * saved after every epoch (so an interruption loses at most the epoch in
 * progress). */
#include "cli.h"

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
    "  --save FILE      write the model (safetensors) after every epoch\n";

typedef struct train_opts {
    uint32_t epochs, batch, seed, subset, test_size, classes;
    double lr;
    const char *data, *device, *save;
} train_opts;

static int parse(int argc, char **argv, train_opts *o) {
    *o = (train_opts){.epochs = 30, .batch = 128, .lr = 1e-3};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        } else if (strcmp(a, "--epochs") == 0) ok = cli_uint(a, v, 1, 100000, &o->epochs), i++;
        else if (strcmp(a, "--batch-size") == 0) ok = cli_uint(a, v, 1, 4096, &o->batch), i++;
        else if (strcmp(a, "--seed") == 0) ok = cli_uint(a, v, 0, UINT32_MAX, &o->seed), i++;
        else if (strcmp(a, "--subset") == 0) ok = cli_uint(a, v, 1, UINT32_MAX, &o->subset), i++;
        else if (strcmp(a, "--test-size") == 0) ok = cli_uint(a, v, 1, UINT32_MAX, &o->test_size), i++;
        else if (strcmp(a, "--lr") == 0) ok = cli_double(a, v, 1e-12, 10, &o->lr), i++;
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
    if (path && alvk_params_save(p, path) != ALVK_OK) return cli_fail("saving the model");
    return EXIT_OK;
}

int cmd_train(int argc, char **argv) {
    train_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    session s;
    if ((rc = session_open(&s, o.device, o.data, o.classes, o.batch, o.test_size, o.seed, DISC_NONE)) != EXIT_OK) {
        session_close(&s);
        return rc;
    }
    alvk_graph *g = NULL;
    alvk_node idx = -1, loss = -1;
    uint32_t total = alvk_dataset_count(s.train), n = o.subset && o.subset < total ? o.subset : total;
    uint32_t *order = malloc(total * sizeof *order), *batch = malloc(o.batch * sizeof *batch);
    if (!order || !batch) rc = EXIT_FAILED;
    if (rc == EXIT_OK && alvk_params_initialize(s.params, o.seed) != ALVK_OK) rc = cli_fail("initialising");
    if (rc == EXIT_OK) rc = session_train_graph(&s, o.batch, o.lr, alvk_params_count(s.params), &g, &idx, &loss);
    if (rc == EXIT_OK) {
        for (uint32_t i = 0; i < total; i++) order[i] = i;
        cli_shuffle(order, total, o.seed, 0); /* the subset: the first n of a seeded permutation */
        alvk_device_info d;
        alvk_context_device_info(s.ctx, alvk_context_device_index(s.ctx), &d);
        fprintf(stderr, "training ResNet18 on %u %s images (%u classes), %u epochs of %u steps, batch %u, "
                "on %s (%.0f MiB planned for activations and gradients)\n", n, s.data_name, s.classes, o.epochs,
                (n + o.batch - 1) / o.batch, o.batch, d.name, (double)alvk_graph_peak_bytes(g) / (1 << 20));
    }
    cli_catch_interrupts();
    uint32_t steps = (n + o.batch - 1) / o.batch;
    double start = cli_now();
    for (uint32_t epoch = 1; rc == EXIT_OK && epoch <= o.epochs; epoch++) {
        cli_shuffle(order, n, o.seed, epoch);
        double epoch_start = cli_now(), sum = 0;
        for (uint32_t step = 0; step < steps && !cli_interrupted; step++) {
            uint32_t b = n - step * o.batch < o.batch ? n - step * o.batch : o.batch;
            float l;
            memcpy(batch, order + step * o.batch, b * sizeof *batch);
            if (alvk_graph_set(g, idx, batch, b) != ALVK_OK || alvk_graph_run(g, b) != ALVK_OK ||
                alvk_graph_read(g, loss, &l) != ALVK_OK) {
                rc = cli_fail("training");
                break;
            }
            sum += l;
            double t = cli_now() - epoch_start, rate = (step + 1.0) * o.batch / t;
            int left = (int)(((double)(o.epochs - epoch) * steps + (steps - step - 1)) * o.batch / rate);
            cli_progress(0, "epoch %u/%u  step %u/%u  loss %.4f  %.0f images/s  ETA %d:%02d (training)",
                         epoch, o.epochs, step + 1, steps, sum / (step + 1), rate, left / 60, left % 60);
        }
        if (rc != EXIT_OK) break;
        if (cli_interrupted) {
            fprintf(stderr, "\ninterrupted in epoch %u; %s\n", epoch,
                    o.save ? "the model of the last finished epoch is in the saved file" : "nothing saved (no --save)");
            rc = EXIT_INTERRUPTED;
            break;
        }
        double acc = session_test_accuracy(&s);
        if (acc < 0) {
            rc = cli_fail("evaluating");
            break;
        }
        cli_progress(1, "epoch %u/%u  train loss %.4f  test accuracy %.2f %%  (%.0f s)", epoch,
                     o.epochs, sum / steps, 100 * acc, cli_now() - epoch_start);
        printf("epoch %u train_loss %.6f test_accuracy %.4f\n", epoch, sum / steps, acc);
        fflush(stdout);
        rc = save(s.params, o.save);
    }
    if (rc == EXIT_OK) fprintf(stderr, "done in %.0f s\n", cli_now() - start);
    free(order);
    free(batch);
    alvk_graph_destroy(g);
    session_close(&s);
    return rc;
}
