/* References for concatenation and windows of channels. */
#include "copy.h"

void ref_concat(size_t N, size_t Ca, size_t Cb, size_t inner, const double *a, const double *b,
                double *y) {
    size_t C = Ca + Cb;
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < C; c++)
            for (size_t p = 0; p < inner; p++)
                y[(n * C + c) * inner + p] = c < Ca ? a[(n * Ca + c) * inner + p] : b[(n * Cb + c - Ca) * inner + p];
}

void ref_channels(size_t N, size_t Cx, size_t Cy, long first, size_t inner, const double *x,
                  double *y) {
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < Cy; c++) {
            long from = (long)c + first;
            for (size_t p = 0; p < inner; p++)
                y[(n * Cy + c) * inner + p] = from >= 0 && from < (long)Cx ? x[(n * Cx + (size_t)from) * inner + p] : 0;
        }
}
