/* References for pooling and batch normalisation (NCHW, double). */
#ifndef ALVK_REF_NORM_POOL_H
#define ALVK_REF_NORM_POOL_H

#include <stddef.h>

typedef struct ref_maxpool {
    size_t N, C, H, W, K, stride, pad;
} ref_maxpool;

void ref_maxpool2d(const ref_maxpool *p, const double *x, double *y);
void ref_maxpool2d_backward(const ref_maxpool *p, const double *x, const double *dy, double *dx);
/* Average pooling over the same windows, PyTorch's count_include_pad=True:
 * each window's sum over K^2; the backward spreads dy / K^2 over it. */
void ref_avgpool2d(const ref_maxpool *p, const double *x, double *y);
void ref_avgpool2d_backward(const ref_maxpool *p, const double *dy, double *dx);

/* Training mode: y, and (each may be NULL) the batch mean and invstd and the
 * running statistics updated in place. */
void ref_batchnorm_train(size_t N, size_t C, size_t HW, double eps, double momentum,
                         const double *x, const double *gamma, const double *beta, double *y,
                         double *mean, double *invstd, double *running_mean, double *running_var);
void ref_batchnorm_eval(size_t N, size_t C, size_t HW, double eps, const double *x,
                        const double *gamma, const double *beta, const double *running_mean,
                        const double *running_var, double *y);
void ref_batchnorm_backward(size_t N, size_t C, size_t HW, double eps, const double *x,
                            const double *gamma, const double *dy, double *dx, double *dgamma,
                            double *dbeta);

#endif
