/* Linear layers on the GEMM core: y = x W^T + b and its gradients. */
#include "ops.h"

alvk_status alvk_op_linear(alvk_cmd *cmd, uint32_t M, uint32_t in, uint32_t out,
                           const alvk_buffer *x, const alvk_buffer *w, const alvk_buffer *b,
                           const alvk_buffer *y) {
    alvk_gemm g = {.M = M, .N = out, .K = in, .trans_b = 1, .alpha = 1.0f};
    return alvk_op_gemm(cmd, &g, x, w, y, b);
}

alvk_status alvk_op_linear_backward(alvk_cmd *cmd, uint32_t M, uint32_t in, uint32_t out,
                                    const alvk_buffer *x, const alvk_buffer *w,
                                    const alvk_buffer *dy, const alvk_buffer *dx,
                                    const alvk_buffer *dw, const alvk_buffer *db) {
    alvk_gemm g = {.M = M, .N = out, .K = in, .trans_b = 1, .alpha = 1.0f};
    alvk_status s = alvk_op_gemm_backward(cmd, &g, x, w, dy, dx, dw);
    if (s != ALVK_OK || !db) return s;
    alvk_reduce r = {.outer = M, .mid = out, .inner = 1, .scale = 1.0f};
    return alvk_op_reduce(cmd, &r, dy, db);
}
