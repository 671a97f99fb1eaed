/* `alvk run`: the notebook's active-learning experiment. For each strategy
 * and trial: annotate `budget` random images; then each round train from
 * the initial weights, evaluate, query `budget` more, restore the weights.
 * After every round the results and the whole state are on disk, so an
 * interrupted run continues with --resume and ends as an uninterrupted one. */
#include "al.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: alvk run [--preset seed|quick|demo] [options]\n"
    "       alvk run --resume OUT [--data DIR] [--device N|name]\n"
    "\n"
    "Active learning on MNIST (or another IDX data set) with ResNet18, as the notebook:\n"
    "start from `budget` random labels; each round train from the initial weights,\n"
    "measure test accuracy, let the strategy pick `budget` more labels. Rounds = max-budget / budget - 1.\n"
    "Results, state and plots go to OUT after every round.\n"
    "\n"
    "  --strategies LIST        comma-separated: uniform, margin, adversarial (default: these\n"
    "                           three), least-confidence, entropy\n"
    "  --budget N               labels per round (default 120)\n"
    "  --max-budget N           label budget of a trial (default 1800)\n"
    "  --trials N               trials of each strategy but adversarial (default 5)\n"
    "  --adversarial-trials N   trials of the adversarial strategy (default 1)\n"
    "  --epochs N               epochs per round (default 40)\n"
    "  --adversarial-epochs N   epochs per round of the adversarial strategy (default 5)\n"
    "  --batch-size N           (default 128)\n"
    "  --lr X                   Adam's learning rate, all optimisers (default 1e-3)\n"
    "  --seed N                 initial weights, labels, data order (default 0); a seed\n"
    "                           reproduces a run on the same device bit for bit\n"
    "  --pool-size N            a seeded random pool of N training images (default: all)\n"
    "  --test-size N            a seeded random N test images (default: all)\n"
    "  --baseline-epochs N      also train the full-data baseline on the pool for N epochs\n"
    "  --baseline FILE          the baseline: a checkpoint from alvk train --save\n"
    "  --bn-recalibrate         recompute batch-norm statistics over the labeled set after\n"
    "                           training, before evaluation and query (default: off, as the\n"
    "                           notebook; the recalibrated accuracy is recorded either way)\n"
    "  --discriminator-init kaiming|default\n"
    "                           kaiming (the notebook's; saturates D) or PyTorch's default\n"
    "  --out DIR                where results go (default: alvk-run)\n"
    "  --data DIR               a directory of IDX files: train-images-idx3-ubyte, train-\n"
    "                           labels-idx1-ubyte, t10k-... (default: $ALVK_DATA, else data/mnist)\n"
    "  --classes N              classes of the head (default: the largest label + 1)\n"
    "  --device N|name          the Vulkan device (default: $ALVK_DEVICE, else the best)\n"
    "  --resume OUT             continue the interrupted run in OUT\n"
    "\n"
    "presets (flags after --preset override its values):\n"
    "  seed    the notebook: the defaults above, all 60,000 images and 10,000 tests.\n"
    "          Meant for a GPU: alvk run's estimate on lavapipe (2 cores, AVX2 host)\n"
    "          is 40 hours.\n"
    "  quick   pool 10,000, all test images, budget 20, max budget 200 (9 rounds),\n"
    "          epochs 40, adversarial epochs 1, trials 3, adversarial trials 1.\n"
    "          alvk run's estimate on lavapipe (2 cores, AVX2 host): 2 h 12 min.\n"
    "  demo    pool 1,000, test 500, budget 100, max budget 400 (3 rounds: 100 to 300\n"
    "          labels), epochs 8, batch size 32, --bn-recalibrate, adversarial epochs 1,\n"
    "          trials 1, all three strategies: 4 min 19 s on lavapipe on 2 cores (measured,\n"
    "          AVX2 host), seconds on a GPU. On MNIST uniform and margin pass 90 % at 300\n"
    "          labels.\n"
    "\n"
    "Before the first round alvk run times one step of each graph and prints the run's\n"
    "estimated time on the device. --data takes any directory of 1-channel IDX files\n"
    "(Fashion-MNIST, KMNIST, EMNIST; raw or .gz); --classes defaults to the largest\n"
    "label + 1.\n"
    "\n"
    "Writes OUT/results.json, results.csv, summary.md, accuracy.svg, labels_needed.svg,\n"
    "report.html (the summary and both plots in one page) and state.txt.\n"
    "Exit status: 0 done, 1 failed, 2 bad usage, 130 interrupted.\n";

typedef struct run_opts {
    al_config c;
    const char *data, *device, *out, *resume;
    char baseline_file[4096]; /* --baseline's value when it came from a state file */
    char dataset[64];         /* the data set a resumed run was started on ("" if not recorded) */
} run_opts;

typedef struct run run;

static const al_config seed_preset = {
    .strategies = 1u << AL_UNIFORM | 1u << AL_MARGIN | 1u << AL_ADVERSARIAL,
    .budget = 120, .max_budget = 1800, .trials = 5, .adversarial_trials = 1, .epochs = 40,
    .adversarial_epochs = 5, .batch = 128, .lr = 1e-3};

static int apply_preset(const char *name, al_config *c) {
    *c = seed_preset;
    if (strcmp(name, "seed") == 0) return 1;
    if (strcmp(name, "quick") == 0) {
        c->pool_size = 10000, c->budget = 20, c->max_budget = 200, c->epochs = 40;
        c->adversarial_epochs = 1, c->trials = 3, c->adversarial_trials = 1;
        return 1;
    }
    if (strcmp(name, "demo") == 0) {
        /* Small batches: a few hundred labels still make 30-80 steps a round,
         * enough to pass 90 % on MNIST; recalibrated statistics for the
         * queries too, so the strategies pick with what the model learned. */
        c->pool_size = 1000, c->test_size = 500, c->budget = 100, c->max_budget = 400, c->epochs = 8;
        c->batch = 32, c->bn_recalibrate = 1;
        c->adversarial_epochs = 1, c->trials = 1, c->adversarial_trials = 1;
        return 1;
    }
    return 0;
}

static int parse_strategies(const char *text, uint32_t *out) {
    char buf[256];
    *out = 0;
    if (text && strlen(text) < sizeof buf) {
        strcpy(buf, text);
        for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
            int s = al_strategy_find(tok);
            if (s < 0) {
                fprintf(stderr, "alvk: unknown strategy '%s' (uniform, margin, least-confidence, entropy, "
                        "adversarial)\n", tok);
                return 0;
            }
            *out |= 1u << s;
        }
    }
    if (!*out)
        fprintf(stderr, "alvk: --strategies takes a comma-separated list of uniform, margin, least-confidence, "
                "entropy and adversarial, not '%s'\n", text ? text : "");
    return *out != 0;
}

/* Parses flags into o (o->c already holds the preset). Returns 0, -1 after
 * --help, or EXIT_USAGE. `experiment` = 0 accepts only the flags that may
 * change on --resume, 1 every flag, FROM_STATE also what only a state's
 * config line holds (--dataset). */
enum { FROM_STATE = 2 };
static int parse_flags(int argc, char **argv, run_opts *o, int experiment) {
    al_config *c = &o->c;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1, is_value = 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        if (strcmp(a, "--data") == 0 && v) o->data = v;
        else if (strcmp(a, "--device") == 0 && v) o->device = v;
        else if (!experiment) return cli_usage_error("run: with --resume only --data and --device may be given, not '%s'", a);
        else if (strcmp(a, "--preset") == 0 && v) ok = 1; /* applied first */
        else if (strcmp(a, "--strategies") == 0) ok = parse_strategies(v, &c->strategies);
        else if (strcmp(a, "--budget") == 0) ok = cli_uint(a, v, 1, UINT32_MAX, &c->budget);
        else if (strcmp(a, "--max-budget") == 0) ok = cli_uint(a, v, 1, UINT32_MAX, &c->max_budget);
        else if (strcmp(a, "--trials") == 0) ok = cli_uint(a, v, 1, 1000, &c->trials);
        else if (strcmp(a, "--adversarial-trials") == 0) ok = cli_uint(a, v, 1, 1000, &c->adversarial_trials);
        else if (strcmp(a, "--epochs") == 0) ok = cli_uint(a, v, 1, 100000, &c->epochs);
        else if (strcmp(a, "--adversarial-epochs") == 0) ok = cli_uint(a, v, 1, 100000, &c->adversarial_epochs);
        else if (strcmp(a, "--batch-size") == 0) ok = cli_uint(a, v, 2, 4096, &c->batch);
        else if (strcmp(a, "--lr") == 0) ok = cli_double(a, v, 1e-12, 10, &c->lr);
        else if (strcmp(a, "--seed") == 0) ok = cli_uint(a, v, 0, UINT32_MAX, &c->seed);
        else if (strcmp(a, "--pool-size") == 0) ok = cli_uint(a, v, 1, UINT32_MAX, &c->pool_size);
        else if (strcmp(a, "--test-size") == 0) ok = cli_uint(a, v, 1, UINT32_MAX, &c->test_size);
        else if (strcmp(a, "--classes") == 0) ok = cli_uint(a, v, 2, 256, &c->classes);
        else if (strcmp(a, "--dataset") == 0 && v && experiment == FROM_STATE)
            snprintf(o->dataset, sizeof o->dataset, "%s", v);
        else if (strcmp(a, "--baseline-epochs") == 0) ok = cli_uint(a, v, 1, 100000, &c->baseline_epochs);
        else if (strcmp(a, "--baseline") == 0 && v) c->baseline_file = v;
        else if (strcmp(a, "--out") == 0 && v) o->out = v;
        else if (strcmp(a, "--bn-recalibrate") == 0) c->bn_recalibrate = 1, is_value = 0;
        else if (strcmp(a, "--discriminator-init") == 0 && v) {
            ok = strcmp(v, "kaiming") == 0 || strcmp(v, "default") == 0;
            if (!ok) fprintf(stderr, "alvk: --discriminator-init takes kaiming or default, not '%s'\n", v);
            c->discriminator_default_init = strcmp(v, "default") == 0;
        } else return cli_usage_error("run: unknown option or missing value '%s'", a);
        if (!ok) return EXIT_USAGE;
        i += is_value;
    }
    return 0;
}

/* The flags that define the experiment, in a fixed order: stored in the
 * state file, compared against --out's, and parsed back on --resume. */
static void config_flags(const al_config *c, char *buf, size_t size) {
    char list[128] = "";
    for (int s = 0; s < AL_STRATEGIES; s++)
        if (c->strategies >> s & 1) {
            if (*list) strcat(list, ",");
            strcat(list, al_strategy_name(s));
        }
    snprintf(buf, size, "--strategies %s --budget %u --max-budget %u --trials %u --adversarial-trials %u "
             "--epochs %u --adversarial-epochs %u --batch-size %u --lr %.17g --seed %u --pool-size %u "
             "--test-size %u%s --discriminator-init %s", list, c->budget, c->max_budget, c->trials,
             c->adversarial_trials, c->epochs, c->adversarial_epochs, c->batch, c->lr, c->seed,
             c->pool_size, c->test_size, c->bn_recalibrate ? " --bn-recalibrate" : "",
             c->discriminator_default_init ? "default" : "kaiming");
    size_t len = strlen(buf);
    if (c->baseline_epochs) len += (size_t)snprintf(buf + len, size - len, " --baseline-epochs %u", c->baseline_epochs);
    if (c->classes) len += (size_t)snprintf(buf + len, size - len, " --classes %u", c->classes);
    if (c->dataset && *c->dataset && !strchr(c->dataset, ' '))
        snprintf(buf + len, size - len, " --dataset %s", c->dataset);
}

static int parse_config_text(const char *text, run_opts *o) {
    char buf[1024], *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *t = strtok(buf, " "); t && argc < 64; t = strtok(NULL, " ")) argv[argc++] = t;
    o->c = seed_preset;
    o->c.strategies = 0;
    int rc = parse_flags(argc, argv, o, FROM_STATE);
    if (o->c.baseline_file) { /* it points into buf */
        snprintf(o->baseline_file, sizeof o->baseline_file, "%s", o->c.baseline_file);
        o->c.baseline_file = o->baseline_file;
    }
    return rc;
}

static int file_exists(const char *dir, const char *name) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &st) == 0) return 1;
    snprintf(path, sizeof path, "%s/%s.gz", dir, name);
    return stat(path, &st) == 0;
}

/* ---- the run's position, streams and cost --------------------------------- */

/* Evaluation, prediction and the statistics pass run at least 256 images
 * per submission (the training batch when larger): per image they cost
 * about a third less than at 32. */
static uint32_t eval_batch(const al_config *c) { return c->batch > 256 ? c->batch : 256; }

static uint32_t trials_of(const al_config *c, int s) {
    return s == AL_ADVERSARIAL ? c->adversarial_trials : c->trials;
}

/* Random streams: what (labels, shuffles, queries), strategy, trial, round;
 * epochs add to a shuffle's stream. */
enum { STREAM_LABELS = 1, STREAM_TRAIN, STREAM_QUERY, STREAM_WEIGHTS, STREAM_POOL };
static uint64_t stream_of(int what, int s, uint32_t trial, uint32_t round) {
    return ((((uint64_t)what * 8 + (uint64_t)s) * 4096 + trial) * 4096 + round) << 20;
}

/* A round's seconds at the measured rates: training, the two evaluations,
 * the statistics pass and the query (none for uniform or a last round). */
static double round_seconds(const al_config *c, const al_rates *rt, int s, uint32_t round, uint32_t pool,
                            uint32_t test) {
    double n = (double)c->budget * (round + 1), unl = pool - n, train;
    if (s == AL_ADVERSARIAL) train = rt->adversarial * c->adversarial_epochs * 2 * (n > unl ? n : unl);
    else train = rt->train * c->epochs * n;
    double query = s == AL_UNIFORM || round + 1 == al_rounds(c) ? 0 : unl;
    return train + rt->eval * (2.0 * test + n + query);
}

typedef struct progress {
    const al_config *c;
    int strategy;
    uint32_t trial, round;
    double start, total, done, round_done; /* seconds the calibration predicts */
    double round_t0;                       /* when the round's training began */
    int baseline;                          /* training the full-data baseline */
    al_rates rates;                        /* measured before the run */
    double step_units;                     /* per image of this round's training */
} progress;

/* "1:02:03", or "--:--:--" before anything measured the rate. */
static void eta_text(double seconds, char *out, size_t size) {
    if (!(seconds >= 0 && seconds < 1e8)) {
        snprintf(out, size, "--:--:--");
        return;
    }
    long e = lround(seconds);
    snprintf(out, size, "%ld:%02ld:%02ld", e / 3600, e / 60 % 60, e % 60);
}

static void show(progress *p, const char *what, int final) {
    double rate = p->done / (cli_now() - p->start);
    char eta[32];
    eta_text(p->done > 0 && rate > 0 ? fmax(p->total - p->done, 0) / rate : NAN, eta, sizeof eta);
    if (p->baseline) {
        cli_progress(final, "full-data baseline  %s", what);
        return;
    }
    cli_progress(final, "%s  trial %u/%u  round %u/%u  %s  ETA %s", al_strategy_name(p->strategy), p->trial + 1,
                 trials_of(p->c, p->strategy), p->round + 1, al_rounds(p->c), what, eta);
}

static void on_step(void *user, uint32_t epoch, uint32_t epochs, uint32_t step, uint32_t steps,
                    double loss, uint64_t images) {
    progress *p = user;
    double t = cli_now();
    p->done = p->round_done + p->step_units * (double)images;
    char what[160];
    snprintf(what, sizeof what, "epoch %u/%u  step %u/%u  loss %.4f  %.0f images/s", epoch, epochs,
             step, steps, loss, (double)images / (t - p->round_t0 + 1e-9));
    show(p, what, 0);
}

/* ---- one round ------------------------------------------------------------ */

struct run {
    run_opts o;
    session s;
    al_model m;
    al_state st;
    uint32_t *pool_ids, pool_size; /* pool position -> training-set index */
    al_pool pool;
    char device[256], driver[520];
    progress pr;
};

static int save(run *r) {
    return al_save(r->o.out, &r->st, &r->o.c, r->device, r->driver) ? EXIT_OK : EXIT_FAILED;
}

/* The labeled (or unlabeled) training-set indices of the pool. */
static uint32_t labeled_ids(const run *r, uint32_t *out) {
    for (uint32_t i = 0; i < r->pool.count; i++) out[i] = r->pool_ids[r->pool.order[i]];
    return r->pool.count;
}

/* Picks the next `budget` positions of the unannotated list. */
static int query(run *r, int s, uint32_t round, const uint32_t *unl, uint32_t n_u, uint32_t *pick) {
    const al_config *c = &r->o.c;
    if (s == AL_UNIFORM) {
        al_pick_uniform(n_u, c->budget, c->seed, stream_of(STREAM_QUERY, s, r->pr.trial, round), pick);
        return EXIT_OK;
    }
    uint32_t classes = r->s.classes;
    float *probs = malloc((size_t)n_u * classes * sizeof *probs), *d = s == AL_ADVERSARIAL ? malloc(n_u * sizeof *d) : NULL;
    double *score = malloc(n_u * sizeof *score);
    int rc = probs && score && (s != AL_ADVERSARIAL || d) ? EXIT_OK : cli_fail("allocating");
    if (rc == EXIT_OK) rc = al_predict(&r->m, unl, n_u, probs, d);
    if (rc == EXIT_OK) {
        al_uncertainty_scores(s == AL_ADVERSARIAL ? AL_MARGIN : (al_strategy)s, probs, n_u, classes, score);
        if (s == AL_ADVERSARIAL) al_adversarial_scores(score, d, n_u, score);
        al_pick_smallest(score, n_u, c->budget, pick);
    }
    free(probs), free(d), free(score);
    return rc;
}

static int run_round(run *r, int s, uint32_t round) {
    const al_config *c = &r->o.c;
    progress *pr = &r->pr;
    uint32_t *lab = malloc(r->pool_size * sizeof *lab), *unl = malloc(r->pool_size * sizeof *unl);
    uint32_t *unl_pos = malloc(r->pool_size * sizeof *unl_pos), *pick = malloc(c->budget * sizeof *pick);
    if (!lab || !unl || !unl_pos || !pick) {
        free(lab), free(unl), free(unl_pos), free(pick);
        return cli_fail("allocating");
    }
    uint32_t n_l = labeled_ids(r, lab), n_u = al_pool_unannotated(&r->pool, unl_pos);
    for (uint32_t i = 0; i < n_u; i++) unl[i] = r->pool_ids[unl_pos[i]];
    al_record rec = {.strategy = s, .trial = pr->trial, .round = round, .annotated = n_l,
                     .d_loss = NAN, .penalty = NAN, .saturated = NAN};
    al_train_stats ts;
    al_progress cb = {on_step, pr};
    pr->step_units = s == AL_ADVERSARIAL ? pr->rates.adversarial : pr->rates.train;
    uint64_t stream = stream_of(STREAM_TRAIN, s, pr->trial, round);
    double t0 = pr->round_t0 = cli_now();
    int rc = al_model_reset(&r->m);
    if (rc == EXIT_OK && s == AL_ADVERSARIAL)
        rc = al_train_adversarial(&r->m, lab, n_l, unl, n_u, c->adversarial_epochs, c->seed, stream, &ts, &cb);
    else if (rc == EXIT_OK)
        rc = al_train_classifier(&r->m, lab, n_l, c->epochs, c->seed, stream, &ts, &cb);
    if (rc == EXIT_OK) {
        rec.train_loss = ts.loss, rec.steps = ts.steps, rec.train_s = cli_now() - t0;
        if (s == AL_ADVERSARIAL) rec.d_loss = ts.d_loss, rec.penalty = ts.penalty, rec.saturated = ts.saturated;
        pr->done = pr->round_done += pr->step_units * (double)ts.images;
        show(pr, "evaluating", 0);
        t0 = cli_now();
        rec.accuracy = session_test_accuracy(&r->s);
        if (rec.accuracy < 0) rc = cli_fail("evaluating");
    }
    /* The accuracy with statistics recomputed over the labeled set; kept
     * for the query only with --bn-recalibrate. */
    if (rc == EXIT_OK) rc = al_stats_save(&r->m);
    if (rc == EXIT_OK) rc = al_stats_recalibrate(&r->m, lab, n_l);
    if (rc == EXIT_OK) {
        rec.accuracy_recal = session_test_accuracy(&r->s);
        if (rec.accuracy_recal < 0) rc = cli_fail("evaluating");
    }
    if (rc == EXIT_OK && !c->bn_recalibrate) rc = al_stats_restore(&r->m);
    rec.eval_s = cli_now() - t0;
    pr->done = pr->round_done += pr->rates.eval * (2.0 * r->s.test_size + n_l);
    int last = round + 1 == al_rounds(c);
    double q0 = cli_now();
    if (rc == EXIT_OK && !last) { /* the last round's picks would never be used */
        show(pr, "querying", 0);
        rc = query(r, s, round, unl, n_u, pick);
        if (rc == EXIT_OK && !al_pool_annotate_positions(&r->pool, pick, c->budget)) rc = cli_fail("annotating");
        if (s != AL_UNIFORM) pr->done = pr->round_done += pr->rates.eval * n_u;
    }
    rec.query_s = cli_now() - q0;
    free(lab), free(unl), free(unl_pos), free(pick);
    if (rc != EXIT_OK) return rc;
    if (!al_state_add(&r->st, &rec)) return cli_fail("allocating");
    char line[256];
    snprintf(line, sizeof line, "%u labels: accuracy %.2f %% (statistics recomputed: %.2f %%), loss %.4f, "
             "%llu steps, %.0f s training + %.0f s evaluating + %.0f s querying", n_l, 100 * rec.accuracy,
             100 * rec.accuracy_recal, rec.train_loss, (unsigned long long)rec.steps, rec.train_s, rec.eval_s, rec.query_s);
    show(pr, line, 1);
    if (s == AL_ADVERSARIAL && rec.saturated > 0.5)
        fprintf(stderr, "alvk: warning: the discriminator is saturated (%.0f %% of its outputs within 1e-6 "
                "of 0 or 1): its gradient penalty is constant and it does not learn, so the query ranks "
                "by margin alone; --discriminator-init default avoids this\n", 100 * rec.saturated);
    return EXIT_OK;
}

/* Every check that needs no device, before any work starts; loads the data
 * set into r->s. */
static int validate(run *r) {
    const run_opts *o = &r->o;
    const al_config *c = &o->c;
    if (c->max_budget <= c->budget)
        return cli_usage_error("run: --max-budget (%u) must be above --budget (%u)", c->max_budget, c->budget);
    if (c->max_budget / c->budget < 2)
        return cli_usage_error("run: --max-budget %u allows no round after the first %u labels "
                               "(rounds = max-budget / budget - 1)", c->max_budget, c->budget);
    if (c->pool_size && c->pool_size < c->max_budget)
        return cli_usage_error("run: the pool (%u images) is smaller than --max-budget (%u)", c->pool_size,
                               c->max_budget);
    if (c->baseline_file && c->baseline_epochs)
        return cli_usage_error("run: give --baseline FILE or --baseline-epochs N, not both");
    const char *dir = session_data_dir(o->data);
    static const char *const files[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int i = 0; i < 4; i++)
        if (!file_exists(dir, files[i]))
            return cli_usage_error("run: %s has no %s[.gz] (fetch MNIST with scripts/fetch-mnist.sh, "
                                   "or point --data / ALVK_DATA at a directory of IDX files)", dir, files[i]);
    int rc = session_load_data(&r->s, o->data, c->classes);
    if (rc != EXIT_OK) return rc;
    if (*o->dataset && strcmp(o->dataset, r->s.data_name) != 0)
        return cli_usage_error("run: %s was started on %s, not %s: point --data at %s's IDX files", o->out,
                               o->dataset, r->s.data_name, o->dataset);
    r->o.c.dataset = r->s.data_name;
    uint32_t train = alvk_dataset_count(r->s.train), test = alvk_dataset_count(r->s.test);
    uint32_t pool = c->pool_size ? c->pool_size : train;
    if (pool > train)
        return cli_usage_error("run: --pool-size %u: the training set of %s has only %u images", pool,
                               r->s.data_name, train);
    if (pool < c->max_budget)
        return cli_usage_error("run: the pool (%u images) is smaller than --max-budget (%u)", pool, c->max_budget);
    if (c->test_size > test)
        return cli_usage_error("run: --test-size %u: the test set of %s has only %u images", c->test_size,
                               r->s.data_name, test);
    return 0;
}

/* ---- the whole run -------------------------------------------------------- */

/* Moves the state's position past the round just finished. */
static void advance(run *r, int s, uint32_t trial, uint32_t round) {
    al_state *st = &r->st;
    const al_config *c = &r->o.c;
    st->strategy = s, st->trial = trial, st->round = round + 1;
    if (st->round == al_rounds(c)) st->round = 0, st->trial++;
    if (st->trial == trials_of(c, s)) {
        st->trial = 0;
        do st->strategy++;
        while (st->strategy < AL_STRATEGIES && !(c->strategies >> st->strategy & 1));
    }
    st->done = st->strategy >= AL_STRATEGIES;
    /* The pool in progress, while the trial goes on. */
    st->annotated_count = 0;
    if (!st->done && st->round > 0) {
        st->annotated_count = r->pool.count;
        for (uint32_t i = 0; i < r->pool.count; i++) st->annotated[i] = r->pool.order[i];
    }
}

static int run_trial(run *r, int s, uint32_t trial, uint32_t first_round) {
    const al_config *c = &r->o.c;
    r->pr.strategy = s, r->pr.trial = trial;
    al_pool_free(&r->pool);
    if (!al_pool_init(&r->pool, r->pool_size)) return cli_fail("allocating");
    int ok = first_round > 0 ? al_pool_annotate_images(&r->pool, r->st.annotated, r->st.annotated_count)
                             : al_pool_annotate_random(&r->pool, c->budget, c->seed,
                                                       stream_of(STREAM_LABELS, 0, trial, 0));
    if (!ok) return cli_fail("restoring the pool");
    /* Every strategy of a trial starts from the same weights and labels:
     * a paired comparison. */
    int rc = al_model_start(&r->m, alvk_random(c->seed, STREAM_WEIGHTS, trial));
    for (uint32_t round = first_round; round < al_rounds(c) && rc == EXIT_OK; round++) {
        r->pr.round = round;
        r->pr.round_done = r->pr.done;
        rc = run_round(r, s, round);
        if (rc != EXIT_OK) break;
        advance(r, s, trial, round);
        rc = save(r);
    }
    return rc;
}

/* The training-set images of the pool: all, or the first pool_size of a
 * seeded permutation. */
static int choose_pool(run *r) {
    uint32_t total = alvk_dataset_count(r->s.train);
    r->pool_size = r->o.c.pool_size && r->o.c.pool_size < total ? r->o.c.pool_size : total;
    if (!(r->pool_ids = malloc(total * sizeof *r->pool_ids))) return 0;
    for (uint32_t i = 0; i < total; i++) r->pool_ids[i] = i;
    if (r->pool_size < total) cli_shuffle(r->pool_ids, total, r->o.c.seed, stream_of(STREAM_POOL, 0, 0, 0));
    return 1;
}

static int baseline(run *r) {
    const al_config *c = &r->o.c;
    if (r->st.baseline >= 0 || (!c->baseline_file && !c->baseline_epochs)) return EXIT_OK;
    if (c->baseline_file) { /* a checkpoint of ResNet18 + head: its own store */
        session b;
        int rc = session_open(&b, r->o.device, r->o.data, r->s.classes, eval_batch(c), c->test_size, c->seed, DISC_NONE);
        if (rc == EXIT_OK && alvk_params_load(b.params, c->baseline_file) != ALVK_OK)
            rc = cli_fail("loading the baseline");
        if (rc == EXIT_OK && (r->st.baseline = session_test_accuracy(&b)) < 0) rc = cli_fail("evaluating the baseline");
        session_close(&b);
        return rc;
    }
    fprintf(stderr, "training the full-data baseline: %u images, %u epochs\n", r->pool_size, c->baseline_epochs);
    al_train_stats ts;
    progress *pr = &r->pr;
    pr->baseline = 1;
    al_progress cb = {on_step, pr};
    pr->round_t0 = cli_now();
    pr->step_units = pr->rates.train;
    int rc = al_model_start(&r->m, alvk_random(c->seed, STREAM_WEIGHTS, 0));
    if (rc == EXIT_OK)
        rc = al_train_classifier(&r->m, r->pool_ids, r->pool_size, c->baseline_epochs, c->seed,
                                 stream_of(STREAM_TRAIN, 7, 0, 0), &ts, &cb);
    if (rc == EXIT_OK && (r->st.baseline = session_test_accuracy(&r->s)) < 0) rc = cli_fail("evaluating the baseline");
    pr->baseline = 0;
    pr->done = 0; /* the ETA covers the rounds */
    pr->start = cli_now();
    if (rc == EXIT_OK) fprintf(stderr, "full-data baseline: %.2f %% test accuracy\n", 100 * r->st.baseline);
    if (rc == EXIT_OK) rc = save(r);
    return rc;
}

/* Total and finished work for the ETA, in seconds at the measured rates. */
static void plan(run *r, const al_rates *rt) {
    const al_config *c = &r->o.c;
    double total = 0;
    for (int s = 0; s < AL_STRATEGIES; s++) {
        if (!(c->strategies >> s & 1)) continue;
        for (uint32_t t = 0; t < trials_of(c, s); t++)
            for (uint32_t k = 0; k < al_rounds(c); k++) {
                double u = round_seconds(c, rt, s, k, r->pool_size, r->s.test_size);
                int finished = r->st.done || s < r->st.strategy || (s == r->st.strategy &&
                               (t < r->st.trial || (t == r->st.trial && k < r->st.round)));
                if (!finished) total += u;
            }
    }
    r->pr = (progress){.c = c, .start = cli_now(), .total = total, .rates = *rt, .step_units = rt->train};
}

/* "45 s", "4 min 40 s", "27 h 10 min" */
static void duration_text(double seconds, char *out, size_t size) {
    long s = lround(seconds);
    if (s < 60) snprintf(out, size, "%ld s", s);
    else if (s < 3600) snprintf(out, size, "%ld min %ld s", s / 60, s % 60);
    else snprintf(out, size, "%ld h %ld min", s / 3600, s / 60 % 60);
}

/* Before any round: what the run will take on this device, from one timed
 * run of each graph, so that nobody starts a day-long run by accident. */
static int estimate(run *r) {
    const al_config *c = &r->o.c;
    al_rates rt;
    int rc = al_model_calibrate(&r->m, &rt);
    if (rc != EXIT_OK) return rc;
    plan(r, &rt);
    double baseline = r->st.baseline < 0 ? rt.train * c->baseline_epochs * r->pool_size : 0;
    char total[64];
    duration_text(r->pr.total + baseline, total, sizeof total);
    fprintf(stderr, "estimated time on %s: %s%s (measured: a training step of %u images %.2f s, evaluation "
            "%.1f ms per image%s)\n", r->device, total, r->st.nrecords || r->st.done ? " for what is left" : "",
            c->batch, rt.train * c->batch, 1e3 * rt.eval,
            c->strategies >> AL_ADVERSARIAL & 1 ? ", an adversarial step twice a training step's images" : "");
    if (r->pr.total + baseline > 3 * 3600)
        fprintf(stderr, "alvk: this run is long on this device; Ctrl-C stops it at any time and --resume "
                "continues it (--preset demo takes minutes)\n");
    return EXIT_OK;
}

/* Opens OUT: a new experiment, or the one --resume names. */
static int open_out(run *r) {
    run_opts *o = &r->o;
    if (o->resume) o->out = o->resume;
    if (!o->out) o->out = "alvk-run";
    struct stat st;
    if (stat(o->out, &st) == 0 && !S_ISDIR(st.st_mode))
        return cli_usage_error("run: %s is a file, not a directory for the results", o->out);
    al_state old = {0};
    int have = al_state_load(o->out, &old);
    if (have < 0) return EXIT_USAGE;
    if (o->resume) {
        if (!have) {
            al_state_free(&old);
            return cli_usage_error("run: %s holds no run to resume (no state.txt)", o->out);
        }
        run_opts keep = *o;
        int rc = parse_config_text(old.config, o);
        o->data = keep.data, o->device = keep.device, o->out = keep.out, o->resume = keep.resume;
        if (rc) {
            al_state_free(&old);
            return cli_usage_error("run: %s/state.txt has a damaged config line", o->out);
        }
        r->st = old;
        if (r->st.done) fprintf(stderr, "alvk: %s is already complete; rewriting its results\n", o->out);
        return 0;
    }
    char mine[1024];
    config_flags(&o->c, mine, sizeof mine);
    if (have) {
        int same = strcmp(old.config, mine) == 0;
        al_state_free(&old);
        if (same) return cli_usage_error("run: %s already holds this experiment; continue it with "
                                         "alvk run --resume %s, or choose another --out", o->out, o->out);
        return cli_usage_error("run: %s holds a different experiment; choose another --out", o->out);
    }
    if (mkdir(o->out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "alvk: cannot create %s: %s\n", o->out, strerror(errno));
        return EXIT_FAILED;
    }
    memset(&r->st, 0, sizeof r->st);
    snprintf(r->st.config, sizeof r->st.config, "%s", mine);
    r->st.baseline = -1;
    r->st.strategy = 0;
    while (r->st.strategy < AL_STRATEGIES && !(o->c.strategies >> r->st.strategy & 1)) r->st.strategy++;
    return 0;
}

static int damaged_state(const run *r, const char *fmt, ...) AL_PRINTF(2, 3);
static int damaged_state(const run *r, const char *fmt, ...) {
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fprintf(stderr, "alvk: %s/state.txt is damaged (%s); move it away to start over\n", r->o.out, why);
    return EXIT_USAGE;
}

/* A state that parses can still name a position or pool no run of its own
 * config reaches (hand-edited, or another run's): refuse it before any
 * work, so a resumed run never loops, reads past the pool or runs a
 * strategy the config lacks. */
static int check_state(const run *r) {
    const al_state *st = &r->st;
    const al_config *c = &r->o.c;
    uint32_t rounds = al_rounds(c);
    if (st->done != 0 && st->done != 1) return damaged_state(r, "done is %d", st->done);
    if (!(st->baseline < 0 || (st->baseline >= 0 && st->baseline <= 1)))
        return damaged_state(r, "baseline accuracy %g", st->baseline);
    for (uint32_t i = 0; i < st->nrecords; i++) {
        const al_record *rec = &st->records[i];
        if (!(c->strategies >> rec->strategy & 1) || rec->trial >= trials_of(c, rec->strategy) ||
            rec->round >= rounds)
            return damaged_state(r, "record %u: %s trial %u round %u is not in this run's config", i + 1,
                                 al_strategy_name(rec->strategy), rec->trial + 1, rec->round + 1);
    }
    if (st->done) return st->annotated_count ? damaged_state(r, "a finished run with a pool in progress") : EXIT_OK;
    if (st->strategy < 0 || st->strategy >= AL_STRATEGIES || !(c->strategies >> st->strategy & 1))
        return damaged_state(r, "the next strategy (%d) is not one of the config's", st->strategy);
    if (st->trial >= trials_of(c, st->strategy))
        return damaged_state(r, "next trial %u of %s, which runs %u", st->trial + 1, al_strategy_name(st->strategy),
                             trials_of(c, st->strategy));
    if (st->round >= rounds) return damaged_state(r, "next round %u of %u", st->round + 1, rounds);
    /* After round k the pool holds budget x (k + 2) labels; a new trial none. */
    uint64_t want = st->round ? (uint64_t)c->budget * (st->round + 1) : 0;
    if (st->annotated_count != want)
        return damaged_state(r, "%u annotated images where round %u starts with %llu", st->annotated_count,
                             st->round + 1, (unsigned long long)want);
    uint8_t *seen = calloc(r->pool_size, 1);
    if (!seen) return cli_fail("allocating");
    int rc = EXIT_OK;
    for (uint32_t i = 0; rc == EXIT_OK && i < st->annotated_count; i++) {
        uint32_t id = st->annotated[i];
        if (id >= r->pool_size) rc = damaged_state(r, "annotated image %u is outside the pool of %u", id, r->pool_size);
        else if (seen[id]++) rc = damaged_state(r, "image %u is annotated twice", id);
    }
    free(seen);
    /* Rounds run strategy by strategy, trial by trial: every record lies
     * before the next position, or the run would record a round twice. */
    for (uint32_t i = 0; rc == EXIT_OK && i < st->nrecords; i++) {
        const al_record *rec = &st->records[i];
        int before = rec->strategy < st->strategy ||
                     (rec->strategy == st->strategy &&
                      (rec->trial < st->trial || (rec->trial == st->trial && rec->round < st->round)));
        if (!before)
            rc = damaged_state(r, "record %u: %s trial %u round %u is not before the next round", i + 1,
                               al_strategy_name(rec->strategy), rec->trial + 1, rec->round + 1);
    }
    return rc;
}

static int experiment(run *r) {
    const al_config *c = &r->o.c;
    int adversarial = c->strategies >> AL_ADVERSARIAL & 1;
    int disc = adversarial ? (c->discriminator_default_init ? DISC_DEFAULT : DISC_KAIMING) : DISC_NONE;
    if (!choose_pool(r)) return cli_fail("allocating");
    int rc = check_state(r);
    if (rc != EXIT_OK) return rc;
    if ((rc = session_open_device(&r->s, r->o.device, eval_batch(c), c->test_size, c->seed, disc)) != EXIT_OK)
        return rc;
    alvk_device_info d;
    alvk_context_device_info(r->s.ctx, alvk_context_device_index(r->s.ctx), &d);
    snprintf(r->device, sizeof r->device, "%s", d.name);
    snprintf(r->driver, sizeof r->driver, "%s %s", d.driver_name, d.driver_info);
    if (!(r->st.annotated = realloc(r->st.annotated, r->pool_size * sizeof *r->st.annotated)))
        return cli_fail("allocating");
    if ((rc = al_model_init(&r->m, &r->s, c->batch, c->lr, adversarial)) != EXIT_OK) return rc;
    fprintf(stderr, "active learning on %s (%u classes) on %s: pool %u, test %u, budget %u to %u (%u rounds), "
            "out %s\n", r->s.data_name, r->s.classes, r->device, r->pool_size, r->s.test_size, c->budget,
            c->max_budget, al_rounds(c), r->o.out);
    if ((rc = save(r)) != EXIT_OK) return rc;
    if ((rc = estimate(r)) != EXIT_OK) return rc;
    if ((rc = baseline(r)) != EXIT_OK) return rc;
    while (!r->st.done && rc == EXIT_OK)
        rc = run_trial(r, r->st.strategy, r->st.trial, r->st.round);
    return rc;
}

/* The end of a run: the headline first, then summary.md's baseline and
 * tables. */
static void print_summary(const run *r) {
    al_text t = {0};
    al_headline(&r->st, &r->o.c, &t);
    if (t.s) printf("\n%s\n\n", t.s);
    free(t.s);
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/summary.md", r->o.out);
    FILE *f = fopen(path, "r");
    int tables = 0;
    while (f && fgets(line, sizeof line, f))
        if ((tables |= strncmp(line, "## ", 3) == 0) || strncmp(line, "Full-data baseline", 18) == 0)
            fputs(line, stdout);
    if (f) fclose(f);
}

int cmd_run(int argc, char **argv) {
    run *r = calloc(1, sizeof *r);
    if (!r) return cli_fail("allocating");
    run_opts *o = &r->o;
    o->c = seed_preset;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--preset") == 0 && !apply_preset(argv[i + 1], &o->c)) {
            free(r);
            return cli_usage_error("run: unknown preset '%s' (seed, quick, demo)", argv[i + 1]);
        }
        if (strcmp(argv[i], "--resume") == 0) o->resume = argv[i + 1];
    }
    int rc = 0;
    if (o->resume) { /* only --data and --device besides */
        char **rest = malloc((size_t)argc * sizeof *rest);
        int n = 0;
        for (int i = 1; rest && i < argc; i++) {
            if (strcmp(argv[i], "--resume") == 0 && i + 1 < argc) i++;
            else rest[n++] = argv[i];
        }
        rc = rest ? parse_flags(n, rest, o, 0) : EXIT_FAILED;
        free(rest);
    } else {
        rc = parse_flags(argc - 1, argv + 1, o, 1);
    }
    /* A resumed run's flags come from its state; a new one's are checked
     * before its directory is made. */
    if (rc == 0) rc = o->resume ? open_out(r) : validate(r);
    if (rc == 0) rc = o->resume ? validate(r) : open_out(r);
    if (rc == 0) {
        cli_catch_interrupts();
        double t0 = cli_now();
        rc = experiment(r);
        if (rc == EXIT_INTERRUPTED || (rc == EXIT_OK && cli_interrupted)) {
            fprintf(stderr, "\nalvk: interrupted; %u finished rounds are saved in %s. Continue with:\n"
                    "  alvk run --resume %s\n", r->st.nrecords, o->out, o->out);
            rc = EXIT_INTERRUPTED;
        } else if (rc == EXIT_OK) {
            rc = save(r);
            print_summary(r);
            fprintf(stderr, "done in %.0f s: results in %s (open %s/report.html)\n", cli_now() - t0, o->out,
                    o->out);
        }
    }
    al_model_free(&r->m);
    al_pool_free(&r->pool);
    session_close(&r->s);
    al_state_free(&r->st);
    free(r->pool_ids);
    free(r);
    return rc < 0 ? EXIT_OK : rc;
}
