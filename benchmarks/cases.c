/* The cases alvk-bench times: every distinct conv, batchnorm, pool, linear
 * and elementwise shape of ResNet18 on 28x28 MNIST at batch 128 (with how
 * often each occurs in one training step), the same network's forward pass
 * on 224x224x3 at batch 1 and 8, and square and ResNet-shaped GEMMs. Each
 * kind records its op and checks the result against tests/ref/. */
#include "bench.h"
#include "ref/conv.h"
#include "ref/copy.h"
#include "ref/norm_pool.h"
#include "ref/ref.h"
#include "ref/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checking helpers -------------------------------------------------- */

static double *to_double(const float *v, size_t n) {
    double *d = calloc(n + 1, sizeof *d);
    if (d)
        for (size_t i = 0; i < n; i++) d[i] = v[i];
    return d;
}

/* Worst |got - want| / (1 + |want|) / tol over n values: <= 1 passes. */
static double worst(const float *got, const double *want, size_t n, double tol) {
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(got[i] - want[i]) / (1 + fabs(want[i])) / tol;
        if (!(e <= w)) w = e; /* NaN propagates */
    }
    return w;
}
/* The larger of two errors, NaN if either is (fmax would drop it). */
static double worse(double a, double b) { return a != a || b != b ? NAN : fmax(a, b); }

/* A fixed pseudo-random sample index. */
static size_t sample(size_t i, size_t n) { return (size_t)((i * 2654435761u + 12345u) % n); }

/* ---- GEMM: p = M, N, K, trans_a, trans_b; operands a, b, c ------------- */
static int gemm_operands(const bench_case *c, size_t s[], int *nin) {
    s[0] = (size_t)c->p[0] * c->p[2], s[1] = (size_t)c->p[2] * c->p[1], s[2] = (size_t)c->p[0] * c->p[1];
    *nin = 2;
    return 3;
}
static alvk_status gemm_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_gemm g = {c->p[0], c->p[1], c->p[2], (int)c->p[3], (int)c->p[4], .alpha = 1.0f};
    return alvk_op_gemm(cmd, &g, &o[0], &o[1], &o[2], NULL);
}
/* 64 sampled entries of C against dot products in double. */
static double gemm_check(const bench_case *c, float *const *o) {
    size_t M = c->p[0], N = c->p[1], K = c->p[2], ta = c->p[3], tb = c->p[4];
    double worst_e = 0;
    for (size_t t = 0; t < 64; t++) {
        size_t i = sample(t, M * N), m = i / N, n = i % N;
        double s = 0;
        for (size_t k = 0; k < K; k++)
            s += (double)(ta ? o[0][k * M + m] : o[0][m * K + k]) * (tb ? o[1][n * K + k] : o[1][k * N + n]);
        double e = worst(&o[2][i], &s, 1, 1e-5 * sqrt((double)K) + 1e-5);
        if (!(e <= worst_e)) worst_e = e;
    }
    return worst_e;
}
static const bench_kind gemm_kind = {"gemm", "forward", gemm_operands, gemm_record, gemm_check, NULL, NULL};

/* ---- linear: p = M, in, out ---------------------------------------------
 * What a graph's linear layer records (graph/ops_linear.c): forward x W^T
 * and the bias added to each row; backward-data dy W; backward-weight
 * dy^T x and the bias gradient's column sums.
 * forward: x, W, b, y; backward-data: dy, W, dx; backward-weight: x, dy, dW, db */
static int linear_operands(const bench_case *c, size_t s[], int *nin) {
    size_t M = c->p[0], in = c->p[1], out = c->p[2];
    if (strcmp(c->kind->direction, "forward") == 0) {
        s[0] = M * in, s[1] = out * in, s[2] = out, s[3] = M * out, *nin = 3;
        return 4;
    }
    if (strcmp(c->kind->direction, "backward-data") == 0) {
        s[0] = M * out, s[1] = out * in, s[2] = M * in, *nin = 2;
        return 3;
    }
    s[0] = M * in, s[1] = M * out, s[2] = out * in, s[3] = out, *nin = 2;
    return 4;
}
static alvk_status linear_fwd_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    uint32_t M = c->p[0], in = c->p[1], out = c->p[2];
    alvk_buffer xw;
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * M * out, &xw);
    if (s == ALVK_OK)
        s = alvk_op_gemm(cmd, &(alvk_gemm){M, out, in, 0, 1, .alpha = 1}, &o[0], &o[1], &xw, NULL);
    return s == ALVK_OK ? alvk_op_binary(cmd, ALVK_BINARY_ADD, 1.0f, &xw, &o[2], &o[3], M * out, out, 1) : s;
}
static alvk_status linear_bwd_data_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_gemm(cmd, &(alvk_gemm){c->p[0], c->p[1], c->p[2], 0, 0, .alpha = 1}, &o[0], &o[1], &o[2],
                        NULL);
}
static alvk_status linear_bwd_weight_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    uint32_t M = c->p[0], in = c->p[1], out = c->p[2];
    alvk_status s = alvk_op_gemm(cmd, &(alvk_gemm){out, in, M, 1, 0, .alpha = 1}, &o[1], &o[0], &o[2], NULL);
    return s == ALVK_OK ? alvk_op_reduce(cmd, &(alvk_reduce){.outer = M, .mid = out, .inner = 1, .scale = 1},
                                         &o[1], &o[3])
                        : s;
}
static double linear_check(const bench_case *c, float *const *o) {
    size_t M = c->p[0], in = c->p[1], out = c->p[2];
    const char *d = c->kind->direction;
    size_t n = strcmp(d, "forward") == 0 ? M * out : strcmp(d, "backward-data") == 0 ? M * in : out * in;
    double *want = malloc(n * sizeof *want), *x = NULL, *w = NULL, *b = NULL, *dy = NULL, e;
    if (strcmp(d, "forward") == 0) {
        x = to_double(o[0], M * in), w = to_double(o[1], out * in), b = to_double(o[2], out);
        ref_gemm(M, out, in, 0, 1, 1, 0, x, w, b, want);
        e = worst(o[3], want, n, 1e-5 * sqrt((double)in) + 1e-5);
    } else if (strcmp(d, "backward-data") == 0) {
        dy = to_double(o[0], M * out), w = to_double(o[1], out * in);
        ref_gemm(M, in, out, 0, 0, 1, 0, dy, w, NULL, want);
        e = worst(o[2], want, n, 1e-5 * sqrt((double)out) + 1e-5);
    } else {
        x = to_double(o[0], M * in), dy = to_double(o[1], M * out);
        ref_gemm(out, in, M, 1, 0, 1, 0, dy, x, NULL, want);
        e = worst(o[2], want, n, 1e-5 * sqrt((double)M) + 1e-5);
    }
    free(want), free(x), free(w), free(b), free(dy);
    return e;
}
static const bench_kind linear_fwd = {"linear", "forward", linear_operands, linear_fwd_record, linear_check, NULL, NULL};
static const bench_kind linear_bwd_data = {"linear", "backward-data", linear_operands, linear_bwd_data_record, linear_check, NULL, NULL};
static const bench_kind linear_bwd_weight = {"linear", "backward-weight", linear_operands, linear_bwd_weight_record, linear_check, NULL, NULL};

/* ---- conv2d: p = N, Cin, H, W, Cout, K, stride, pad, bias ----------------
 * forward: x, w, b, y; backward-data: dy, w, dx; backward-weight: x, dy, dw, db */
static ref_conv conv_ref(const bench_case *c, size_t N) {
    return (ref_conv){N, c->p[1], c->p[2], c->p[3], c->p[4], c->p[5], c->p[5], c->p[6], c->p[7]};
}
static alvk_conv conv_alvk(const bench_case *c) {
    return (alvk_conv){c->p[0], c->p[1], c->p[2], c->p[3], c->p[4], c->p[5], c->p[5], c->p[6], c->p[7]};
}
static int conv_operands(const bench_case *c, size_t s[], int *nin) {
    ref_conv r = conv_ref(c, c->p[0]);
    size_t OH = ref_conv_out(r.H, r.KH, r.stride, r.pad), OW = ref_conv_out(r.W, r.KW, r.stride, r.pad);
    size_t nx = r.N * r.Cin * r.H * r.W, nw = r.Cout * r.Cin * r.KH * r.KW, ny = r.N * r.Cout * OH * OW;
    const char *d = c->kind->direction;
    if (strcmp(d, "forward") == 0) {
        s[0] = nx, s[1] = nw, s[2] = r.Cout, s[3] = ny, *nin = 3;
        return 4;
    }
    if (strcmp(d, "backward-data") == 0) {
        s[0] = ny, s[1] = nw, s[2] = nx, *nin = 2;
        return 3;
    }
    s[0] = nx, s[1] = ny, s[2] = nw, s[3] = r.Cout, *nin = 2;
    return 4;
}
static alvk_status conv_fwd_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_conv cv = conv_alvk(c);
    return alvk_op_conv2d(cmd, &cv, &o[0], &o[1], c->p[8] ? &o[2] : NULL, &o[3]);
}
static alvk_status conv_bwd_data_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_conv cv = conv_alvk(c);
    return alvk_op_conv2d_backward_data(cmd, &cv, &o[0], &o[1], NULL, &o[2]);
}
static alvk_status conv_bwd_weight_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_conv cv = conv_alvk(c);
    return alvk_op_conv2d_backward_weight(cmd, &cv, &o[0], &o[1], &o[2], c->p[8] ? &o[3] : NULL);
}
/* Forward and backward-data: images 0 and N-1 recomputed alone.
 * Backward-weight (a sum over the batch): 64 sampled weights. */
static double conv_check(const bench_case *c, float *const *o) {
    ref_conv one = conv_ref(c, 1);
    size_t OH = ref_conv_out(one.H, one.KH, one.stride, one.pad);
    size_t OW = ref_conv_out(one.W, one.KW, one.stride, one.pad);
    size_t nx = one.Cin * one.H * one.W, ny = one.Cout * OH * OW, nw = one.Cout * one.Cin * one.KH * one.KW;
    size_t taps = one.Cin * one.KH * one.KW, N = c->p[0];
    const char *d = c->kind->direction;
    double e = 0;
    if (strcmp(d, "backward-weight") == 0) {
        for (size_t t = 0; t < 64; t++) {
            size_t i = sample(t, nw), co = i / taps, ci = (i % taps) / (one.KH * one.KW);
            size_t kh = (i % (one.KH * one.KW)) / one.KW, kw = i % one.KW;
            double s = 0;
            for (size_t n = 0; n < N; n++)
                for (size_t oh = 0; oh < OH; oh++)
                    for (size_t ow = 0; ow < OW; ow++) {
                        long ih = (long)(oh * one.stride + kh) - (long)one.pad;
                        long iw = (long)(ow * one.stride + kw) - (long)one.pad;
                        if (ih < 0 || iw < 0 || ih >= (long)one.H || iw >= (long)one.W) continue;
                        s += (double)o[1][((n * one.Cout + co) * OH + oh) * OW + ow] *
                             o[0][((n * one.Cin + ci) * one.H + (size_t)ih) * one.W + (size_t)iw];
                    }
            double err = worst(&o[2][i], &s, 1, 1e-5 * sqrt((double)N * OH * OW) + 1e-5);
            if (!(err <= e)) e = err;
        }
        return e;
    }
    double *w = to_double(o[1], nw);
    for (size_t pick = 0; pick < 2; pick++) {
        size_t n = pick ? N - 1 : 0;
        if (strcmp(d, "forward") == 0) {
            double *x = to_double(o[0] + n * nx, nx), *b = to_double(o[2], one.Cout);
            double *y = malloc(ny * sizeof *y);
            ref_conv2d(&one, x, w, c->p[8] ? b : NULL, y);
            double err = worst(o[3] + n * ny, y, ny, 1e-5 * sqrt((double)taps) + 1e-5);
            if (!(err <= e)) e = err;
            free(x), free(b), free(y);
        } else {
            double *dy = to_double(o[0] + n * ny, ny), *dx = malloc(nx * sizeof *dx);
            ref_conv2d_backward(&one, NULL, w, dy, dx, NULL, NULL);
            double err = worst(o[2] + n * nx, dx, nx, 1e-5 * sqrt((double)one.Cout * one.KH * one.KW) + 1e-5);
            if (!(err <= e)) e = err;
            free(dy), free(dx);
        }
    }
    free(w);
    return e;
}
static const bench_kind conv_fwd = {"conv2d", "forward", conv_operands, conv_fwd_record, conv_check, NULL, NULL};
static const bench_kind conv_bwd_data = {"conv2d", "backward-data", conv_operands, conv_bwd_data_record, conv_check, NULL, NULL};
static const bench_kind conv_bwd_weight = {"conv2d", "backward-weight", conv_operands, conv_bwd_weight_record, conv_check, NULL, NULL};

/* ---- batchnorm: p = N, C, HW --------------------------------------------
 * training forward: x, gamma, beta, rmean, rvar, y, mean, invstd
 * evaluation forward: x, gamma, beta, rmean, rvar, y
 * backward: x, dy, gamma, mean, invstd, dx, dgamma, dbeta */
static int bn_operands(const bench_case *c, size_t s[], int *nin) {
    size_t n = (size_t)c->p[0] * c->p[1] * c->p[2], C = c->p[1];
    if (strcmp(c->kind->direction, "backward") == 0) {
        s[0] = n, s[1] = n, s[2] = C, s[3] = C, s[4] = C, s[5] = n, s[6] = C, s[7] = C, *nin = 5;
        return 8;
    }
    s[0] = n, s[1] = C, s[2] = C, s[3] = C, s[4] = C, s[5] = n, s[6] = C, s[7] = C, *nin = 5;
    return strcmp(c->kind->op, "batchnorm_eval") == 0 ? 6 : 8;
}
static alvk_batchnorm bn_of(const bench_case *c) {
    return (alvk_batchnorm){c->p[0], c->p[1], c->p[2], 1e-5f, 0.1f, {0}, NULL, NULL};
}
static alvk_status bn_train_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_batchnorm b = bn_of(c);
    alvk_bn_params p = {o[1], o[2], o[3], o[4]};
    return alvk_op_batchnorm_train(cmd, &b, &o[0], &p, &o[5], &o[6], &o[7]);
}
static alvk_status bn_eval_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_batchnorm b = bn_of(c);
    alvk_bn_params p = {o[1], o[2], o[3], o[4]};
    return alvk_op_batchnorm_eval(cmd, &b, &o[0], &p, &o[5]);
}
/* The saved mean and invstd come from a training forward run before timing. */
static alvk_status bn_bwd_prepare(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_batchnorm b = bn_of(c);
    alvk_buffer y, rm, rv;
    alvk_status s = alvk_cmd_scratch(cmd, o[0].size, &y);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * b.C, &rm);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * b.C, &rv);
    alvk_bn_params p = {o[2], o[2], rm, rv};
    return s == ALVK_OK ? alvk_op_batchnorm_train(cmd, &b, &o[0], &p, &y, &o[3], &o[4]) : s;
}
static alvk_status bn_bwd_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_batchnorm b = bn_of(c);
    return alvk_op_batchnorm_backward(cmd, &b, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7]);
}
/* Forward: y against the reference (evaluation reads rvar as a variance,
 * so the check makes it positive first). Backward: dx with the batch's own
 * statistics against the reference, which recomputes them. */
static double bn_check(const bench_case *c, float *const *o) {
    size_t N = c->p[0], C = c->p[1], HW = c->p[2], n = N * C * HW;
    double *x = to_double(o[0], n), *want = malloc(n * sizeof *want), e;
    if (strcmp(c->kind->direction, "backward") == 0) {
        double *dy = to_double(o[1], n), *g = to_double(o[2], C), *dg = malloc(C * sizeof *dg),
               *db = malloc(C * sizeof *db);
        ref_batchnorm_backward(N, C, HW, 1e-5, x, g, dy, want, dg, db);
        e = worst(o[5], want, n, 1e-4);
        free(dy), free(g), free(dg), free(db);
    } else {
        double *g = to_double(o[1], C), *b = to_double(o[2], C);
        double *rm = to_double(o[3], C), *rv = to_double(o[4], C);
        if (strcmp(c->kind->op, "batchnorm_eval") == 0)
            ref_batchnorm_eval(N, C, HW, 1e-5, x, g, b, rm, rv, want);
        else
            ref_batchnorm_train(N, C, HW, 1e-5, 0.1, x, g, b, want, NULL, NULL, NULL, NULL);
        e = worst(o[5], want, n, 1e-4);
        free(g), free(b), free(rm), free(rv);
    }
    free(x), free(want);
    return e;
}
static const bench_kind bn_train = {"batchnorm", "forward", bn_operands, bn_train_record, bn_check, NULL, NULL};
static const bench_kind bn_eval = {"batchnorm_eval", "forward", bn_operands, bn_eval_record, bn_check, NULL, NULL};
static const bench_kind bn_bwd = {"batchnorm", "backward", bn_operands, bn_bwd_record, bn_check,
                                  bn_bwd_prepare, NULL};

/* ---- maxpool2d: p = N, C, H, W, K, stride, pad ----------------------------
 * forward: x, y, argmax; backward: x, dy, argmax (from a forward), dx */
static int pool_operands(const bench_case *c, size_t s[], int *nin) {
    size_t OH = ref_conv_out(c->p[2], c->p[4], c->p[5], c->p[6]);
    size_t OW = ref_conv_out(c->p[3], c->p[4], c->p[5], c->p[6]);
    size_t nx = (size_t)c->p[0] * c->p[1] * c->p[2] * c->p[3], ny = (size_t)c->p[0] * c->p[1] * OH * OW;
    if (strcmp(c->kind->direction, "forward") == 0) {
        s[0] = nx, s[1] = ny, s[2] = ny, *nin = 1;
        return 3;
    }
    s[0] = nx, s[1] = ny, s[2] = ny, s[3] = nx, *nin = 2;
    return 4;
}
static alvk_maxpool pool_of(const bench_case *c) {
    return (alvk_maxpool){c->p[0], c->p[1], c->p[2], c->p[3], c->p[4], c->p[5], c->p[6]};
}
static alvk_status pool_fwd_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_maxpool p = pool_of(c);
    return alvk_op_maxpool2d(cmd, &p, &o[0], &o[1], &o[2]);
}
/* The argmax comes from a forward pass run before the timing. */
static alvk_status pool_bwd_prepare(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_maxpool p = pool_of(c);
    alvk_buffer y;
    alvk_status s = alvk_cmd_scratch(cmd, o[1].size, &y);
    return s == ALVK_OK ? alvk_op_maxpool2d(cmd, &p, &o[0], &y, &o[2]) : s;
}
static alvk_status pool_bwd_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_maxpool p = pool_of(c);
    return alvk_op_maxpool2d_backward(cmd, &p, &o[2], &o[1], &o[3]);
}
static double pool_check(const bench_case *c, float *const *o) {
    ref_maxpool r = {c->p[0], c->p[1], c->p[2], c->p[3], c->p[4], c->p[5], c->p[6]};
    size_t sizes[8];
    int nin;
    pool_operands(c, sizes, &nin);
    double *x = to_double(o[0], sizes[0]), e;
    if (strcmp(c->kind->direction, "forward") == 0) {
        double *y = malloc(sizes[1] * sizeof *y);
        ref_maxpool2d(&r, x, y);
        e = worst(o[1], y, sizes[1], 1e-6);
        free(y);
    } else {
        double *dy = to_double(o[1], sizes[1]), *dx = malloc(sizes[0] * sizeof *dx);
        ref_maxpool2d_backward(&r, x, dy, dx);
        e = worst(o[3], dx, sizes[0], 1e-6);
        free(dy), free(dx);
    }
    free(x);
    return e;
}
static const bench_kind pool_fwd = {"maxpool2d", "forward", pool_operands, pool_fwd_record, pool_check, NULL, NULL};
static const bench_kind pool_bwd = {"maxpool2d", "backward", pool_operands, pool_bwd_record,
                                    pool_check, pool_bwd_prepare, NULL};

/* ---- elementwise: p = n (relu forward: x, y; backward: x, dy, dx; add: a, b, c)
 *      and global average pooling: p = N, C, HW (forward x, y; backward dy, dx) */
static int ew_operands(const bench_case *c, size_t s[], int *nin) {
    const char *op = c->kind->op, *d = c->kind->direction;
    if (strcmp(op, "avgpool_global") == 0) {
        size_t big = (size_t)c->p[0] * c->p[1] * c->p[2], small = (size_t)c->p[0] * c->p[1];
        s[0] = strcmp(d, "forward") == 0 ? big : small;
        s[1] = strcmp(d, "forward") == 0 ? small : big;
        *nin = 1;
        return 2;
    }
    int n = strcmp(op, "relu") == 0 && strcmp(d, "forward") == 0 ? 2 : 3;
    for (int i = 0; i < n; i++) s[i] = c->p[0];
    *nin = n - 1;
    return n;
}
static alvk_status ew_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    const char *op = c->kind->op, *d = c->kind->direction;
    if (strcmp(op, "avgpool_global") == 0)
        return strcmp(d, "forward") == 0
                   ? alvk_op_avgpool_global(cmd, c->p[0], c->p[1], c->p[2], &o[0], &o[1])
                   : alvk_op_avgpool_global_backward(cmd, c->p[0], c->p[1], c->p[2], &o[0], &o[1]);
    if (strcmp(op, "add") == 0)
        return alvk_op_binary(cmd, ALVK_BINARY_ADD, 1.0f, &o[0], &o[1], &o[2], c->p[0], c->p[0], 1);
    if (strcmp(d, "forward") == 0) return alvk_op_unary(cmd, ALVK_UNARY_RELU, 0, &o[0], &o[1], c->p[0]);
    return alvk_op_unary_backward(cmd, ALVK_UNARY_RELU, 0, &o[0], &o[1], NULL, &o[2], c->p[0]);
}
static double ew_check(const bench_case *c, float *const *o) {
    size_t s[8];
    int nin, n = ew_operands(c, s, &nin);
    double *a = to_double(o[0], s[0]), *b = nin > 1 ? to_double(o[1], s[1]) : NULL;
    double *want = malloc(s[n - 1] * sizeof *want);
    const char *op = c->kind->op, *d = c->kind->direction;
    if (strcmp(op, "avgpool_global") == 0) {
        size_t P = (size_t)c->p[0] * c->p[1], HW = c->p[2];
        if (strcmp(d, "forward") == 0) ref_reduce(1, P, HW, 1.0 / HW, 0, 0, a, want);
        else ref_binary(4, 1.0 / HW, a, a, want, P * HW, P, HW);
    } else if (strcmp(op, "add") == 0) {
        ref_binary(0, 1, a, b, want, s[0], s[0], 1);
    } else if (strcmp(d, "forward") == 0) {
        ref_unary(0, 0, 0, a, want, s[0]);
    } else {
        ref_unary_backward(0, 0, a, b, want, s[0]);
    }
    double e = worst(o[n - 1], want, s[n - 1], 1e-5);
    free(a), free(b), free(want);
    return e;
}
static const bench_kind relu_fwd = {"relu", "forward", ew_operands, ew_record, ew_check, NULL, NULL};
static const bench_kind relu_bwd = {"relu", "backward", ew_operands, ew_record, ew_check, NULL, NULL};
static const bench_kind add_fwd = {"add", "forward", ew_operands, ew_record, ew_check, NULL, NULL};
static const bench_kind gap_fwd = {"avgpool_global", "forward", ew_operands, ew_record, ew_check, NULL, NULL};
static const bench_kind gap_bwd = {"avgpool_global", "backward", ew_operands, ew_record, ew_check, NULL, NULL};

/* ---- activations: p = n (forward x, y; backward x, dy, dx) -----------------
 * The kind's name says which (leaky ReLU at PyTorch's slope 0.01). The
 * backward of tanh and exp takes y where the others take x, as the graph
 * records them. */
static alvk_unary_op activation_of(const bench_case *c, float *alpha) {
    static const struct { const char *name; alvk_unary_op op; } ops[] = {
        {"gelu", ALVK_UNARY_GELU}, {"tanh", ALVK_UNARY_TANH}, {"exp", ALVK_UNARY_EXP},
        {"log", ALVK_UNARY_LOG}, {"leaky_relu", ALVK_UNARY_LEAKY_RELU}};
    *alpha = strcmp(c->kind->op, "leaky_relu") == 0 ? 0.01f : 0.0f;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(c->kind->op, ops[i].name) == 0) return ops[i].op;
    return ALVK_UNARY_GELU;
}
static int activation_operands(const bench_case *c, size_t s[], int *nin) {
    int n = strcmp(c->kind->direction, "forward") == 0 ? 2 : 3;
    for (int i = 0; i < n; i++) s[i] = c->p[0];
    *nin = n - 1;
    return n;
}
static alvk_status activation_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    float alpha;
    alvk_unary_op op = activation_of(c, &alpha);
    if (strcmp(c->kind->direction, "forward") == 0) return alvk_op_unary(cmd, op, alpha, &o[0], &o[1], c->p[0]);
    return alvk_op_unary_backward(cmd, op, alpha, &o[0], &o[1], NULL, &o[2], c->p[0]);
}
static double activation_check(const bench_case *c, float *const *o) {
    size_t n = c->p[0];
    float alpha;
    alvk_unary_op op = activation_of(c, &alpha);
    int fwd = strcmp(c->kind->direction, "forward") == 0;
    double *x = to_double(o[0], n), *dy = fwd ? NULL : to_double(o[1], n), *want = malloc(n * sizeof *want);
    if (fwd) ref_unary(op, alpha, 0, x, want, n);
    else if (op == ALVK_UNARY_TANH || op == ALVK_UNARY_EXP) /* their kernels take y, not x */
        for (size_t i = 0; i < n; i++) want[i] = dy[i] * (op == ALVK_UNARY_EXP ? x[i] : 1 - x[i] * x[i]);
    else ref_unary_backward(op, alpha, x, dy, want, n);
    double e = worst(o[fwd ? 1 : 2], want, n, 1e-6);
    free(x), free(dy), free(want);
    return e;
}
#define ACTIVATION_KINDS(name)                                                                          \
    static const bench_kind name##_fwd = {#name, "forward", activation_operands, activation_record,    \
                                          activation_check, NULL, NULL};                               \
    static const bench_kind name##_bwd = {#name, "backward", activation_operands, activation_record,   \
                                          activation_check, NULL, NULL};
ACTIVATION_KINDS(gelu)
ACTIVATION_KINDS(tanh)
ACTIVATION_KINDS(exp)
ACTIVATION_KINDS(log)
ACTIVATION_KINDS(leaky_relu)

/* ---- softmax of rows: p = B, C (x, probabilities) --------------------------- */
static int softmax_operands(const bench_case *c, size_t s[], int *nin) {
    s[0] = s[1] = (size_t)c->p[0] * c->p[1];
    *nin = 1;
    return 2;
}
static alvk_status softmax_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_softmax(cmd, c->p[0], c->p[1], &o[0], &o[1]);
}
static double softmax_check(const bench_case *c, float *const *o) {
    size_t n = (size_t)c->p[0] * c->p[1];
    double *x = to_double(o[0], n), *want = malloc(n * sizeof *want);
    ref_softmax(c->p[0], c->p[1], x, want);
    double e = worst(o[1], want, n, 1e-6);
    free(x), free(want);
    return e;
}
static const bench_kind softmax_fwd = {"softmax", "forward", softmax_operands, softmax_record, softmax_check,
                                       NULL, NULL};

/* ---- dropout: p = n, p * 1000, run; operands: the run counter, x, y ----- */
static int dropout_operands(const bench_case *c, size_t s[], int *nin) {
    s[0] = 1, s[1] = c->p[0], s[2] = c->p[0];
    *nin = 2;
    return 3;
}
static void dropout_init(const bench_case *c, float *const *o) { memcpy(&o[0][0], &c->p[2], 4); }
#define BENCH_DROPOUT_SEED 0x5eedull
static alvk_status dropout_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_dropout(cmd, BENCH_DROPOUT_SEED, (float)c->p[1] / 1000.0f, &o[0], &o[1], &o[2], c->p[0]);
}
static double dropout_check(const bench_case *c, float *const *o) {
    size_t n = c->p[0];
    uint32_t run;
    memcpy(&run, &o[0][0], 4);
    double *x = to_double(o[1], n), *want = malloc(n * sizeof *want);
    ref_dropout(BENCH_DROPOUT_SEED, run, (float)c->p[1] / 1000.0f, x, want, n);
    double e = worst(o[2], want, n, 1e-6) + (run != c->p[2]) * 2; /* the counter is read, not written */
    free(x), free(want);
    return e;
}
static const bench_kind dropout_fwd = {"dropout", "forward", dropout_operands, dropout_record, dropout_check,
                                       NULL, dropout_init};

/* ---- average pooling over windows: p as max pooling's (forward x, y;
 *      backward dy, dx) ----------------------------------------------------- */
static int avgpool_operands(const bench_case *c, size_t s[], int *nin) {
    size_t sz[8];
    pool_operands(c, sz, nin); /* x, y, ... */
    int fwd = strcmp(c->kind->direction, "forward") == 0;
    s[0] = fwd ? sz[0] : sz[1], s[1] = fwd ? sz[1] : sz[0];
    *nin = 1;
    return 2;
}
static alvk_status avgpool_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    alvk_maxpool p = pool_of(c);
    if (strcmp(c->kind->direction, "forward") == 0) return alvk_op_avgpool2d(cmd, &p, &o[0], &o[1]);
    return alvk_op_avgpool2d_backward(cmd, &p, &o[0], &o[1]);
}
static double avgpool_check(const bench_case *c, float *const *o) {
    ref_maxpool r = {c->p[0], c->p[1], c->p[2], c->p[3], c->p[4], c->p[5], c->p[6]};
    size_t s[8];
    int nin;
    avgpool_operands(c, s, &nin);
    double *in = to_double(o[0], s[0]), *want = malloc(s[1] * sizeof *want);
    if (strcmp(c->kind->direction, "forward") == 0) ref_avgpool2d(&r, in, want);
    else ref_avgpool2d_backward(&r, in, want);
    double e = worst(o[1], want, s[1], 1e-6);
    free(in), free(want);
    return e;
}
static const bench_kind avgpool_fwd = {"avgpool2d", "forward", avgpool_operands, avgpool_record, avgpool_check, NULL, NULL};
static const bench_kind avgpool_bwd = {"avgpool2d", "backward", avgpool_operands, avgpool_record, avgpool_check, NULL, NULL};

/* ---- concatenation along channels: p = N, Ca, Cb, inner (forward a, b, y;
 *      backward: dy, da, db, the two windows the graph's VJP records) ------- */
static int concat_operands(const bench_case *c, size_t s[], int *nin) {
    size_t a = (size_t)c->p[0] * c->p[1] * c->p[3], b = (size_t)c->p[0] * c->p[2] * c->p[3];
    int fwd = strcmp(c->kind->direction, "forward") == 0;
    s[0] = fwd ? a : a + b, s[1] = fwd ? b : a, s[2] = fwd ? a + b : b;
    *nin = fwd ? 2 : 1;
    return 3;
}
static alvk_status concat_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    uint32_t N = c->p[0], Ca = c->p[1], Cb = c->p[2], inner = c->p[3];
    if (strcmp(c->kind->direction, "forward") == 0) return alvk_op_concat(cmd, N, Ca, Cb, inner, &o[0], &o[1], &o[2]);
    alvk_status s = alvk_op_channels(cmd, N, Ca + Cb, Ca, 0, inner, &o[0], &o[1]);
    return s == ALVK_OK ? alvk_op_channels(cmd, N, Ca + Cb, Cb, (int32_t)Ca, inner, &o[0], &o[2]) : s;
}
static double concat_check(const bench_case *c, float *const *o) {
    size_t N = c->p[0], Ca = c->p[1], Cb = c->p[2], inner = c->p[3], s[3];
    int nin;
    concat_operands(c, s, &nin);
    double *x0 = to_double(o[0], s[0]), *x1 = to_double(o[1], s[1]), *want = malloc((s[0] + s[1] + s[2]) * sizeof *want), e;
    if (strcmp(c->kind->direction, "forward") == 0) {
        ref_concat(N, Ca, Cb, inner, x0, x1, want);
        e = worst(o[2], want, s[2], 1e-7);
    } else {
        ref_channels(N, Ca + Cb, Ca, 0, inner, x0, want);
        e = worst(o[1], want, s[1], 1e-7);
        ref_channels(N, Ca + Cb, Cb, (long)Ca, inner, x0, want);
        e = worse(e, worst(o[2], want, s[2], 1e-7));
    }
    free(x0), free(x1), free(want);
    return e;
}
static const bench_kind concat_fwd = {"concat", "forward", concat_operands, concat_record, concat_check, NULL, NULL};
static const bench_kind concat_bwd = {"concat", "backward", concat_operands, concat_record, concat_check, NULL, NULL};

/* ---- the training step around the model --------------------------------
 * softmax_ce forward: p = B, C; logits, labels, loss, probs
 * softmax_ce backward: logits, labels, dloss, probs (from a forward), dlogits
 * adam: p = n; params, grads, m, v (updated in place)
 * sgd: p = n; params, grads, momentum (updated in place), hyperparameters, step count
 * gather: p = B, image bytes, images; pool, label pool, indices, batch, labels */
static void set_uint(float *v, size_t i, uint32_t x) { memcpy(&v[i], &x, 4); }
static uint32_t get_uint(const float *v, size_t i) {
    uint32_t x;
    memcpy(&x, &v[i], 4);
    return x;
}

static int ce_operands(const bench_case *c, size_t s[], int *nin) {
    size_t B = c->p[0], C = c->p[1];
    if (strcmp(c->kind->direction, "forward") == 0) {
        s[0] = B * C, s[1] = B, s[2] = 1, s[3] = B * C, *nin = 2;
        return 4;
    }
    s[0] = B * C, s[1] = B, s[2] = 1, s[3] = B * C, s[4] = B * C, *nin = 3;
    return 5;
}
static void ce_init(const bench_case *c, float *const *o) {
    for (uint32_t b = 0; b < c->p[0]; b++) set_uint(o[1], b, (b * 7u) % c->p[1]);
}
static alvk_status ce_fwd_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_softmax_ce(cmd, c->p[0], c->p[1], &o[0], &o[1], &o[2], &o[3]);
}
static alvk_status ce_bwd_prepare(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_softmax(cmd, c->p[0], c->p[1], &o[0], &o[3]);
}
static alvk_status ce_bwd_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_softmax_ce_backward(cmd, c->p[0], c->p[1], &o[3], &o[1], &o[2], &o[4]);
}
static double ce_check(const bench_case *c, float *const *o) {
    size_t B = c->p[0], C = c->p[1];
    double *x = to_double(o[0], B * C), *labels = calloc(B, sizeof *labels);
    double *want = calloc(B * C, sizeof *want), loss = 0, dloss = o[2][0], e;
    for (size_t b = 0; b < B; b++) labels[b] = get_uint(o[1], b);
    if (strcmp(c->kind->direction, "forward") == 0) {
        ref_softmax_ce(B, C, x, labels, &loss, want);
        e = worse(worst(o[2], &loss, 1, 1e-5), worst(o[3], want, B * C, 1e-5));
    } else {
        ref_softmax_ce_backward(B, C, x, labels, &dloss, want);
        e = worst(o[4], want, B * C, 1e-5);
    }
    free(x), free(labels), free(want);
    return e;
}
static const bench_kind ce_fwd = {"softmax_ce", "forward", ce_operands, ce_fwd_record, ce_check, NULL, ce_init};
static const bench_kind ce_bwd = {"softmax_ce", "backward", ce_operands, ce_bwd_record, ce_check,
                                  ce_bwd_prepare, ce_init};

/* Operands 4 and 5: a hyperparameter slot and the step count (this step's
 * number, 1 at the first: the graph advances it before the optimiser). */
static int adam_operands(const bench_case *c, size_t s[], int *nin) {
    for (int i = 0; i < 4; i++) s[i] = c->p[0];
    s[4] = ALVK_OPTIM_SLOT_BYTES / 4, s[5] = 1;
    *nin = 6;
    return 6;
}
static const struct { double lr, beta1, beta2, eps; } adam_hyper = {1e-3, 0.9, 0.999, 1e-8};
static void adam_init(const bench_case *c, float *const *o) {
    alvk_adam_hyper h;
    alvk_adam_hyper_set(&h, adam_hyper.lr, adam_hyper.beta1, adam_hyper.beta2, adam_hyper.eps, 0);
    memcpy(o[4], &h, sizeof h);
    set_uint(o[5], 0, 1);
    (void)c;
}
static alvk_status adam_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_adam(cmd, c->p[0], &o[0], &o[1], &o[2], &o[3], &o[4], 0, &o[5], 0);
}
/* The inputs are regenerated (the step overwrote them) and stepped in double. */
static double adam_check(const bench_case *c, float *const *o) {
    size_t n = c->p[0];
    float *in[4];
    double *d[4], *out[3];
    for (int i = 0; i < 4; i++) {
        in[i] = malloc(n * sizeof *in[i]);
        bench_fill(in[i], n, i);
        d[i] = to_double(in[i], n);
        free(in[i]);
    }
    for (int i = 0; i < 3; i++) out[i] = calloc(n, sizeof *out[i]);
    ref_adam(n, adam_hyper.lr, adam_hyper.beta1, adam_hyper.beta2, adam_hyper.eps, 1, d[0], d[1],
             d[2], d[3], out[0], out[1], out[2]);
    double e = worse(worst(o[0], out[0], n, 1e-6), worse(worst(o[2], out[1], n, 1e-6), worst(o[3], out[2], n, 1e-6)));
    for (int i = 0; i < 4; i++) free(d[i]);
    for (int i = 0; i < 3; i++) free(out[i]);
    return e;
}
static const bench_kind adam_kind = {"adam", "forward", adam_operands, adam_record, adam_check, NULL, adam_init};

static int sgd_operands(const bench_case *c, size_t s[], int *nin) {
    s[0] = s[1] = s[2] = c->p[0], s[3] = ALVK_OPTIM_SLOT_BYTES / 4, s[4] = 1;
    *nin = 5;
    return 5;
}
/* torch.optim.SGD(lr=0.01, momentum=0.9, weight_decay=1e-4) past its first step. */
static void sgd_init(const bench_case *c, float *const *o) {
    alvk_sgd_hyper h;
    alvk_sgd_hyper_set(&h, 0.01, 0.9, 0, 1e-4, 0);
    memcpy(o[3], &h, sizeof h);
    set_uint(o[4], 0, 2);
    (void)c;
}
static alvk_status sgd_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_sgd(cmd, c->p[0], &o[0], &o[1], &o[2], &o[3], 0, &o[4], 0);
}
static double sgd_check(const bench_case *c, float *const *o) {
    size_t n = c->p[0];
    double *d[3];
    for (int i = 0; i < 3; i++) {
        float *in = malloc(n * sizeof *in);
        bench_fill(in, n, i);
        d[i] = to_double(in, n);
        free(in);
    }
    ref_sgd(n, 0.01, 0.9, 0, 1e-4, 0, 0, d[0], d[1], d[2]);
    double e = worse(worst(o[0], d[0], n, 1e-6), worst(o[2], d[2], n, 1e-6));
    for (int i = 0; i < 3; i++) free(d[i]);
    return e;
}
static const bench_kind sgd_kind = {"sgd", "forward", sgd_operands, sgd_record, sgd_check, NULL, sgd_init};

static int gather_operands(const bench_case *c, size_t s[], int *nin) {
    size_t B = c->p[0], bytes = c->p[1], images = c->p[2];
    s[0] = (images * bytes + 3) / 4, s[1] = (images + 3) / 4, s[2] = B, s[3] = B * bytes, s[4] = B;
    *nin = 3;
    return 5;
}
static void gather_init(const bench_case *c, float *const *o) {
    for (uint32_t b = 0; b < c->p[0]; b++) set_uint(o[2], b, (b * 7919u) % c->p[2]);
}
static alvk_status gather_record(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *o) {
    return alvk_op_gather(cmd, &o[0], c->p[1], &o[1], &o[2], c->p[0], &o[3], &o[4]);
}
static double gather_check(const bench_case *c, float *const *o) {
    size_t B = c->p[0], bytes = c->p[1];
    const uint8_t *pool = (const uint8_t *)o[0], *labels = (const uint8_t *)o[1];
    double *want = malloc(B * bytes * sizeof *want), e = 0;
    for (size_t b = 0; b < B; b++) {
        size_t idx = get_uint(o[2], b);
        for (size_t i = 0; i < bytes; i++) want[b * bytes + i] = pool[idx * bytes + i] / 255.0;
        if (get_uint(o[4], b) != labels[idx]) e = 2;
    }
    e = worse(e, worst(o[3], want, B * bytes, 1e-6));
    free(want);
    return e;
}
static const bench_kind gather_kind = {"gather", "forward", gather_operands, gather_record,
                                       gather_check, NULL, gather_init};

/* ---- the table ----------------------------------------------------------- */

typedef struct table {
    bench_case *cases;
    int n, max;
} table;

static bench_case *add(table *t, const char *group, const bench_kind *kind, int count, int quick,
                       double flops, const uint32_t *p, int np) {
    if (t->n >= t->max) return NULL;
    bench_case *c = &t->cases[t->n++];
    memset(c, 0, sizeof *c);
    c->group = group, c->kind = kind, c->count = count, c->quick = quick, c->flops = flops;
    memcpy(c->p, p, (size_t)np * sizeof *p);
    size_t s[BENCH_MAX_OPERANDS] = {0};
    int nin, nops = kind->operands(c, s, &nin);
    for (int i = 0; i < nops; i++) c->bytes += 4.0 * (double)s[i];
    return c;
}

/* A conv layer in all the directions a training step runs (the stem needs no
 * gradient for the image), or forward only. */
static void conv(table *t, const char *group, int count, int quick, int train, uint32_t N,
                 uint32_t Cin, uint32_t H, uint32_t Cout, uint32_t K, uint32_t S, uint32_t P,
                 uint32_t bias) {
    uint32_t OH = alvk_conv_out(H, K, S, P), p[9] = {N, Cin, H, H, Cout, K, S, P, bias};
    double flops = 2.0 * N * OH * OH * Cout * Cin * K * K;
    const bench_kind *kinds[3] = {&conv_fwd, &conv_bwd_data, &conv_bwd_weight};
    for (int k = 0; k < (train ? 3 : 1); k++) {
        if (k == 1 && Cin < 3) continue; /* the input image needs no gradient */
        bench_case *c = add(t, group, kinds[k], count, quick && k == 0, flops, p, 9);
        if (c) snprintf(c->shape, sizeof c->shape, "%ux%ux%ux%u/k%us%up%u/%u", N, Cin, H, H, K, S, P, Cout);
    }
}

static void bn(table *t, const char *group, int count, int train, uint32_t N, uint32_t C, uint32_t H) {
    uint32_t p[3] = {N, C, H * H};
    double n = (double)N * C * H * H;
    bench_case *c = add(t, group, train ? &bn_train : &bn_eval, count, 0, (train ? 5 : 2) * n, p, 3);
    if (c) snprintf(c->shape, sizeof c->shape, "%ux%ux%ux%u", N, C, H, H);
    if (train && (c = add(t, group, &bn_bwd, count, 0, 7 * n, p, 3)))
        snprintf(c->shape, sizeof c->shape, "%ux%ux%ux%u", N, C, H, H);
}

/* relu (and its backward when training) and residual adds at one size. */
static void ew(table *t, const char *group, int relus, int adds, int train, uint32_t N, uint32_t C,
               uint32_t H) {
    uint32_t n = N * C * H * H;
    bench_case *c;
    if ((c = add(t, group, &relu_fwd, relus, 0, n, &n, 1))) snprintf(c->shape, sizeof c->shape, "%ux%ux%ux%u", N, C, H, H);
    if (train && (c = add(t, group, &relu_bwd, relus, 0, n, &n, 1))) snprintf(c->shape, sizeof c->shape, "%ux%ux%ux%u", N, C, H, H);
    /* a residual add forward; its gradient meets the skip path's in another add */
    if (adds && (c = add(t, group, &add_fwd, adds * (train ? 2 : 1), 0, n, &n, 1)))
        snprintf(c->shape, sizeof c->shape, "%ux%ux%ux%u", N, C, H, H);
}

/* ResNet18 (deeplay's: biases in the block and shortcut convs) on an HxH
 * image of `in` channels at batch N: a training step or a forward pass. */
static void resnet18(table *t, const char *group, int train, uint32_t N, uint32_t in, uint32_t H,
                     uint32_t classes, int quick) {
    uint32_t S = alvk_conv_out(H, 7, 2, 3), P = alvk_conv_out(S, 3, 2, 1);
    conv(t, group, 1, quick, train, N, in, H, 64, 7, 2, 3, 0);
    bn(t, group, 1, train, N, 64, S);
    ew(t, group, 1, 0, train, N, 64, S);
    uint32_t pp[7] = {N, 64, S, S, 3, 2, 1};
    bench_case *c = add(t, group, &pool_fwd, 1, 0, 9.0 * N * 64 * P * P, pp, 7);
    if (c) snprintf(c->shape, sizeof c->shape, "%ux64x%ux%u/k3s2p1", N, S, S);
    if (train && (c = add(t, group, &pool_bwd, 1, 0, 9.0 * N * 64 * P * P, pp, 7)))
        snprintf(c->shape, sizeof c->shape, "%ux64x%ux%u/k3s2p1", N, S, S);
    uint32_t h = P, ch = 64;
    for (int stage = 0; stage < 4; stage++) {
        uint32_t out = 64u << stage, oh = stage ? alvk_conv_out(h, 3, 2, 1) : h;
        if (stage == 0) {
            conv(t, group, 4, quick, train, N, 64, h, 64, 3, 1, 1, 1);
            bn(t, group, 4, train, N, 64, h);
        } else {
            conv(t, group, 1, 0, train, N, ch, h, out, 3, 2, 1, 1);  /* first conv, stride 2 */
            conv(t, group, 1, 0, train, N, ch, h, out, 1, 2, 0, 1);  /* shortcut */
            conv(t, group, 3, quick && stage == 3, train, N, out, oh, out, 3, 1, 1, 1);
            bn(t, group, 5, train, N, out, oh);
        }
        ew(t, group, 4, 2, train, N, out, oh);
        h = oh, ch = out;
    }
    uint32_t gp[3] = {N, 512, h * h};
    if ((c = add(t, group, &gap_fwd, 1, 0, (double)N * 512 * h * h, gp, 3)))
        snprintf(c->shape, sizeof c->shape, "%ux512x%ux%u", N, h, h);
    if (train && (c = add(t, group, &gap_bwd, 1, 0, (double)N * 512 * h * h, gp, 3)))
        snprintf(c->shape, sizeof c->shape, "%ux512x%ux%u", N, h, h);
    if (train) { /* the loss, the optimiser and the batch gather of a step */
        uint32_t cp[2] = {N, classes}, ap[1] = {11180106}, gp2[3] = {N, 784, 10000};
        if ((c = add(t, group, &gather_kind, 1, 0, 0, gp2, 3)))
            snprintf(c->shape, sizeof c->shape, "%ux784", N);
        if ((c = add(t, group, &ce_fwd, 1, 0, 4.0 * N * classes, cp, 2)))
            snprintf(c->shape, sizeof c->shape, "%ux%u", N, classes);
        if ((c = add(t, group, &ce_bwd, 1, 0, 2.0 * N * classes, cp, 2)))
            snprintf(c->shape, sizeof c->shape, "%ux%u", N, classes);
        if ((c = add(t, group, &adam_kind, 1, quick, 10.0 * ap[0], ap, 1)))
            snprintf(c->shape, sizeof c->shape, "%u", ap[0]);
        if ((c = add(t, group, &sgd_kind, 1, quick, 4.0 * ap[0], ap, 1)))
            snprintf(c->shape, sizeof c->shape, "%u", ap[0]);
    }
    uint32_t lp[3] = {N, 512, classes};
    const bench_kind *lk[3] = {&linear_fwd, &linear_bwd_data, &linear_bwd_weight};
    for (int k = 0; k < (train ? 3 : 1); k++)
        if ((c = add(t, group, lk[k], 1, 0, 2.0 * N * 512 * classes, lp, 3)))
            snprintf(c->shape, sizeof c->shape, "%ux512x%u", N, classes);
}

static void gemm(table *t, uint32_t M, uint32_t N, uint32_t K, int quick) {
    uint32_t p[5] = {M, N, K, 0, 0};
    bench_case *c = add(t, "gemm", &gemm_kind, 1, quick, 2.0 * M * N * K, p, 5);
    if (c) snprintf(c->shape, sizeof c->shape, "%ux%ux%u", M, N, K);
}

/* The ops added for models beyond ResNet18 (activations, softmax, dropout,
 * windowed average pooling, concatenation), at the sizes of a batch of 128:
 * an MLP's hidden layer and ResNet18's 64-channel stage on 28x28. */
static void more_ops(table *t) {
    static const char group[] = "ops-b128";
    uint32_t hidden = 128 * 512, maps = 128 * 64 * 14 * 14;
    const uint32_t sizes[2] = {hidden, maps};
    bench_case *c;
    for (int k = 0; k < 2; k++) {
        if ((c = add(t, group, &gelu_fwd, 1, k == 0, 20.0 * sizes[k], &sizes[k], 1)))
            snprintf(c->shape, sizeof c->shape, k ? "128x64x14x14" : "128x512");
        if ((c = add(t, group, &gelu_bwd, 1, 0, 25.0 * sizes[k], &sizes[k], 1)))
            snprintf(c->shape, sizeof c->shape, k ? "128x64x14x14" : "128x512");
        static const bench_kind *const others[] = {&tanh_fwd, &tanh_bwd, &exp_fwd,        &exp_bwd,
                                                   &log_fwd,  &log_bwd,  &leaky_relu_fwd, &leaky_relu_bwd};
        for (size_t i = 0; k == 0 && i < sizeof others / sizeof others[0]; i++) /* an MLP's hidden layer */
            if ((c = add(t, group, others[i], 1, 0, 10.0 * sizes[k], &sizes[k], 1)))
                snprintf(c->shape, sizeof c->shape, "128x512");
        uint32_t dp[3] = {sizes[k], 500, 3}; /* p = 0.5, the graph's fourth run */
        if ((c = add(t, group, &dropout_fwd, 1, k == 0, 2.0 * sizes[k], dp, 3)))
            snprintf(c->shape, sizeof c->shape, k ? "128x64x14x14" : "128x512");
    }
    /* Softmax over the head's 10 classes, and over 1000. */
    static const uint32_t rows[2][2] = {{128, 10}, {128, 1000}};
    for (int k = 0; k < 2; k++)
        if ((c = add(t, group, &softmax_fwd, 1, 0, 5.0 * rows[k][0] * rows[k][1], rows[k], 2)))
            snprintf(c->shape, sizeof c->shape, "%ux%u", rows[k][0], rows[k][1]);
    /* The stem's pool as an average (3x3 stride 2 pad 1), and 2x2 stride 2. */
    static const uint32_t pools[2][7] = {{128, 64, 14, 14, 3, 2, 1}, {128, 64, 14, 14, 2, 2, 0}};
    for (int k = 0; k < 2; k++) {
        const uint32_t *pp = pools[k];
        uint32_t OH = alvk_conv_out(pp[2], pp[4], pp[5], pp[6]);
        double flops = (double)pp[0] * pp[1] * OH * OH * pp[4] * pp[4];
        if ((c = add(t, group, &avgpool_fwd, 1, k == 0, flops, pp, 7)))
            snprintf(c->shape, sizeof c->shape, "128x64x14x14/k%us%up%u", pp[4], pp[5], pp[6]);
        if ((c = add(t, group, &avgpool_bwd, 1, 0, flops, pp, 7)))
            snprintf(c->shape, sizeof c->shape, "128x64x14x14/k%us%up%u", pp[4], pp[5], pp[6]);
    }
    /* Two 64-channel 14x14 maps side by side, and an MLP's features with 10 more. */
    static const uint32_t cats[2][4] = {{128, 64, 64, 196}, {128, 512, 10, 1}};
    for (int k = 0; k < 2; k++) {
        if ((c = add(t, group, &concat_fwd, 1, k == 0, 0, cats[k], 4)))
            snprintf(c->shape, sizeof c->shape, k ? "128x512+128x10" : "128x64x14x14+128x64x14x14");
        if ((c = add(t, group, &concat_bwd, 1, 0, 0, cats[k], 4)))
            snprintf(c->shape, sizeof c->shape, k ? "128x512+128x10" : "128x64x14x14+128x64x14x14");
    }
}

int bench_cases(bench_case *cases, int max) {
    table t = {cases, 0, max};
    resnet18(&t, "resnet18-28x28-train-b128", 1, 128, 1, 28, 10, 1);
    resnet18(&t, "resnet18-224x224-forward-b1", 0, 1, 3, 224, 1000, 0);
    resnet18(&t, "resnet18-224x224-forward-b8", 0, 8, 3, 224, 1000, 0);
    for (uint32_t n = 256; n <= 2048; n *= 2) gemm(&t, n, n, n, n == 256);
    gemm(&t, 4608, 512, 128, 0);  /* layer4's 3x3 weight gradient at batch 128 */
    gemm(&t, 512, 128, 4608, 1);  /* the shape ggml's Vulkan matmul was timed at */
    more_ops(&t);
    return t.n;
}
