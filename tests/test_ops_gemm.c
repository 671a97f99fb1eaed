/* Op table: GEMM in every layout, and linear layers, forward and backward. */
#include "ops_harness.h"
#include "ref/ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* u: M, N, K, trans_a, trans_b, has_bias; f: alpha, beta.
 * Forward inputs: a, b, bias (N; unused unless has_bias), c0 (M*N). */
static alvk_status gpu_gemm(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                            const alvk_buffer *out) {
    alvk_gemm g = {c->u[0], c->u[1], c->u[2], (int)c->u[3], (int)c->u[4],
                   .alpha = (float)c->f[0], .beta = (float)c->f[1]};
    alvk_status s = ALVK_OK;
    if (g.beta != 0.0f) /* C starts as c0 */
        s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &in[3], &out[0], g.M * g.N);
    return s == ALVK_OK ? alvk_op_gemm(cmd, &g, &in[0], &in[1], &out[0], c->u[5] ? &in[2] : NULL) : s;
}
static void ref_gemm_fwd(const op_case *c, const double *const *in, double *const *out) {
    size_t mn = (size_t)c->u[0] * c->u[1];
    for (size_t i = 0; i < mn; i++) out[0][i] = c->nin > 3 ? in[3][i] : 0;
    ref_gemm(c->u[0], c->u[1], c->u[2], (int)c->u[3], (int)c->u[4], c->f[0],
             c->nin > 3 ? c->f[1] : 0, in[0], in[1], c->u[5] ? in[2] : NULL, out[0]);
}
/* Backward inputs: a, b, dc; outputs da, db. */
static alvk_status gpu_gemm_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                const alvk_buffer *out) {
    alvk_gemm g = {c->u[0], c->u[1], c->u[2], (int)c->u[3], (int)c->u[4], .alpha = (float)c->f[0]};
    return alvk_op_gemm_backward(cmd, &g, &in[0], &in[1], &in[2], &out[0], &out[1]);
}
static void ref_gemm_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_gemm_backward(c->u[0], c->u[1], c->u[2], (int)c->u[3], (int)c->u[4], c->f[0], in[0],
                      in[1], in[2], out[0], out[1]);
}

static op_case gemm_case(uint32_t M, uint32_t N, uint32_t K, int ta, int tb, int bias,
                         double beta, int backward) {
    size_t mn = (size_t)M * N;
    op_case c = {.nin = beta != 0 ? 4 : 3, .nout = 1,
                 .in_len = {(size_t)M * K, (size_t)K * N, N, mn}, .out_len = {mn},
                 .lo = {-1, -1, -1, -1}, .hi = {1, 1, 1, 1}, .gpu = gpu_gemm, .ref = ref_gemm_fwd,
                 .tol = 1e-6 * sqrt((double)K) + 1e-6, .u = {M, N, K, ta, tb, bias},
                 .f = {1.25, beta}};
    if (backward) {
        c.nin = 3, c.nout = 2;
        c.in_len[2] = mn;
        c.out_len[0] = (size_t)M * K, c.out_len[1] = (size_t)K * N;
        c.gpu = gpu_gemm_bwd, c.ref = ref_gemm_bwd, c.fwd = ref_gemm_fwd, c.fwd_nin = 2;
        c.u[5] = 0;
        c.grad_of[0] = 0, c.grad_of[1] = 1;
        c.tol = 1e-6 * sqrt((double)(M > N ? M : N)) + 1e-6;
    }
    snprintf(c.name, sizeof c.name, "gemm%s M=%u N=%u K=%u trans_a=%d trans_b=%d bias=%d "
             "alpha=1.25 beta=%g", backward ? "_backward" : "", M, N, K, ta, tb, bias, beta);
    return c;
}

/* u: M, in, out. Forward inputs x, W, b; backward adds dy, outputs dx, dW, db. */
static alvk_status gpu_linear(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                              const alvk_buffer *out) {
    return alvk_op_linear(cmd, c->u[0], c->u[1], c->u[2], &in[0], &in[1], &in[2], &out[0]);
}
static void ref_linear_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_gemm(c->u[0], c->u[2], c->u[1], 0, 1, 1, 0, in[0], in[1], in[2], out[0]);
}
static alvk_status gpu_linear_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                  const alvk_buffer *out) {
    return alvk_op_linear_backward(cmd, c->u[0], c->u[1], c->u[2], &in[0], &in[1], &in[3],
                                   &out[0], &out[1], &out[2]);
}
static void ref_linear_bwd(const op_case *c, const double *const *in, double *const *out) {
    uint32_t M = c->u[0], out_f = c->u[2];
    ref_gemm_backward(M, out_f, c->u[1], 0, 1, 1, in[0], in[1], in[3], out[0], out[1]);
    for (uint32_t n = 0; n < out_f; n++) {
        out[2][n] = 0;
        for (uint32_t m = 0; m < M; m++) out[2][n] += in[3][(size_t)m * out_f + n];
    }
}

static op_case linear_case(uint32_t M, uint32_t in, uint32_t out, int backward) {
    op_case c = {.nin = 3, .nout = 1, .in_len = {(size_t)M * in, (size_t)out * in, out},
                 .out_len = {(size_t)M * out}, .lo = {0, -0.1, -0.1}, .hi = {1, 0.1, 0.1},
                 .gpu = gpu_linear, .ref = ref_linear_fwd, .tol = 1e-6 * sqrt((double)in) + 1e-6,
                 .u = {M, in, out}};
    if (backward) {
        c.nin = 4, c.nout = 3;
        c.in_len[3] = (size_t)M * out, c.lo[3] = -1, c.hi[3] = 1;
        c.out_len[0] = (size_t)M * in, c.out_len[1] = (size_t)out * in, c.out_len[2] = out;
        c.gpu = gpu_linear_bwd, c.ref = ref_linear_bwd, c.fwd = ref_linear_fwd, c.fwd_nin = 3;
        c.grad_of[0] = 0, c.grad_of[1] = 1, c.grad_of[2] = 2;
        c.tol = 1e-6 * sqrt((double)(M > out ? M : out)) + 2e-6;
    }
    snprintf(c.name, sizeof c.name, "linear%s batch=%u in=%u out=%u", backward ? "_backward" : "",
             M, in, out);
    return c;
}

#define MAX_CASES 96
static op_case table[MAX_CASES];

static size_t build_table(void) {
    size_t n = 0;
    static const uint32_t shapes[][3] = {
        {1, 1, 1}, {3, 10, 512}, {7, 13, 49}, {130, 10, 17}, {64, 64, 64}, {33, 70, 100}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++) {
            uint32_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            table[n++] = gemm_case(M, N, K, t & 1, t >> 1, 0, 0, 0);
            table[n++] = gemm_case(M, N, K, t & 1, t >> 1, 0, 0, 1);
        }
    table[n++] = gemm_case(33, 70, 100, 0, 1, 1, 0, 0);   /* bias */
    table[n++] = gemm_case(33, 70, 100, 1, 0, 1, 0.5, 0); /* bias and accumulate */
    table[n++] = gemm_case(128, 512, 512, 0, 1, 0, 0, 0); /* discriminator layer */
    for (int bwd = 0; bwd < 2; bwd++) {
        table[n++] = linear_case(1, 512, 10, bwd);   /* the head, batch 1 */
        table[n++] = linear_case(3, 512, 10, bwd);
        table[n++] = linear_case(130, 512, 10, bwd); /* a batch larger than 128 */
        table[n++] = linear_case(3, 512, 512, bwd);  /* discriminator */
        table[n++] = linear_case(5, 512, 1, bwd);    /* discriminator output */
    }
    cr_assert(n <= MAX_CASES);
    return n;
}

OP_TABLE_TEST(ops_gemm, build_table, table, MAX_CASES)

/* Every kernel the device race can pick computes the same GEMM: each
 * register tile, and the shared-memory blocks (smem). */
Test(ops_gemm, every_tile_variant) {
    static const char *const tiles[] = {"16x16", "8x8", "4x8", "8x4", "4x4", "smem"};
    for (int t = 0; t < 6; t++) {
        setenv("ALVK_GEMM_TILE", tiles[t], 1);
        op_case c = gemm_case(33, 70, 100, 1, 0, 1, 0.5, 0);
        snprintf(c.name + strlen(c.name), sizeof c.name - strlen(c.name), " tile=%s", tiles[t]);
        op_case_run(&c);
        c = gemm_case(130, 10, 17, 0, 1, 0, 0, 1);
        snprintf(c.name + strlen(c.name), sizeof c.name - strlen(c.name), " tile=%s", tiles[t]);
        op_case_run(&c);
        /* Enough tiles that the large ones are not stepped down (gemm.c: fit). */
        c = gemm_case(150, 140, 37, 1, 0, 1, 0.5, 0);
        snprintf(c.name + strlen(c.name), sizeof c.name - strlen(c.name), " tile=%s", tiles[t]);
        op_case_run(&c);
    }
}

/* Split K (gemm.c), forced: long-K GEMMs with few tiles as S GEMMs over
 * slices of K plus a reduce; a bias or an accumulated C never splits. */
Test(ops_gemm, split_k) {
    setenv("ALVK_GEMM_SPLIT", "1", 1);
    for (int t = 0; t < 4; t++) {
        op_case c = gemm_case(20, 24, 2048, t & 1, t >> 1, 0, 0, 0); /* 8 slices */
        op_case_run(&c);
        c = gemm_case(9, 5, 1530, t & 1, t >> 1, 0, 0, 0);           /* K rounds up to 1536: 6 */
        op_case_run(&c);
    }
    op_case c = gemm_case(20, 24, 2048, 1, 0, 1, 0.5, 0);
    op_case_run(&c);
}
