/* The Adam optimiser as torch.optim.Adam computes it (no weight decay, no
 * amsgrad): one dispatch over a model's flat parameter buffer, with the
 * bias corrections computed in float on the device from the store's step
 * counter, so a recorded training step replays with no host work. */
#include "ops.h"

#define LOCAL 64

static int overlap(const alvk_buffer *a, const alvk_buffer *b, uint64_t bytes) {
    return a->buffer == b->buffer && a->offset < b->offset + bytes && b->offset < a->offset + bytes;
}

alvk_status alvk_op_adam(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params,
                         const alvk_buffer *grads, const alvk_buffer *m, const alvk_buffer *v,
                         const alvk_adam *a, const alvk_buffer *steps, int advance) {
    if (!a || !params || !grads || !m || !v)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adam: missing hyperparameters or buffer");
    if (!steps || steps->size < 4)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adam: no step counter");
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
    /* The ranges torch.optim.Adam accepts. */
    if (!(a->lr >= 0) || !(a->eps >= 0) || !(a->beta1 >= 0 && a->beta1 < 1) ||
        !(a->beta2 >= 0 && a->beta2 < 1))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adam: bad hyperparameters lr=%g "
                          "beta1=%g beta2=%g eps=%g (need lr, eps >= 0, betas in [0, 1))",
                          a->lr, a->beta1, a->beta2, a->eps);
    struct {
        uint32_t n;
        float one_minus_beta1, beta2, one_minus_beta2, eps, beta1, lr;
    } push = {n, (float)(1 - a->beta1), (float)a->beta2, (float)(1 - a->beta2),
              (float)a->eps, (float)a->beta1, (float)a->lr};
    alvk_kernel k = {.shader = ALVK_SHADER_adam, .local = {LOCAL}};
    alvk_binding b[8] = {alvk_in4(grads), alvk_out(params), alvk_out(m), alvk_out(v),
                         alvk_in4(params), alvk_in4(m),     alvk_in4(v), alvk_out(steps)};
    alvk_status s = alvk_op_dispatch_1d(cmd, k, b, 8, &push, sizeof push, (n + 3ull) / 4);
    if (s != ALVK_OK || !advance) return s;
    alvk_kernel count = {.shader = ALVK_SHADER_count, .local = {1}};
    alvk_binding cb = alvk_out(steps);
    return alvk_op_dispatch(cmd, count, &cb, 1, NULL, 0, (uint32_t[3]){1, 1, 1});
}
