/* Plain-C references for every kernel, in double precision: what the GPU
 * results are checked against, and whose backward passes are themselves
 * checked against finite differences. Written for clarity, not speed. */
#ifndef ALVK_REF_H
#define ALVK_REF_H

#include <stddef.h>
#include <stdint.h>

/* ALVK_UNARY_OPS order: relu, sigmoid, scale, square, sqrt, affine
 * (alpha x + beta; beta is used by affine only), tanh, exp, log, leaky relu
 * (slope alpha), gelu (x Phi(x), Phi the standard normal CDF, by libm's erfc). */
void ref_unary(int op, double alpha, double beta, const double *x, double *y, size_t n);
/* dx = dy * f'(x) */
void ref_unary_backward(int op, double alpha, const double *x, const double *dy, double *dx,
                        size_t n);

/* ALVK_BINARY_OPS order: add, sub, mul, div, expand.
 * c[i] = alpha * (a[i] op b[(i / inner) % nb]) */
void ref_binary(int op, double alpha, const double *a, const double *b, double *c, size_t n,
                size_t nb, size_t inner);
/* da (NULL for expand) and db (sums over the broadcast) from dc. */
void ref_binary_backward(int op, double alpha, const double *a, const double *b,
                         const double *dc, double *da, double *db, size_t n, size_t nb,
                         size_t inner);

/* Dropout in the graph's run `run`: element k kept, and scaled by
 * 1 / (1 - p), when the high 32 bits of alvk_random(seed, run, k) are at
 * least floor(p 2^32), else 0 (the definition alvk.h states). */
void ref_dropout(uint64_t seed, uint32_t run, double p, const double *x, double *y, size_t n);
/* Whether element k is kept. */
int ref_dropout_keeps(uint64_t seed, uint32_t run, double p, size_t k);

/* y[j] = post(scale * sum_{o,k} pre(x[(o*mid + j)*inner + k])) */
void ref_reduce(size_t outer, size_t mid, size_t inner, double scale, int square, int sqrt_post,
                const double *x, double *y);
void ref_reduce_backward(size_t outer, size_t mid, size_t inner, double scale, int square,
                         int sqrt_post, const double *x, const double *dy, double *dx);

/* c = alpha * op(a) op(b) + beta * c (+ bias[n]); a is M x K (stored K x M
 * when trans_a), b is K x N (stored N x K when trans_b), all packed. */
void ref_gemm(size_t M, size_t N, size_t K, int trans_a, int trans_b, double alpha, double beta,
              const double *a, const double *b, const double *bias, double *c);

#endif
