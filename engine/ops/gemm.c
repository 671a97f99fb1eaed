/* The GEMM core shared by linear (and, later, convolution): C = alpha *
 * op(A) op(B) + beta * C (+ bias per column). The kernel (shaders/gemm.comp)
 * wants both operands K-major and padded to multiples of 8, so it can run
 * without edge checks; operands in any other layout are packed into scratch
 * first, a memory-bound pass that costs a few percent of the GEMM. */
#include "ops.h"
#include "vk/context.h"

#define TILE 8   /* the kernel's register tile: 8x8 floats of C per invocation */
#define LOCAL_X 8
#define LOCAL_Y 4

static uint32_t round8(uint32_t x) { return (x + 7u) & ~7u; }

/* An operand as the kernel wants it: K-major ([K][rows], row stride a
 * multiple of 8, K a multiple of 8). `kmajor` says how src is laid out. */
static alvk_status packed(alvk_cmd *cmd, const alvk_buffer *src, int kmajor, uint32_t rows,
                          uint32_t K, uint32_t lds, alvk_buffer *out, uint32_t *ld) {
    if (kmajor && lds % 8 == 0 && K % 8 == 0) { /* already usable as is */
        *out = *src;
        *ld = lds;
        return ALVK_OK;
    }
    uint32_t ldd = round8(rows), Kp = round8(K);
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * ldd * Kp, out);
    if (s != ALVK_OK) return s;
    *ld = ldd;
    alvk_kernel k = {.shader = ALVK_SHADER_pack, .local = {16, 4}, .nspec = 1, .spec = {kmajor != 0}};
    alvk_binding b[2] = {alvk_in1(src), alvk_out(out)};
    struct { uint32_t rows, K, lds, ldd, Kp; } push = {rows, K, lds, ldd, Kp};
    return alvk_op_dispatch(cmd, k, b, 2, &push, sizeof push,
                            (uint32_t[3]){(ldd + 15) / 16, (Kp + 3) / 4, 1});
}

alvk_status alvk_op_gemm(alvk_cmd *cmd, const alvk_gemm *g, const alvk_buffer *a,
                         const alvk_buffer *b, const alvk_buffer *c, const alvk_buffer *bias) {
    if (!g->M || !g->N || !g->K)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "gemm: empty shape %ux%ux%u", g->M, g->N, g->K);
    uint32_t lda = g->lda ? g->lda : (g->trans_a ? g->M : g->K);
    uint32_t ldb = g->ldb ? g->ldb : (g->trans_b ? g->K : g->N);
    uint32_t ldc = g->ldc ? g->ldc : g->N;
    uint64_t need_a = 4ull * (g->trans_a ? (uint64_t)(g->K - 1) * lda + g->M : (uint64_t)(g->M - 1) * lda + g->K);
    uint64_t need_b = 4ull * (g->trans_b ? (uint64_t)(g->N - 1) * ldb + g->K : (uint64_t)(g->K - 1) * ldb + g->N);
    uint64_t need_c = 4ull * ((uint64_t)(g->M - 1) * ldc + g->N);
    if (a->size < need_a || b->size < need_b || c->size < need_c || (bias && bias->size < 4ull * g->N))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "gemm %ux%ux%u (trans %d%d): an operand is smaller than its shape",
                          g->M, g->N, g->K, g->trans_a, g->trans_b);
    /* A is M x K: K-major when stored transposed. B is K x N: K-major as is. */
    alvk_buffer at, bk;
    uint32_t lda_p, ldb_p;
    alvk_status s = packed(cmd, a, g->trans_a, g->M, g->K, lda, &at, &lda_p);
    if (s == ALVK_OK) s = packed(cmd, b, !g->trans_b, g->N, g->K, ldb, &bk, &ldb_p);
    if (s != ALVK_OK) return s;

    alvk_gemm_packed p = {.M = g->M, .N = g->N, .K = g->K, .lda = lda_p, .ldb = ldb_p,
                          .ldc = ldc, .alpha = g->alpha, .beta = g->beta};
    return alvk_op_gemm_packed(cmd, &p, &at, &bk, c, bias);
}

alvk_status alvk_op_gemm_packed(alvk_cmd *cmd, const alvk_gemm_packed *p, const alvk_buffer *at,
                                const alvk_buffer *bk, const alvk_buffer *c,
                                const alvk_buffer *bias) {
    alvk_kernel k = {.shader = ALVK_SHADER_gemm, .local = {LOCAL_X, LOCAL_Y}, .nspec = 3,
                     .spec = {bias != NULL, p->beta != 0.0f, p->nchw_pixels != 0}};
    alvk_binding bind[4] = {alvk_in4(at), alvk_in4(bk), alvk_out(c), alvk_in1(bias ? bias : c)};
    struct { uint32_t M, N, K, lda, ldb, ldc; float alpha, beta; uint32_t P; } push = {
        p->M, p->N, round8(p->K), p->lda, p->ldb, p->ldc, p->alpha, p->beta, p->nchw_pixels};
    uint32_t tiles_n = (p->N + TILE - 1) / TILE, tiles_m = (p->M + TILE - 1) / TILE;
    uint32_t groups[3] = {(tiles_n + LOCAL_X - 1) / LOCAL_X, (tiles_m + LOCAL_Y - 1) / LOCAL_Y, 1};
    return alvk_op_dispatch(cmd, k, bind, 4, &push, sizeof push, groups);
}

/* With C = op(A) op(B): dA = dC op(B)^T and dB = op(A)^T dC, each written in
 * its operand's stored layout, i.e. transposed when that operand is. */
alvk_status alvk_op_gemm_backward(alvk_cmd *cmd, const alvk_gemm *g, const alvk_buffer *a,
                                  const alvk_buffer *b, const alvk_buffer *dc,
                                  const alvk_buffer *da, const alvk_buffer *db) {
    if (g->lda || g->ldb || g->ldc)
        return alvk_error(ALVK_ERROR_UNSUPPORTED, "gemm backward: contiguous operands only");
    alvk_status s = ALVK_OK;
    if (da && !g->trans_a) /* da[M][K] = dC[M][N] op(B)^T */
        s = alvk_op_gemm(cmd, &(alvk_gemm){g->M, g->K, g->N, 0, !g->trans_b, .alpha = g->alpha},
                         dc, b, da, NULL);
    else if (da) /* da[K][M] = op(B)[K][N] dC^T */
        s = alvk_op_gemm(cmd, &(alvk_gemm){g->K, g->M, g->N, g->trans_b, 1, .alpha = g->alpha},
                         b, dc, da, NULL);
    if (s != ALVK_OK) return s;
    if (db && !g->trans_b) /* db[K][N] = op(A)^T dC */
        s = alvk_op_gemm(cmd, &(alvk_gemm){g->K, g->N, g->M, !g->trans_a, 0, .alpha = g->alpha},
                         a, dc, db, NULL);
    else if (db) /* db[N][K] = dC^T op(A) */
        s = alvk_op_gemm(cmd, &(alvk_gemm){g->N, g->K, g->M, 1, g->trans_a, .alpha = g->alpha},
                         dc, a, db, NULL);
    return s;
}
