/* The notebook's two plots as standalone SVG: median test accuracy against
 * annotated samples (min-max bands across trials, the full-data baseline
 * dashed), and the mean labels each strategy needed to pass each accuracy
 * level. Both draw what the models learned: the accuracy with batch-norm
 * statistics recomputed over the labeled set. The notebook's own
 * evaluation (running statistics, which stay stale while the labeled set
 * fits in a batch or two) is drawn thin beside it, so the effect shows
 * without hiding the experiment. */
#include "al.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { WIDTH = 760, HEIGHT = 500, LEFT = 80, RIGHT = 580, TOP = 40, BOTTOM = 390 };

static const char *const colors[AL_STRATEGIES] = {"#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#2ca02c"};
/* The notebook's line styles: uniform dashed, uncertainty dash-dot, adversarial solid. */
static const char *const dashes[AL_STRATEGIES] = {"8 4", "8 3 2 3", "2 3", "12 3 2 3 2 3", "none"};

typedef struct frame {
    double x0, x1, y0, y1; /* data ranges */
} frame;

static double px(const frame *f, double x) { return LEFT + (x - f->x0) / (f->x1 - f->x0) * (RIGHT - LEFT); }
static double py(const frame *f, double y) { return BOTTOM - (y - f->y0) / (f->y1 - f->y0) * (BOTTOM - TOP); }

/* A tick step of 1, 2 or 5 times a power of ten, about `want` ticks. */
static double tick_step(double range, int want) {
    double raw = range / want, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void axes(al_text *t, const frame *f, const char *title, const char *xlabel, const char *ylabel) {
    al_printf(t, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
              "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n"
              "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
              "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
              WIDTH, HEIGHT, WIDTH, HEIGHT, (LEFT + RIGHT) / 2, title);
    double xs = tick_step(f->x1 - f->x0, 6), ys = tick_step(f->y1 - f->y0, 6);
    /* Ticks by index, not by accumulated steps: no drift, no "-0". */
    for (double i = ceil(f->x0 / xs - 1e-9), x; (x = i * xs + 0.0) <= f->x1 + 1e-9 * xs; i++)
        al_printf(t, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e5e5e5\"/>\n"
                  "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                  px(f, x), TOP, px(f, x), BOTTOM, px(f, x), BOTTOM + 18, x);
    for (double i = ceil(f->y0 / ys - 1e-9), y; (y = i * ys + 0.0) <= f->y1 + 1e-9 * ys; i++)
        al_printf(t, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n"
                  "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                  LEFT, py(f, y), RIGHT, py(f, y), LEFT - 6, py(f, y) + 4, y);
    al_printf(t, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n"
              "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n"
              "<text transform=\"translate(%d %d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
              LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP, (LEFT + RIGHT) / 2, BOTTOM + 40, xlabel, 24,
              (TOP + BOTTOM) / 2, ylabel);
}

static void legend(al_text *t, int row, const char *name, const char *color, const char *dash) {
    int y = TOP + 14 + 22 * row;
    al_printf(t, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2.5\" "
              "stroke-dasharray=\"%s\"/>\n<text x=\"%d\" y=\"%d\">%s</text>\n",
              RIGHT + 16, y, RIGHT + 52, y, color, dash, RIGHT + 60, y + 4, name);
}

/* A line of small print under the plot. */
static void note(al_text *t, int line, const char *text) {
    al_printf(t, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#555\">%s</text>\n", LEFT, BOTTOM + 58 + 15 * line,
              text);
}

static void polyline(al_text *t, const frame *f, const double *x, const double *y, int n, const char *color,
                     const char *dash, double width) {
    al_printf(t, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" stroke-dasharray=\"%s\" points=\"",
              color, width, dash);
    for (int i = 0; i < n; i++) al_printf(t, "%.1f,%.1f ", px(f, x[i]), py(f, y[i]));
    al_printf(t, "\"/>\n");
    for (int i = 0; i < n; i++)
        al_printf(t, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", px(f, x[i]), py(f, y[i]), color);
}

/* Every median and band of strategy s (recal: the learned accuracy). */
static int curve(const al_state *st, const al_config *c, int s, int recal, double *x, double *med, double *lo,
                 double *hi) {
    int n = 0;
    for (uint32_t k = 0; k < al_rounds(c); k++)
        if (al_accuracy_at(st, s, k, recal, &med[n], &lo[n], &hi[n])) x[n++] = (double)c->budget * (k + 1);
    return n;
}

static void band(al_text *t, const frame *f, const double *x, const double *lo, const double *hi, int n,
                 const char *color) {
    al_printf(t, "<polygon fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" points=\"", color);
    for (int i = 0; i < n; i++) al_printf(t, "%.1f,%.1f ", px(f, x[i]), py(f, hi[i]));
    for (int i = n - 1; i >= 0; i--) al_printf(t, "%.1f,%.1f ", px(f, x[i]), py(f, lo[i]));
    al_printf(t, "\"/>\n");
}

/* The exit status of drawing `name` into t (NULL: nothing to draw in). */
static int drawn(const al_text *t, const char *name) {
    if (t && !t->failed) return EXIT_OK;
    fprintf(stderr, "alvk: out of memory drawing %s\n", name);
    return EXIT_FAILED;
}

int al_plot_accuracy(al_text *t, const al_state *st, const al_config *c) {
    uint32_t rounds = al_rounds(c);
    double *x = malloc(rounds * sizeof *x), *med = malloc(rounds * sizeof *med);
    double *lo = malloc(rounds * sizeof *lo), *hi = malloc(rounds * sizeof *hi);
    if (!x || !med || !lo || !hi) {
        free(x), free(med), free(lo), free(hi);
        return drawn(NULL, "accuracy.svg");
    }
    frame f = {c->budget, (double)c->budget * rounds, 1, 1};
    if (rounds == 1) f.x0 -= 1, f.x1 += 1;
    for (int s = 0; s < AL_STRATEGIES; s++)
        for (int recal = 0; recal < 2; recal++)
            for (int i = 0, n = curve(st, c, s, recal, x, med, lo, hi); i < n; i++) f.y0 = fmin(f.y0, lo[i]);
    if (st->baseline >= 0 && st->baseline < f.y0) f.y0 = st->baseline;
    f.y0 = f.y0 > 0.95 ? 0.9 : floor(f.y0 * 10 - 1e-9) / 10; /* the notebook's 0.9-1 when it fits */
    char title[160];
    snprintf(title, sizeof title, "Test accuracy vs annotated samples on %s (median, min-max band)", al_dataset_name(c));
    axes(t, &f, title, "Number of annotated samples", "Test accuracy");
    int row = 0;
    for (int s = 0; s < AL_STRATEGIES; s++) {
        int n = curve(st, c, s, 0, x, med, lo, hi);
        if (!n) continue;
        al_printf(t, "<g opacity=\"0.45\">\n");
        polyline(t, &f, x, med, n, colors[s], dashes[s], 1.2);
        al_printf(t, "</g>\n");
        n = curve(st, c, s, 1, x, med, lo, hi);
        band(t, &f, x, lo, hi, n, colors[s]);
        polyline(t, &f, x, med, n, colors[s], dashes[s], 2.5);
        legend(t, row++, al_strategy_name(s), colors[s], dashes[s]);
    }
    if (st->baseline >= 0) {
        al_printf(t, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\" stroke-width=\"1.5\" "
                  "stroke-dasharray=\"2 3\"/>\n", LEFT, py(&f, st->baseline), RIGHT, py(&f, st->baseline));
        char name[64];
        snprintf(name, sizeof name, "full data (%.2f %%)", 100 * st->baseline);
        legend(t, row++, name, "black", "2 3");
    }
    note(t, 0, "Thick: what the models learned (batch-norm statistics recomputed over the labeled set).");
    note(t, 1, "Thin: the notebook's evaluation, with the running statistics training left (stale while the");
    note(t, 2, "labeled set fits in a batch or two).");
    free(x), free(med), free(lo), free(hi);
    al_printf(t, "</svg>\n");
    return drawn(t, "accuracy.svg");
}

/* The accuracy levels of the labels-needed plot: from the lowest
 * first-round accuracy to just under the highest the run reached (learned
 * accuracy, medians), where every strategy's curve says something; the
 * notebook's fixed 0.90-1.00 would lie flat at "never reached" for any run
 * that stops below 1.0. */
static void levels(const al_state *st, const al_config *c, double *lo, double *hi) {
    double top = 0, bottom = 1, m, l, h;
    for (int s = 0; s < AL_STRATEGIES; s++)
        for (uint32_t k = 0; k < al_rounds(c); k++)
            if (al_accuracy_at(st, s, k, 1, &m, &l, &h)) {
                top = fmax(top, m);
                if (k == 0) bottom = fmin(bottom, m);
            }
    *hi = top - 1e-6; /* "passed" is strictly above a level */
    *lo = floor(fmin(bottom, top - 0.05) * 100) / 100;
}

int al_plot_labels_needed(al_text *t, const al_state *st, const al_config *c) {
    enum { LEVELS = 25 };
    double level[LEVELS], need[LEVELS], lo, hi;
    levels(st, c, &lo, &hi);
    frame f = {lo, hi, 0, c->max_budget};
    char title[160];
    snprintf(title, sizeof title, "Labels needed to pass each accuracy on %s (mean over trials)", al_dataset_name(c));
    axes(t, &f, title, "Test accuracy (batch-norm statistics recomputed)", "Average number of annotated samples");
    int row = 0;
    for (int s = 0; s < AL_STRATEGIES; s++) {
        int any = 0;
        for (int i = 0; i < LEVELS; i++) {
            level[i] = lo + (hi - lo) * i / (LEVELS - 1); /* numpy's linspace(lo, hi, 25) */
            need[i] = al_labels_needed(st, c, s, level[i], 1);
            any |= !isnan(need[i]);
        }
        if (!any) continue;
        polyline(t, &f, level, need, LEVELS, colors[s], dashes[s], 2.5);
        legend(t, row++, al_strategy_name(s), colors[s], dashes[s]);
    }
    char text[200];
    snprintf(text, sizeof text, "Levels %.3f-%.3f: the range of this run's accuracy (the notebook plots 0.90-1.00).",
             lo, hi);
    note(t, 0, text);
    note(t, 1, "A level a trial never passed counts as the max budget.");
    al_printf(t, "</svg>\n");
    return drawn(t, "labels_needed.svg");
}
