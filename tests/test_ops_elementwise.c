/* Op table: elementwise ops and reductions, forward and backward. */
#include "ops_harness.h"
#include "ref/ref.h"


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const unary_names[] = {
#define NAME(id, name) #name,
    ALVK_UNARY_OPS(NAME)
#undef NAME
};
static const char *const binary_names[] = {
#define NAME(id, name) #name,
    ALVK_BINARY_OPS(NAME)
#undef NAME
};

/* ---- unary: u[0] op, u[1] n, f[0] alpha ---------------------------------- */
static alvk_status gpu_unary(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                             const alvk_buffer *out) {
    if (c->u[0] == ALVK_UNARY_AFFINE)
        return alvk_op_affine(cmd, (float)c->f[0], (float)c->f[1], &in[0], &out[0], c->u[1]);
    return alvk_op_unary(cmd, c->u[0], (float)c->f[0], &in[0], &out[0], c->u[1]);
}
static void ref_unary_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_unary((int)c->u[0], c->f[0], c->f[1], in[0], out[0], c->u[1]);
}
/* The GPU backward takes y for sigmoid, sqrt, tanh and exp: compute it first. */
static alvk_status gpu_unary_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                 const alvk_buffer *out) {
    const alvk_buffer *saved = &in[0];
    alvk_buffer y;
    if (c->u[0] == ALVK_UNARY_SIGMOID || c->u[0] == ALVK_UNARY_SQRT || c->u[0] == ALVK_UNARY_TANH ||
        c->u[0] == ALVK_UNARY_EXP) {
        alvk_status s = alvk_cmd_scratch(cmd, 4ull * c->u[1], &y);
        if (s == ALVK_OK) s = gpu_unary(cmd, c, in, &y);
        if (s != ALVK_OK) return s;
        saved = &y;
    }
    return alvk_op_unary_backward(cmd, c->u[0], (float)c->f[0], saved, &in[1], c->nin > 2 ? &in[2] : NULL,
                                  &out[0], c->u[1]);
}
static void ref_unary_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_unary_backward((int)c->u[0], c->f[0], in[0], in[1], out[0], c->u[1]);
}
/* With a second gradient (the graph's fused add): dx = (dy + dy2) f'(.). */
static void ref_unary_bwd_add(const op_case *c, const double *const *in, double *const *out) {
    size_t n = c->u[1];
    double *dy = malloc(n * sizeof *dy);
    cr_assert(dy);
    for (size_t i = 0; i < n; i++) dy[i] = in[1][i] + in[2][i];
    ref_unary_backward((int)c->u[0], c->f[0], in[0], dy, out[0], c->u[1]);
    free(dy);
}

static op_case unary_case(int op, uint32_t n, int backward) {
    op_case c = {.nin = 1, .nout = 1, .in_len = {n}, .out_len = {n}, .lo = {-2}, .hi = {2},
                 .gpu = gpu_unary, .ref = ref_unary_fwd, .tol = 2e-6, .u = {op, n},
                 .f = {0.75, op == ALVK_UNARY_AFFINE ? -0.5 : 0}};
    if (op == ALVK_UNARY_SQRT || op == ALVK_UNARY_LOG) c.lo[0] = 0.1;
    if (backward) {
        c.nin = 2;
        c.in_len[1] = n;
        c.lo[1] = -1, c.hi[1] = 1;
        c.gpu = gpu_unary_bwd, c.ref = ref_unary_bwd, c.fwd = ref_unary_fwd, c.fwd_nin = 1;
    }
    snprintf(c.name, sizeof c.name, "%s%s n=%u alpha=%g", unary_names[op],
             backward ? "_backward" : "", n, c.f[0]);
    return c;
}

static op_case unary_bwd_add_case(int op, uint32_t n) {
    op_case c = unary_case(op, n, 1);
    c.nin = 3, c.in_len[2] = n, c.lo[2] = -1, c.hi[2] = 1;
    c.ref = ref_unary_bwd_add, c.fwd = NULL; /* a sum of two gradients is no forward's */
    size_t len = strlen(c.name);
    snprintf(c.name + len, sizeof c.name - len, " +dy2");
    return c;
}

/* ---- dropout: u[0] n, u[1] run, u[2..3] seed (low, high word), f[0] p ----
 * Inputs x and the run counter (an integer input holding `run`); the
 * backward is dropout of dy with the same seed and run: the same mask. */
static uint64_t seed_of(const op_case *c) { return (uint64_t)c->u[3] << 32 | c->u[2]; }
static alvk_status gpu_dropout(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                               const alvk_buffer *out) {
    const alvk_buffer *x = c->fwd ? &in[2] : &in[0]; /* backward: dy */
    return alvk_op_dropout(cmd, seed_of(c), (float)c->f[0], &in[1], x, &out[0], c->u[0]);
}
static void ref_dropout_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_dropout(seed_of(c), c->u[1], c->f[0], in[0], out[0], c->u[0]);
}
static void ref_dropout_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_dropout(seed_of(c), c->u[1], c->f[0], in[2], out[0], c->u[0]);
}

static op_case dropout_case(uint32_t n, float p, uint64_t seed, uint32_t run, int backward) {
    op_case c = {.nin = 2, .nout = 1, .in_len = {n, 1}, .out_len = {n}, .lo = {-2, run},
                 .hi = {2, run + 1.0}, .integer = {0, 1}, .gpu = gpu_dropout, .ref = ref_dropout_fwd,
                 .tol = 1e-6, .u = {n, run, (uint32_t)seed, (uint32_t)(seed >> 32)}, .f = {p}};
    if (backward) {
        c.nin = 3, c.in_len[2] = n, c.lo[2] = -1, c.hi[2] = 1;
        c.ref = ref_dropout_bwd, c.fwd = ref_dropout_fwd, c.fwd_nin = 2;
    }
    snprintf(c.name, sizeof c.name, "dropout%s n=%u p=%g seed=%llu run=%u", backward ? "_backward" : "",
             n, (double)p, (unsigned long long)seed, run);
    return c;
}

/* ---- binary: u[0] op, u[1] n, u[2] nb, u[3] inner, f[0] alpha ------------ */
static alvk_status gpu_binary(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                              const alvk_buffer *out) {
    return alvk_op_binary(cmd, c->u[0], (float)c->f[0], &in[0], &in[1], &out[0], c->u[1],
                          c->u[2], c->u[3]);
}
static void ref_binary_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_binary((int)c->u[0], c->f[0], in[0], in[1], out[0], c->u[1], c->u[2], c->u[3]);
}
/* Backward as kernels compose it: da from one binary op, db as an
 * elementwise product reduced over the broadcast dimensions. */
static alvk_status gpu_binary_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                  const alvk_buffer *out) {
    uint32_t op = c->u[0], n = c->u[1], nb = c->u[2], inner = c->u[3];
    float alpha = (float)c->f[0];
    const alvk_buffer *a = &in[0], *b = &in[1], *dc = &in[2];
    alvk_buffer t, t2;
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * n, &t);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * n, &t2);
    if (s != ALVK_OK) return s;
    /* da */
    if (op == ALVK_BINARY_MUL || op == ALVK_BINARY_DIV)
        s = alvk_op_binary(cmd, op, alpha, dc, b, &out[0], n, nb, inner);
    else if (op == ALVK_BINARY_EXPAND)
        s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 0.0f, dc, &out[0], n);
    else
        s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, alpha, dc, &out[0], n);
    if (s != ALVK_OK) return s;
    /* db: sum over the broadcast of the per-element gradient */
    const alvk_buffer *g = dc;
    float scale = op == ALVK_BINARY_SUB ? -alpha : alpha;
    if (op == ALVK_BINARY_MUL || op == ALVK_BINARY_DIV) {
        s = alvk_op_binary(cmd, ALVK_BINARY_MUL, 1.0f, dc, a, &t, n, n, 1);
        g = &t;
    }
    if (s == ALVK_OK && op == ALVK_BINARY_DIV) { /* -dc a / b^2 */
        s = alvk_op_binary(cmd, ALVK_BINARY_DIV, 1.0f, &t, b, &t2, n, nb, inner);
        if (s == ALVK_OK) s = alvk_op_binary(cmd, ALVK_BINARY_DIV, 1.0f, &t2, b, &t, n, nb, inner);
        scale = -alpha;
    }
    if (s != ALVK_OK) return s;
    alvk_reduce r = {.outer = n / (nb * inner), .mid = nb, .inner = inner, .scale = scale};
    return alvk_op_reduce(cmd, &r, g, &out[1]);
}
static void ref_binary_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_binary_backward((int)c->u[0], c->f[0], in[0], in[1], in[2], out[0], out[1], c->u[1],
                        c->u[2], c->u[3]);
}

static op_case binary_case(int op, uint32_t outer, uint32_t nb, uint32_t inner, int backward) {
    uint32_t n = outer * nb * inner;
    op_case c = {.nin = 2, .nout = 1, .in_len = {n, nb}, .out_len = {n}, .lo = {-2, 0.5},
                 .hi = {2, 2}, .gpu = gpu_binary, .ref = ref_binary_fwd, .tol = 2e-6,
                 .u = {op, n, nb, inner}, .f = {1.5}};
    if (backward) {
        c.nin = 3, c.nout = 2;
        c.in_len[2] = n, c.lo[2] = -1, c.hi[2] = 1;
        c.out_len[1] = nb;
        c.gpu = gpu_binary_bwd, c.ref = ref_binary_bwd, c.fwd = ref_binary_fwd, c.fwd_nin = 2;
        c.grad_of[0] = 0, c.grad_of[1] = 1;
        c.tol = 2e-5; /* db sums up to outer*inner products */
    }
    snprintf(c.name, sizeof c.name, "%s%s [%u x %u x %u] alpha=%g", binary_names[op],
             backward ? "_backward" : "", outer, nb, inner, c.f[0]);
    return c;
}

/* ---- reduce: u[0..2] outer, mid, inner, u[3] square, u[4] sqrt, f[0] scale */
static alvk_status gpu_reduce(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                              const alvk_buffer *out) {
    alvk_reduce r = {c->u[0], c->u[1], c->u[2], (float)c->f[0], (int)c->u[3], (int)c->u[4]};
    return alvk_op_reduce(cmd, &r, &in[0], &out[0]);
}
static void ref_reduce_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_reduce(c->u[0], c->u[1], c->u[2], c->f[0], (int)c->u[3], (int)c->u[4], in[0], out[0]);
}
/* dx[i] = g[j] * (square ? 2 x[i] : 1), g = scale dy (/ 2y with sqrt). */
static alvk_status gpu_reduce_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                  const alvk_buffer *out) {
    uint32_t mid = c->u[1], inner = c->u[2], n = c->u[0] * mid * inner;
    int square = (int)c->u[3], sqrt_post = (int)c->u[4];
    float scale = (float)c->f[0];
    const alvk_buffer *x = &in[0], *g = &in[1];
    alvk_buffer y, gy;
    alvk_status s = ALVK_OK;
    if (sqrt_post) { /* g = dy / y, the 1/2 folded into the factor below */
        alvk_reduce r = {c->u[0], mid, inner, scale, square, 1};
        s = alvk_cmd_scratch(cmd, 4ull * mid, &y);
        if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * mid, &gy);
        if (s == ALVK_OK) s = alvk_op_reduce(cmd, &r, x, &y);
        if (s == ALVK_OK) s = alvk_op_binary(cmd, ALVK_BINARY_DIV, 0.5f, g, &y, &gy, mid, mid, 1);
        if (s != ALVK_OK) return s;
        g = &gy;
    }
    if (square) return alvk_op_binary(cmd, ALVK_BINARY_MUL, 2 * scale, x, g, &out[0], n, mid, inner);
    return alvk_op_binary(cmd, ALVK_BINARY_EXPAND, scale, NULL, g, &out[0], n, mid, inner);
}
static void ref_reduce_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_reduce_backward(c->u[0], c->u[1], c->u[2], c->f[0], (int)c->u[3], (int)c->u[4], in[0],
                        in[1], out[0]);
}

static op_case reduce_case(const char *what, uint32_t outer, uint32_t mid, uint32_t inner,
                           double scale, int square, int sqrt_post, int backward) {
    uint32_t n = outer * mid * inner;
    /* f32 sums of many terms: the error grows with the number of terms. */
    double tol = 3e-7 * sqrt((double)outer * inner) + 1e-6;
    op_case c = {.nin = 1, .nout = 1, .in_len = {n}, .out_len = {mid}, .lo = {-1}, .hi = {1},
                 .gpu = gpu_reduce, .ref = ref_reduce_fwd, .tol = tol,
                 .u = {outer, mid, inner, square, sqrt_post}, .f = {scale}};
    if (backward) {
        c.nin = 2, c.in_len[1] = mid, c.lo[1] = -1, c.hi[1] = 1;
        c.out_len[0] = n;
        c.gpu = gpu_reduce_bwd, c.ref = ref_reduce_bwd, c.fwd = ref_reduce_fwd, c.fwd_nin = 1;
        c.tol = 2e-5 + tol;
    }
    snprintf(c.name, sizeof c.name, "reduce%s (%s) [%u x %u x %u] scale=%g square=%d sqrt=%d",
             backward ? "_backward" : "", what, outer, mid, inner, scale, square, sqrt_post);
    return c;
}

#define MAX_CASES 160
static op_case table[MAX_CASES];

static size_t build_table(void) {
    size_t n = 0;
    for (int op = 0; op < ALVK_UNARY_COUNT; op++) { /* a new op gets rows, and fails without a reference */
        static const uint32_t sizes[] = {1, 7, 1000, 4099};
        for (int s = 0; s < 4; s++) table[n++] = unary_case(op, sizes[s], 0);
        table[n++] = unary_case(op, 7, 1);
        table[n++] = unary_case(op, 1003, 1);
    }
    table[n++] = unary_bwd_add_case(ALVK_UNARY_RELU, 7);
    table[n++] = unary_bwd_add_case(ALVK_UNARY_RELU, 4099);
    for (int bwd = 0; bwd < 2; bwd++) {
        table[n++] = dropout_case(1, 0.5f, 1, 0, bwd);
        table[n++] = dropout_case(7, 0.5f, 42, 3, bwd);
        table[n++] = dropout_case(4099, 0.1f, 0x123456789abcdefull, 7, bwd); /* both seed words */
        table[n++] = dropout_case(1000, 0.9f, 5, 0xfffffffeu, bwd);           /* a run near the wrap */
        table[n++] = dropout_case(1003, 0.0f, 9, 1, bwd);                     /* keeps everything */
    }
    for (int op = 0; op < ALVK_BINARY_COUNT; op++)
        for (int bwd = 0; bwd < 2; bwd++) {
            table[n++] = binary_case(op, 1, 1001, 1, bwd);  /* elementwise */
            table[n++] = binary_case(op, 130, 10, 1, bwd);  /* per column (bias) */
            table[n++] = binary_case(op, 3, 64, 49, bwd);   /* per channel, 7x7 */
        }
    for (int bwd = 0; bwd < 2; bwd++) {
        table[n++] = reduce_case("sum", 1, 1, 100003, 1, 0, 0, bwd);
        table[n++] = reduce_case("mean", 1, 1, 1001, 1.0 / 1001, 0, 0, bwd);
        table[n++] = reduce_case("row sums", 1, 130, 10, 1, 0, 0, bwd);
        table[n++] = reduce_case("column sums", 130, 10, 1, 1, 0, 0, bwd);
        table[n++] = reduce_case("channel sums", 3, 64, 49, 1, 0, 0, bwd);
        table[n++] = reduce_case("channel sums, large", 128, 64, 196, 1, 0, 0, bwd);
        table[n++] = reduce_case("row L2 norms", 1, 128, 512, 1, 1, 1, bwd);
    }
    cr_assert(n <= MAX_CASES);
    return n;
}

OP_TABLE_TEST(ops_elementwise, build_table, table, MAX_CASES)

/* The reductions with their workgroup sums by subgroups (reduce_sg), as on
 * a device whose race picks them. */
Test(ops_elementwise, sums_by_subgroups) {
    test_force_subgroup_sums();
    setenv("ALVK_SERIAL_SUMS", "0", 1); /* short sums by workgroups too */
    op_case rows[] = {reduce_case("sum", 1, 1, 100003, 1, 0, 0, 0),
                      reduce_case("channel sums", 3, 64, 49, 1, 0, 0, 0),
                      reduce_case("channel sums, large", 128, 64, 196, 1, 0, 0, 0),
                      reduce_case("row L2 norms", 1, 128, 512, 1, 1, 1, 0)};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) op_case_run(&rows[i]);
}

/* Short sums by a workgroup each (what a GPU's race picks; the table runs
 * them one invocation each on lavapipe). */
Test(ops_elementwise, short_sums_by_workgroups) {
    setenv("ALVK_SERIAL_SUMS", "0", 1);
    op_case rows[] = {reduce_case("column sums", 130, 10, 1, 1, 0, 0, 0),
                      reduce_case("channel sums", 3, 64, 49, 1, 0, 0, 1),
                      reduce_case("row L2 norms", 1, 128, 512, 1, 1, 1, 0)};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) op_case_run(&rows[i]);
}
