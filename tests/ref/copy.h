/* References for the copies between layouts: tensors [N, C, inner]. */
#ifndef ALVK_REF_COPY_H
#define ALVK_REF_COPY_H

#include <stddef.h>

/* y [N, Ca + Cb, inner]: a's channels, then b's. */
void ref_concat(size_t N, size_t Ca, size_t Cb, size_t inner, const double *a, const double *b,
                double *y);
/* y [N, Cy, inner], y[n][c] = x[n][c + first] where that is one of x's Cx
 * channels, else 0. */
void ref_channels(size_t N, size_t Cx, size_t Cy, long first, size_t inner, const double *x,
                  double *y);

#endif
