/* `alvk run`'s experiment (run.h), once run.c has checked everything: the
 * jobs, each a strategy's trial, taken from a queue in one process or
 * handed out by rank 0's coordinator over MPI ranks; each round of a job;
 * the baseline; the estimate before the first round. */
#include "run.h"

#include "par.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the run's position, streams and cost --------------------------------- */

/* Evaluation, prediction and the statistics pass run at least 256 images
 * per submission (the training batch when larger): per image they cost
 * about a third less than at 32. */
static uint32_t eval_batch(const al_config *c) { return c->batch > 256 ? c->batch : 256; }

uint32_t run_trials(const al_config *c, int s) {
    return s == AL_ADVERSARIAL ? c->adversarial_trials : c->trials;
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


/* "1:02:03", or "--:--:--" before anything measured the rate. */
static void eta_text(double seconds, char *out, size_t size) {
    if (!(seconds >= 0 && seconds < 1e8)) {
        snprintf(out, size, "--:--:--");
        return;
    }
    long e = lround(seconds);
    snprintf(out, size, "%ld:%02ld:%02ld", e / 3600, e / 60 % 60, e % 60);
}


static void show(run *r, const char *what, int final) {
    progress *p = &r->pr;
    pthread_mutex_lock(&r->lock);
    double done = p->finished + p->partial, rate = done / (cli_now() - p->start);
    uint32_t rounds_done = p->rounds_done, rounds_total = p->rounds_total, jobs_done = p->jobs_done;
    pthread_mutex_unlock(&r->lock);
    char eta[32], ranks[128] = "";
    eta_text(done > 0 && rate > 0 ? fmax(p->total - done, 0) / rate : NAN, eta, sizeof eta);
    if (par_size() > 1)
        snprintf(ranks, sizeof ranks, "%d ranks: %u/%u jobs  %u/%u rounds  ETA %s | rank 0: ", par_size(), jobs_done,
                 p->jobs_total, rounds_done, rounds_total, eta);
    if (p->baseline) {
        cli_progress(final, "%sfull-data baseline  %s", ranks, what);
        return;
    }
    if (par_size() > 1)
        cli_progress(final, "%s%s trial %u round %u  %s", ranks, al_strategy_name(p->strategy), p->trial + 1,
                     p->round + 1, what);
    else
        cli_progress(final, "%s  trial %u/%u  round %u/%u  %s  ETA %s", al_strategy_name(p->strategy),
                     p->trial + 1, run_trials(p->c, p->strategy), p->round + 1, al_rounds(p->c), what, eta);
}

/* Under MPI the coordinator stops a rank by a message on its channel: the
 * rank then stops as it would on Ctrl-C. */
static int stopped_by_rank0;
static void check_stop(void) {
    if (par_size() > 1 && !cli_interrupted && par_waiting(PAR_TO_WORKER, 0)) cli_interrupted = stopped_by_rank0 = 1;
}

static void on_step(void *user, uint32_t epoch, uint32_t epochs, uint32_t step, uint32_t steps,
                    double loss, uint64_t images) {
    run *r = user;
    progress *p = &r->pr;
    check_stop();
    if (par_rank() != 0) return;
    double t = cli_now();
    pthread_mutex_lock(&r->lock);
    p->partial = p->step_units * (double)images;
    pthread_mutex_unlock(&r->lock);
    char what[160];
    snprintf(what, sizeof what, "epoch %u/%u  step %u/%u  loss %.4f  %.0f images/s", epoch, epochs,
             step, steps, loss, (double)images / (t - p->round_t0 + 1e-9));
    show(r, what, 0);
}

int run_save(run *r) {
    return al_save(r->o.out, &r->st, &r->o.c, r->device, r->driver);
}

/* Rounds of job j that the state holds: its records are rounds 0..k-1
 * (check_state made sure). */
uint32_t run_rounds_done(const al_state *st, job j) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < st->nrecords; i++) k += st->records[i].strategy == j.strategy && st->records[i].trial == j.trial;
    return k;
}

/* The images job j's finished rounds picked, in order; returns how many. */
uint32_t run_job_picks(const al_state *st, job j, uint32_t *out) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < st->nrecords; i++) {
        const al_record *rec = &st->records[i];
        if (rec->strategy != j.strategy || rec->trial != j.trial) continue;
        memcpy(out + n, rec->picked, rec->npicked * sizeof *out);
        n += rec->npicked;
    }
    return n;
}

/* The jobs with rounds left, strategy by strategy and trial by trial; with
 * several ranks the adversarial ones first: they are the longest, and a
 * long job started last would leave the other ranks idle at the end. */
static int make_queue(run *r) {
    const al_config *c = &r->o.c;
    uint32_t n = 0, rounds = 0;
    for (int s = 0; s < AL_STRATEGIES; s++)
        if (c->strategies >> s & 1) n += run_trials(c, s), rounds += run_trials(c, s) * al_rounds(c);
    r->pr.jobs_total = n;
    if (!(r->queue = malloc((n ? n : 1) * sizeof *r->queue))) return 0;
    int first = par_size() > 1 && c->strategies >> AL_ADVERSARIAL & 1 ? AL_ADVERSARIAL : -1;
    r->njobs = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < AL_STRATEGIES; s++) {
            if (!(c->strategies >> s & 1) || (pass == 0) != (s == first)) continue;
            for (uint32_t t = 0; t < run_trials(c, s); t++)
                if (run_rounds_done(&r->st, (job){s, t}) < al_rounds(c)) r->queue[r->njobs++] = (job){s, t};
        }
    r->pr.rounds_total = rounds;
    r->pr.rounds_done = r->st.nrecords;
    r->pr.jobs_done = n - r->njobs;
    r->st.done = r->st.nrecords == rounds;
    return 1;
}

/* Job j's pool before round `first`: its seeded first labels, then the
 * images its finished rounds picked. 0 when the picks do not fit the pool
 * (the reason in why). */
int run_rebuild_pool(run *r, job j, const uint32_t *picked, uint32_t npicked, char *why, size_t size) {
    const al_config *c = &r->o.c;
    al_pool_free(&r->pool);
    if (al_pool_init(&r->pool, r->pool_size) != EXIT_OK ||
        al_pool_annotate_random(&r->pool, c->budget, c->seed, cli_stream(STREAM_LABELS, 0, j.trial, 0)) != EXIT_OK) {
        snprintf(why, size, "its first labels (see above)");
        return 0;
    }
    for (uint32_t k = 0; k < npicked; k++) {
        uint32_t id = picked[k], pos = id < alvk_dataset_count(r->s.train) ? r->pool_pos[id] : UINT32_MAX;
        if (pos == UINT32_MAX) {
            snprintf(why, size, "%s trial %u picked image %u, which is not in the pool", al_strategy_name(j.strategy),
                     j.trial + 1, id);
            return 0;
        }
        if (r->pool.annotated[pos]) {
            snprintf(why, size, "%s trial %u picked image %u twice", al_strategy_name(j.strategy), j.trial + 1, id);
            return 0;
        }
        if (al_pool_annotate_images(&r->pool, &pos, 1) != EXIT_OK) {
            snprintf(why, size, "%s trial %u's picks (see above)", al_strategy_name(j.strategy), j.trial + 1);
            return 0;
        }
    }
    return 1;
}

/* The coordinator's side of a finished round: recorded, saved, shown. */
static int accept_record(run *r, const al_record *rec, int rank) {
    const al_config *c = &r->o.c;
    pthread_mutex_lock(&r->lock);
    int rc = al_state_add(&r->st, rec);
    if (rc == EXIT_OK) {
        r->pr.finished += round_seconds(c, &r->pr.rates, rec->strategy, rec->round, r->pool_size, r->s.test_size);
        r->pr.rounds_done++;
        r->pr.jobs_done += rec->round + 1 == al_rounds(c);
        r->st.done = r->pr.rounds_done == r->pr.rounds_total;
        rc = run_save(r);
    }
    pthread_mutex_unlock(&r->lock);
    if (rc != EXIT_OK) return rc;
    char where[64] = "";
    if (par_size() > 1) snprintf(where, sizeof where, " (rank %d)", rank);
    cli_progress(1, "%s trial %u/%u round %u/%u%s: %u labels: accuracy %.2f %% (statistics recomputed: %.2f %%), "
                 "loss %.4f, %llu steps, %.0f s training + %.0f s evaluating + %.0f s querying",
                 al_strategy_name(rec->strategy), rec->trial + 1, run_trials(c, rec->strategy), rec->round + 1,
                 al_rounds(c), where, rec->annotated, 100 * rec->accuracy, 100 * rec->accuracy_recal, rec->train_loss,
                 (unsigned long long)rec->steps, rec->train_s, rec->eval_s, rec->query_s);
    if (rec->strategy == AL_ADVERSARIAL && rec->saturated > 0.5)
        fprintf(stderr, "alvk: warning: the discriminator is saturated (%.0f %% of its outputs within 1e-6 "
                "of 0 or 1): its gradient penalty is constant and it does not learn, so the query ranks "
                "by margin alone; --discriminator-init default avoids this\n", 100 * rec->saturated);
    return EXIT_OK;
}

/* ---- the ranks' messages ------------------------------------------------------
 * A worker asks rank 0's coordinator for a job (ASK), gets one with the
 * picks of its finished rounds (JOB; strategy -1: none left), sends each
 * finished round (RECORD: the record, then its picks) and asks again;
 * STOPPED says it stopped (its exit status) before the job ended. The
 * coordinator sends STOP to the ranks at work when the run must stop. */
enum { TAG_ASK = 1, TAG_JOB, TAG_RECORD, TAG_STOPPED, TAG_STOP };

/* JOB: strategy, trial, first round, picks that follow. */
typedef struct job_msg {
    int32_t strategy;
    uint32_t trial, first, npicked;
} job_msg;

/* A message of a header and an array of uint32 after it. */
static int send_with_ids(int channel, int to, int tag, const void *head, size_t bytes, const uint32_t *ids,
                         uint32_t n) {
    char *buf = malloc(bytes + (size_t)n * sizeof *ids);
    if (!buf) return 0;
    memcpy(buf, head, bytes);
    if (n) memcpy(buf + bytes, ids, (size_t)n * sizeof *ids);
    int ok = par_send(channel, to, tag, buf, bytes + (size_t)n * sizeof *ids);
    free(buf);
    return ok;
}

/* The next job of the queue as a JOB message (strategy -1 when none). */
static job_msg next_in_queue(run *r, uint32_t **picks) {
    job_msg m = {-1, 0, 0, 0};
    *picks = NULL;
    if (r->next_job == r->njobs) return m;
    job j = r->queue[r->next_job++];
    pthread_mutex_lock(&r->lock);
    m = (job_msg){j.strategy, j.trial, run_rounds_done(&r->st, j), 0};
    if ((*picks = malloc((size_t)r->pool_size * sizeof **picks))) m.npicked = run_job_picks(&r->st, j, *picks);
    pthread_mutex_unlock(&r->lock);
    if (!*picks) m.strategy = -2; /* out of memory */
    return m;
}

static void stop_ranks(run *r, const uint8_t *working, int why) {
    if (r->rc == EXIT_OK) r->rc = why;
    for (int k = 0; k < par_size(); k++)
        if (working[k]) par_send(PAR_TO_WORKER, k, TAG_STOP, NULL, 0);
}

/* Rank 0's coordinator thread: hands out jobs, takes the finished rounds
 * (saved at once, as a single process saves them), stops every rank when
 * one fails or the run is interrupted. Ends when every rank has stopped. */
static void *coordinate(void *arg) {
    run *r = arg;
    int active = par_size();
    uint8_t *working = calloc((size_t)par_size(), 1), *finished = calloc((size_t)par_size(), 1);
    if (!working || !finished) par_abort(cli_fail("allocating"));
    working[0] = 1; /* the baseline, if any, then jobs: a STOP it skips while it waits is harmless */
    while (active > 0) {
        if (cli_interrupted && r->rc == EXIT_OK) stop_ranks(r, working, EXIT_INTERRUPTED);
        if (!par_waiting(PAR_TO_COORDINATOR, -1)) {
            nanosleep(&(struct timespec){0, 2000000}, NULL);
            continue;
        }
        int tag = 0, from = 0;
        void *data;
        size_t bytes;
        if (!par_recv(PAR_TO_COORDINATOR, -1, &tag, &from, &data, &bytes)) par_abort(cli_fail("receiving from a rank"));
        if (tag == TAG_ASK) {
            uint32_t *picks = NULL;
            job_msg m = r->rc == EXIT_OK ? next_in_queue(r, &picks) : (job_msg){-1, 0, 0, 0};
            if (m.strategy == -2) stop_ranks(r, working, cli_fail("allocating")), m.strategy = -1;
            send_with_ids(PAR_TO_WORKER, from, TAG_JOB, &m, sizeof m, picks, m.npicked);
            free(picks);
            working[from] = m.strategy >= 0;
            if (m.strategy < 0 && !finished[from]) finished[from] = 1, active--;
        } else if (tag == TAG_RECORD && bytes >= sizeof(al_record)) {
            al_record rec;
            memcpy(&rec, data, sizeof rec);
            rec.picked = (uint32_t *)((char *)data + sizeof rec);
            if (bytes != sizeof rec + (size_t)rec.npicked * sizeof *rec.picked || accept_record(r, &rec, from) != EXIT_OK)
                stop_ranks(r, working, EXIT_FAILED);
        } else if (tag == TAG_STOPPED) {
            int why = EXIT_FAILED;
            if (bytes == sizeof why) memcpy(&why, data, sizeof why);
            working[from] = 0;
            if (!finished[from]) finished[from] = 1, active--;
            if (why != EXIT_INTERRUPTED || r->rc == EXIT_OK) {
                if (why != EXIT_INTERRUPTED && r->rc == EXIT_OK)
                    fprintf(stderr, "alvk: rank %d stopped (exit status %d, its message is above); stopping the "
                            "others\n", from, why);
                stop_ranks(r, working, why);
            }
        }
        free(data);
    }
    free(working), free(finished);
    return NULL;
}

/* A worker's next job and the picks of its finished rounds: from the
 * queue in one process, from the coordinator under MPI. 1 with a job, 0
 * when none is left, -1 on failure. */
static int take_job(run *r, job *j, uint32_t *first, uint32_t **picks, uint32_t *npicked) {
    job_msg m;
    if (par_size() == 1) {
        m = next_in_queue(r, picks);
    } else {
        if (!par_send(PAR_TO_COORDINATOR, 0, TAG_ASK, NULL, 0)) return -1;
        void *data = NULL;
        size_t bytes;
        int tag = 0;
        do { /* a STOP sent while this rank was finishing its job: the answer follows */
            free(data);
            if (!par_recv(PAR_TO_WORKER, 0, &tag, NULL, &data, &bytes)) return -1;
        } while (tag == TAG_STOP);
        if (bytes < sizeof m) {
            free(data);
            return -1;
        }
        memcpy(&m, data, sizeof m);
        if (m.strategy == -1) { /* none left: nothing to allocate, nothing that can fail now */
            free(data);
            return 0;
        }
        if (bytes != sizeof m + (size_t)m.npicked * sizeof **picks) m.npicked = 0, m.strategy = -2;
        *picks = malloc((m.npicked ? m.npicked : 1) * sizeof **picks);
        if (*picks) memcpy(*picks, (char *)data + sizeof m, m.npicked * sizeof **picks);
        free(data);
        if (!*picks) return -1;
    }
    if (m.strategy == -2) return -1;
    *j = (job){m.strategy, m.trial}, *first = m.first, *npicked = m.npicked;
    return m.strategy >= 0;
}

/* A finished round, to the coordinator (directly in one process). */
static int deliver(run *r, const al_record *rec) {
    if (par_size() == 1) return accept_record(r, rec, 0);
    return send_with_ids(PAR_TO_COORDINATOR, 0, TAG_RECORD, rec, sizeof *rec, rec->picked, rec->npicked)
               ? EXIT_OK : cli_fail("sending a finished round to rank 0");
}

/* ---- one round ------------------------------------------------------------ */

/* The labeled (or unlabeled) training-set indices of the pool. */
static uint32_t labeled_ids(const run *r, uint32_t *out) {
    for (uint32_t i = 0; i < r->pool.count; i++) out[i] = r->pool_ids[r->pool.order[i]];
    return r->pool.count;
}

/* Picks the next `budget` positions of the unannotated list. */
static int query(run *r, int s, uint32_t round, const uint32_t *unl, uint32_t n_u, uint32_t *pick) {
    const al_config *c = &r->o.c;
    if (s == AL_UNIFORM) {
        al_pick_uniform(n_u, c->budget, c->seed, cli_stream(STREAM_QUERY, s, r->pr.trial, round), pick);
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

/* Trains, evaluates and (but after the last round) queries; the record
 * goes to the coordinator with the training-set images picked. */
static int run_round(run *r, int s, uint32_t round) {
    const al_config *c = &r->o.c;
    progress *pr = &r->pr;
    uint32_t *lab = malloc(r->pool_size * sizeof *lab), *unl = malloc(r->pool_size * sizeof *unl);
    uint32_t *unl_pos = malloc(r->pool_size * sizeof *unl_pos), *pick = malloc(c->budget * sizeof *pick);
    uint32_t *picked = malloc(c->budget * sizeof *picked);
    if (!lab || !unl || !unl_pos || !pick || !picked) {
        free(lab), free(unl), free(unl_pos), free(pick), free(picked);
        return cli_fail("allocating");
    }
    uint32_t n_l = labeled_ids(r, lab), n_u = al_pool_unannotated(&r->pool, unl_pos);
    for (uint32_t i = 0; i < n_u; i++) unl[i] = r->pool_ids[unl_pos[i]];
    al_record rec = {.strategy = s, .trial = pr->trial, .round = round, .annotated = n_l,
                     .d_loss = NAN, .penalty = NAN, .saturated = NAN, .picked = picked};
    al_train_stats ts;
    al_progress cb = {on_step, r};
    pr->step_units = s == AL_ADVERSARIAL ? pr->rates.adversarial : pr->rates.train;
    uint64_t stream = cli_stream(STREAM_TRAIN, s, pr->trial, round);
    double t0 = pr->round_t0 = cli_now();
    int rc = al_model_reset(&r->m);
    if (rc == EXIT_OK && s == AL_ADVERSARIAL)
        rc = al_train_adversarial(&r->m, lab, n_l, unl, n_u, c->adversarial_epochs, c->seed, stream, &ts, &cb);
    else if (rc == EXIT_OK)
        rc = al_train_classifier(&r->m, lab, n_l, c->epochs, c->seed, stream, &ts, &cb);
    if (rc == EXIT_OK) {
        rec.train_loss = ts.loss, rec.steps = ts.steps, rec.train_s = cli_now() - t0;
        if (s == AL_ADVERSARIAL) rec.d_loss = ts.d_loss, rec.penalty = ts.penalty, rec.saturated = ts.saturated;
        if (par_rank() == 0) show(r, "evaluating", 0);
        t0 = cli_now();
        rec.accuracy = session_test_accuracy(&r->s);
        if (rec.accuracy < 0) rc = cli_fail("evaluating");
    }
    /* The accuracy with statistics recomputed over the labeled set; kept
     * for the query only with --bn-recalibrate. */
    if (rc == EXIT_OK) rc = bn_stats_save(&r->m.bn);
    if (rc == EXIT_OK) rc = bn_stats_recompute(&r->m.bn, lab, n_l);
    if (rc == EXIT_OK) {
        rec.accuracy_recal = session_test_accuracy(&r->s);
        if (rec.accuracy_recal < 0) rc = cli_fail("evaluating");
    }
    if (rc == EXIT_OK && !c->bn_recalibrate) rc = bn_stats_restore(&r->m.bn);
    rec.eval_s = cli_now() - t0;
    double q0 = cli_now();
    if (rc == EXIT_OK && round + 1 < al_rounds(c)) { /* the last round's picks would never be used */
        if (par_rank() == 0) show(r, "querying", 0);
        rc = query(r, s, round, unl, n_u, pick);
        for (uint32_t i = 0; rc == EXIT_OK && i < c->budget; i++) picked[i] = unl[pick[i]];
        if (rc == EXIT_OK) rc = al_pool_annotate_positions(&r->pool, pick, c->budget);
        rec.npicked = c->budget;
    }
    rec.query_s = cli_now() - q0;
    if (rc == EXIT_OK) rc = deliver(r, &rec);
    pthread_mutex_lock(&r->lock);
    pr->partial = 0;
    pthread_mutex_unlock(&r->lock);
    free(lab), free(unl), free(unl_pos), free(pick), free(picked);
    return rc;
}

/* Job j from round `first` on, its pool rebuilt from the picks of the
 * rounds before. Every strategy's trial t starts from the same weights
 * and labels: a paired comparison. */
static int run_job(run *r, job j, uint32_t first, const uint32_t *picks, uint32_t npicked) {
    char why[256];
    if (!run_rebuild_pool(r, j, picks, npicked, why, sizeof why)) {
        fprintf(stderr, "alvk: restoring the pool: %s\n", why);
        return EXIT_FAILED;
    }
    r->pr.strategy = j.strategy, r->pr.trial = j.trial;
    int rc = al_model_start(&r->m, alvk_random(r->o.c.seed, STREAM_WEIGHTS, j.trial));
    for (uint32_t round = first; round < al_rounds(&r->o.c) && rc == EXIT_OK; round++) {
        r->pr.round = round;
        rc = run_round(r, j.strategy, round);
    }
    return rc;
}

/* Takes jobs until none is left; under MPI, says why it stopped early. */
static int work(run *r) {
    int rc = EXIT_OK, got;
    do {
        job j;
        uint32_t first = 0, *picks = NULL, npicked = 0;
        got = take_job(r, &j, &first, &picks, &npicked);
        if (got > 0) rc = run_job(r, j, first, picks, npicked);
        if (got < 0) fprintf(stderr, "alvk: rank %d could not take a job (out of memory, or MPI failed)\n", par_rank());
        if (got < 0) rc = EXIT_FAILED;
        free(picks);
    } while (got > 0 && rc == EXIT_OK);
    if (rc != EXIT_OK && par_size() > 1) par_send(PAR_TO_COORDINATOR, 0, TAG_STOPPED, &rc, sizeof rc);
    return rc;
}

/* ---- before the first round ------------------------------------------------- */

/* The full-data baseline, when asked and not yet measured: rank 0 alone,
 * while under MPI the other ranks already take jobs. */
static int baseline(run *r) {
    const al_config *c = &r->o.c;
    if (r->st.baseline >= 0 || (!c->baseline_file && !c->baseline_epochs)) return EXIT_OK;
    double accuracy = -1;
    int rc = EXIT_OK;
    if (c->baseline_file) { /* a checkpoint of ResNet18 + head: its own store */
        session b;
        rc = session_open(&b, r->o.device, r->o.data, r->s.classes, eval_batch(c), c->test_size, c->seed, DISC_NONE);
        if (rc == EXIT_OK && alvk_params_load(b.params, c->baseline_file) != ALVK_OK)
            rc = cli_fail("loading the baseline");
        if (rc == EXIT_OK && (accuracy = session_test_accuracy(&b)) < 0) rc = cli_fail("evaluating the baseline");
        session_close(&b);
    } else {
        fprintf(stderr, "training the full-data baseline: %u images, %u epochs\n", r->pool_size, c->baseline_epochs);
        al_train_stats ts;
        al_progress cb = {on_step, r};
        r->pr.baseline = 1, r->pr.round_t0 = cli_now(), r->pr.step_units = 0; /* the ETA covers the rounds */
        rc = al_model_start(&r->m, alvk_random(c->seed, STREAM_WEIGHTS, 0));
        if (rc == EXIT_OK)
            rc = al_train_classifier(&r->m, r->pool_ids, r->pool_size, c->baseline_epochs, c->seed,
                                     cli_stream(STREAM_TRAIN, 7, 0, 0), &ts, &cb);
        if (rc == EXIT_OK && (accuracy = session_test_accuracy(&r->s)) < 0) rc = cli_fail("evaluating the baseline");
        r->pr.baseline = 0;
        if (par_size() == 1) r->pr.start = cli_now();
        if (rc == EXIT_OK) fprintf(stderr, "full-data baseline: %.2f %% test accuracy\n", 100 * accuracy);
    }
    if (rc != EXIT_OK) return rc;
    pthread_mutex_lock(&r->lock);
    r->st.baseline = accuracy;
    rc = run_save(r);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

static int has_record(const al_state *st, int s, uint32_t trial, uint32_t round) {
    for (uint32_t i = 0; i < st->nrecords; i++)
        if (st->records[i].strategy == s && st->records[i].trial == trial && st->records[i].round == round) return 1;
    return 0;
}

/* Seconds job j has left at the measured rates. */
static double job_seconds(const run *r, const al_rates *rt, job j) {
    double t = 0;
    for (uint32_t k = 0; k < al_rounds(&r->o.c); k++)
        if (!has_record(&r->st, j.strategy, j.trial, k))
            t += round_seconds(&r->o.c, rt, j.strategy, k, r->pool_size, r->s.test_size);
    return t;
}

/* The work left (for the ETA) at the measured rates; returns the run's
 * wall time as the queue hands the jobs out: each, in the queue's order,
 * to the rank that is free first (rank 0 after the baseline). */
static double plan(run *r, const al_rates *rt, double baseline) {
    double total = 0, wall = 0, *free_at = calloc((size_t)par_size(), sizeof *free_at);
    if (free_at) free_at[0] = baseline;
    for (uint32_t i = 0; i < r->njobs; i++) {
        double t = job_seconds(r, rt, r->queue[i]);
        int first = 0;
        for (int k = 1; free_at && k < par_size(); k++)
            if (free_at[k] < free_at[first]) first = k;
        total += t;
        if (free_at) free_at[first] += t;
    }
    for (int k = 0; free_at && k < par_size(); k++) wall = fmax(wall, free_at[k]);
    free(free_at);
    r->pr.c = &r->o.c, r->pr.start = cli_now(), r->pr.total = total, r->pr.rates = *rt, r->pr.step_units = rt->train;
    return wall ? wall : total + baseline;
}

/* "45 s", "4 min 40 s", "27 h 10 min" */
static void duration_text(double seconds, char *out, size_t size) {
    long s = lround(seconds);
    if (s < 60) snprintf(out, size, "%ld s", s);
    else if (s < 3600) snprintf(out, size, "%ld min %ld s", s / 60, s % 60);
    else snprintf(out, size, "%ld h %ld min", s / 3600, s / 60 % 60);
}

/* Before any round: what the run will take on this device, from one timed
 * run of each graph, so that nobody starts a day-long run by accident.
 * Under MPI: as if every rank were as fast as rank 0's device. */
static int estimate(run *r) {
    const al_config *c = &r->o.c;
    al_rates rt;
    int rc = al_model_calibrate(&r->m, &rt);
    if (rc != EXIT_OK) return rc;
    double wall = plan(r, &rt, r->st.baseline < 0 ? rt.train * c->baseline_epochs * r->pool_size : 0);
    char total[64], ranks[64] = "";
    duration_text(wall, total, sizeof total);
    if (par_size() > 1) snprintf(ranks, sizeof ranks, " x %d ranks", par_size());
    char adv[96] = "";
    if (c->strategies >> AL_ADVERSARIAL & 1)
        snprintf(adv, sizeof adv, ", an adversarial step of %u + %u images %.2f s", c->batch, c->batch,
                 2 * rt.adversarial * c->batch);
    fprintf(stderr, "estimated time on %s%s: %s%s (measured: a training step of %u images %.2f s, evaluation "
            "%.2f ms per image%s)\n", r->device, ranks, total, r->st.nrecords ? " for what is left" : "",
            c->batch, rt.train * c->batch, 1e3 * rt.eval, adv);
    if (wall > 3 * 3600)
        fprintf(stderr, "alvk: this run is long on this device; Ctrl-C stops it at any time and --resume "
                "continues it (--preset demo takes minutes)\n");
    return EXIT_OK;
}


/* ---- the whole run -------------------------------------------------------- */

/* Opens this rank's device and builds the model; rank 0 also saves the
 * state and times the graphs for the estimate. */
static int start_device(run *r, int disc) {
    const al_config *c = &r->o.c;
    char buf[32];
    int rc = session_open_device(&r->s, par_device(r->o.device, buf, sizeof buf), eval_batch(c), c->test_size,
                                 c->seed, disc);
    if (rc != EXIT_OK) return rc;
    alvk_device_info d;
    alvk_context_device_info(r->s.ctx, alvk_context_device_index(r->s.ctx), &d);
    snprintf(r->device, sizeof r->device, "%s", d.name);
    snprintf(r->driver, sizeof r->driver, "%s %s", d.driver_name, d.driver_info);
    if ((rc = al_model_init(&r->m, &r->s, c->batch, c->lr, disc != DISC_NONE)) != EXIT_OK || par_rank() != 0) return rc;
    fprintf(stderr, "active learning on %s (%u classes) on %s: pool %u, test %u, budget %u to %u (%u rounds), "
            "out %s\n", r->s.data_name, r->s.classes, r->device, r->pool_size, r->s.test_size, c->budget,
            c->max_budget, al_rounds(c), r->o.out);
    if ((rc = run_save(r)) != EXIT_OK) return rc;
    return estimate(r);
}

/* Under MPI: the coordinator on rank 0, and every rank (rank 0 after the
 * baseline) a worker. Returns this rank's exit status; rank 0's is the
 * run's. */
static int run_ranks(run *r) {
    pthread_t thread;
    int rc = EXIT_OK;
    if (par_rank() == 0) {
        if (pthread_create(&thread, NULL, coordinate, r) != 0) {
            fprintf(stderr, "alvk: cannot start the coordinator thread\n");
            par_abort(EXIT_FAILED);
        }
        rc = baseline(r);
        if (rc != EXIT_OK) par_send(PAR_TO_COORDINATOR, 0, TAG_STOPPED, &rc, sizeof rc);
    }
    if (rc == EXIT_OK) rc = work(r);
    if (par_rank() == 0) {
        pthread_join(thread, NULL);
        if (r->rc != EXIT_OK) rc = r->rc;
    }
    par_barrier();
    void *data;
    size_t bytes;
    int tag;
    while (par_waiting(PAR_TO_WORKER, 0) && par_recv(PAR_TO_WORKER, 0, &tag, NULL, &data, &bytes)) free(data);
    /* A worker rank 0 stopped did nothing wrong: rank 0's status says why. */
    if (par_rank() != 0 && stopped_by_rank0 && rc == EXIT_INTERRUPTED) rc = EXIT_OK;
    return rc;
}

int run_experiment(run *r) {
    const al_config *c = &r->o.c;
    int adversarial = c->strategies >> AL_ADVERSARIAL & 1;
    int disc = adversarial ? (c->discriminator_default_init ? DISC_DEFAULT : DISC_KAIMING) : DISC_NONE;
    int rc = EXIT_OK; /* reaches the collective below on every rank */
    if (par_rank() == 0 && !make_queue(r)) rc = cli_fail("allocating");
    /* Rank 0 first: its calibration runs every graph, so every kernel
     * variant is chosen, and the other ranks take its choices: they compute
     * with the same kernels, and a run's numbers do not depend on the rank
     * count. */
    if (par_rank() == 0 && rc == EXIT_OK) rc = start_device(r, disc);
    int worst = par_worst(rc);
    if (worst != EXIT_OK) return worst;
    char choices[PAR_CHOICES];
    par_share_choices(r->s.ctx, choices);
    if (par_rank() != 0) r->s.choices = *choices ? choices : NULL, rc = start_device(r, disc);
    if ((worst = par_worst(rc)) != EXIT_OK) {
        if (rc != EXIT_OK)
            fprintf(stderr, "alvk: rank %d on %s could not start (see above); the run stops before any work\n",
                    par_rank(), par_host());
        return worst;
    }
    if (par_size() > 1) return run_ranks(r);
    if ((rc = baseline(r)) != EXIT_OK) return rc;
    return work(r);
}
