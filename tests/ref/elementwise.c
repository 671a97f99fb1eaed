/* References for the elementwise ops and reductions. */
#include "ref.h"

#include <alvk/alvk.h>

#include <math.h>

/* The standard normal CDF; erfc keeps the small tail for negative v. */
static double phi_cdf(double v) { return 0.5 * erfc(-v / sqrt(2)); }

static double unary(int op, double alpha, double v) {
    switch (op) {
    case 0: return v > 0 ? v : 0;
    case 1: return 1 / (1 + exp(-v));
    case 2: return alpha * v;
    case 3: return v * v;
    case 4: return sqrt(v);
    case 5: return alpha * v; /* affine; its beta is added by the caller */
    case 6: return tanh(v);
    case 7: return exp(v);
    case 8: return log(v);
    case 9: return v > 0 ? v : alpha * v; /* leaky relu, alpha the slope */
    case 10: return v * phi_cdf(v);       /* gelu */
    default: return NAN;      /* an op without a reference fails its rows */
    }
}

static double unary_derivative(int op, double alpha, double v) {
    switch (op) {
    case 0: return v > 0 ? 1 : 0;
    case 1: { double s = 1 / (1 + exp(-v)); return s * (1 - s); }
    case 2: return alpha;
    case 3: return 2 * v;
    case 4: return 0.5 / sqrt(v);
    case 5: return alpha;
    case 6: return 1 - tanh(v) * tanh(v);
    case 7: return exp(v);
    case 8: return 1 / v;
    case 9: return v > 0 ? 1 : alpha;
    case 10: return phi_cdf(v) + v * 0.3989422804014327 * exp(-0.5 * v * v); /* Phi + x phi */
    default: return NAN;
    }
}

void ref_unary(int op, double alpha, double beta, const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = unary(op, alpha, x[i]) + (op == 5 ? beta : 0);
}

void ref_unary_backward(int op, double alpha, const double *x, const double *dy, double *dx,
                        size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * unary_derivative(op, alpha, x[i]);
}

void ref_binary(int op, double alpha, const double *a, const double *b, double *c, size_t n,
                size_t nb, size_t inner) {
    for (size_t i = 0; i < n; i++) {
        double bv = b[(i / inner) % nb], r;
        switch (op) {
        case 0: r = a[i] + bv; break;
        case 1: r = a[i] - bv; break;
        case 2: r = a[i] * bv; break;
        case 3: r = a[i] / bv; break;
        default: r = bv; break;
        }
        c[i] = alpha * r;
    }
}

void ref_binary_backward(int op, double alpha, const double *a, const double *b,
                         const double *dc, double *da, double *db, size_t n, size_t nb,
                         size_t inner) {
    for (size_t j = 0; j < nb; j++) db[j] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (i / inner) % nb;
        double g = alpha * dc[i], bv = b[j];
        double ga = op == 2 ? g * bv : op == 3 ? g / bv : g;
        double gb = op == 1 ? -g : op == 2 ? g * a[i] : op == 3 ? -g * a[i] / (bv * bv) : g;
        if (da) da[i] = op == 4 ? 0 : ga;
        db[j] += gb;
    }
}

int ref_dropout_keeps(uint64_t seed, uint32_t run, double p, size_t k) {
    return (double)(alvk_random(seed, run, k) >> 32) >= floor(p * 4294967296.0);
}

void ref_dropout(uint64_t seed, uint32_t run, double p, const double *x, double *y, size_t n) {
    for (size_t k = 0; k < n; k++) y[k] = ref_dropout_keeps(seed, run, p, k) ? x[k] / (1 - p) : 0;
}

/* The sum (of squares) of the values that output j of a reduction takes. */
static double sum_of(size_t outer, size_t mid, size_t inner, int square, const double *x, size_t j) {
    double s = 0;
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < inner; k++) {
            double v = x[(o * mid + j) * inner + k];
            s += square ? v * v : v;
        }
    return s;
}

void ref_reduce(size_t outer, size_t mid, size_t inner, double scale, int square, int sqrt_post,
                const double *x, double *y) {
    for (size_t j = 0; j < mid; j++) {
        double s = sum_of(outer, mid, inner, square, x, j);
        y[j] = sqrt_post ? sqrt(scale * s) : scale * s;
    }
}

void ref_reduce_backward(size_t outer, size_t mid, size_t inner, double scale, int square,
                         int sqrt_post, const double *x, const double *dy, double *dx) {
    /* Recompute each output's sum, then spread its gradient. */
    for (size_t j = 0; j < mid; j++) {
        double s = sum_of(outer, mid, inner, square, x, j);
        double g = dy[j] * scale;
        if (sqrt_post) g *= 0.5 / sqrt(scale * s);
        for (size_t o = 0; o < outer; o++)
            for (size_t k = 0; k < inner; k++) {
                size_t i = (o * mid + j) * inner + k;
                dx[i] = square ? g * 2 * x[i] : g;
            }
    }
}
