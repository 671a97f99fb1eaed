/* The reference GEMM (linear layers and their gradients are GEMMs too). */
#include "ref.h"

static double at(const double *m, int trans, size_t ld, size_t r, size_t c) {
    return trans ? m[c * ld + r] : m[r * ld + c];
}

void ref_gemm(size_t M, size_t N, size_t K, int trans_a, int trans_b, double alpha, double beta,
              const double *a, const double *b, const double *bias, double *c) {
    size_t lda = trans_a ? M : K, ldb = trans_b ? K : N;
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            double s = 0;
            for (size_t k = 0; k < K; k++) s += at(a, trans_a, lda, m, k) * at(b, trans_b, ldb, k, n);
            double prior = beta != 0 ? beta * c[m * N + n] : 0; /* as BLAS: beta 0 reads no c */
            c[m * N + n] = alpha * s + prior + (bias ? bias[n] : 0);
        }
}
