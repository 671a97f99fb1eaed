/* Convolution references: the definition, loop by loop. */
#include "conv.h"

#include <string.h>

size_t ref_conv_out(size_t in, size_t k, size_t stride, size_t pad) {
    return (in + 2 * pad - k) / stride + 1;
}

/* Index of input pixel for output (oh, ow) and tap (kh, kw), or -1 in padding. */
static long input_at(const ref_conv *c, size_t oh, size_t ow, size_t kh, size_t kw) {
    long ih = (long)(oh * c->stride + kh) - (long)c->pad, iw = (long)(ow * c->stride + kw) - (long)c->pad;
    if (ih < 0 || iw < 0 || ih >= (long)c->H || iw >= (long)c->W) return -1;
    return ih * (long)c->W + iw;
}

void ref_conv2d(const ref_conv *c, const double *x, const double *w, const double *b, double *y) {
    size_t OH = ref_conv_out(c->H, c->KH, c->stride, c->pad);
    size_t OW = ref_conv_out(c->W, c->KW, c->stride, c->pad);
    for (size_t n = 0; n < c->N; n++)
        for (size_t co = 0; co < c->Cout; co++)
            for (size_t oh = 0; oh < OH; oh++)
                for (size_t ow = 0; ow < OW; ow++) {
                    double s = b ? b[co] : 0;
                    for (size_t ci = 0; ci < c->Cin; ci++)
                        for (size_t kh = 0; kh < c->KH; kh++)
                            for (size_t kw = 0; kw < c->KW; kw++) {
                                long p = input_at(c, oh, ow, kh, kw);
                                if (p < 0) continue;
                                s += x[(n * c->Cin + ci) * c->H * c->W + (size_t)p] *
                                     w[((co * c->Cin + ci) * c->KH + kh) * c->KW + kw];
                            }
                    y[((n * c->Cout + co) * OH + oh) * OW + ow] = s;
                }
}

void ref_conv2d_backward(const ref_conv *c, const double *x, const double *w, const double *dy,
                         double *dx, double *dw, double *db) {
    size_t OH = ref_conv_out(c->H, c->KH, c->stride, c->pad);
    size_t OW = ref_conv_out(c->W, c->KW, c->stride, c->pad);
    if (dx) memset(dx, 0, c->N * c->Cin * c->H * c->W * sizeof *dx);
    if (dw) memset(dw, 0, c->Cout * c->Cin * c->KH * c->KW * sizeof *dw);
    if (db) memset(db, 0, c->Cout * sizeof *db);
    for (size_t n = 0; n < c->N; n++)
        for (size_t co = 0; co < c->Cout; co++)
            for (size_t oh = 0; oh < OH; oh++)
                for (size_t ow = 0; ow < OW; ow++) {
                    double g = dy[((n * c->Cout + co) * OH + oh) * OW + ow];
                    if (db) db[co] += g;
                    for (size_t ci = 0; ci < c->Cin; ci++)
                        for (size_t kh = 0; kh < c->KH; kh++)
                            for (size_t kw = 0; kw < c->KW; kw++) {
                                long p = input_at(c, oh, ow, kh, kw);
                                if (p < 0) continue;
                                size_t xi = (n * c->Cin + ci) * c->H * c->W + (size_t)p;
                                size_t wi = ((co * c->Cin + ci) * c->KH + kh) * c->KW + kw;
                                if (dx) dx[xi] += g * w[wi];
                                if (dw) dw[wi] += g * x[xi];
                            }
                }
}
