/* alvk-e2e: end-to-end throughput of the graphs the alvk program runs, on
 * the device alvk chooses: the ResNet18 training step (one submission per
 * step, as `alvk train`), the evaluation pass at several batch sizes (as
 * `alvk eval`) and the adversarial step of `alvk run` (labeled and
 * unlabeled batches, discriminator and gradient penalty). Wall-clock time
 * over whole steps after a warm-up, so recording, uploads of indices and
 * read-backs count. benchmarks/compare.sh runs the same workloads in
 * PyTorch beside it. Uses only the public API and the app's library. */
#include "al.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The head's classes: MNIST's ten, as compare.py's PyTorch model has, so
 * both sides time the same network. */
enum { CLASSES = 10 };

static const char usage[] =
    "usage: alvk-e2e [--json] [--steps N] [--batch N] [--eval-images N] [--device N|name]\n"
    "                [--data DIR]\n"
    "\n"
    "Wall-clock images/s of alvk's real graphs on MNIST-shaped ResNet18 (28x28x1):\n"
    "the training step at --batch (default 128) over --steps steps (default 5, after one\n"
    "warm-up step), evaluation of --eval-images test images (default 2048) at batch\n"
    "256, 512 and 1024 (the best is reported as 'eval'), and the adversarial step\n"
    "(--batch labeled + --batch unlabeled images per step; its images/s counts both).\n";

typedef struct opts {
    int json;
    uint32_t steps, batch, eval_images;
    const char *device, *data;
} opts;

static int parse(int argc, char **argv, opts *o) {
    *o = (opts){.steps = 5, .batch = 128, .eval_images = 2048};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return fputs(usage, stdout), -1;
        else if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--steps")) ok = cli_uint(a, v, 1, 100000, &o->steps), i++;
        else if (!strcmp(a, "--batch")) ok = cli_uint(a, v, 1, 4096, &o->batch), i++;
        else if (!strcmp(a, "--eval-images")) ok = cli_uint(a, v, 1, 10000, &o->eval_images), i++;
        else if (!strcmp(a, "--device") && v) o->device = v, i++;
        else if (!strcmp(a, "--data") && v) o->data = v, i++;
        else return fprintf(stderr, "alvk-e2e: unknown option or missing value '%s'\n%s", a, usage), EXIT_USAGE;
        if (!ok) return EXIT_USAGE;
    }
    return 0;
}

/* Training-set ids 0..n-1 (the order does not change the time). */
static uint32_t *ids(uint32_t n) {
    uint32_t *v = malloc(n * sizeof *v);
    for (uint32_t i = 0; v && i < n; i++) v[i] = i;
    return v;
}

/* What the compiler made of a graph after its timed runs. */
static alvk_graph_stats stats_of(const alvk_graph *g) {
    alvk_graph_stats st = {0};
    if (g) alvk_graph_stats_get(g, &st);
    return st;
}

static void print_stats(const char *name, const alvk_graph_stats *st, int json) {
    double arena = (double)st->arena_bytes / (1 << 20), scratch = (double)st->scratch_bytes / (1 << 20);
    if (json)
        printf("\"%s\": {\"nodes\": %u, \"kernels\": %u, \"commands\": %u, \"barriers\": %u, "
               "\"arena_mib\": %.1f, \"scratch_mib\": %.1f}", name, st->nodes, st->kernels, st->commands,
               st->barriers, arena, scratch);
    else
        printf("  %-11s %4u nodes, %4u kernels, %4u commands, %4u barriers, %6.1f MiB planned + %5.1f MiB "
               "unplanned scratch\n", name, st->nodes, st->kernels, st->commands, st->barriers, arena, scratch);
}

/* images/s of the training and adversarial steps. */
static int time_training(const opts *o, double *train, double *adv, alvk_graph_stats st_out[2]) {
    session s;
    al_model m = {0};
    al_train_stats st;
    uint32_t n = o->steps * o->batch, *v = ids(2 * n);
    int rc = v ? session_open(&s, o->device, o->data, CLASSES, o->batch, 1, 0, DISC_KAIMING) : EXIT_FAILED;
    if (rc == EXIT_OK) rc = al_model_init(&m, &s, o->batch, 1e-3, 1);
    if (rc == EXIT_OK) rc = al_model_start(&m, 0);
    /* Warm-up: the first run of a graph records its commands. */
    if (rc == EXIT_OK) rc = al_train_classifier(&m, v, o->batch, 1, 0, 0, &st, NULL);
    double t = cli_now();
    if (rc == EXIT_OK) rc = al_train_classifier(&m, v, n, 1, 0, 1, &st, NULL);
    *train = (double)st.images / (cli_now() - t);
    if (rc == EXIT_OK) rc = al_train_adversarial(&m, v, o->batch, v + n, o->batch, 1, 0, 0, &st, NULL);
    t = cli_now();
    if (rc == EXIT_OK) rc = al_train_adversarial(&m, v, n, v + n, n, 1, 0, 1, &st, NULL);
    *adv = (double)st.images / (cli_now() - t);
    st_out[0] = stats_of(m.train), st_out[1] = stats_of(m.adv);
    al_model_free(&m);
    session_close(&s);
    free(v);
    return rc;
}

/* images/s of `alvk eval` at one batch size. */
static int time_eval(const opts *o, uint32_t batch, double *rate, alvk_graph_stats *st) {
    session s;
    int rc = session_open(&s, o->device, o->data, CLASSES, batch, o->eval_images, 0, DISC_NONE);
    if (rc == EXIT_OK && session_test_accuracy(&s) < 0) rc = cli_fail("evaluating"); /* warm-up */
    double t = cli_now();
    if (rc == EXIT_OK && session_test_accuracy(&s) < 0) rc = cli_fail("evaluating");
    *rate = s.test_size / (cli_now() - t);
    *st = stats_of(s.eval);
    session_close(&s);
    return rc;
}

int main(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    static const uint32_t eval_batches[] = {256, 512, 1024};
    double train = 0, adv = 0, eval[3] = {0}, best = 0;
    uint32_t best_batch = 0;
    alvk_graph_stats st[2], est[3], best_st = {0};
    if ((rc = time_training(&o, &train, &adv, st)) != EXIT_OK) return rc;
    for (int i = 0; i < 3; i++) {
        if ((rc = time_eval(&o, eval_batches[i], &eval[i], &est[i])) != EXIT_OK) return rc;
        if (eval[i] > best) best = eval[i], best_batch = eval_batches[i], best_st = est[i];
    }
    if (o.json) {
        printf("{\"train\": {\"batch\": %u, \"images_per_s\": %.2f}, ", o.batch, train);
        printf("\"eval\": {\"batch\": %u, \"images_per_s\": %.2f, \"by_batch\": {", best_batch, best);
        for (int i = 0; i < 3; i++) printf("%s\"%u\": %.2f", i ? ", " : "", eval_batches[i], eval[i]);
        printf("}}, \"adversarial\": {\"batch\": %u, \"images_per_s\": %.2f}, \"graphs\": {", o.batch, adv);
        print_stats("train", &st[0], 1), printf(", ");
        print_stats("eval", &best_st, 1), printf(", ");
        print_stats("adversarial", &st[1], 1), printf("}}\n");
    } else {
        printf("train        batch %4u  %8.1f images/s\n", o.batch, train);
        for (int i = 0; i < 3; i++)
            printf("eval         batch %4u  %8.1f images/s%s\n", eval_batches[i], eval[i],
                   eval_batches[i] == best_batch ? "  (best)" : "");
        printf("adversarial  batch %4u  %8.1f images/s (labeled + unlabeled)\n", o.batch, adv);
        printf("graphs (commands and barriers of one run; eval at batch %u):\n", best_batch);
        print_stats("train", &st[0], 0);
        print_stats("eval", &best_st, 0);
        print_stats("adversarial", &st[1], 0);
    }
    return EXIT_OK;
}
