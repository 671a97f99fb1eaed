/* The active-learning pool's bookkeeping and the strategies' selection
 * rules: plain host code over scores, so each rule is tested on its own. */
#include "al.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int al_pool_init(al_pool *p, uint32_t size) {
    memset(p, 0, sizeof *p);
    p->size = size;
    p->annotated = calloc(size ? size : 1, 1);
    p->order = malloc((size ? size : 1) * sizeof *p->order);
    if (!p->annotated || !p->order) {
        al_pool_free(p);
        fprintf(stderr, "alvk: out of memory for a pool of %u images\n", size);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

void al_pool_free(al_pool *p) {
    free(p->annotated);
    free(p->order);
    memset(p, 0, sizeof *p);
}

uint32_t al_pool_unannotated(const al_pool *p, uint32_t *out) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->size; i++)
        if (!p->annotated[i]) out[n++] = i;
    return n;
}

static int annotate(al_pool *p, uint32_t image) {
    if (image >= p->size) {
        fprintf(stderr, "alvk: image %u is outside the pool of %u images\n", image, p->size);
        return EXIT_FAILED;
    }
    if (p->annotated[image]) {
        fprintf(stderr, "alvk: pool image %u is annotated already\n", image);
        return EXIT_FAILED;
    }
    p->annotated[image] = 1;
    p->order[p->count++] = image;
    return EXIT_OK;
}

int al_pool_annotate_images(al_pool *p, const uint32_t *images, uint32_t n) {
    int rc = EXIT_OK;
    for (uint32_t k = 0; k < n && rc == EXIT_OK; k++) rc = annotate(p, images[k]);
    return rc;
}

int al_pool_annotate_positions(al_pool *p, const uint32_t *positions, uint32_t n) {
    uint32_t *free_list = malloc((p->size ? p->size : 1) * sizeof *free_list);
    if (!free_list) {
        fprintf(stderr, "alvk: out of memory\n");
        return EXIT_FAILED;
    }
    uint32_t left = al_pool_unannotated(p, free_list);
    int rc = EXIT_OK;
    /* Positions refer to the list before this call: check them all first. */
    for (uint32_t k = 0; k < n && rc == EXIT_OK; k++)
        if (positions[k] >= left) {
            fprintf(stderr, "alvk: position %u is past the %u unannotated images\n", positions[k], left);
            rc = EXIT_FAILED;
        }
    for (uint32_t k = 0; k < n && rc == EXIT_OK; k++) rc = annotate(p, free_list[positions[k]]);
    free(free_list);
    return rc;
}

int al_pool_annotate_random(al_pool *p, uint32_t n, uint64_t seed, uint64_t stream) {
    uint32_t left = p->size - p->count, *pos = malloc((n ? n : 1) * sizeof *pos);
    if (!pos) {
        fprintf(stderr, "alvk: out of memory\n");
        return EXIT_FAILED;
    }
    if (n > left) {
        free(pos);
        fprintf(stderr, "alvk: %u images to annotate, %u left unannotated\n", n, left);
        return EXIT_FAILED;
    }
    al_pick_uniform(left, n, seed, stream, pos);
    int rc = al_pool_annotate_positions(p, pos, n);
    free(pos);
    return rc;
}

static const char *const names[AL_STRATEGIES] = {"uniform", "margin", "least-confidence", "entropy",
                                                 "adversarial"};

const char *al_strategy_name(al_strategy s) { return s < AL_STRATEGIES ? names[s] : "?"; }

int al_strategy_find(const char *name) {
    for (int s = 0; s < AL_STRATEGIES; s++)
        if (strcmp(name, names[s]) == 0) return s;
    return -1;
}

void al_softmax_rows(float *x, uint32_t n, uint32_t classes) {
    for (uint32_t r = 0; r < n; r++) {
        float *row = x + (size_t)r * classes;
        double mx = row[0], sum = 0;
        for (uint32_t c = 1; c < classes; c++) mx = row[c] > mx ? row[c] : mx;
        for (uint32_t c = 0; c < classes; c++) sum += exp(row[c] - mx);
        for (uint32_t c = 0; c < classes; c++) row[c] = (float)(exp(row[c] - mx) / sum);
    }
}

void al_uncertainty_scores(al_strategy s, const float *probs, uint32_t n, uint32_t classes,
                           double *score) {
    for (uint32_t r = 0; r < n; r++) {
        const float *p = probs + (size_t)r * classes;
        double top1 = -1, top2 = -1, entropy = 0;
        for (uint32_t c = 0; c < classes; c++) {
            double v = p[c];
            if (v > top1) top2 = top1, top1 = v;
            else if (v > top2) top2 = v;
            if (v > 0) entropy -= v * log(v);
        }
        score[r] = s == AL_LEAST_CONFIDENCE ? top1 : s == AL_ENTROPY ? -entropy : top1 - top2;
    }
}

void al_adversarial_scores(const double *margin, const float *d, uint32_t n, double *score) {
    for (uint32_t r = 0; r < n; r++) score[r] = 0.3 * margin[r] + 0.7 * (double)d[r];
}

uint32_t al_joint_length(uint32_t n_l, uint32_t n_u) { return n_l > n_u ? n_l : n_u; }

uint32_t al_joint_batch(const uint32_t *labeled, uint32_t n_l, const uint32_t *unlabeled, uint32_t n_u,
                        const uint32_t *perm, uint32_t k, uint32_t batch, uint32_t *li, uint32_t *ui) {
    uint32_t len = al_joint_length(n_l, n_u), at = k * batch;
    uint32_t b = at >= len ? 0 : len - at < batch ? len - at : batch;
    for (uint32_t j = 0; j < b; j++) {
        uint32_t item = perm[at + j];
        li[j] = labeled[item % n_l], ui[j] = unlabeled[item % n_u];
    }
    return b;
}

/* qsort has no context argument: sort (score, position) pairs instead. */
typedef struct scored {
    double score;
    uint32_t position;
} scored;

static int by_score(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return x->position < y->position ? -1 : x->position > y->position;
}

void al_pick_smallest(const double *score, uint32_t n, uint32_t k, uint32_t *positions) {
    scored *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) { /* cannot happen at the sizes used; pick the first k rather than crash */
        for (uint32_t i = 0; i < k; i++) positions[i] = i;
        return;
    }
    for (uint32_t i = 0; i < n; i++) v[i] = (scored){isnan(score[i]) ? INFINITY : score[i], i};
    qsort(v, n, sizeof *v, by_score);
    for (uint32_t i = 0; i < k && i < n; i++) positions[i] = v[i].position;
    free(v);
}

void al_pick_uniform(uint32_t n, uint32_t k, uint64_t seed, uint64_t stream, uint32_t *positions) {
    uint32_t *all = malloc((n ? n : 1) * sizeof *all);
    if (!all) return;
    for (uint32_t i = 0; i < n; i++) all[i] = i;
    cli_shuffle(all, n, seed, stream);
    memcpy(positions, all, (k < n ? k : n) * sizeof *positions);
    free(all);
}
