/* Run under `mpirun -np N`: data-parallel training's gradient exchange on
 * an MLP (no batch norm, so a batch split over ranks is the same
 * computation). The ranks' shares of a batch, summed by
 * par_reduce_gradients, must match the gradient of the whole batch on one
 * rank within float rounding; every rank must end with the same bits, and
 * with them in its store. Uneven shares (23 rows) weigh each rank's mean by
 * its rows. Exit status 0 when every check passes on every rank. */
#include "par.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IN = 12, HID = 16, OUT = 5, ROWS = 23 };

static int fail(const char *what) {
    fprintf(stderr, "mpi-grad: rank %d: %s: %s\n", par_rank(), what, alvk_last_error());
    return 0;
}

static int check(int argc, char **argv) {
    (void)argc, (void)argv;
    alvk_context *ctx;
    alvk_params *p;
    alvk_graph *g;
    if (alvk_context_create(&(alvk_context_desc){0}, &ctx) != ALVK_OK) return fail("opening the device");
    if (alvk_params_create(ctx, &p) != ALVK_OK || alvk_model_mlp(p, "m", IN, (uint32_t[]){HID}, 1, OUT) != ALVK_OK ||
        alvk_params_commit(p) != ALVK_OK || alvk_params_initialize(p, 3) != ALVK_OK)
        return fail("the model");
    if (alvk_graph_create(ctx, p, ROWS, ALVK_GRAPH_TRAIN, &g) != ALVK_OK) return fail("the graph");
    alvk_node x = alvk_graph_input(g, (uint32_t[]){IN}, 1), y = alvk_graph_labels(g);
    alvk_node loss = alvk_graph_softmax_ce(g, alvk_graph_mlp(g, x, "m", 2), y);
    if (alvk_graph_backward(g, loss) != ALVK_OK || alvk_graph_compile(g) != ALVK_OK) return fail("the graph");

    float xs[ROWS * IN];
    uint32_t ys[ROWS];
    for (int i = 0; i < ROWS * IN; i++) xs[i] = (float)sin(0.37 * i + 1);
    for (int r = 0; r < ROWS; r++) ys[r] = (uint32_t)(r * 7 % OUT);
    uint64_t n = alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE);
    float *whole = malloc(n * sizeof *whole), *sum = malloc(n * sizeof *sum), *back = malloc(n * sizeof *back);
    double *w = malloc((size_t)par_size() * sizeof *w);
    if (!whole || !sum || !back || !w) return fail("allocating");

    /* The whole batch on this rank alone. */
    if (alvk_graph_set(g, x, xs, sizeof xs, ROWS) != ALVK_OK || alvk_graph_set(g, y, ys, sizeof ys, ROWS) != ALVK_OK ||
        alvk_graph_run(g, ROWS) != ALVK_OK || alvk_params_read_grad(p, -1, whole, n * sizeof *whole) != ALVK_OK)
        return fail("the whole batch");
    /* This rank's share, then the exchange. */
    int ranks = par_size(), me = par_rank();
    uint32_t lo = (uint32_t)(ROWS * me / ranks), hi = (uint32_t)(ROWS * (me + 1) / ranks);
    for (int r = 0; r < ranks; r++) w[r] = (double)(ROWS * (r + 1) / ranks - ROWS * r / ranks) / ROWS;
    if (hi > lo && (alvk_graph_set(g, x, xs + lo * IN, (hi - lo) * IN * sizeof *xs, hi - lo) != ALVK_OK ||
                    alvk_graph_set(g, y, ys + lo, (hi - lo) * sizeof *ys, hi - lo) != ALVK_OK || alvk_graph_run(g, hi - lo) != ALVK_OK))
        return fail("the share");
    if (!par_reduce_gradients(p, sum, 0, w, hi > lo) || alvk_params_read_grad(p, -1, back, n * sizeof *back) != ALVK_OK)
        return fail("the exchange");

    int ok = 1;
    double worst = 0;
    for (uint64_t i = 0; i < n; i++) {
        double err = fabs((double)sum[i] - whole[i]) / (1e-3 + fabs(whole[i]));
        if (err > worst) worst = err;
    }
    if (!(worst < 1e-5)) fprintf(stderr, "mpi-grad: rank %d: relative error %.3g against one rank\n", me, worst), ok = 0;
    if (memcmp(back, sum, n * sizeof *sum) != 0) fprintf(stderr, "mpi-grad: rank %d: the store lacks the sum\n", me), ok = 0;
    memcpy(back, sum, n * sizeof *sum);
    par_bcast(back, n * sizeof *back, 0);
    if (memcmp(back, sum, n * sizeof *sum) != 0) fprintf(stderr, "mpi-grad: rank %d: not rank 0's bits\n", me), ok = 0;
    if (me == 0) printf("mpi-grad: %d ranks, %llu gradients, worst relative error %.3g\n", ranks, (unsigned long long)n, worst);
    free(whole), free(sum), free(back), free(w);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    alvk_context_destroy(ctx);
    return ok;
}

int main(int argc, char **argv) {
    if (par_init(&argc, &argv) != 0) return 1;
    int ok = par_all_ok(check(argc, argv), NULL);
    par_finalize();
    return ok ? 0 : 1;
}
