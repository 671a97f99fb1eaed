/* References for pooling and batch normalisation. */
#include "conv.h"
#include "norm_pool.h"

#include <math.h>
#include <string.h>

/* Index of the window maximum of output (plane, oh, ow) in its input plane. */
static size_t window_argmax(const ref_maxpool *p, const double *plane, size_t oh, size_t ow) {
    double best = -INFINITY;
    size_t where = 0;
    for (size_t kh = 0; kh < p->K; kh++)
        for (size_t kw = 0; kw < p->K; kw++) {
            long ih = (long)(oh * p->stride + kh) - (long)p->pad;
            long iw = (long)(ow * p->stride + kw) - (long)p->pad;
            if (ih < 0 || iw < 0 || ih >= (long)p->H || iw >= (long)p->W) continue;
            size_t i = (size_t)ih * p->W + (size_t)iw;
            if (plane[i] > best) best = plane[i], where = i;
        }
    return where;
}

void ref_maxpool2d(const ref_maxpool *p, const double *x, double *y) {
    size_t OH = ref_conv_out(p->H, p->K, p->stride, p->pad), OW = ref_conv_out(p->W, p->K, p->stride, p->pad);
    for (size_t pl = 0; pl < p->N * p->C; pl++)
        for (size_t oh = 0; oh < OH; oh++)
            for (size_t ow = 0; ow < OW; ow++) {
                const double *plane = x + pl * p->H * p->W;
                y[(pl * OH + oh) * OW + ow] = plane[window_argmax(p, plane, oh, ow)];
            }
}

void ref_maxpool2d_backward(const ref_maxpool *p, const double *x, const double *dy, double *dx) {
    size_t OH = ref_conv_out(p->H, p->K, p->stride, p->pad), OW = ref_conv_out(p->W, p->K, p->stride, p->pad);
    memset(dx, 0, p->N * p->C * p->H * p->W * sizeof *dx);
    for (size_t pl = 0; pl < p->N * p->C; pl++)
        for (size_t oh = 0; oh < OH; oh++)
            for (size_t ow = 0; ow < OW; ow++) {
                size_t i = window_argmax(p, x + pl * p->H * p->W, oh, ow);
                dx[pl * p->H * p->W + i] += dy[(pl * OH + oh) * OW + ow];
            }
}

/* Calls f(input index, output index) for every tap of every window that
 * lies on the image: what average pooling sums, forward and backward. */
static void each_tap(const ref_maxpool *p, void (*f)(size_t in, size_t out, void *user), void *user) {
    size_t OH = ref_conv_out(p->H, p->K, p->stride, p->pad), OW = ref_conv_out(p->W, p->K, p->stride, p->pad);
    for (size_t pl = 0; pl < p->N * p->C; pl++)
        for (size_t oh = 0; oh < OH; oh++)
            for (size_t ow = 0; ow < OW; ow++)
                for (size_t kh = 0; kh < p->K; kh++)
                    for (size_t kw = 0; kw < p->K; kw++) {
                        long ih = (long)(oh * p->stride + kh) - (long)p->pad;
                        long iw = (long)(ow * p->stride + kw) - (long)p->pad;
                        if (ih < 0 || iw < 0 || ih >= (long)p->H || iw >= (long)p->W) continue;
                        f((pl * p->H + (size_t)ih) * p->W + (size_t)iw, (pl * OH + oh) * OW + ow, user);
                    }
}

typedef struct taps {
    const double *from;
    double *to, scale;
} taps;
static void tap_forward(size_t in, size_t out, void *user) {
    taps *t = user;
    t->to[out] += t->from[in] * t->scale;
}
static void tap_backward(size_t in, size_t out, void *user) {
    taps *t = user;
    t->to[in] += t->from[out] * t->scale;
}

void ref_avgpool2d(const ref_maxpool *p, const double *x, double *y) {
    size_t OH = ref_conv_out(p->H, p->K, p->stride, p->pad), OW = ref_conv_out(p->W, p->K, p->stride, p->pad);
    memset(y, 0, p->N * p->C * OH * OW * sizeof *y);
    taps t = {x, y, 1.0 / (double)(p->K * p->K)}; /* padding counts: always K^2 */
    each_tap(p, tap_forward, &t);
}

void ref_avgpool2d_backward(const ref_maxpool *p, const double *dy, double *dx) {
    memset(dx, 0, p->N * p->C * p->H * p->W * sizeof *dx);
    taps t = {dy, dx, 1.0 / (double)(p->K * p->K)};
    each_tap(p, tap_backward, &t);
}

/* Batch mean and biased variance of channel c. */
static void channel_stats(size_t N, size_t C, size_t HW, size_t c, const double *x, double *mean,
                          double *var) {
    double s = 0, d = 0, n = (double)(N * HW);
    for (size_t b = 0; b < N; b++)
        for (size_t i = 0; i < HW; i++) s += x[(b * C + c) * HW + i];
    *mean = s / n;
    for (size_t b = 0; b < N; b++)
        for (size_t i = 0; i < HW; i++) {
            double v = x[(b * C + c) * HW + i] - *mean;
            d += v * v;
        }
    *var = d / n;
}

void ref_batchnorm_train(size_t N, size_t C, size_t HW, double eps, double momentum,
                         const double *x, const double *gamma, const double *beta, double *y,
                         double *mean, double *invstd, double *running_mean, double *running_var) {
    double n = (double)(N * HW);
    for (size_t c = 0; c < C; c++) {
        double mu, var;
        channel_stats(N, C, HW, c, x, &mu, &var);
        double is = 1 / sqrt(var + eps);
        if (mean) mean[c] = mu;
        if (invstd) invstd[c] = is;
        if (running_mean) running_mean[c] = (1 - momentum) * running_mean[c] + momentum * mu;
        if (running_var)
            running_var[c] = (1 - momentum) * running_var[c] + momentum * var * n / (n - 1);
        for (size_t b = 0; b < N; b++)
            for (size_t i = 0; i < HW; i++) {
                size_t k = (b * C + c) * HW + i;
                y[k] = (x[k] - mu) * is * gamma[c] + beta[c];
            }
    }
}

void ref_batchnorm_eval(size_t N, size_t C, size_t HW, double eps, const double *x,
                        const double *gamma, const double *beta, const double *running_mean,
                        const double *running_var, double *y) {
    for (size_t b = 0; b < N; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t i = 0; i < HW; i++) {
                size_t k = (b * C + c) * HW + i;
                y[k] = (x[k] - running_mean[c]) / sqrt(running_var[c] + eps) * gamma[c] + beta[c];
            }
}

void ref_batchnorm_backward(size_t N, size_t C, size_t HW, double eps, const double *x,
                            const double *gamma, const double *dy, double *dx, double *dgamma,
                            double *dbeta) {
    double n = (double)(N * HW);
    for (size_t c = 0; c < C; c++) {
        double mu, var;
        channel_stats(N, C, HW, c, x, &mu, &var);
        double is = 1 / sqrt(var + eps), sdy = 0, sdyx = 0;
        for (size_t b = 0; b < N; b++)
            for (size_t i = 0; i < HW; i++) {
                size_t k = (b * C + c) * HW + i;
                sdy += dy[k];
                sdyx += dy[k] * (x[k] - mu) * is;
            }
        dgamma[c] = sdyx;
        dbeta[c] = sdy;
        for (size_t b = 0; b < N; b++)
            for (size_t i = 0; i < HW; i++) {
                size_t k = (b * C + c) * HW + i;
                dx[k] = gamma[c] * is / n * (n * dy[k] - sdy - (x[k] - mu) * is * sdyx);
            }
    }
}
