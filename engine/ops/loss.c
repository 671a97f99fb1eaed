/* Losses and counts over logits[B, C]: softmax cross-entropy and its
 * gradient, softmax and the count of correct predictions. Rows are short
 * (10 classes), so the kernels give each row one invocation; the batch mean
 * of the loss is a fixed-order reduction. */
#include "ops.h"

#define LOCAL 64

enum { MODE_SOFTMAX, MODE_CE }; /* shaders/softmax_rows.comp */
enum { ROWS_ONLY, ROWS_PROBS, ROWS_GRAD }; /* what else it writes: its PROBS */

static alvk_status need(const char *op, const char *what, const alvk_buffer *b, uint64_t bytes) {
    if (!b) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: no %s buffer", op, what);
    if (b->size < bytes)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: %s holds %llu bytes, needs %llu", op,
                          what, (unsigned long long)b->size, (unsigned long long)bytes);
    return ALVK_OK;
}

/* The shape and the logits-shaped operands every op here shares. */
static alvk_status check_rows(const char *op, uint32_t B, uint32_t C, const alvk_buffer *logits) {
    if (!B || !C || (uint64_t)B * C > UINT32_MAX)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: bad shape B=%u C=%u", op, B, C);
    return need(op, "logits", logits, 4ull * B * C);
}

/* One softmax_rows dispatch, a row per invocation; `extra` says what probs
 * receives (ROWS_*). labels and probs may be NULL when the mode does not
 * read them: any bound buffer stands in. */
static alvk_status rows(alvk_cmd *cmd, uint32_t mode, uint32_t extra, uint32_t B, uint32_t C,
                        const alvk_buffer *logits, const alvk_buffer *labels,
                        const alvk_buffer *result, const alvk_buffer *probs) {
    alvk_kernel k = {.shader = ALVK_SHADER_softmax_rows, .local = {LOCAL}, .nspec = 2,
                     .spec = {mode, probs ? extra : ROWS_ONLY}};
    alvk_binding b[4] = {alvk_in1(logits), alvk_in1u(labels ? labels : logits), alvk_out(result),
                         alvk_out(probs ? probs : result)};
    struct { uint32_t B, C; } push = {B, C};
    return alvk_op_dispatch_1d(cmd, k, b, 4, &push, sizeof push, B);
}

/* The loss, and in probs what `extra` says. */
static alvk_status ce(alvk_cmd *cmd, const char *op, uint32_t extra, uint32_t B, uint32_t C,
                      const alvk_buffer *logits, const alvk_buffer *labels,
                      const alvk_buffer *loss, const alvk_buffer *probs) {
    alvk_status s = check_rows(op, B, C, logits);
    if (s == ALVK_OK) s = need(op, "labels", labels, 4ull * B);
    if (s == ALVK_OK) s = need(op, "loss", loss, 4);
    if (s == ALVK_OK && extra != ROWS_ONLY)
        s = need(op, extra == ROWS_GRAD ? "dlogits" : "probs", probs, 4ull * B * C);
    if (s != ALVK_OK) return s;
    alvk_buffer row_loss;
    s = alvk_cmd_scratch(cmd, 4ull * B, &row_loss);
    if (s == ALVK_OK) s = rows(cmd, MODE_CE, extra, B, C, logits, labels, &row_loss, probs);
    if (s != ALVK_OK) return s;
    alvk_reduce r = {.outer = 1, .mid = 1, .inner = B, .scale = 1.0f / (float)B};
    return alvk_op_reduce(cmd, &r, &row_loss, loss);
}

alvk_status alvk_op_softmax_ce(alvk_cmd *cmd, uint32_t B, uint32_t C, const alvk_buffer *logits,
                               const alvk_buffer *labels, const alvk_buffer *loss,
                               const alvk_buffer *probs) {
    return ce(cmd, "softmax_ce", probs ? ROWS_PROBS : ROWS_ONLY, B, C, logits, labels, loss, probs);
}

alvk_status alvk_op_softmax_ce_grad(alvk_cmd *cmd, uint32_t B, uint32_t C,
                                    const alvk_buffer *logits, const alvk_buffer *labels,
                                    const alvk_buffer *loss, const alvk_buffer *dlogits) {
    return ce(cmd, "softmax_ce grad", ROWS_GRAD, B, C, logits, labels, loss, dlogits);
}

alvk_status alvk_op_softmax_ce_backward(alvk_cmd *cmd, uint32_t B, uint32_t C,
                                        const alvk_buffer *probs, const alvk_buffer *labels,
                                        const alvk_buffer *dloss, const alvk_buffer *dlogits) {
    const char *op = "softmax_ce backward";
    alvk_status s = check_rows(op, B, C, probs);
    if (s == ALVK_OK) s = need(op, "labels", labels, 4ull * B);
    if (s == ALVK_OK) s = need(op, "dloss", dloss, 4);
    if (s == ALVK_OK) s = need(op, "dlogits", dlogits, 4ull * B * C);
    if (s != ALVK_OK) return s;
    alvk_kernel k = {.shader = ALVK_SHADER_softmax_ce_backward, .local = {LOCAL}};
    alvk_binding b[4] = {alvk_in1(probs), alvk_in1u(labels), alvk_in1(dloss), alvk_out(dlogits)};
    struct { uint32_t B, C; } push = {B, C};
    return alvk_op_dispatch_1d(cmd, k, b, 4, &push, sizeof push, (uint64_t)B * C);
}

alvk_status alvk_op_softmax(alvk_cmd *cmd, uint32_t B, uint32_t C, const alvk_buffer *logits,
                            const alvk_buffer *probs) {
    alvk_status s = check_rows("softmax", B, C, logits);
    if (s == ALVK_OK) s = need("softmax", "probs", probs, 4ull * B * C);
    return s == ALVK_OK ? rows(cmd, MODE_SOFTMAX, ROWS_ONLY, B, C, logits, NULL, probs, NULL) : s;
}

/* One workgroup: the count is one integer, and an evaluation batch (at most
 * the test set) is small next to the model that made its logits. */
alvk_status alvk_op_correct_count(alvk_cmd *cmd, uint32_t B, uint32_t C,
                                  const alvk_buffer *logits, const alvk_buffer *labels,
                                  const alvk_buffer *count) {
    const char *op = "correct_count";
    alvk_status s = check_rows(op, B, C, logits);
    if (s == ALVK_OK) s = need(op, "labels", labels, 4ull * B);
    if (s == ALVK_OK) s = need(op, "count", count, 4);
    if (s != ALVK_OK) return s;
    alvk_shader_id shader = alvk_group_sum_shader(alvk_cmd_context(cmd), ALVK_SHADER_correct_count);
    alvk_kernel k = {.shader = shader, .local = {LOCAL}};
    alvk_binding b[3] = {alvk_in1(logits), alvk_in1u(labels), alvk_out(count)};
    struct { uint32_t B, C; } push = {B, C};
    return alvk_op_dispatch(cmd, k, b, 3, &push, sizeof push, (uint32_t[3]){1, 1, 1});
}
