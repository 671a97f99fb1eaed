/* The Adam optimiser as torch.optim.Adam computes it (no weight decay, no
 * amsgrad): one dispatch over a model's flat parameter buffer, with the
 * bias corrections computed on the host in double. */
#include "ops.h"

#include <math.h>

#define LOCAL 64

static int overlap(const alvk_buffer *a, const alvk_buffer *b, uint64_t bytes) {
    return a->buffer == b->buffer && a->offset < b->offset + bytes && b->offset < a->offset + bytes;
}

alvk_status alvk_op_adam(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params,
                         const alvk_buffer *grads, const alvk_buffer *m, const alvk_buffer *v,
                         const alvk_adam *a) {
    if (!a || !params || !grads || !m || !v)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adam: missing hyperparameters or buffer");
    if (!n) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adam: no parameters (n = 0)");
    const alvk_buffer *bufs[4] = {params, grads, m, v};
    static const char *const names[4] = {"params", "grads", "m", "v"};
    for (int i = 0; i < 4; i++) {
        if (bufs[i]->size < 4ull * n)
            return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                              "adam: %s holds %llu bytes, %u parameters need %llu", names[i],
                              (unsigned long long)bufs[i]->size, n, 4ull * n);
        for (int j = 0; j < i; j++)
            if (overlap(bufs[i], bufs[j], 4ull * n))
                return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adam: %s and %s overlap",
                                  names[j], names[i]);
    }
    /* The ranges torch.optim.Adam accepts, plus step >= 1. */
    if (!(a->lr >= 0) || !(a->eps >= 0) || !(a->beta1 >= 0 && a->beta1 < 1) ||
        !(a->beta2 >= 0 && a->beta2 < 1) || a->step == 0)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adam: bad hyperparameters lr=%g "
                          "beta1=%g beta2=%g eps=%g step=%u (need lr, eps >= 0, betas in [0, 1), "
                          "step >= 1)", a->lr, a->beta1, a->beta2, a->eps, a->step);
    double beta1 = a->beta1, beta2 = a->beta2;
    double bc1 = 1 - pow(beta1, a->step), bc2 = 1 - pow(beta2, a->step);
    struct {
        uint32_t n;
        float one_minus_beta1, beta2, one_minus_beta2, step_size, bc2_sqrt, eps;
    } push = {n, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
              (float)(a->lr / bc1), (float)sqrt(bc2), (float)a->eps};
    alvk_kernel k = {.shader = ALVK_SHADER_adam, .local = {LOCAL}};
    alvk_binding b[7] = {alvk_in4(grads), alvk_out(params), alvk_out(m),   alvk_out(v),
                         alvk_in4(params), alvk_in4(m),     alvk_in4(v)};
    return alvk_op_dispatch_1d(cmd, k, b, 7, &push, sizeof push, (n + 3ull) / 4);
}
