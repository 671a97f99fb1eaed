/* Elementwise ops: unary activations and their derivatives, binary ops
 * with broadcasting, and dropout's seeded mask. Four floats per invocation
 * (memory-bound kernels). */
#include "ops.h"

#include <math.h>

#define LOCAL 64

static alvk_status check_n(const char *op, uint32_t n, const alvk_buffer *const *bufs, int nbufs) {
    for (int i = 0; i < nbufs; i++)
        if (bufs[i] && bufs[i]->size < 4ull * n)
            return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                              "%s: operand %d holds %llu bytes, %u floats need %llu", op, i,
                              (unsigned long long)bufs[i]->size, n, 4ull * n);
    return ALVK_OK;
}

static alvk_status unary(alvk_cmd *cmd, alvk_unary_op op, float alpha, float beta,
                         const alvk_buffer *x, const alvk_buffer *y, uint32_t n) {
    const alvk_buffer *bufs[] = {x, y};
    alvk_status s = check_n("unary", n, bufs, 2);
    if (s != ALVK_OK) return s;
    alvk_kernel k = {.shader = ALVK_SHADER_unary, .local = {LOCAL}, .nspec = 1, .spec = {op}};
    alvk_binding b[2] = {alvk_in4(x), alvk_out(y)};
    struct { uint32_t n; float alpha, beta; } push = {n, alpha, beta};
    return alvk_op_dispatch_1d(cmd, k, b, 2, &push, sizeof push, (n + 3ull) / 4);
}

alvk_status alvk_op_unary(alvk_cmd *cmd, alvk_unary_op op, float alpha, const alvk_buffer *x,
                          const alvk_buffer *y, uint32_t n) {
    return unary(cmd, op, alpha, 0.0f, x, y, n);
}

alvk_status alvk_op_affine(alvk_cmd *cmd, float alpha, float beta, const alvk_buffer *x,
                           const alvk_buffer *y, uint32_t n) {
    return unary(cmd, ALVK_UNARY_AFFINE, alpha, beta, x, y, n);
}

alvk_status alvk_op_unary_backward(alvk_cmd *cmd, alvk_unary_op op, float alpha,
                                   const alvk_buffer *saved, const alvk_buffer *dy,
                                   const alvk_buffer *dy2, const alvk_buffer *dx, uint32_t n) {
    if (!saved) saved = dy;
    const alvk_buffer *bufs[] = {saved, dy, dx, dy2 ? dy2 : dy};
    alvk_status s = check_n("unary backward", n, bufs, 4);
    if (s != ALVK_OK) return s;
    alvk_kernel k = {.shader = ALVK_SHADER_unary_backward, .local = {LOCAL}, .nspec = 2,
                     .spec = {op, dy2 != NULL}};
    alvk_binding b[4] = {alvk_in4(saved), alvk_in4(dy), alvk_out(dx), alvk_in4(dy2 ? dy2 : dy)};
    struct { uint32_t n; float alpha; } push = {n, alpha};
    return alvk_op_dispatch_1d(cmd, k, b, 4, &push, sizeof push, (n + 3ull) / 4);
}

alvk_status alvk_op_binary(alvk_cmd *cmd, alvk_binary_op op, float alpha, const alvk_buffer *a,
                           const alvk_buffer *b, const alvk_buffer *c, uint32_t n, uint32_t nb,
                           uint32_t inner) {
    if (op == ALVK_BINARY_EXPAND) a = b; /* bound but not read */
    if (!a || nb == 0 || inner == 0)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "binary: no operand, or nb/inner zero");
    const alvk_buffer *bufs[] = {a, c};
    alvk_status s = check_n("binary", op == ALVK_BINARY_EXPAND ? 0 : n, bufs, 1);
    if (s == ALVK_OK) s = check_n("binary", n, bufs + 1, 1);
    if (s == ALVK_OK && b->size < 4ull * nb)
        s = alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "binary: b holds %llu bytes, nb = %u",
                       (unsigned long long)b->size, nb);
    if (s != ALVK_OK) return s;
    int same = nb == n && inner == 1;
    alvk_kernel k = {.shader = ALVK_SHADER_binary, .local = {LOCAL}, .nspec = 2, .spec = {op, same}};
    alvk_binding bind[3] = {alvk_in4(a), same ? alvk_in4(b) : alvk_in1(b), alvk_out(c)};
    struct { uint32_t n, nb, inner; float alpha; } push = {n, nb, inner, alpha};
    return alvk_op_dispatch_1d(cmd, k, bind, 3, &push, sizeof push, (n + 3ull) / 4);
}

uint32_t alvk_dropout_threshold(float p) {
    double t = floor((double)p * 4294967296.0); /* below 2^32 for every float p < 1 */
    return t <= 0 ? 0u : t >= 4294967295.0 ? 4294967295u : (uint32_t)t;
}

float alvk_dropout_scale(float p) { return (float)(1.0 / (1.0 - (double)p)); }

alvk_status alvk_op_dropout(alvk_cmd *cmd, uint64_t seed, float p, const alvk_buffer *runs,
                            const alvk_buffer *x, const alvk_buffer *y, uint32_t n) {
    if (!(p >= 0 && p < 1) || !runs || runs->size < 4)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "dropout: p = %g is not in [0, 1), or no run counter", p);
    const alvk_buffer *bufs[] = {x, y};
    alvk_status s = check_n("dropout", n, bufs, 2);
    if (s != ALVK_OK) return s;
    alvk_kernel k = {.shader = ALVK_SHADER_dropout, .local = {LOCAL}};
    alvk_binding b[3] = {alvk_in1u(runs), alvk_in4(x), alvk_out(y)};
    struct { uint32_t n, seed_lo, seed_hi, threshold; float scale; } push = {
        n, (uint32_t)seed, (uint32_t)(seed >> 32), alvk_dropout_threshold(p), alvk_dropout_scale(p)};
    return alvk_op_dispatch_1d(cmd, k, b, 3, &push, sizeof push, (n + 3ull) / 4);
}

alvk_status alvk_op_advance(alvk_cmd *cmd, const alvk_buffer *counter) {
    if (!counter || counter->size < 4) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "advance: no counter");
    alvk_kernel k = {.shader = ALVK_SHADER_count, .local = {1}};
    alvk_binding b = alvk_out(counter);
    return alvk_op_dispatch(cmd, k, &b, 1, NULL, 0, (uint32_t[3]){1, 1, 1});
}
