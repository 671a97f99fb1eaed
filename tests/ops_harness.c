/* The op harness: inputs, GPU run, reference, comparison, gradient check. */
#include "ops_harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A small counter-based generator, so every row's inputs are fixed. */
static double uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static double *make_input(const op_case *c, uint32_t k, uint64_t *state) {
    double *v = malloc(c->in_len[k] * sizeof *v + 8);
    cr_assert(v);
    for (size_t i = 0; i < c->in_len[k]; i++) {
        double u = c->lo[k] + (c->hi[k] - c->lo[k]) * uniform(state);
        v[i] = c->integer[k] ? floor(u) : (double)(float)u; /* exactly representable in f32 */
    }
    return v;
}

static size_t elem_size(const op_case *c, uint32_t k) { return c->bytes[k] ? 1 : 4; }

static void upload(alvk_context *ctx, const alvk_buffer *buf, const double *v, size_t n,
                   int integer, int bytes) {
    void *host = malloc(n * 4 + 4);
    cr_assert(host);
    for (size_t i = 0; i < n; i++) {
        if (bytes) ((uint8_t *)host)[i] = (uint8_t)v[i];
        else if (integer) ((uint32_t *)host)[i] = (uint32_t)v[i];
        else ((float *)host)[i] = (float)v[i];
    }
    TEST_OK(alvk_buffer_write(ctx, buf, 0, host, n * (bytes ? 1 : 4)));
    free(host);
}

static void compare(const op_case *c, const char *path, uint32_t k, const float *got,
                    const double *want) {
    size_t n = c->out_len[k], bad = 0, first = n;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]) / (1 + fabs(want[i]));
        if (!(err <= c->tol)) {
            if (first == n) first = i;
            bad++;
        }
        if (err > worst || isnan(err)) worst = err;
    }
    cr_expect_eq(bad, 0, "%s [%s read path] output %u: %zu of %zu outside tolerance %g "
                 "(worst %g); first at %zu: got %.9g want %.9g",
                 c->name, path, k, bad, n, c->tol, worst, first,
                 first < n ? got[first] : 0.0, first < n ? want[first] : 0.0);
}

static void run_gpu(const op_case *c, alvk_read_path path, double *const *in,
                    double *const *want) {
    alvk_context *ctx = test_open(NULL);
    ctx->read_path = (int)path;
    alvk_buffer inb[OP_MAX_IN], outb[OP_MAX_OUT];
    for (uint32_t k = 0; k < c->nin; k++) {
        TEST_OK(alvk_buffer_alloc(ctx, c->in_len[k] * elem_size(c, k), &inb[k]));
        upload(ctx, &inb[k], in[k], c->in_len[k], c->integer[k], c->bytes[k]);
    }
    alvk_cmd *cmd;
    TEST_OK(alvk_cmd_create(ctx, 0, &cmd));
    TEST_OK(alvk_cmd_begin(cmd));
    /* Outputs start as NaN, so an element the op forgets to write fails
     * instead of passing as the 0 of fresh memory. */
    for (uint32_t k = 0; k < c->nout; k++) {
        TEST_OK(alvk_buffer_alloc(ctx, c->out_len[k] * 4, &outb[k]));
        alvk_cmd_fill(cmd, &outb[k], c->out_len[k] * 4, 0x7fc00000u);
    }
    TEST_OK(c->gpu(cmd, c, inb, outb));
    TEST_OK(alvk_cmd_end(cmd));
    TEST_OK(alvk_cmd_run(cmd));
    const char *name = path == ALVK_READ_TEXEL ? "texel" : "ssbo";
    for (uint32_t k = 0; k < c->nout; k++) {
        float *got = malloc(c->out_len[k] * 4 + 4);
        cr_assert(got);
        TEST_OK(alvk_buffer_read(ctx, &outb[k], 0, got, c->out_len[k] * 4));
        if (c->out_integer[k]) /* uint32 in place: exact as float up to 2^24 */
            for (size_t i = 0; i < c->out_len[k]; i++) {
                uint32_t u;
                memcpy(&u, &got[i], 4);
                got[i] = (float)u;
            }
        compare(c, name, k, got, want[k]);
        free(got);
    }
    alvk_cmd_destroy(cmd);
    for (uint32_t k = 0; k < c->nin; k++) alvk_buffer_free(ctx, &inb[k]);
    for (uint32_t k = 0; k < c->nout; k++) alvk_buffer_free(ctx, &outb[k]);
    test_close(ctx);
}

/* L = sum(dy * fwd(x)); dL/dx[i] by central differences at up to 24 indices
 * per differentiable input, against the backward reference. */
static void check_gradient(const op_case *c, double *const *in, double *const *grads) {
    size_t ny = c->in_len[c->fwd_nin];
    const double *dy = in[c->fwd_nin];
    double *y = malloc(ny * sizeof *y);
    cr_assert(y);
    uint64_t state = 7;
    for (uint32_t k = 0; k < c->nout; k++) {
        double *x = in[c->grad_of[k]];
        size_t n = c->in_len[c->grad_of[k]];
        for (int t = 0; t < 24 && t < (int)n; t++) {
            size_t i = n <= 24 ? (size_t)t : (size_t)(uniform(&state) * (double)n);
            double keep = x[i], h = 1e-6 * (1 + fabs(keep)), l[2];
            for (int s = 0; s < 2; s++) {
                x[i] = keep + (s ? -h : h);
                double *out[1] = {y};
                c->fwd(c, (const double *const *)in, out);
                l[s] = 0;
                for (size_t j = 0; j < ny; j++) l[s] += dy[j] * y[j];
            }
            x[i] = keep;
            double fd = (l[0] - l[1]) / (2 * h), an = grads[k][i];
            cr_expect(fabs(fd - an) <= 1e-5 * (1 + fabs(fd)) + 1e-7 * (1 + fabs(an)),
                      "%s: reference gradient %u at %zu is %.10g, finite differences say %.10g",
                      c->name, k, i, an, fd);
        }
    }
    free(y);
}

void op_case_run(const op_case *c) {
    double *in[OP_MAX_IN], *want[OP_MAX_OUT];
    uint64_t state = 12345;
    for (uint32_t k = 0; k < c->nin; k++) in[k] = make_input(c, k, &state);
    for (uint32_t k = 0; k < c->nout; k++) {
        want[k] = malloc(c->out_len[k] * sizeof *want[k] + 8);
        cr_assert(want[k]);
    }
    c->ref(c, (const double *const *)in, want);
    if (c->fwd) check_gradient(c, in, want);
    run_gpu(c, ALVK_READ_SSBO, in, want);
    run_gpu(c, ALVK_READ_TEXEL, in, want);
    for (uint32_t k = 0; k < c->nin; k++) free(in[k]);
    for (uint32_t k = 0; k < c->nout; k++) free(want[k]);
}
