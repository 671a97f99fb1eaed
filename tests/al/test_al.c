/* Active learning's host-side parts: the pool's bookkeeping, each
 * strategy's selection on synthetic scores, the adversarial joint dataset,
 * and the state file's round trip. No device needed. */
#include "al.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(al, random_annotation_never_repeats_and_counts) {
    al_pool p;
    cr_assert_eq(al_pool_init(&p, 100), EXIT_OK);
    cr_assert_eq(al_pool_annotate_random(&p, 30, 7, 1), EXIT_OK);
    cr_assert_eq(al_pool_annotate_random(&p, 70, 7, 2), EXIT_OK);
    cr_expect_eq(p.count, 100);
    int seen[100] = {0};
    for (uint32_t i = 0; i < p.count; i++) seen[p.order[i]]++;
    for (int i = 0; i < 100; i++) cr_expect_eq(seen[i], 1, "image %d annotated %d times", i, seen[i]);
    cr_expect_eq(al_pool_annotate_random(&p, 1, 7, 3), EXIT_FAILED, "nothing left to annotate");
    al_pool_free(&p);
}

Test(al, random_annotation_is_seeded) {
    al_pool a, b, c;
    cr_assert(al_pool_init(&a, 1000) == EXIT_OK && al_pool_init(&b, 1000) == EXIT_OK &&
              al_pool_init(&c, 1000) == EXIT_OK);
    cr_assert(al_pool_annotate_random(&a, 50, 1, 9) == EXIT_OK && al_pool_annotate_random(&b, 50, 1, 9) == EXIT_OK);
    cr_assert_eq(al_pool_annotate_random(&c, 50, 2, 9), EXIT_OK);
    cr_expect(memcmp(a.order, b.order, 50 * sizeof *a.order) == 0, "same seed, same images");
    cr_expect(memcmp(a.order, c.order, 50 * sizeof *a.order) != 0, "another seed, other images");
    al_pool_free(&a), al_pool_free(&b), al_pool_free(&c);
}

Test(al, annotation_by_position_in_the_unannotated_list) {
    al_pool p;
    cr_assert_eq(al_pool_init(&p, 10), EXIT_OK);
    cr_assert_eq(al_pool_annotate_images(&p, (uint32_t[]){2, 5}, 2), EXIT_OK);
    uint32_t free_list[10];
    cr_expect_eq(al_pool_unannotated(&p, free_list), 8);
    cr_expect_eq(free_list[2], 3, "positions skip the annotated");
    /* positions 0 and 4 of {0,1,3,4,6,7,8,9} are images 0 and 6 */
    cr_assert_eq(al_pool_annotate_positions(&p, (uint32_t[]){4, 0}, 2), EXIT_OK);
    cr_expect_eq(p.count, 4);
    cr_expect(p.order[2] == 6 && p.order[3] == 0, "annotated in the order given: %u %u", p.order[2], p.order[3]);
    cr_expect_eq(al_pool_annotate_positions(&p, (uint32_t[]){6}, 1), EXIT_FAILED,
                 "only 6 left: position 6 is out of range");
    cr_expect_eq(al_pool_annotate_images(&p, (uint32_t[]){2}, 1), EXIT_FAILED, "image 2 is annotated already");
    al_pool_free(&p);
}

/* Three rows of four classes: confident, torn between two, spread out. */
static const float probs[12] = {0.97f, 0.01f, 0.01f, 0.01f,  /* margin 0.96 */
                                0.45f, 0.44f, 0.06f, 0.05f,  /* margin 0.01 */
                                0.40f, 0.20f, 0.20f, 0.20f}; /* margin 0.20, highest entropy */

Test(al, uncertainty_strategies_rank_the_most_uncertain_first) {
    double score[3];
    uint32_t pick[3];
    al_uncertainty_scores(AL_MARGIN, probs, 3, 4, score);
    cr_expect(fabs(score[1] - 0.01) < 1e-6);
    al_pick_smallest(score, 3, 3, pick);
    cr_expect(pick[0] == 1 && pick[1] == 2 && pick[2] == 0, "margin: %u %u %u", pick[0], pick[1], pick[2]);
    al_uncertainty_scores(AL_LEAST_CONFIDENCE, probs, 3, 4, score);
    al_pick_smallest(score, 3, 1, pick);
    cr_expect_eq(pick[0], 2, "least confidence: the lowest top probability");
    al_uncertainty_scores(AL_ENTROPY, probs, 3, 4, score);
    al_pick_smallest(score, 3, 1, pick);
    cr_expect_eq(pick[0], 2, "entropy: the flattest distribution");
}

Test(al, adversarial_score_weighs_margin_0_3_and_the_discriminator_0_7) {
    double margin[3] = {0.9, 0.1, 0.5}, score[3];
    float d[3] = {0.0f, 1.0f, 0.2f};
    al_adversarial_scores(margin, d, 3, score);
    cr_expect(fabs(score[0] - 0.27) < 1e-7 && fabs(score[1] - 0.73) < 1e-7 && fabs(score[2] - 0.29) < 1e-7,
              "%g %g %g", score[0], score[1], score[2]);
    uint32_t pick[2];
    al_pick_smallest(score, 3, 2, pick);
    cr_expect(pick[0] == 0 && pick[1] == 2, "smallest first: %u %u", pick[0], pick[1]);
}

Test(al, ties_and_nan_scores_are_ordered) {
    double score[4] = {0.5, NAN, 0.5, 0.1};
    uint32_t pick[4];
    al_pick_smallest(score, 4, 4, pick);
    cr_expect(pick[0] == 3 && pick[1] == 0 && pick[2] == 2 && pick[3] == 1, "%u %u %u %u", pick[0], pick[1],
              pick[2], pick[3]);
}

Test(al, uniform_picks_without_repeats_and_seeded) {
    uint32_t a[40], b[40], c[40];
    al_pick_uniform(50, 40, 3, 1, a);
    al_pick_uniform(50, 40, 3, 1, b);
    al_pick_uniform(50, 40, 4, 1, c);
    int seen[50] = {0};
    for (int i = 0; i < 40; i++) {
        cr_assert_lt(a[i], 50);
        seen[a[i]]++;
    }
    for (int i = 0; i < 50; i++) cr_expect_leq(seen[i], 1);
    cr_expect(memcmp(a, b, sizeof a) == 0);
    cr_expect(memcmp(a, c, sizeof a) != 0);
}

Test(al, the_joint_dataset_spans_the_longer_side_and_recycles_the_shorter) {
    uint32_t lab[3] = {100, 101, 102}, unl[7] = {0, 1, 2, 3, 4, 5, 6}, perm[7], li[4], ui[4];
    cr_expect_eq(al_joint_length(3, 7), 7);
    cr_expect_eq(al_joint_length(9, 7), 9);
    for (uint32_t i = 0; i < 7; i++) perm[i] = 6 - i;
    cr_expect_eq(al_joint_batch(lab, 3, unl, 7, perm, 0, 4, li, ui), 4);
    cr_expect(ui[0] == 6 && li[0] == 100, "item 6: unlabeled 6, labeled 6 %% 3 = 0: %u %u", ui[0], li[0]);
    cr_expect(ui[1] == 5 && li[1] == 102);
    cr_expect_eq(al_joint_batch(lab, 3, unl, 7, perm, 1, 4, li, ui), 3, "the last batch is short");
    cr_expect(ui[2] == 0 && li[2] == 100);
    cr_expect_eq(al_joint_batch(lab, 3, unl, 7, perm, 2, 4, li, ui), 0);
}

Test(al, softmax_rows_sum_to_one) {
    float x[6] = {1, 2, 3, 1000, 1000, -1000};
    al_softmax_rows(x, 2, 3);
    cr_expect(fabsf(x[0] + x[1] + x[2] - 1) < 1e-6f && x[2] > x[1] && x[1] > x[0]);
    cr_expect(fabsf(x[3] - 0.5f) < 1e-6f && x[5] == 0.0f, "large logits do not overflow");
}

Test(al, state_round_trips_and_damage_is_reported) {
    char dir[] = "/tmp/alvk-al-XXXXXX";
    cr_assert(mkdtemp(dir));
    al_config c = {.strategies = 1 << AL_UNIFORM | 1 << AL_ADVERSARIAL, .budget = 10, .max_budget = 40,
                   .trials = 2, .adversarial_trials = 1, .epochs = 1, .adversarial_epochs = 1, .batch = 8,
                   .lr = 1e-3};
    al_state st = {.baseline = 0.987654321};
    snprintf(st.config, sizeof st.config, "--budget 10 --max-budget 40");
    /* Added out of order (as ranks finish them): kept by strategy, trial, round. */
    al_record r = {AL_ADVERSARIAL, 0, 1, 20, 0.75, 0.8, 0.5, 70, 2, 3, 1, 0.33, 0.99, 1, 0, NULL};
    cr_assert_eq(al_state_add(&st, &r), EXIT_OK);
    r = (al_record){AL_UNIFORM, 0, 0, 10, 0.5, 0.625, 1.25, 7, 1.5, 0.5, 0.25, NAN, NAN, NAN, 3, (uint32_t[]){5, 9, 1}};
    cr_assert_eq(al_state_add(&st, &r), EXIT_OK);
    cr_expect_eq(al_state_add(&st, &r), EXIT_FAILED, "the same round twice");
    cr_assert_eq(al_save(dir, &st, &c, "a device", "a driver"), EXIT_OK);
    al_state back;
    int found;
    cr_assert_eq(al_state_load(dir, &back, &found), EXIT_OK);
    cr_assert(found);
    cr_expect_str_eq(back.config, st.config);
    cr_expect(back.baseline == st.baseline);
    cr_expect_eq(back.nrecords, 2);
    cr_expect(back.records[0].strategy == AL_UNIFORM && back.records[0].npicked == 3 && back.records[0].picked[2] == 1);
    cr_expect(back.records[1].accuracy == 0.75 && back.records[1].penalty == 0.99 && back.records[1].steps == 70 &&
              back.records[1].eval_s == 3 && back.records[1].npicked == 0);
    cr_expect(isnan(back.records[0].d_loss), "NaN survives the round trip");
    al_state_free(&back);
    static const char *const files[] = {"results.json", "results.csv", "summary.md", "accuracy.svg",
                                        "labels_needed.svg"};
    char path[256];
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        cr_expect_eq(access(path, R_OK), 0, "%s written", files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/state.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("alvk-run-state 2\nconfig x\ndone 0\nnext 0 0\n", f);
    fclose(f);
    cr_expect_eq(al_state_load(dir, &back, &found), EXIT_USAGE, "a truncated state is damaged, not empty");
    f = fopen(path, "w");
    fputs("alvk-run-state 3\nconfig x\ndone 0\nbaseline -1\nrecords 1\n0 0 0 10 0.5 0.5 1 7 1 1 1 nan nan nan "
          "picked 3 5 9\n", f);
    fclose(f);
    cr_expect_eq(al_state_load(dir, &back, &found), EXIT_USAGE, "a short list of picks is damaged");
    unlink(path);
    cr_expect(al_state_load(dir, &back, &found) == EXIT_OK && !found, "no state at all");
    rmdir(dir);
    al_state_free(&st);
}

Test(al, labels_needed_counts_a_level_never_reached_as_the_max_budget) {
    al_config c = {.strategies = 1, .budget = 10, .max_budget = 40};
    al_state st = {0};
    al_record r = {.strategy = AL_UNIFORM};
    double acc[2][3] = {{0.5, 0.92, 0.95}, {0.91, 0.93, 0.94}};
    for (uint32_t t = 0; t < 2; t++)
        for (uint32_t k = 0; k < 3; k++) {
            r.trial = t, r.round = k, r.annotated = 10 * (k + 1), r.accuracy = acc[t][k];
            cr_assert_eq(al_state_add(&st, &r), EXIT_OK);
        }
    cr_expect(fabs(al_labels_needed(&st, &c, AL_UNIFORM, 0.90, 0) - 15) < 1e-9, "(20 + 10) / 2");
    cr_expect(fabs(al_labels_needed(&st, &c, AL_UNIFORM, 0.945, 0) - 35) < 1e-9, "(30 + 40) / 2");
    double m, lo, hi;
    cr_expect_eq(al_accuracy_at(&st, AL_UNIFORM, 0, 0, &m, &lo, &hi), 2);
    cr_expect(fabs(m - 0.705) < 1e-12 && lo == 0.5 && hi == 0.91);
    al_state_free(&st);
}
