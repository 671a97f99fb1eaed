/* An experiment's records on disk: the state a run resumes from
 * (state.txt), the results for people and programs (results.json,
 * results.csv, summary.md) and the plots, all rewritten atomically after
 * every round. */
#include "al.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint32_t al_rounds(const al_config *c) { return c->max_budget / c->budget - 1; }

/* Orders records strategy by strategy, trial by trial, round by round. */
static int record_cmp(const al_record *a, const al_record *b) {
    if (a->strategy != b->strategy) return a->strategy < b->strategy ? -1 : 1;
    if (a->trial != b->trial) return a->trial < b->trial ? -1 : 1;
    return a->round < b->round ? -1 : a->round > b->round;
}

static int out_of_memory(const char *what) {
    fprintf(stderr, "alvk: out of memory %s\n", what);
    return EXIT_FAILED;
}

int al_state_add(al_state *st, const al_record *r) {
    uint32_t at = st->nrecords;
    while (at > 0 && record_cmp(&st->records[at - 1], r) > 0) at--;
    if (at > 0 && record_cmp(&st->records[at - 1], r) == 0) {
        fprintf(stderr, "alvk: %s trial %u round %u recorded twice\n", al_strategy_name(r->strategy), r->trial + 1,
                r->round + 1);
        return EXIT_FAILED;
    }
    if (st->nrecords == st->cap) {
        uint32_t cap = st->cap ? 2 * st->cap : 64;
        al_record *grown = realloc(st->records, cap * sizeof *grown);
        if (!grown) return out_of_memory("for the records");
        st->records = grown, st->cap = cap;
    }
    al_record copy = *r;
    copy.picked = NULL;
    if (r->npicked && !(copy.picked = malloc(r->npicked * sizeof *copy.picked)))
        return out_of_memory("for the records");
    if (r->npicked) memcpy(copy.picked, r->picked, r->npicked * sizeof *copy.picked);
    memmove(st->records + at + 1, st->records + at, (st->nrecords - at) * sizeof *st->records);
    st->records[at] = copy;
    st->nrecords++;
    return EXIT_OK;
}

void al_state_free(al_state *st) {
    for (uint32_t i = 0; i < st->nrecords; i++) free(st->records[i].picked);
    free(st->records);
    free(st->v2_annotated);
    memset(st, 0, sizeof *st);
}

void al_printf(al_text *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = t->failed ? 0 : vsnprintf(t->s ? t->s + t->len : NULL, t->s ? room : 0, fmt, ap);
        va_end(ap);
        if (t->failed || n < 0) {
            t->failed = 1;
            return;
        }
        if (t->s && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            t->failed = 1;
            return;
        }
        t->s = grown, t->cap = cap;
    }
}

int al_write_atomic(const char *path, const char *text, size_t len) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok = fd >= 0;
    for (size_t at = 0; ok && at < len;) {
        ssize_t n = write(fd, text + at, len - at);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        at += ok ? (size_t)n : 0;
    }
    ok = ok && fsync(fd) == 0;
    if (fd >= 0) ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "alvk: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    return ok ? EXIT_OK : EXIT_FAILED;
}

/* Writes t to dir/name; frees it unless kept for the report. */
static int write_text(const char *dir, const char *name, al_text *t, int keep) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = t->failed ? out_of_memory(name) : al_write_atomic(path, t->s ? t->s : "", t->len);
    if (!keep) {
        free(t->s);
        *t = (al_text){0};
    }
    return rc;
}

/* ---- statistics across trials ----------------------------------------------- */

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int al_accuracy_at(const al_state *st, int s, uint32_t round, int recal, double *median, double *lo,
                   double *hi) {
    double v[1024];
    int n = 0;
    for (uint32_t i = 0; i < st->nrecords && n < 1024; i++) {
        const al_record *r = &st->records[i];
        if (r->strategy == s && r->round == round) v[n++] = recal ? r->accuracy_recal : r->accuracy;
    }
    if (!n) return 0;
    qsort(v, (size_t)n, sizeof *v, by_value);
    *median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    *lo = v[0], *hi = v[n - 1];
    return n;
}

double al_labels_needed(const al_state *st, const al_config *c, int s, double level, int recal) {
    double sum = 0;
    int trials = 0;
    for (uint32_t t = 0; t < 1000; t++) {
        int seen = 0;
        double need = c->max_budget;
        for (uint32_t i = 0; i < st->nrecords; i++) {
            const al_record *r = &st->records[i];
            if (r->strategy != s || r->trial != t) continue;
            seen = 1;
            if ((recal ? r->accuracy_recal : r->accuracy) > level && r->annotated < need) need = r->annotated;
        }
        if (!seen) continue; /* under MPI trials finish in any order */
        sum += need, trials++;
    }
    return trials ? sum / trials : NAN;
}

/* The area under the median accuracy-vs-labels curve divided by the label
 * range: the mean accuracy over the run, in [0, 1]. */
static double area(const al_state *st, const al_config *c, int s) {
    double a = 0, prev = NAN, m, lo, hi;
    uint32_t first = 0, last = 0, rounds = al_rounds(c);
    for (uint32_t k = 0; k < rounds; k++) {
        if (!al_accuracy_at(st, s, k, 1, &m, &lo, &hi)) break;
        uint32_t x = c->budget * (k + 1);
        if (k == 0) first = x;
        else a += (x - last) * 0.5 * (prev + m);
        prev = m, last = x;
    }
    if (isnan(prev)) return NAN;
    return last > first ? a / (last - first) : prev;
}

/* ---- state.txt ----------------------------------------------------------------- */

/* Version 3: the records, each with the training-set images its round
 * picked, from which a job's pool in progress is rebuilt. */
static void state_text(const al_state *st, al_text *t) {
    al_printf(t, "alvk-run-state 3\nconfig %s\ndone %d\nbaseline %.17g\nrecords %u\n", st->config, st->done,
              st->baseline, st->nrecords);
    for (uint32_t i = 0; i < st->nrecords; i++) {
        const al_record *r = &st->records[i];
        al_printf(t, "%d %u %u %u %.17g %.17g %.17g %llu %.6f %.6f %.6f %.17g %.17g %.17g picked %u", r->strategy,
                  r->trial, r->round, r->annotated, r->accuracy, r->accuracy_recal, r->train_loss,
                  (unsigned long long)r->steps, r->train_s, r->eval_s, r->query_s, r->d_loss, r->penalty,
                  r->saturated, r->npicked);
        for (uint32_t k = 0; k < r->npicked; k++) al_printf(t, " %u", r->picked[k]);
        al_printf(t, "\n");
    }
}

static int damaged(const char *path, const char *why) {
    fprintf(stderr, "alvk: %s is damaged (%s); move it away to start over\n", path, why);
    return -1;
}

/* A record line: 14 fields, then (version 3) "picked N" and N images. */
static int read_record(FILE *f, int version, al_record *r, const char *path) {
    unsigned long long steps;
    memset(r, 0, sizeof *r);
    if (fscanf(f, "%d %u %u %u %lf %lf %lf %llu %lf %lf %lf %lf %lf %lf", &r->strategy, &r->trial, &r->round,
               &r->annotated, &r->accuracy, &r->accuracy_recal, &r->train_loss, &steps, &r->train_s,
               &r->eval_s, &r->query_s, &r->d_loss, &r->penalty, &r->saturated) != 14 ||
        r->strategy < 0 || r->strategy >= AL_STRATEGIES)
        return damaged(path, "a bad record");
    r->steps = steps;
    if (version < 3) return 1;
    if (fscanf(f, " picked %u", &r->npicked) != 1 || r->npicked > 60000000u) return damaged(path, "a bad record");
    if (r->npicked && !(r->picked = malloc(r->npicked * sizeof *r->picked))) return damaged(path, "out of memory");
    for (uint32_t k = 0; k < r->npicked; k++)
        if (fscanf(f, "%u", &r->picked[k]) != 1) return damaged(path, "a short list of picked images");
    return 1;
}

/* Version 2's position and pool in progress (run_jobs.c turns them into the
 * picks version 3 records). */
static int read_v2_position(FILE *f, al_state *st, const char *path) {
    unsigned n = 0;
    if (fscanf(f, "done %d\nnext %d %u %u\nbaseline %lf\nannotated %u", &st->done, &st->v2_strategy,
               &st->v2_trial, &st->v2_round, &st->baseline, &n) != 6 || n > 60000000u)
        return damaged(path, "bad position lines");
    if (!(st->v2_annotated = malloc((n ? n : 1) * sizeof *st->v2_annotated))) return damaged(path, "out of memory");
    st->v2_annotated_count = n;
    for (uint32_t i = 0; i < n; i++)
        if (fscanf(f, "%u", &st->v2_annotated[i]) != 1) return damaged(path, "short annotation list");
    return 1;
}

int al_state_load(const char *out, al_state *st, int *found) {
    char path[4096];
    snprintf(path, sizeof path, "%s/state.txt", out);
    memset(st, 0, sizeof *st);
    *found = 0;
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? EXIT_OK : (damaged(path, strerror(errno)), EXIT_USAGE);
    int version = 0, rc = 1;
    unsigned n = 0;
    char line[1200];
    if (fscanf(f, "alvk-run-state %d\n", &version) != 1 || (version != 2 && version != 3))
        rc = damaged(path, "not a version 2 or 3 state file");
    if (rc > 0 && (!fgets(line, sizeof line, f) || strncmp(line, "config ", 7) != 0)) rc = damaged(path, "no config line");
    if (rc > 0) {
        line[strcspn(line, "\n")] = 0;
        if (strlen(line + 7) >= sizeof st->config) rc = damaged(path, "config line too long");
        else memcpy(st->config, line + 7, strlen(line + 7) + 1);
    }
    if (rc > 0 && version == 2) rc = read_v2_position(f, st, path);
    if (rc > 0 && version == 3 && fscanf(f, "done %d\nbaseline %lf", &st->done, &st->baseline) != 2)
        rc = damaged(path, "bad done or baseline line");
    if (rc > 0 && fscanf(f, " records %u", &n) != 1) rc = damaged(path, "no records line");
    for (uint32_t i = 0; rc > 0 && i < n; i++) {
        al_record r;
        rc = read_record(f, version, &r, path);
        if (rc > 0 && al_state_add(st, &r) != EXIT_OK) rc = damaged(path, "the line above");
        free(r.picked);
    }
    fclose(f);
    if (rc < 0) {
        al_state_free(st);
        return EXIT_USAGE;
    }
    *found = 1;
    return EXIT_OK;
}

/* ---- results.json and results.csv -------------------------------------------------- */

/* A JSON number, or null for NaN (JSON has no NaN). */
static void json_num(al_text *t, const char *key, double v, const char *sep) {
    if (isfinite(v)) al_printf(t, "\"%s\": %.10g%s", key, v, sep);
    else al_printf(t, "\"%s\": null%s", key, sep);
}

static void json_str(al_text *t, const char *s) {
    al_printf(t, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') al_printf(t, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) al_printf(t, "\\u%04x", *s);
        else al_printf(t, "%c", *s);
    }
    al_printf(t, "\"");
}

static void results_json(const al_state *st, const al_config *c, const char *device, const char *driver,
                         al_text *t) {
    al_printf(t, "{\n  \"alvk_version\": ");
    json_str(t, alvk_version());
    al_printf(t, ",\n  \"device\": {\"name\": ");
    json_str(t, device);
    al_printf(t, ", \"driver\": ");
    json_str(t, driver);
    al_printf(t, "},\n  \"config\": {\"strategies\": [");
    const char *sep = "";
    for (int s = 0; s < AL_STRATEGIES; s++)
        if (c->strategies >> s & 1) al_printf(t, "%s\"%s\"", sep, al_strategy_name(s)), sep = ", ";
    al_printf(t, "], \"budget\": %u, \"max_budget\": %u, \"rounds\": %u, \"trials\": %u, "
              "\"adversarial_trials\": %u, \"epochs\": %u, \"adversarial_epochs\": %u, \"batch_size\": %u, "
              "\"lr\": %.10g, \"seed\": %u, \"pool_size\": %u, \"test_size\": %u, \"baseline_epochs\": %u, "
              "\"bn_recalibrate\": %s, \"discriminator_init\": \"%s\", \"flags\": ",
              c->budget, c->max_budget, al_rounds(c), c->trials, c->adversarial_trials, c->epochs,
              c->adversarial_epochs, c->batch, c->lr, c->seed, c->pool_size, c->test_size, c->baseline_epochs,
              c->bn_recalibrate ? "true" : "false", c->discriminator_default_init ? "default" : "kaiming");
    json_str(t, st->config);
    al_printf(t, "},\n  ");
    json_num(t, "baseline_accuracy", st->baseline >= 0 ? st->baseline : NAN, ",\n");
    al_printf(t, "  \"complete\": %s,\n  \"records\": [", st->done ? "true" : "false");
    for (uint32_t i = 0; i < st->nrecords; i++) {
        const al_record *r = &st->records[i];
        al_printf(t, "%s\n    {\"strategy\": \"%s\", \"trial\": %u, \"round\": %u, \"annotated\": %u, ",
                  i ? "," : "", al_strategy_name(r->strategy), r->trial, r->round, r->annotated);
        json_num(t, "test_accuracy", r->accuracy, ", ");
        json_num(t, "test_accuracy_recalibrated", r->accuracy_recal, ", ");
        json_num(t, "train_loss", r->train_loss, ", ");
        al_printf(t, "\"steps\": %llu, ", (unsigned long long)r->steps);
        json_num(t, "train_seconds", r->train_s, ", ");
        json_num(t, "eval_seconds", r->eval_s, ", ");
        json_num(t, "query_seconds", r->query_s, ", ");
        json_num(t, "discriminator_loss", r->d_loss, ", ");
        json_num(t, "gradient_penalty", r->penalty, ", ");
        json_num(t, "discriminator_saturated", r->saturated, ", ");
        al_printf(t, "\"selected\": [");
        for (uint32_t k = 0; k < r->npicked; k++) al_printf(t, "%s%u", k ? ", " : "", r->picked[k]);
        al_printf(t, "]}");
    }
    al_printf(t, "\n  ]\n}\n");
}

static void csv_num(al_text *t, double v, const char *sep) {
    if (isfinite(v)) al_printf(t, "%.10g%s", v, sep);
    else al_printf(t, "%s", sep);
}

static void results_csv(const al_state *st, al_text *t) {
    al_printf(t, "strategy,trial,round,annotated,test_accuracy,test_accuracy_recalibrated,train_loss,steps,"
              "train_seconds,eval_seconds,query_seconds,discriminator_loss,gradient_penalty,discriminator_saturated\n");
    for (uint32_t i = 0; i < st->nrecords; i++) {
        const al_record *r = &st->records[i];
        al_printf(t, "%s,%u,%u,%u,", al_strategy_name(r->strategy), r->trial, r->round, r->annotated);
        csv_num(t, r->accuracy, ",");
        csv_num(t, r->accuracy_recal, ",");
        csv_num(t, r->train_loss, ",");
        al_printf(t, "%llu,", (unsigned long long)r->steps);
        csv_num(t, r->train_s, ",");
        csv_num(t, r->eval_s, ",");
        csv_num(t, r->query_s, ",");
        csv_num(t, r->d_loss, ",");
        csv_num(t, r->penalty, ",");
        csv_num(t, r->saturated, "\n");
    }
}

/* ---- summary.md ------------------------------------------------------------------- */

static void accuracy_table(const al_state *st, const al_config *c, int recal, al_text *t) {
    al_printf(t, "| labels |");
    for (int s = 0; s < AL_STRATEGIES; s++)
        if (c->strategies >> s & 1) al_printf(t, " %s |", al_strategy_name(s));
    al_printf(t, "\n|---:|");
    for (int s = 0; s < AL_STRATEGIES; s++)
        if (c->strategies >> s & 1) al_printf(t, "---:|");
    al_printf(t, "\n");
    for (uint32_t k = 0; k < al_rounds(c); k++) {
        al_printf(t, "| %u |", c->budget * (k + 1));
        for (int s = 0; s < AL_STRATEGIES; s++) {
            if (!(c->strategies >> s & 1)) continue;
            double m, lo, hi;
            int n = al_accuracy_at(st, s, k, recal, &m, &lo, &hi);
            if (!n) al_printf(t, " |");
            else if (n == 1) al_printf(t, " %.2f |", 100 * m);
            else al_printf(t, " %.2f (%.2f-%.2f) |", 100 * m, 100 * lo, 100 * hi);
        }
        al_printf(t, "\n");
    }
}

/* The two effects the notebook hides, stated when this run shows them. */
static void effects(const al_state *st, const al_config *c, al_text *t) {
    double gap = 0, worst_gap = -1, worst_sat = 0;
    uint32_t worst_at = 0;
    int rounds = 0, adversarial = 0;
    for (uint32_t i = 0; i < st->nrecords; i++) {
        const al_record *r = &st->records[i];
        double g = r->accuracy_recal - r->accuracy;
        gap += g, rounds++;
        if (g > worst_gap) worst_gap = g, worst_at = r->annotated;
        if (r->strategy == AL_ADVERSARIAL && isfinite(r->saturated)) {
            adversarial++;
            if (r->saturated > worst_sat) worst_sat = r->saturated;
        }
    }
    al_printf(t, "\n## What the notebook hides\n\n");
    if (rounds && gap / rounds > 0.05)
        al_printf(t, "- **Stale batch-norm statistics.** The notebook's evaluation (running statistics) lags the "
                  "accuracy with statistics recomputed over the labeled set by %.1f points on average over %d "
                  "rounds, by %.1f at %u labels: with few labels per batch (%u), training leaves running "
                  "statistics that do not describe the data. %s\n", 100 * gap / rounds, rounds, 100 * worst_gap,
                  worst_at, c->batch,
                  c->bn_recalibrate ? "This run recalibrated (--bn-recalibrate): the queries used the recomputed "
                                      "statistics." : "--bn-recalibrate uses the recomputed statistics.");
    else if (rounds)
        al_printf(t, "- Batch-norm statistics: recomputing them over the labeled set changed the accuracy by %.1f "
                  "points on average: no stale-statistics effect here.\n", 100 * gap / rounds);
    if (adversarial && worst_sat > 0.5)
        al_printf(t, "- **A saturated discriminator.** Up to %.0f %% of D's outputs were within 1e-6 of 0 or 1: its "
                  "gradient penalty is constant and it does not learn, so the adversarial query ranks by margin "
                  "alone. --discriminator-init default (PyTorch's Linear init) avoids it.\n", 100 * worst_sat);
    else if (adversarial)
        al_printf(t, "- The discriminator was not saturated (at most %.0f %% of its outputs at 0 or 1).\n",
                  100 * worst_sat);
}

const char *al_dataset_name(const al_config *c) { return c->dataset && *c->dataset ? c->dataset : "mnist"; }

void al_headline(const al_state *st, const al_config *c, al_text *t) {
    int order[AL_STRATEGIES], n = 0;
    double best[AL_STRATEGIES] = {0};
    uint32_t labels[AL_STRATEGIES] = {0};
    for (int s = 0; s < AL_STRATEGIES; s++) {
        double m, lo, hi;
        int have = 0;
        for (uint32_t k = 0; k < al_rounds(c); k++)
            if (al_accuracy_at(st, s, k, 1, &m, &lo, &hi) && (!have || m > best[s]))
                best[s] = m, labels[s] = c->budget * (k + 1), have = 1;
        if (!have) continue;
        int i = n++; /* insertion by accuracy, highest first */
        while (i > 0 && best[order[i - 1]] < best[s]) order[i] = order[i - 1], i--;
        order[i] = s;
    }
    if (!n) {
        al_printf(t, "No round has finished yet.");
        return;
    }
    al_printf(t, "%sn %s, %s reached %.1f %% test accuracy with %u labels", st->done ? "O" : "So far, o",
              al_dataset_name(c), al_strategy_name(order[0]), 100 * best[order[0]], labels[order[0]]);
    for (int i = 1; i < n; i++)
        al_printf(t, "%s %s %.1f %% with %u", i + 1 == n ? (n > 2 ? ", and" : " and") : ",",
                  al_strategy_name(order[i]), 100 * best[order[i]], labels[order[i]]);
    al_printf(t, " (the best round of each%s; batch-norm statistics recomputed over the labeled set).",
              c->trials > 1 ? ", medians over trials" : "");
}

static void summary_md(const al_state *st, const al_config *c, const char *device, al_text *t) {
    al_printf(t, "# alvk run on %s: summary\n\n**", al_dataset_name(c));
    al_headline(st, c, t);
    al_printf(t, "**\n\n`alvk run %s` on %s (alvk %s)%s\n\n", st->config, device, alvk_version(),
              st->done ? "" : " — **incomplete: continue with --resume**");
    if (st->baseline >= 0) al_printf(t, "Full-data baseline: %.2f %% test accuracy.\n\n", 100 * st->baseline);
    al_printf(t, "## Test accuracy (%%) with batch-norm statistics recomputed over the labeled set: median "
              "(min-max over trials)\n\nWhat the models learned (the thick lines of accuracy.svg).\n\n");
    accuracy_table(st, c, 1, t);
    al_printf(t, "\n## Test accuracy (%%) as the notebook evaluates: running statistics\n\n"
              "The statistics training left, stale while the labeled set fits in a batch or two (the thin "
              "lines).\n\n");
    accuracy_table(st, c, 0, t);
    al_printf(t, "\n## Per strategy\n\n| strategy | area under the curve | mean steps per round | "
              "train s | eval s | query s |\n|---|---:|---:|---:|---:|---:|\n");
    for (int s = 0; s < AL_STRATEGIES; s++) {
        if (!(c->strategies >> s & 1)) continue;
        double steps = 0, train = 0, eval = 0, query = 0;
        int n = 0;
        for (uint32_t i = 0; i < st->nrecords; i++)
            if (st->records[i].strategy == s)
                steps += (double)st->records[i].steps, train += st->records[i].train_s,
                    eval += st->records[i].eval_s, query += st->records[i].query_s, n++;
        al_printf(t, "| %s | %.4f | %.0f | %.0f | %.0f | %.0f |\n", al_strategy_name(s), area(st, c, s),
                  n ? steps / n : 0, train, eval, query);
    }
    al_printf(t, "\nThe area is the mean of the median learned accuracy over the labels axis (trapezoids), "
              "in [0, 1].\n");
    effects(st, c, t);
}

/* The first failure of several steps that each run: rc so far, then this step's. */
static int first_failure(int rc, int step) { return rc != EXIT_OK ? rc : step; }

int al_save(const char *out, const al_state *st, const al_config *c, const char *device, const char *driver) {
    al_text t = {0}, acc = {0}, need = {0};
    state_text(st, &t);
    int rc = write_text(out, "state.txt", &t, 0);
    results_json(st, c, device, driver, &t);
    rc = first_failure(rc, write_text(out, "results.json", &t, 0));
    results_csv(st, &t);
    rc = first_failure(rc, write_text(out, "results.csv", &t, 0));
    int plotted = al_plot_accuracy(&acc, st, c);
    rc = first_failure(rc, plotted == EXIT_OK ? write_text(out, "accuracy.svg", &acc, 1) : plotted);
    plotted = al_plot_labels_needed(&need, st, c);
    rc = first_failure(rc, plotted == EXIT_OK ? write_text(out, "labels_needed.svg", &need, 1) : plotted);
    summary_md(st, c, device, &t);
    rc = first_failure(rc, write_text(out, "summary.md", &t, 1));
    al_text html = {0};
    char title[128];
    snprintf(title, sizeof title, "alvk run on %s", al_dataset_name(c));
    if (rc == EXIT_OK) al_report_html(&html, title, t.s, acc.s, need.s);
    if (rc == EXIT_OK) rc = write_text(out, "report.html", &html, 0);
    free(t.s), free(acc.s), free(need.s);
    return rc;
}
