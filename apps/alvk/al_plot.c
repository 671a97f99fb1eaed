/* The notebook's two plots as standalone SVG: median test accuracy against
 * annotated samples (min-max bands across trials, the full-data baseline
 * dashed), and the mean labels each strategy needed to pass each accuracy
 * level from 0.90 to 1.00. */
#include "al.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { WIDTH = 760, HEIGHT = 460, LEFT = 80, RIGHT = 580, TOP = 40, BOTTOM = 390 };

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

static void polyline(al_text *t, const frame *f, const double *x, const double *y, int n, const char *color,
                     const char *dash) {
    al_printf(t, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" stroke-dasharray=\"%s\" points=\"",
              color, dash);
    for (int i = 0; i < n; i++) al_printf(t, "%.1f,%.1f ", px(f, x[i]), py(f, y[i]));
    al_printf(t, "\"/>\n");
    for (int i = 0; i < n; i++)
        al_printf(t, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", px(f, x[i]), py(f, y[i]), color);
}

static int finish(const char *path, al_text *t) {
    al_printf(t, "</svg>\n");
    int ok = !t->failed && al_write_atomic(path, t->s, t->len);
    free(t->s);
    return ok;
}

int al_plot_accuracy(const char *path, const al_state *st, const al_config *c) {
    uint32_t rounds = al_rounds(c);
    double *x = malloc(rounds * sizeof *x), *med = malloc(rounds * sizeof *med);
    double *lo = malloc(rounds * sizeof *lo), *hi = malloc(rounds * sizeof *hi);
    if (!x || !med || !lo || !hi) {
        free(x), free(med), free(lo), free(hi);
        return 0;
    }
    frame f = {c->budget, (double)c->budget * rounds, 1, 1};
    if (rounds == 1) f.x0 -= 1, f.x1 += 1;
    for (int s = 0; s < AL_STRATEGIES; s++)
        for (uint32_t k = 0; k < rounds; k++)
            if (al_accuracy_at(st, s, k, 0, &med[0], &lo[0], &hi[0]) && lo[0] < f.y0) f.y0 = lo[0];
    if (st->baseline >= 0 && st->baseline < f.y0) f.y0 = st->baseline;
    f.y0 = f.y0 > 0.95 ? 0.9 : floor(f.y0 * 10 - 1e-9) / 10; /* the notebook's 0.9-1 when it fits */
    al_text t = {0};
    axes(&t, &f, "Test accuracy vs annotated samples (median, min-max band)", "Number of annotated samples",
         "Test accuracy");
    int row = 0;
    for (int s = 0; s < AL_STRATEGIES; s++) {
        int n = 0;
        for (uint32_t k = 0; k < rounds; k++)
            if (al_accuracy_at(st, s, k, 0, &med[n], &lo[n], &hi[n])) x[n++] = (double)c->budget * (k + 1);
        if (!n) continue;
        al_printf(&t, "<polygon fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" points=\"", colors[s]);
        for (int i = 0; i < n; i++) al_printf(&t, "%.1f,%.1f ", px(&f, x[i]), py(&f, hi[i]));
        for (int i = n - 1; i >= 0; i--) al_printf(&t, "%.1f,%.1f ", px(&f, x[i]), py(&f, lo[i]));
        al_printf(&t, "\"/>\n");
        polyline(&t, &f, x, med, n, colors[s], dashes[s]);
        legend(&t, row++, al_strategy_name(s), colors[s], dashes[s]);
    }
    if (st->baseline >= 0) {
        al_printf(&t, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\" stroke-width=\"1.5\" "
                  "stroke-dasharray=\"2 3\"/>\n", LEFT, py(&f, st->baseline), RIGHT, py(&f, st->baseline));
        char name[64];
        snprintf(name, sizeof name, "full data (%.2f %%)", 100 * st->baseline);
        legend(&t, row++, name, "black", "2 3");
    }
    free(x), free(med), free(lo), free(hi);
    return finish(path, &t);
}

int al_plot_labels_needed(const char *path, const al_state *st, const al_config *c) {
    enum { LEVELS = 25 };
    double level[LEVELS], need[LEVELS];
    frame f = {0.9, 1.0, 0, c->max_budget};
    al_text t = {0};
    axes(&t, &f, "Labels needed to pass each accuracy (mean over trials)", "Test accuracy",
         "Average number of annotated samples");
    int row = 0;
    for (int s = 0; s < AL_STRATEGIES; s++) {
        int any = 0;
        for (int i = 0; i < LEVELS; i++) {
            level[i] = 0.9 + 0.1 * i / (LEVELS - 1); /* numpy's linspace(0.90, 1.0, 25) */
            need[i] = al_labels_needed(st, c, s, level[i]);
            any |= !isnan(need[i]);
        }
        if (!any) continue;
        polyline(&t, &f, level, need, LEVELS, colors[s], dashes[s]);
        legend(&t, row++, al_strategy_name(s), colors[s], dashes[s]);
    }
    al_printf(&t, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#555\">never reached: counted as the max "
              "budget (%u)</text>\n", LEFT, BOTTOM + 58, c->max_budget);
    return finish(path, &t);
}
