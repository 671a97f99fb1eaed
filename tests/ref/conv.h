/* References for convolution, pooling and batch normalisation (NCHW,
 * double precision). */
#ifndef ALVK_REF_CONV_H
#define ALVK_REF_CONV_H

#include <stddef.h>

typedef struct ref_conv {
    size_t N, Cin, H, W, Cout, KH, KW, stride, pad;
} ref_conv;

size_t ref_conv_out(size_t in, size_t k, size_t stride, size_t pad);
/* y = conv(x, w) + b (b may be NULL) */
void ref_conv2d(const ref_conv *c, const double *x, const double *w, const double *b, double *y);
/* dx, dw, db (any may be NULL) from dy */
void ref_conv2d_backward(const ref_conv *c, const double *x, const double *w, const double *dy,
                         double *dx, double *dw, double *db);

#endif
