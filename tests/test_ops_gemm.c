/* Op table: GEMM in every layout, and the GEMMs a graph records for matmul
 * gradients and linear layers (graph/ops_linear.c: their gradients are
 * products like any other; test_graph_grad.c checks them as gradients). */
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
static op_case gemm_case(uint32_t M, uint32_t N, uint32_t K, int ta, int tb, int bias, double beta) {
    size_t mn = (size_t)M * N;
    op_case c = {.nin = beta != 0 ? 4 : 3, .nout = 1,
                 .in_len = {(size_t)M * K, (size_t)K * N, N, mn}, .out_len = {mn},
                 .lo = {-1, -1, -1, -1}, .hi = {1, 1, 1, 1}, .gpu = gpu_gemm, .ref = ref_gemm_fwd,
                 .tol = 1e-6 * sqrt((double)K) + 1e-6, .u = {M, N, K, ta, tb, bias},
                 .f = {1.25, beta}};
    snprintf(c.name, sizeof c.name, "gemm M=%u N=%u K=%u trans_a=%d trans_b=%d bias=%d "
             "alpha=1.25 beta=%g", M, N, K, ta, tb, bias, beta);
    return c;
}

/* Adds a row unless the table has it already. */
static void add(op_case *t, size_t *n, op_case c) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].name, c.name) == 0) return;
    t[(*n)++] = c;
}

/* The products a graph records for the gradients of C = op(A) op(B), A
 * [M,K] (or [K,M] when transposed), B [K,N] (or [N,K]): graph/ops_linear.c's
 * matmul VJP, each written in its operand's layout. */
static void add_gradient_products(op_case *t, size_t *n, uint32_t M, uint32_t N, uint32_t K, int ta,
                                  int tb) {
    add(t, n, ta ? gemm_case(K, M, N, tb, 1, 0, 0) : gemm_case(M, K, N, 0, !tb, 0, 0)); /* dA */
    add(t, n, tb ? gemm_case(N, K, M, 1, ta, 0, 0) : gemm_case(K, N, M, !ta, 0, 0, 0)); /* dB */
}

/* What a graph's linear layer y = x W^T + b (x [M,in], W [out,in])
 * records as GEMMs: y (the bias is an add of its own), and its gradients
 * dx = dy W and dW = dy^T x. */
static void add_linear(op_case *t, size_t *n, uint32_t M, uint32_t in, uint32_t out) {
    add(t, n, gemm_case(M, out, in, 0, 1, 0, 0));
    add_gradient_products(t, n, M, out, in, 0, 1);
}

#define MAX_CASES 128
static op_case table[MAX_CASES];

static size_t build_table(void) {
    size_t n = 0;
    static const uint32_t shapes[][3] = {
        {1, 1, 1}, {3, 10, 512}, {7, 13, 49}, {130, 10, 17}, {64, 64, 64}, {33, 70, 100}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++) {
            uint32_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            add(table, &n, gemm_case(M, N, K, t & 1, t >> 1, 0, 0));
            add_gradient_products(table, &n, M, N, K, t & 1, t >> 1);
        }
    add(table, &n, gemm_case(33, 70, 100, 0, 1, 1, 0));   /* bias */
    add(table, &n, gemm_case(33, 70, 100, 1, 0, 1, 0.5)); /* bias and accumulate */
    add(table, &n, gemm_case(128, 512, 512, 0, 1, 0, 0)); /* discriminator layer */
    add_linear(table, &n, 1, 512, 10);   /* the head, batch 1 */
    add_linear(table, &n, 3, 512, 10);
    add_linear(table, &n, 130, 512, 10); /* a batch larger than 128 */
    add_linear(table, &n, 3, 512, 512);  /* discriminator */
    add_linear(table, &n, 5, 512, 1);    /* discriminator output */
    cr_assert(n <= MAX_CASES);
    return n;
}

OP_TABLE_TEST(ops_gemm, build_table, table, MAX_CASES)

/* Every kernel the device race can pick computes the same GEMM: each
 * register tile, and the shared-memory blocks (smem). */
Test(ops_gemm, every_tile_variant) {
    static const char *const tiles[] = {"16x16", "16x16h", "8x8", "4x8", "8x4", "4x4", "smem"};
    for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
        setenv("ALVK_GEMM_TILE", tiles[t], 1);
        op_case rows[] = {gemm_case(33, 70, 100, 1, 0, 1, 0.5),
                          /* the gradients of a 130x10x17 product with B transposed */
                          gemm_case(130, 17, 10, 0, 0, 0, 0), gemm_case(10, 17, 130, 1, 0, 0, 0),
                          /* enough tiles that the large ones are not stepped down (gemm.c: fit) */
                          gemm_case(150, 140, 37, 1, 0, 1, 0.5)};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            op_case *c = &rows[i];
            snprintf(c->name + strlen(c->name), sizeof c->name - strlen(c->name), " tile=%s", tiles[t]);
            op_case_run(c);
        }
    }
}

/* gemm_small.comp (gemm.c: small GEMMs run unpacked), forced on every row
 * of the table: both transposes, bias, accumulate, odd and unit sizes. */
Test(ops_gemm, small_kernel) {
    setenv("ALVK_GEMM_TILE", "small", 1);
    size_t n = build_table();
    for (size_t i = 0; i < n; i++) {
        op_case c = table[i];
        snprintf(c.name + strlen(c.name), sizeof c.name - strlen(c.name), " small");
        op_case_run(&c);
    }
}

/* Split K (gemm.c), forced: long-K GEMMs with few tiles as S GEMMs over
 * slices of K plus a reduce; a bias or an accumulated C never splits. */
Test(ops_gemm, split_k) {
    setenv("ALVK_GEMM_SPLIT", "1", 1);
    for (int t = 0; t < 4; t++) {
        op_case c = gemm_case(20, 24, 2048, t & 1, t >> 1, 0, 0); /* 8 slices */
        op_case_run(&c);
        c = gemm_case(9, 5, 1530, t & 1, t >> 1, 0, 0);           /* K rounds up to 1536: 6 */
        op_case_run(&c);
    }
    op_case c = gemm_case(20, 24, 2048, 1, 0, 1, 0.5);
    op_case_run(&c);
}
