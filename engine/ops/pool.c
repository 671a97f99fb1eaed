/* Pooling: max pooling with recorded argmax, average pooling over windows
 * (PyTorch's AvgPool2d, count_include_pad=True), and global average pooling
 * as a reduction (its backward is a broadcast). */
#include "ops.h"

#define LOCAL 64

static alvk_status check_pool(const char *op, const alvk_maxpool *p, uint32_t *OH, uint32_t *OW) {
    *OH = p->K && p->stride ? alvk_conv_out(p->H, p->K, p->stride, p->pad) : 0;
    *OW = p->K && p->stride ? alvk_conv_out(p->W, p->K, p->stride, p->pad) : 0;
    /* PyTorch also rejects pad > K/2: a window could then lie in padding only. */
    if (!p->N || !p->C || !*OH || !*OW || 2 * p->pad > p->K)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "%s: impossible shape N=%u C=%u %ux%u kernel %u stride %u pad %u",
                          op, p->N, p->C, p->H, p->W, p->K, p->stride, p->pad);
    return ALVK_OK;
}

/* Whether pooling takes shaders/maxpool*.comp's whole-plane form: planes of
 * whole vec4s, at most 256 values and 64 windows (the stem's 14x14). */
static int whole_planes(const alvk_maxpool *p, uint32_t OH, uint32_t OW) {
    uint32_t hw = p->H * p->W;
    return hw % 4 == 0 && hw <= 256 && OH * OW <= 64;
}

typedef struct pool_push {
    uint32_t planes, H, W, OH, OW, K, S, P;
} pool_push;

alvk_status alvk_op_maxpool2d(alvk_cmd *cmd, const alvk_maxpool *p, const alvk_buffer *x,
                              const alvk_buffer *y, const alvk_buffer *argmax) {
    uint32_t OH, OW;
    alvk_status s = check_pool("maxpool2d", p, &OH, &OW);
    uint64_t in = (uint64_t)p->N * p->C * p->H * p->W, out = (uint64_t)p->N * p->C * OH * OW;
    if (s == ALVK_OK && (x->size < 4 * in || y->size < 4 * out || argmax->size < 4 * out))
        s = alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "maxpool2d: a buffer is smaller than its shape");
    if (s != ALVK_OK) return s;
    pool_push push = {p->N * p->C, p->H, p->W, OH, OW, p->K, p->stride, p->pad};
    int whole = whole_planes(p, OH, OW);
    alvk_kernel k = {.shader = ALVK_SHADER_maxpool, .local = {LOCAL}, .nspec = 5,
                     .spec = {p->K, whole ? p->H : 0, p->W, p->stride, p->pad}};
    alvk_binding b[4] = {alvk_in1(x), alvk_out(y), alvk_out(argmax), alvk_in4(x)};
    return alvk_op_dispatch_1d(cmd, k, b, 4, &push, sizeof push, whole ? push.planes : out);
}

alvk_status alvk_op_maxpool2d_backward(alvk_cmd *cmd, const alvk_maxpool *p,
                                       const alvk_buffer *argmax, const alvk_buffer *dy,
                                       const alvk_buffer *dx) {
    uint32_t OH, OW;
    alvk_status s = check_pool("maxpool2d backward", p, &OH, &OW);
    uint64_t in = (uint64_t)p->N * p->C * p->H * p->W, out = (uint64_t)p->N * p->C * OH * OW;
    if (s == ALVK_OK && (dx->size < 4 * in || dy->size < 4 * out || argmax->size < 4 * out))
        s = alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                       "maxpool2d backward: a buffer is smaller than its shape");
    if (s != ALVK_OK) return s;
    pool_push push = {p->N * p->C, p->H, p->W, OH, OW, p->K, p->stride, p->pad};
    /* One invocation per stride x stride block of dx (see the shader). */
    uint32_t S = p->stride, span = (p->K + 2 * S - 2) / S;
    uint64_t blocks = (uint64_t)p->N * p->C * ((p->H + S - 1) / S) * ((p->W + S - 1) / S);
    int whole = whole_planes(p, OH, OW);
    alvk_kernel k = {.shader = ALVK_SHADER_maxpool_backward, .local = {LOCAL}, .nspec = 6,
                     .spec = {S, span, whole ? p->H : 0, p->W, p->K, p->pad}};
    alvk_binding b[3] = {alvk_in1u(argmax), alvk_in1(dy), alvk_out(dx)};
    return alvk_op_dispatch_1d(cmd, k, b, 3, &push, sizeof push, whole ? push.planes : blocks);
}

/* Checks an average pooling's window and buffers: x holds `in` floats, y
 * `out` (the backward passes dx and dy). */
static alvk_status check_avgpool(const char *op, const alvk_maxpool *p, const alvk_buffer *x,
                                 const alvk_buffer *y, pool_push *push) {
    uint32_t OH, OW;
    alvk_status s = check_pool(op, p, &OH, &OW);
    uint64_t in = (uint64_t)p->N * p->C * p->H * p->W, out = (uint64_t)p->N * p->C * OH * OW;
    if (s == ALVK_OK && (x->size < 4 * in || y->size < 4 * out))
        s = alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: a buffer is smaller than its shape", op);
    *push = (pool_push){p->N * p->C, p->H, p->W, OH, OW, p->K, p->stride, p->pad};
    return s;
}

alvk_status alvk_op_avgpool2d(alvk_cmd *cmd, const alvk_maxpool *p, const alvk_buffer *x,
                              const alvk_buffer *y) {
    pool_push push;
    alvk_status s = check_avgpool("avgpool2d", p, x, y, &push);
    if (s != ALVK_OK) return s;
    alvk_kernel k = {.shader = ALVK_SHADER_avgpool2d, .local = {LOCAL}, .nspec = 1, .spec = {p->K}};
    alvk_binding b[2] = {alvk_in1(x), alvk_out(y)};
    return alvk_op_dispatch_1d(cmd, k, b, 2, &push, sizeof push, (uint64_t)push.planes * push.OH * push.OW);
}

alvk_status alvk_op_avgpool2d_backward(alvk_cmd *cmd, const alvk_maxpool *p,
                                       const alvk_buffer *dy, const alvk_buffer *dx) {
    pool_push push;
    alvk_status s = check_avgpool("avgpool2d backward", p, dx, dy, &push);
    if (s != ALVK_OK) return s;
    /* One invocation per stride x stride block of dx (see the shader). */
    uint32_t S = p->stride, span = (p->K + 2 * S - 2) / S;
    uint64_t blocks = (uint64_t)push.planes * ((p->H + S - 1) / S) * ((p->W + S - 1) / S);
    alvk_kernel k = {.shader = ALVK_SHADER_avgpool2d_backward, .local = {LOCAL}, .nspec = 2,
                     .spec = {S, span}};
    alvk_binding b[2] = {alvk_in1(dy), alvk_out(dx)};
    return alvk_op_dispatch_1d(cmd, k, b, 2, &push, sizeof push, blocks);
}

alvk_status alvk_op_avgpool_global(alvk_cmd *cmd, uint32_t N, uint32_t C, uint32_t HW,
                                   const alvk_buffer *x, const alvk_buffer *y) {
    alvk_reduce r = {.outer = 1, .mid = N * C, .inner = HW, .scale = 1.0f / (float)HW};
    return alvk_op_reduce(cmd, &r, x, y);
}

alvk_status alvk_op_avgpool_global_backward(alvk_cmd *cmd, uint32_t N, uint32_t C, uint32_t HW,
                                            const alvk_buffer *dy, const alvk_buffer *dx) {
    return alvk_op_binary(cmd, ALVK_BINARY_EXPAND, 1.0f / (float)HW, NULL, dy, dx, N * C * HW,
                          N * C, HW);
}
