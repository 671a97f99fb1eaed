/* Active learning, the parts `alvk run` is made of: the pool's bookkeeping
 * and the strategies' selection rules (al_pool.c, pure host code, tested
 * on their own), the model's graphs and training (al_model.c), the
 * experiment's records, state, results and plots (al_results.c, al_plot.c).
 *
 * One convention for what they return: a function that can fail returns
 * an exit status (cli.h): EXIT_OK, or EXIT_FAILED (EXIT_USAGE for a state
 * file that does not parse, EXIT_INTERRUPTED after Ctrl-C) once it has
 * printed why on stderr, so a caller passes it on and prints nothing more.
 * The others return what they compute: a count, a position or a score (-1
 * or NaN where there is none). */
#ifndef ALVK_AL_H
#define ALVK_AL_H

#include "session.h"

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define AL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AL_PRINTF(f, a)
#endif

/* ---- the pool -------------------------------------------------------------
 * Images 0..size-1 of the pool, each annotated or not; the annotated ones
 * in the order they were annotated (training batches are drawn from that
 * list, so the order is part of a reproducible run). */
typedef struct al_pool {
    uint32_t size, count; /* pool images; how many are annotated */
    uint8_t *annotated;   /* [size] */
    uint32_t *order;      /* [size]: the first `count` are the annotated */
} al_pool;

int al_pool_init(al_pool *p, uint32_t size);
void al_pool_free(al_pool *p);
/* The unannotated images in ascending order; returns how many. */
uint32_t al_pool_unannotated(const al_pool *p, uint32_t *out);
/* Annotates n images drawn uniformly without repeats from the unannotated
 * ones (seeded); fails when fewer than n are left. */
int al_pool_annotate_random(al_pool *p, uint32_t n, uint64_t seed, uint64_t stream);
/* Annotates the images at `positions` of the unannotated list (as
 * al_pool_unannotated orders it); fails on a bad or repeated position. */
int al_pool_annotate_positions(al_pool *p, const uint32_t *positions, uint32_t n);

/* Annotates pool images (not positions) in this order: how a saved pool
 * is restored. Fails on a bad or repeated image. */
int al_pool_annotate_images(al_pool *p, const uint32_t *images, uint32_t n);

/* ---- strategies ------------------------------------------------------------ */
typedef enum al_strategy {
    AL_UNIFORM = 0,
    AL_MARGIN,
    AL_LEAST_CONFIDENCE,
    AL_ENTROPY,
    AL_ADVERSARIAL,
    AL_STRATEGIES
} al_strategy;

const char *al_strategy_name(al_strategy s);
/* The strategy called name, or -1. */
int al_strategy_find(const char *name);

/* Uncertainty scores of n rows of class probabilities, lowest = most
 * uncertain = picked first: margin p1 - p2, least confidence p1, entropy
 * -H(p). */
void al_uncertainty_scores(al_strategy s, const float *probs, uint32_t n, uint32_t classes,
                           double *score);
/* The adversarial strategy's score: 0.3 margin + 0.7 D(z). */
void al_adversarial_scores(const double *margin, const float *d, uint32_t n, double *score);
/* Positions of the k smallest scores, smallest first (ties: lower position). */
void al_pick_smallest(const double *score, uint32_t n, uint32_t k, uint32_t *positions);
/* k positions of 0..n-1 uniformly without repeats (seeded). */
void al_pick_uniform(uint32_t n, uint32_t k, uint64_t seed, uint64_t stream, uint32_t *positions);

/* The adversarial strategy's joint dataset: max(n_l, n_u) items, item i
 * pairing labeled[i % n_l] with unlabeled[i % n_u] (the shorter side is
 * recycled). Fills batch k of `batch` items of the permutation perm
 * (of 0..length-1) into li and ui; returns its size (the last is short). */
uint32_t al_joint_length(uint32_t n_l, uint32_t n_u);
uint32_t al_joint_batch(const uint32_t *labeled, uint32_t n_l, const uint32_t *unlabeled, uint32_t n_u,
                        const uint32_t *perm, uint32_t k, uint32_t batch, uint32_t *li, uint32_t *ui);

/* Softmax of logits rows in place (double inside). */
void al_softmax_rows(float *x, uint32_t n, uint32_t classes);

/* ---- the model ---------------------------------------------------------------
 * ResNet18 + head (+ discriminator) in the session's store, and the graphs
 * a round needs: a classifier training step, the adversarial training step,
 * a prediction pass over the pool (evaluation mode), and a forward pass in
 * training mode with batch-norm momentum 1 that recomputes the statistics. */
typedef struct al_model {
    session *s;
    uint32_t batch;
    alvk_graph *train, *predict, *adv;
    alvk_node train_idx, train_loss;
    alvk_node pred_idx, pred_logits, pred_d;
    alvk_node adv_l, adv_u, adv_alpha, adv_pred, adv_dis, adv_gp, adv_dl, adv_du;
    bn_stats bn;          /* the batch-norm statistics: saved, restored, recomputed */
} al_model;

/* What a round's training did. */
typedef struct al_train_stats {
    double loss;                       /* mean classification loss over the steps */
    double d_loss, penalty, saturated; /* adversarial only: means over the steps */
    uint64_t steps, images;
} al_train_stats;

/* Called after every training step (the caller rate-limits its display). */
typedef struct al_progress {
    void (*step)(void *user, uint32_t epoch, uint32_t epochs, uint32_t step, uint32_t steps,
                 double loss, uint64_t images);
    void *user;
} al_progress;

/* Seconds per image, measured: a training step's, an evaluation's (also
 * the prediction and statistics passes), the adversarial step's (per
 * labeled or unlabeled image). */
typedef struct al_rates {
    double train, eval, adversarial;
} al_rates;

/* Builds the graphs (the adversarial one when asked). */
int al_model_init(al_model *m, session *s, uint32_t batch, double lr, int adversarial);
void al_model_free(al_model *m);
/* Times one run of each graph (after one that compiles it), for the
 * estimate before a run. It changes the weights: al_model_start follows. */
int al_model_calibrate(al_model *m, al_rates *r);
/* Initial weights from the seed, kept on the device as the snapshot every
 * round restarts from (al_model_reset: weights and optimiser state). */
int al_model_start(al_model *m, uint64_t seed);
int al_model_reset(al_model *m);
/* `epochs` epochs over training-set images ids[0..n), shuffled with the
 * seed and stream (EXIT_INTERRUPTED on Ctrl-C, at a step's end). */
int al_train_classifier(al_model *m, const uint32_t *ids, uint32_t n, uint32_t epochs,
                        uint64_t seed, uint64_t stream, al_train_stats *st, const al_progress *pr);
/* The adversarial strategy's epochs: batches of `batch` labeled and `batch`
 * unlabeled images over a joint dataset of max(n_l, n_u) items. */
int al_train_adversarial(al_model *m, const uint32_t *labeled, uint32_t n_l, const uint32_t *unlabeled,
                         uint32_t n_u, uint32_t epochs, uint64_t seed, uint64_t stream,
                         al_train_stats *st, const al_progress *pr);
/* Class probabilities [n, classes] and (d non-NULL) D(z) [n] of training-set
 * images ids, in evaluation mode. */
int al_predict(al_model *m, const uint32_t *ids, uint32_t n, float *probs, float *d);

/* A growable string for the writers. */
typedef struct al_text {
    char *s;
    size_t len, cap;
    int failed;
} al_text;
void al_printf(al_text *t, const char *fmt, ...) AL_PRINTF(2, 3);

/* ---- the experiment ---------------------------------------------------------- */
typedef struct al_config {
    uint32_t strategies;        /* bit s: strategy s runs */
    uint32_t budget, max_budget, trials, adversarial_trials, epochs, adversarial_epochs, batch;
    double lr;
    uint32_t seed, pool_size, test_size, baseline_epochs;
    uint32_t classes;           /* --classes, 0: the largest label + 1 */
    int bn_recalibrate, discriminator_default_init;
    const char *baseline_file;
    const char *dataset;        /* the data directory's name, for titles ("mnist") */
} al_config;

/* One round's results. Adversarial-only fields are NaN elsewhere. */
typedef struct al_record {
    int strategy;
    uint32_t trial, round, annotated;
    double accuracy;            /* evaluation mode, the statistics training left */
    double accuracy_recal;      /* the statistics recomputed over the labeled set */
    double train_loss;          /* mean over the steps */
    uint64_t steps;             /* optimiser steps */
    double train_s, eval_s, query_s; /* seconds: training, the two evaluations, the query */
    double d_loss, penalty, saturated; /* discriminator loss, gradient penalty, share of D
                                          outputs at exactly 0 or 1 (last epoch) */
    uint32_t npicked, *picked;  /* the training-set images the round's query picked (none after
                                   the last round, or in a record from a version 2 state) */
} al_record;

/* Everything needed to continue an interrupted run: the config and the
 * records. Jobs (a strategy's trial) are independent and may finish in any
 * order (under MPI several run at once): a job's next round is the count of
 * its records, and its pool is rebuilt from its seeded first labels and
 * the images each round picked. */
typedef struct al_state {
    char config[1024];          /* the flags that define the experiment */
    int done;                   /* every round finished */
    double baseline;            /* full-data accuracy, or < 0 */
    al_record *records;         /* by strategy, trial, round */
    uint32_t nrecords, cap;
    /* A version 2 file's position and pool in progress, which run_jobs.c turns
     * into the picks of that job's records. */
    int v2_strategy;
    uint32_t v2_trial, v2_round, v2_annotated_count, *v2_annotated;
} al_state;

/* Adds a copy of r (its picks too) in record order; fails when out of
 * memory or when the state has that round already. */
int al_state_add(al_state *st, const al_record *r);
void al_state_free(al_state *st);
/* Writes OUT/state.txt, results.json, results.csv, summary.md, the two
 * plots and report.html, each atomically (temp file, fsync, rename); one
 * that fails does not stop the others. */
int al_save(const char *out, const al_state *st, const al_config *c, const char *device,
            const char *driver);
/* Reads OUT/state.txt; *found says whether there was one. A damaged one
 * is EXIT_USAGE: the run cannot start from it. */
int al_state_load(const char *out, al_state *st, int *found);

/* Strategy s's accuracy (recal: with recomputed statistics) at round k
 * across trials: returns how many trials have it, their median, min, max. */
int al_accuracy_at(const al_state *st, int s, uint32_t round, int recal, double *median, double *lo,
                   double *hi);
/* The mean over trials of the labels strategy s needed to pass an accuracy
 * level (the first annotated count above it; max_budget if never; recal:
 * by the accuracy with recomputed statistics). */
double al_labels_needed(const al_state *st, const al_config *c, int s, double level, int recal);

/* The data set's name for titles: c->dataset, "mnist" when unset. */
const char *al_dataset_name(const al_config *c);
/* Rounds per trial: max_budget / budget - 1 (the notebook's). */
uint32_t al_rounds(const al_config *c);

/* The accuracy-vs-labels plot and the labels-needed-per-accuracy plot, as
 * SVG documents appended to t (they fail only when out of memory). */
int al_plot_accuracy(al_text *t, const al_state *st, const al_config *c);
int al_plot_labels_needed(al_text *t, const al_state *st, const al_config *c);

/* The page report.html: title, then summary.md's Markdown as HTML with the
 * two SVG plots inline after its first paragraphs. */
void al_report_html(al_text *t, const char *title, const char *summary_md, const char *accuracy_svg,
                    const char *labels_svg);
/* One sentence for newcomers: which strategy reached what test accuracy
 * with how many labels (the learned accuracy, medians over trials). */
void al_headline(const al_state *st, const al_config *c, al_text *t);

/* Writes text to path atomically: path.tmp, fsync, rename. */
int al_write_atomic(const char *path, const char *text, size_t len);


#endif
