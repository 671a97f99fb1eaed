/* The model side of an active-learning round: the graphs, training (the
 * classifier's and the adversarial strategy's), predictions over the pool,
 * and the batch-norm statistics (saved, restored, recomputed). Everything
 * goes through the public API. */
#include "al.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) { return cli_fail(what); }

/* D(z) = sigmoid(MLP(z)): [B, 1]. */
static alvk_node discriminator(alvk_graph *g, alvk_node z) {
    return alvk_graph_sigmoid(g, alvk_graph_mlp(g, z, "disc", 3));
}

static int build_predict(al_model *m) {
    session *s = m->s;
    alvk_graph *g;
    if (alvk_graph_create(s->ctx, s->params, s->eval_batch, ALVK_GRAPH_EVAL, &g) != ALVK_OK) return 0;
    m->predict = g;
    m->pred_idx = alvk_graph_indices(g);
    alvk_node z = alvk_graph_resnet18(g, alvk_graph_gather(g, s->train_pool, m->pred_idx));
    m->pred_logits = session_head(g, z);
    m->pred_d = s->disc_count ? discriminator(g, z) : -1;
    return alvk_graph_output(g, m->pred_logits) == ALVK_OK &&
           (m->pred_d < 0 || alvk_graph_output(g, m->pred_d) == ALVK_OK) && alvk_graph_compile(g) == ALVK_OK;
}

/* The adversarial step as DESIGN.md gives it (deeplay's AdversarialStrategy):
 *   lb_z = B(x_l), ub_z = B(x_u), pred = CE(H(lb_z), y)
 *   wae = pred - 1e-3 (mean(D(ub_z)^2) + mean((D(lb_z) - 1)^2))  -> Adam on B and H
 *   gp = mean((||dD(interp)/d interp|| - 1)^2), interp = a lb_z + (1 - a) ub_z
 *   dis = mean(D(ub_z)^2) + mean((D(lb_z) - 1)^2) + 0.02 gp       -> Adam on D
 * The features are constants for the second loss (torch's detach): its
 * gradient is taken with respect to D's tensors only. */
static int build_adversarial(al_model *m, double lr) {
    session *s = m->s;
    alvk_graph *g;
    if (alvk_graph_create(s->ctx, s->params, m->batch, ALVK_GRAPH_TRAIN, &g) != ALVK_OK) return 0;
    m->adv = g;
    m->adv_l = alvk_graph_indices(g);
    m->adv_u = alvk_graph_indices(g);
    m->adv_alpha = alvk_graph_input(g, (uint32_t[]){1}, 0); /* [B] */
    alvk_node xl = alvk_graph_gather(g, s->train_pool, m->adv_l), xu = alvk_graph_gather(g, s->train_pool, m->adv_u);
    alvk_node lz = alvk_graph_resnet18(g, xl), uz = alvk_graph_resnet18(g, xu);
    m->adv_pred = alvk_graph_softmax_ce(g, session_head(g, lz), alvk_graph_gathered_labels(g, xl));
    m->adv_dl = discriminator(g, lz);
    m->adv_du = discriminator(g, uz);
    alvk_node unlab = alvk_graph_mean(g, alvk_graph_square(g, m->adv_du));
    alvk_node lab = alvk_graph_mean(g, alvk_graph_square(g, alvk_graph_affine(g, m->adv_dl, 1, -1)));
    alvk_node dterms = alvk_graph_add(g, unlab, lab);
    alvk_node wae = alvk_graph_add(g, m->adv_pred, alvk_graph_scale(g, dterms, -1e-3f));
    alvk_node interp = alvk_graph_add(g, alvk_graph_mul_rows(g, lz, m->adv_alpha),
                                      alvk_graph_mul_rows(g, uz, alvk_graph_affine(g, m->adv_alpha, -1, 1)));
    alvk_node grad = alvk_graph_grad(g, discriminator(g, interp), interp);
    alvk_node norm = alvk_graph_norm_rows(g, grad);
    m->adv_gp = alvk_graph_mean(g, alvk_graph_square(g, alvk_graph_affine(g, norm, 1, -1)));
    m->adv_dis = alvk_graph_add(g, dterms, alvk_graph_scale(g, m->adv_gp, 0.02f));
    int bh = s->disc_first;
    alvk_node outs[] = {m->adv_pred, m->adv_dis, m->adv_gp, m->adv_dl, m->adv_du};
    int ok = alvk_graph_backward_params(g, wae, 0, bh) == ALVK_OK &&
             alvk_graph_backward_params(g, m->adv_dis, s->disc_first, s->disc_count) == ALVK_OK &&
             alvk_graph_adam_params(g, 0, bh, lr, 0.9, 0.999, 1e-8) == ALVK_OK &&
             alvk_graph_adam_params(g, s->disc_first, s->disc_count, lr, 0.9, 0.999, 1e-8) == ALVK_OK;
    for (int i = 0; i < 5 && ok; i++) ok = alvk_graph_output(g, outs[i]) == ALVK_OK;
    return ok && alvk_graph_compile(g) == ALVK_OK;
}

int al_model_init(al_model *m, session *s, uint32_t batch, double lr, int adversarial) {
    memset(m, 0, sizeof *m);
    m->s = s, m->batch = batch;
    /* Backbone and head only: a discriminator in the store is not trained here. */
    int n = s->disc_count ? s->disc_first : alvk_params_count(s->params);
    int rc = session_train_graph(s, batch, lr, n, &m->train, &m->train_idx, &m->train_loss);
    if (rc != EXIT_OK) return rc;
    if (!build_predict(m)) return fail("building the prediction graph");
    if ((rc = bn_stats_init(&m->bn, s)) != EXIT_OK) return rc;
    if (adversarial && !build_adversarial(m, lr)) return fail("building the adversarial graph");
    return EXIT_OK;
}

void al_model_free(al_model *m) {
    alvk_graph_destroy(m->train);
    alvk_graph_destroy(m->predict);
    alvk_graph_destroy(m->adv);
    bn_stats_free(&m->bn);
    memset(m, 0, sizeof *m);
}

int al_model_start(al_model *m, uint64_t seed) {
    if (alvk_params_initialize(m->s->params, seed) != ALVK_OK || alvk_params_snapshot(m->s->params) != ALVK_OK)
        return fail("initialising the model");
    return al_model_reset(m);
}

int al_model_reset(al_model *m) {
    if (alvk_params_restore(m->s->params) != ALVK_OK || alvk_params_reset_optimizer(m->s->params) != ALVK_OK)
        return fail("restoring the initial weights");
    return EXIT_OK;
}

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Seconds of one run of g at b rows, after a first run that compiles
 * its pipelines (work the rounds would do anyway); < 0 on failure. */
static double time_run(alvk_graph *g, uint32_t b) {
    double t = 0;
    for (int i = 0; i < 2; i++) {
        t = cli_now();
        if (alvk_graph_run(g, b) != ALVK_OK) return -1;
        t = cli_now() - t;
    }
    return t;
}

int al_model_calibrate(al_model *m, al_rates *r) {
    uint32_t B = m->batch, E = m->s->eval_batch, n = alvk_dataset_count(m->s->train), *ids = malloc(E * sizeof *ids);
    float *alpha = malloc(B * sizeof *alpha);
    int ok = ids && alpha;
    for (uint32_t i = 0; ok && i < E; i++) ids[i] = i % n;
    for (uint32_t i = 0; ok && i < B; i++) alpha[i] = 0.5f;
    size_t id_bytes = E * sizeof *ids, alpha_bytes = B * sizeof *alpha;
    ok = ok && alvk_graph_set(m->train, m->train_idx, ids, id_bytes, B) == ALVK_OK &&
         alvk_graph_set(m->predict, m->pred_idx, ids, id_bytes, E) == ALVK_OK;
    int adv_ok = ok && (!m->adv || (alvk_graph_set(m->adv, m->adv_l, ids, id_bytes, B) == ALVK_OK &&
                                    alvk_graph_set(m->adv, m->adv_u, ids, id_bytes, B) == ALVK_OK &&
                                    alvk_graph_set(m->adv, m->adv_alpha, alpha, alpha_bytes, B) == ALVK_OK));
    double train = ok ? time_run(m->train, B) : -1, eval = ok ? time_run(m->predict, E) : -1;
    double adv = !m->adv ? 0 : adv_ok ? time_run(m->adv, B) : -1;
    free(ids), free(alpha);
    if (train < 0 || eval < 0 || adv < 0) return fail("timing the graphs");
    r->train = train / B, r->eval = eval / E, r->adversarial = adv / (2.0 * B);
    return EXIT_OK;
}

int al_train_classifier(al_model *m, const uint32_t *ids, uint32_t n, uint32_t epochs,
                        uint64_t seed, uint64_t stream, al_train_stats *st, const al_progress *pr) {
    memset(st, 0, sizeof *st);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order), steps = (n + m->batch - 1) / m->batch;
    if (!order) return fail("allocating");
    int rc = EXIT_OK;
    double sum = 0;
    for (uint32_t e = 0; e < epochs && rc == EXIT_OK; e++) {
        memcpy(order, ids, n * sizeof *order);
        cli_shuffle(order, n, seed, stream + e);
        for (uint32_t k = 0; k < steps; k++) {
            if (cli_interrupted) {
                rc = EXIT_INTERRUPTED;
                break;
            }
            uint32_t b = min_u32(m->batch, n - k * m->batch);
            float loss;
            if (alvk_graph_set(m->train, m->train_idx, order + k * m->batch, b * sizeof *order, b) != ALVK_OK ||
                alvk_graph_run(m->train, b) != ALVK_OK ||
                alvk_graph_read(m->train, m->train_loss, &loss, sizeof loss) != ALVK_OK) {
                rc = fail("training");
                break;
            }
            sum += loss;
            st->steps++, st->images += b;
            if (pr) pr->step(pr->user, e + 1, epochs, k + 1, steps, sum / (double)st->steps, st->images);
        }
    }
    st->loss = st->steps ? sum / (double)st->steps : NAN;
    free(order);
    return rc;
}

/* Whether a sigmoid output sits where its gradient has vanished (below
 * 1e-6): the discriminator can no longer learn from it. */
static int saturated(float y) { return y < 1e-6f || y > 1.0f - 1e-6f; }

int al_train_adversarial(al_model *m, const uint32_t *labeled, uint32_t n_l, const uint32_t *unlabeled,
                         uint32_t n_u, uint32_t epochs, uint64_t seed, uint64_t stream,
                         al_train_stats *st, const al_progress *pr) {
    memset(st, 0, sizeof *st);
    uint32_t len = al_joint_length(n_l, n_u), B = m->batch, steps = (len + B - 1) / B;
    uint32_t *perm = malloc(len * sizeof *perm), *li = malloc(B * sizeof *li), *ui = malloc(B * sizeof *ui);
    float *alpha = malloc(B * sizeof *alpha), *dl = malloc(B * sizeof *dl), *du = malloc(B * sizeof *du);
    int rc = perm && li && ui && alpha && dl && du && n_l && n_u ? EXIT_OK : fail("allocating");
    double sums[3] = {0}, outputs = 0, sat = 0;
    for (uint32_t e = 0; e < epochs && rc == EXIT_OK; e++) {
        for (uint32_t i = 0; i < len; i++) perm[i] = i;
        cli_shuffle(perm, len, seed, stream + e);
        for (uint32_t k = 0; k < steps; k++) {
            if (cli_interrupted) {
                rc = EXIT_INTERRUPTED;
                break;
            }
            uint32_t b = al_joint_batch(labeled, n_l, unlabeled, n_u, perm, k, B, li, ui);
            for (uint32_t j = 0; j < b; j++) {
                uint64_t r = alvk_random(seed, stream + e + STREAM_ALPHA, (uint64_t)k * B + j);
                alpha[j] = (float)((double)(r >> 40) / (double)(1ull << 24)); /* U[0, 1) */
            }
            float v[3];
            size_t rows = b * sizeof(float); /* indices and alphas: one 4-byte value per row */
            if (alvk_graph_set(m->adv, m->adv_l, li, rows, b) != ALVK_OK ||
                alvk_graph_set(m->adv, m->adv_u, ui, rows, b) != ALVK_OK ||
                alvk_graph_set(m->adv, m->adv_alpha, alpha, rows, b) != ALVK_OK || alvk_graph_run(m->adv, b) != ALVK_OK ||
                alvk_graph_read(m->adv, m->adv_pred, &v[0], sizeof v[0]) != ALVK_OK ||
                alvk_graph_read(m->adv, m->adv_dis, &v[1], sizeof v[1]) != ALVK_OK ||
                alvk_graph_read(m->adv, m->adv_gp, &v[2], sizeof v[2]) != ALVK_OK ||
                alvk_graph_read(m->adv, m->adv_dl, dl, rows) != ALVK_OK ||
                alvk_graph_read(m->adv, m->adv_du, du, rows) != ALVK_OK) {
                rc = fail("adversarial training");
                break;
            }
            for (int q = 0; q < 3; q++) sums[q] += v[q];
            for (uint32_t j = 0; j < b; j++) sat += saturated(dl[j]) + saturated(du[j]);
            outputs += 2.0 * b;
            st->steps++, st->images += 2ull * b;
            if (pr) pr->step(pr->user, e + 1, epochs, k + 1, steps, sums[0] / (double)st->steps, st->images);
        }
    }
    double n = st->steps ? (double)st->steps : NAN;
    st->loss = sums[0] / n, st->d_loss = sums[1] / n, st->penalty = sums[2] / n;
    st->saturated = outputs > 0 ? sat / outputs : NAN;
    free(perm), free(li), free(ui), free(alpha), free(dl), free(du);
    return rc;
}

int al_predict(al_model *m, const uint32_t *ids, uint32_t n, float *probs, float *d) {
    for (uint32_t at = 0; at < n; at += m->s->eval_batch) {
        if (cli_interrupted) return EXIT_INTERRUPTED;
        uint32_t b = min_u32(m->s->eval_batch, n - at);
        if (alvk_graph_set(m->predict, m->pred_idx, ids + at, b * sizeof *ids, b) != ALVK_OK ||
            alvk_graph_run(m->predict, b) != ALVK_OK ||
            alvk_graph_read(m->predict, m->pred_logits, probs + (size_t)at * m->s->classes,
                            (size_t)b * m->s->classes * sizeof *probs) != ALVK_OK ||
            (d && alvk_graph_read(m->predict, m->pred_d, d + at, b * sizeof *d) != ALVK_OK))
            return fail("predicting");
    }
    al_softmax_rows(probs, n, m->s->classes);
    return EXIT_OK;
}
