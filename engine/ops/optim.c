/* The optimisers: Adam as torch.optim.Adam computes it (no amsgrad), with
 * AdamW's decoupled weight decay, and SGD as torch.optim.SGD (momentum,
 * dampening, Nesterov, weight decay): one dispatch each over a model's flat
 * parameter buffer. Their hyperparameters are read from a buffer on the
 * device (a graph's, one slot per step) with the step count the store
 * keeps there, so a recorded training step replays as it is while the host
 * changes the learning rate between runs. */
#include "ops.h"

#include <math.h>

#define LOCAL 64

static int overlap(const alvk_buffer *a, const alvk_buffer *b, uint64_t bytes) {
    return a->buffer == b->buffer && a->offset < b->offset + bytes && b->offset < a->offset + bytes;
}

/* Each of the k buffers holds n floats and none overlaps another (the
 * kernels update them in place, one invocation per element). */
static alvk_status check_buffers(const char *op, uint32_t n, const alvk_buffer *const *bufs,
                                 const char *const *names, int k) {
    if (!n) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: no parameters (n = 0)", op);
    for (int i = 0; i < k; i++) {
        if (!bufs[i])
            return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: missing buffer %s", op, names[i]);
        if (bufs[i]->size < 4ull * n)
            return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                              "%s: %s holds %llu bytes, %u parameters need %llu", op, names[i],
                              (unsigned long long)bufs[i]->size, n, 4ull * n);
        for (int j = 0; j < i; j++)
            if (overlap(bufs[i], bufs[j], 4ull * n))
                return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: %s and %s overlap", op,
                                  names[j], names[i]);
    }
    return ALVK_OK;
}

/* The slot the kernel reads: one of `hyper`'s ALVK_OPTIM_SLOT_BYTES slots. */
static alvk_status check_slot(const char *op, const alvk_buffer *hyper, uint32_t slot,
                              const alvk_buffer *steps) {
    if (!hyper || hyper->size < (slot + 1ull) * ALVK_OPTIM_SLOT_BYTES || !steps || steps->size < 4)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "%s: no step counter, or no hyperparameter slot %u", op, slot);
    return ALVK_OK;
}

/* ---- Adam ------------------------------------------------------------------ */

/* One Adam (AdamW) step reading its hyperparameters from `hyper`'s slot
 * and t from the step counter. */
alvk_status alvk_op_adam(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params, const alvk_buffer *grads,
                         const alvk_buffer *m, const alvk_buffer *v, const alvk_buffer *hyper, uint32_t slot,
                         const alvk_buffer *steps, int advance) {
    static const char *const names[4] = {"params", "grads", "m", "v"};
    alvk_status s = check_buffers("adam", n, (const alvk_buffer *const[]){params, grads, m, v}, names, 4);
    if (s == ALVK_OK) s = check_slot("adam", hyper, slot, steps);
    if (s != ALVK_OK) return s;
    struct {
        uint32_t n, slot;
    } push = {n, slot};
    alvk_kernel k = {.shader = ALVK_SHADER_adam, .local = {LOCAL}};
    alvk_binding b[9] = {alvk_in4(grads), alvk_out(params), alvk_out(m), alvk_out(v), alvk_in4(params),
                         alvk_in4(m),     alvk_in4(v),      alvk_out(steps), alvk_in1(hyper)};
    if (advance) s = alvk_op_advance(cmd, steps);
    return s == ALVK_OK ? alvk_op_dispatch_1d(cmd, k, b, 9, &push, sizeof push, (n + 3ull) / 4) : s;
}

void alvk_adam_hyper_set(alvk_adam_hyper *h, double lr, double beta1, double beta2, double eps,
                         double weight_decay) {
    /* Rounded from double as the host computed them when it pushed them,
     * so a graph's Adam computes what it always did. */
    *h = (alvk_adam_hyper){(float)lr,
                           (float)beta1,
                           (float)beta2,
                           (float)eps,
                           (float)(1 - beta1),
                           (float)(1 - beta2),
                           (float)(1 - lr * weight_decay),
                           0};
}

/* ---- SGD ------------------------------------------------------------------- */

void alvk_sgd_hyper_set(alvk_sgd_hyper *h, double lr, double momentum, double dampening,
                        double weight_decay, int nesterov) {
    *h = (alvk_sgd_hyper){(float)lr,           (float)momentum, (float)(1 - dampening),
                          (float)weight_decay, nesterov != 0,   {0, 0, 0}};
}

alvk_status alvk_op_sgd(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params,
                        const alvk_buffer *grads, const alvk_buffer *momentum,
                        const alvk_buffer *hyper, uint32_t slot, const alvk_buffer *steps,
                        int advance) {
    static const char *const names[3] = {"params", "grads", "momentum"};
    alvk_status s =
        check_buffers("sgd", n, (const alvk_buffer *const[]){params, grads, momentum}, names, 3);
    if (s == ALVK_OK) s = check_slot("sgd", hyper, slot, steps);
    if (s != ALVK_OK) return s;
    struct {
        uint32_t n, slot;
    } push = {n, slot};
    alvk_kernel k = {.shader = ALVK_SHADER_sgd, .local = {LOCAL}};
    alvk_binding b[7] = {alvk_in4(grads),    alvk_out(params), alvk_out(momentum), alvk_in4(params),
                         alvk_in4(momentum), alvk_out(steps),  alvk_in1(hyper)};
    if (advance) s = alvk_op_advance(cmd, steps);
    return s == ALVK_OK ? alvk_op_dispatch_1d(cmd, k, b, 7, &push, sizeof push, (n + 3ull) / 4) : s;
}
