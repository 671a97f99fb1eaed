/* `alvk run`: the notebook's active-learning experiment. For each strategy
 * and trial: annotate `budget` random images; then each round train from
 * the initial weights, evaluate, query `budget` more, restore the weights.
 * After every round the results and the whole state are on disk, so an
 * interrupted run continues with --resume and ends as an uninterrupted one.
 * This file: the flags, every check before any work (the flags against the
 * data set, OUT, a resumed state against its config) and the end's report;
 * the experiment itself is in run_jobs.c. */
#include "run.h"

#include "par.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    "          AVX2 host; 2 min 28 s on an AVX-512 host), seconds on a GPU. On MNIST\n"
    "          uniform and margin pass 90 % at 300 labels.\n"
    "\n"
    "Before the first round alvk run times one step of each graph and prints the run's\n"
    "estimated time on the device. --data takes any directory of 1-channel IDX files\n"
    "(Fashion-MNIST, KMNIST, EMNIST; raw or .gz); --classes defaults to the largest\n"
    "label + 1.\n"
    "\n"
    "Under mpirun -np N (alvk built with MPI) the jobs, one per strategy and trial, spread\n"
    "over the ranks, the adversarial ones first; rank 0 alone writes OUT. The results equal\n"
    "one process's; --resume works with any rank count. Each rank opens --device, else its\n"
    "turn among its host's devices of the best kind.\n"
    "\n"
    "Writes OUT/results.json, results.csv, summary.md, accuracy.svg, labels_needed.svg,\n"
    "report.html (the summary and both plots in one page) and state.txt.\n"
    "Exit status: 0 done, 1 failed, 2 bad usage, 130 interrupted.\n";


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
            if (par_rank() == 0) fputs(usage, stdout);
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
        /* A state's config says 0 for "all", which no user needs to write. */
        else if (strcmp(a, "--pool-size") == 0) ok = cli_uint(a, v, experiment != FROM_STATE, UINT32_MAX, &c->pool_size);
        else if (strcmp(a, "--test-size") == 0) ok = cli_uint(a, v, experiment != FROM_STATE, UINT32_MAX, &c->test_size);
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
    run_opts keep = *o; /* where this process reads and writes: never the state's */
    int rc = parse_flags(argc, argv, o, FROM_STATE);
    o->data = keep.data, o->device = keep.device, o->out = keep.out, o->resume = keep.resume;
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


/* Opens OUT: a new experiment, or the one --resume names. */
static int open_out(run *r) {
    run_opts *o = &r->o;
    if (o->resume) o->out = o->resume;
    if (!o->out) o->out = "alvk-run";
    struct stat st;
    if (stat(o->out, &st) == 0 && !S_ISDIR(st.st_mode))
        return cli_usage_error("run: %s is a file, not a directory for the results", o->out);
    al_state old = {0};
    int have, rc = al_state_load(o->out, &old, &have);
    if (rc != EXIT_OK) return rc;
    if (o->resume) {
        if (!have) {
            al_state_free(&old);
            return cli_usage_error("run: %s holds no run to resume (no state.txt)", o->out);
        }
        rc = parse_config_text(old.config, o);
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
    return 0;
}

/* ---- the pool, and a resumed state against its config ----------------------- */

/* The training-set images of the pool: all, or the first pool_size of a
 * seeded permutation; and the way back from an image to its position. */
static int choose_pool(run *r) {
    uint32_t total = alvk_dataset_count(r->s.train);
    r->pool_size = r->o.c.pool_size && r->o.c.pool_size < total ? r->o.c.pool_size : total;
    r->pool_ids = malloc(total * sizeof *r->pool_ids);
    r->pool_pos = malloc(total * sizeof *r->pool_pos);
    if (!r->pool_ids || !r->pool_pos) return 0;
    for (uint32_t i = 0; i < total; i++) r->pool_ids[i] = i, r->pool_pos[i] = UINT32_MAX;
    if (r->pool_size < total) cli_shuffle(r->pool_ids, total, r->o.c.seed, cli_stream(STREAM_POOL, 0, 0, 0));
    for (uint32_t p = 0; p < r->pool_size; p++) r->pool_pos[r->pool_ids[p]] = p;
    return 1;
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

/* A version 2 state kept the pool of its one job in progress: its labels
 * after the first `budget` are, round by round, what each round picked,
 * which version 3 records hold. */
static int upgrade_v2(run *r) {
    al_state *st = &r->st;
    const al_config *c = &r->o.c;
    uint32_t n = st->v2_annotated_count;
    if (!n) return EXIT_OK;
    if (st->v2_strategy < 0 || st->v2_strategy >= AL_STRATEGIES || n != (uint64_t)c->budget * (st->v2_round + 1))
        return damaged_state(r, "%u annotated images where round %u starts with %llu", n, st->v2_round + 1,
                             (unsigned long long)c->budget * (st->v2_round + 1));
    for (uint32_t i = 0; i < st->nrecords; i++) {
        al_record *rec = &st->records[i];
        if (rec->strategy != st->v2_strategy || rec->trial != st->v2_trial || rec->round >= st->v2_round) continue;
        if (!(rec->picked = malloc(c->budget * sizeof *rec->picked))) return cli_fail("allocating");
        for (uint32_t k = 0; k < c->budget; k++) {
            uint32_t pos = st->v2_annotated[c->budget * (rec->round + 1) + k];
            if (pos >= r->pool_size)
                return damaged_state(r, "annotated image %u is outside the pool of %u", pos, r->pool_size);
            rec->picked[k] = r->pool_ids[pos];
        }
        rec->npicked = c->budget;
    }
    return EXIT_OK;
}

/* A state that parses can still hold records no run of its own config
 * makes (hand-edited, or another run's): refuse it before any work, so a
 * resumed run never loops, reads past the pool or runs a strategy the
 * config lacks. */
static int check_state(run *r) {
    const al_state *st = &r->st;
    const al_config *c = &r->o.c;
    uint32_t rounds = al_rounds(c);
    if (!(st->baseline < 0 || (st->baseline >= 0 && st->baseline <= 1)))
        return damaged_state(r, "baseline accuracy %g", st->baseline);
    for (uint32_t i = 0; i < st->nrecords; i++) {
        const al_record *rec = &st->records[i];
        const char *name = al_strategy_name(rec->strategy);
        if (!(c->strategies >> rec->strategy & 1) || rec->trial >= run_trials(c, rec->strategy) || rec->round >= rounds)
            return damaged_state(r, "record %u: %s trial %u round %u is not in this run's config", i + 1, name,
                                 rec->trial + 1, rec->round + 1);
        /* Records are in order: the one before is the same job's round before, or another job's. */
        const al_record *prev = i ? rec - 1 : NULL;
        int same_job = prev && prev->strategy == rec->strategy && prev->trial == rec->trial;
        if (rec->round != (same_job ? prev->round + 1 : 0))
            return damaged_state(r, "record %u: %s trial %u round %u without round %u", i + 1, name, rec->trial + 1,
                                 rec->round + 1, same_job ? prev->round + 2 : 1);
        uint64_t labels = (uint64_t)c->budget * (rec->round + 1);
        if (rec->annotated != labels)
            return damaged_state(r, "record %u: %s trial %u round %u with %u labels, not %llu", i + 1, name,
                                 rec->trial + 1, rec->round + 1, rec->annotated, (unsigned long long)labels);
        uint32_t want = rec->round + 1 < rounds ? c->budget : 0;
        if (rec->npicked != want && (rec->npicked || !want)) /* none: a version 2 state's finished trial */
            return damaged_state(r, "record %u: %s trial %u round %u picked %u images, not %u", i + 1, name,
                                 rec->trial + 1, rec->round + 1, rec->npicked, want);
    }
    /* Every job in progress must have its pool back: each round's picks, in the pool, none twice. */
    uint32_t *picks = malloc((size_t)r->pool_size * sizeof *picks);
    if (!picks) return cli_fail("allocating");
    int rc = EXIT_OK;
    for (int s = 0; s < AL_STRATEGIES && rc == EXIT_OK; s++)
        for (uint32_t t = 0; c->strategies >> s & 1 && t < run_trials(c, s) && rc == EXIT_OK; t++) {
            job j = {s, t};
            uint32_t k = run_rounds_done(st, j), n = k && k < rounds ? run_job_picks(st, j, picks) : 0;
            char why[256];
            if (k && k < rounds && n != (uint64_t)k * c->budget)
                rc = damaged_state(r, "%s trial %u is at round %u but its records lack the images they picked",
                                   al_strategy_name(s), t + 1, k + 1);
            else if (k && k < rounds && !run_rebuild_pool(r, j, picks, n, why, sizeof why))
                rc = damaged_state(r, "%s", why);
        }
    free(picks);
    return rc;
}

/* Rank 0, before any work: the pool, then a resumed state's records
 * against the config (a version 2 state's turned into version 3's first). */
static int check_pool_and_state(run *r) {
    if (!choose_pool(r)) return cli_fail("allocating");
    int rc = upgrade_v2(r);
    return rc == EXIT_OK ? check_state(r) : rc;
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


/* Rank 0 checks the flags, opens OUT and checks its state, as one process
 * does; the other ranks take the experiment's config from it, load the
 * data and choose the same pool. */
static int prepare(run *r) {
    run_opts *o = &r->o;
    int rc = 0;
    if (par_rank() == 0) {
        /* A resumed run's flags come from its state; a new one's are checked
         * before its directory is made. */
        rc = o->resume ? open_out(r) : validate(r);
        if (rc == 0) rc = o->resume ? validate(r) : open_out(r);
        if (rc == 0) rc = check_pool_and_state(r);
    }
    if (par_size() == 1) return rc;
    par_bcast(&rc, sizeof rc, 0);
    if (rc != 0) return rc;
    par_bcast(r->st.config, sizeof r->st.config, 0);
    if (par_rank() != 0) {
        rc = parse_config_text(r->st.config, o);
        if (rc == 0) rc = validate(r);
        if (rc != 0)
            fprintf(stderr, "alvk: rank %d on %s cannot run this experiment (see above)\n", par_rank(), par_host());
    }
    /* The pool and the test images are positions in the data: every rank's must be rank 0's. */
    uint32_t mine[2] = {rc ? 0 : alvk_dataset_count(r->s.train), rc ? 0 : alvk_dataset_count(r->s.test)};
    uint32_t first[2] = {mine[0], mine[1]};
    par_bcast(first, sizeof first, 0);
    if (rc == 0 && (mine[0] != first[0] || mine[1] != first[1])) {
        fprintf(stderr, "alvk: rank %d on %s has %u training and %u test images where rank 0 has %u and %u: give "
                "every rank the same data\n", par_rank(), par_host(), mine[0], mine[1], first[0], first[1]);
        rc = EXIT_USAGE;
    }
    if (rc == 0 && par_rank() != 0 && !choose_pool(r)) rc = cli_fail("allocating");
    return par_worst(rc);
}

int cmd_run(int argc, char **argv) {
    run *r = calloc(1, sizeof *r);
    if (!r) return cli_fail("allocating");
    pthread_mutex_init(&r->lock, NULL);
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
    cli_usage_every_rank();
    if (rc == 0) rc = prepare(r);
    if (rc == 0) {
        cli_catch_interrupts();
        double t0 = cli_now();
        rc = run_experiment(r);
        if (par_rank() != 0) {
            /* rank 0 reports */
        } else if (rc == EXIT_INTERRUPTED || (rc == EXIT_OK && cli_interrupted)) {
            fprintf(stderr, "\nalvk: interrupted; %u finished rounds are saved in %s. Continue with:\n"
                    "  alvk run --resume %s\n", r->st.nrecords, o->out, o->out);
            rc = EXIT_INTERRUPTED;
        } else if (rc == EXIT_OK && r->st.done) {
            rc = run_save(r);
            print_summary(r);
            fprintf(stderr, "done in %.0f s: results in %s (open %s/report.html)\n", cli_now() - t0, o->out,
                    o->out);
        } else if (r->st.nrecords) {
            fprintf(stderr, "alvk: the run stopped; %u finished rounds are saved in %s. Continue with:\n"
                    "  alvk run --resume %s\n", r->st.nrecords, o->out, o->out);
            if (rc == EXIT_OK) rc = EXIT_FAILED;
        }
    }
    al_model_free(&r->m);
    al_pool_free(&r->pool);
    session_close(&r->s);
    al_state_free(&r->st);
    free(r->pool_ids), free(r->pool_pos), free(r->queue);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return rc < 0 ? EXIT_OK : rc;
}
