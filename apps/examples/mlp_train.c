/* A custom training loop: an MLP learns which of two interleaved spirals a
 * 2-D point belongs to, from synthetic data, with the graph API. Prints the
 * loss as it falls and the final training accuracy. */
#include <alvk/alvk.h>
#include <math.h>
#include <stdio.h>

enum { N = 256, STEPS = 400 };

static int fail(void) {
    fprintf(stderr, "alvk: %s\n", alvk_last_error());
    return 1;
}

int main(void) {
    alvk_context *ctx;
    alvk_params *p;
    alvk_graph *g;
    if (alvk_context_create(NULL, &ctx) != ALVK_OK) return fail();
    if (alvk_params_create(ctx, &p) || alvk_model_mlp(p, "mlp", 2, (uint32_t[]){32, 32}, 2, 2) ||
        alvk_params_commit(p) || alvk_params_initialize(p, 1))
        return fail();
    /* Two spirals: point i of class c at angle t, radius t. */
    float x[2 * N];
    uint32_t y[N];
    for (int i = 0; i < N; i++) {
        double t = 0.5 + 3.0 * (i / 2) / (N / 2), a = t + 3.14159265358979 * (i % 2);
        x[2 * i] = (float)(t * cos(a) / 3.5), x[2 * i + 1] = (float)(t * sin(a) / 3.5);
        y[i] = (uint32_t)(i % 2);
    }
    if (alvk_graph_create(ctx, p, N, ALVK_GRAPH_TRAIN, &g)) return fail();
    alvk_node xn = alvk_graph_input(g, (uint32_t[]){2}, 1), yn = alvk_graph_labels(g);
    alvk_node logits = alvk_graph_mlp(g, xn, "mlp", 3);
    alvk_node loss = alvk_graph_softmax_ce(g, logits, yn), hits = alvk_graph_correct(g, logits, yn);
    alvk_graph_backward(g, loss);
    alvk_graph_adam(g, 0.01, 0.9, 0.999, 1e-8);
    alvk_graph_output(g, loss);
    alvk_graph_output(g, hits);
    if (alvk_graph_compile(g) || alvk_graph_set(g, xn, x, sizeof x, N) || alvk_graph_set(g, yn, y, sizeof y, N))
        return fail();
    float l = 0;
    uint32_t correct = 0;
    for (int s = 1; s <= STEPS; s++) {
        if (alvk_graph_run(g, N) || alvk_graph_read(g, loss, &l, sizeof l)) return fail();
        if (s % 100 == 0) printf("step %d loss %.4f\n", s, l);
    }
    if (alvk_graph_read(g, hits, &correct, sizeof correct)) return fail();
    printf("training accuracy %.3f\n", (double)correct / N);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    alvk_context_destroy(ctx);
    return 0;
}
