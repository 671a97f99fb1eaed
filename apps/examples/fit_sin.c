/* Fits y = sin(x) on [-pi, pi] with a 1 -> 32 -> 32 -> 1 tanh network of
 * one's own: tensors declared one by one in PyTorch's Linear layout (and
 * so given PyTorch's Linear initialisation by alvk_params_initialize), a
 * mean-squared-error loss made of graph ops, Adam whose learning rate is
 * halved every 250 steps without rebuilding anything. Prints the loss as it
 * goes; exits 1 unless the fit ends below a mean squared error of 1e-3. */
#include <alvk/alvk.h>
#include <math.h>
#include <stdio.h>

#define N 256 /* points, all in one batch */
#define HIDDEN 32
#define STEPS 1000
#define PI 3.14159265358979323846 /* M_PI is POSIX, not C */

static int fail(void) {
    fprintf(stderr, "fit_sin: %s\n", alvk_last_error());
    return 1;
}

/* Declares PREFIX.weight [out, in] and PREFIX.bias [out], as torch.nn.Linear. */
static alvk_status declare_linear(alvk_params *p, const char *prefix, uint32_t in, uint32_t out) {
    char name[64];
    snprintf(name, sizeof name, "%s.weight", prefix);
    alvk_status s = alvk_params_add(p, name, (uint32_t[]){out, in}, 2, ALVK_PARAM_TRAINABLE, NULL);
    snprintf(name, sizeof name, "%s.bias", prefix);
    return s != ALVK_OK ? s : alvk_params_add(p, name, (uint32_t[]){out}, 1, ALVK_PARAM_TRAINABLE, NULL);
}

/* x W^T + b with PREFIX's tensors. Builders report failures at compile. */
static alvk_node linear(alvk_graph *g, alvk_node x, const char *prefix) {
    char w[64], b[64];
    snprintf(w, sizeof w, "%s.weight", prefix);
    snprintf(b, sizeof b, "%s.bias", prefix);
    return alvk_graph_linear(g, x, alvk_graph_param(g, w), alvk_graph_param(g, b));
}

int main(void) {
    alvk_context *ctx;
    alvk_params *p;
    alvk_graph *g;
    if (alvk_context_create(NULL, &ctx) != ALVK_OK || alvk_params_create(ctx, &p) != ALVK_OK) return fail();
    if (declare_linear(p, "l1", 1, HIDDEN) || declare_linear(p, "l2", HIDDEN, HIDDEN) ||
        declare_linear(p, "l3", HIDDEN, 1) || alvk_params_commit(p) || alvk_params_initialize(p, 7))
        return fail();

    if (alvk_graph_create(ctx, p, N, ALVK_GRAPH_TRAIN, &g)) return fail();
    alvk_node x = alvk_graph_input(g, (uint32_t[]){1}, 1), target = alvk_graph_input(g, (uint32_t[]){1}, 1);
    alvk_node h = alvk_graph_tanh(g, linear(g, x, "l1"));
    h = alvk_graph_tanh(g, linear(g, h, "l2"));
    alvk_node y = linear(g, h, "l3");
    alvk_node loss = alvk_graph_mean(g, alvk_graph_square(g, alvk_graph_sub(g, y, target)));
    alvk_graph_backward(g, loss);
    alvk_graph_adam(g, 0.01, 0.9, 0.999, 1e-8);
    alvk_graph_output(g, loss);
    if (alvk_graph_compile(g)) return fail(); /* the first builder error, if any */

    float xs[N], ts[N], l = 0;
    for (int i = 0; i < N; i++) {
        xs[i] = (float)(-PI + 2 * PI * i / (N - 1));
        ts[i] = (float)sin(xs[i]);
    }
    if (alvk_graph_set(g, x, xs, sizeof xs, N) || alvk_graph_set(g, target, ts, sizeof ts, N)) return fail();
    for (int step = 1; step <= STEPS; step++) {
        if (step % 250 == 0 && alvk_graph_set_lr(g, -1, 0.01 / (1 << step / 250))) return fail();
        if (alvk_graph_run(g, N) || alvk_graph_read(g, loss, &l, sizeof l)) return fail();
        if (step % 125 == 0) printf("step %4d  mse %.6f\n", step, l);
    }
    printf("fit_sin: mean squared error %.6f after %d steps\n", l, STEPS);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    alvk_context_destroy(ctx);
    return l < 1e-3f ? 0 : 1;
}
