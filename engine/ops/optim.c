/* The optimisers: Adam as torch.optim.Adam computes it (no amsgrad), with
 * AdamW's decoupled weight decay, and SGD as torch.optim.SGD (momentum,
 * dampening, Nesterov, weight decay): one dispatch each over a model's flat
 * parameter buffer. alvk_op_adam takes its hyperparameters and step from
 * the host (bias corrections in double); a graph's steps read theirs from
 * a buffer on the device, with the step count the store keeps there, so a
 * recorded training step replays as it is while the host changes the
 * learning rate between runs. */
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

/* The count of steps taken, advanced after a graph's last optimiser. */
static alvk_status advance_steps(alvk_cmd *cmd, const alvk_buffer *steps) {
    alvk_kernel count = {.shader = ALVK_SHADER_count, .local = {1}};
    alvk_binding cb = alvk_out(steps);
    return alvk_op_dispatch(cmd, count, &cb, 1, NULL, 0, (uint32_t[3]){1, 1, 1});
}

/* ---- Adam ------------------------------------------------------------------ */

/* adam.comp's push constants: the host path's hyperparameters, or (device
 * path) the slot to read them from. */
typedef struct adam_push {
    uint32_t n;
    float one_minus_beta1, beta2, one_minus_beta2, step_size, bc2_sqrt, eps, beta1, lr;
    uint32_t slot;
} adam_push;

static alvk_status adam(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params,
                        const alvk_buffer *grads, const alvk_buffer *m, const alvk_buffer *v,
                        const adam_push *push, const alvk_buffer *hyper, const alvk_buffer *steps,
                        int advance) {
    static const char *const names[4] = {"params", "grads", "m", "v"};
    alvk_status s =
        check_buffers("adam", n, (const alvk_buffer *const[]){params, grads, m, v}, names, 4);
    if (s != ALVK_OK) return s;
    int device = hyper != NULL;
    alvk_kernel k = {.shader = ALVK_SHADER_adam, .local = {LOCAL}, .nspec = 1, .spec = {device}};
    alvk_binding b[9] = {alvk_in4(grads),
                         alvk_out(params),
                         alvk_out(m),
                         alvk_out(v),
                         alvk_in4(params),
                         alvk_in4(m),
                         alvk_in4(v),
                         alvk_out(device ? steps : grads),
                         alvk_in1(device ? hyper : grads)};
    s = alvk_op_dispatch_1d(cmd, k, b, 9, push, sizeof *push, (n + 3ull) / 4);
    return s == ALVK_OK && device && advance ? advance_steps(cmd, steps) : s;
}

alvk_status alvk_op_adam(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params,
                         const alvk_buffer *grads, const alvk_buffer *m, const alvk_buffer *v,
                         const alvk_adam *a) {
    if (!a) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adam: missing hyperparameters");
    /* The ranges torch.optim.Adam accepts, plus step >= 1. */
    if (!(a->lr >= 0) || !(a->eps >= 0) || !(a->beta1 >= 0 && a->beta1 < 1) ||
        !(a->beta2 >= 0 && a->beta2 < 1) || a->step == 0)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "adam: bad hyperparameters lr=%g "
                          "beta1=%g beta2=%g eps=%g step=%u (need lr, eps >= 0, betas in [0, 1), "
                          "step >= 1)",
                          a->lr, a->beta1, a->beta2, a->eps, a->step);
    double beta1 = a->beta1, beta2 = a->beta2;
    double bc1 = 1 - pow(beta1, a->step), bc2 = 1 - pow(beta2, a->step);
    adam_push push = {n,
                      (float)(1 - beta1),
                      (float)beta2,
                      (float)(1 - beta2),
                      (float)(a->lr / bc1),
                      (float)sqrt(bc2),
                      (float)a->eps,
                      (float)beta1,
                      (float)a->lr,
                      0};
    return adam(cmd, n, params, grads, m, v, &push, NULL, NULL, 0);
}

void alvk_adam_hyper_set(alvk_adam_hyper *h, double lr, double beta1, double beta2, double eps,
                         double weight_decay) {
    /* The floats the host path's push constants held, so a graph's Adam
     * computes what it always did. */
    *h = (alvk_adam_hyper){(float)lr,
                           (float)beta1,
                           (float)beta2,
                           (float)eps,
                           (float)(1 - beta1),
                           (float)(1 - beta2),
                           (float)(1 - lr * weight_decay),
                           0};
}

alvk_status alvk_op_adam_counted(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params,
                                 const alvk_buffer *grads, const alvk_buffer *m,
                                 const alvk_buffer *v, const alvk_buffer *hyper, uint32_t slot,
                                 const alvk_buffer *steps, int advance) {
    alvk_status s = check_slot("adam", hyper, slot, steps);
    if (s != ALVK_OK) return s;
    adam_push push = {.n = n, .slot = slot};
    return adam(cmd, n, params, grads, m, v, &push, hyper, steps, advance);
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
    s = alvk_op_dispatch_1d(cmd, k, b, 7, &push, sizeof push, (n + 3ull) / 4);
    return s == ALVK_OK && advance ? advance_steps(cmd, steps) : s;
}
