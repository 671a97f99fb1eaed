/* Moving values between layouts: concatenation of two tensors along
 * channels (dimension 1) and windows of channels, both as rows copied side
 * by side (concat.comp), one dispatch each. */
#include "ops.h"

#include <limits.h>

#define LOCAL 64

/* y [rows, Y] from a [rows, A] and b [rows, B]: see concat.comp. */
typedef struct rows2 {
    uint32_t rows, Y, split, A, B;
    int32_t a_off, b_off;
} rows2;

static alvk_status copy_rows(alvk_cmd *cmd, const char *op, const rows2 *c, const alvk_buffer *a,
                             const alvk_buffer *b, const alvk_buffer *y) {
    uint64_t n = (uint64_t)c->rows * c->Y;
    if (!a || !b || !y || !c->rows || !c->Y || n > UINT32_MAX - 3)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: no buffer, or an impossible shape of %u rows "
                          "of %u", op, c->rows, c->Y);
    if (a->size < 4ull * c->rows * c->A || b->size < 4ull * c->rows * c->B || y->size < 4 * n)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: a buffer is smaller than its shape", op);
    struct { uint32_t n, Y, split, A, B; int32_t a_off, b_off; } push = {(uint32_t)n, c->Y, c->split, c->A,
                                                                         c->B, c->a_off, c->b_off};
    int vec4 = c->A % 4 == 0 && c->B % 4 == 0 && c->split % 4 == 0 && c->Y % 4 == 0 && c->a_off % 4 == 0 &&
               c->b_off % 4 == 0;
    alvk_kernel k = {.shader = ALVK_SHADER_concat, .local = {LOCAL}, .nspec = 1, .spec = {(uint32_t)vec4}};
    alvk_binding bind[3] = {alvk_in4(a), alvk_in4(b), alvk_out(y)};
    return alvk_op_dispatch_1d(cmd, k, bind, 3, &push, sizeof push, (n + 3) / 4);
}

alvk_status alvk_op_concat(alvk_cmd *cmd, uint32_t N, uint32_t Ca, uint32_t Cb, uint32_t inner,
                           const alvk_buffer *a, const alvk_buffer *b, const alvk_buffer *y) {
    uint64_t A = (uint64_t)Ca * inner, B = (uint64_t)Cb * inner;
    if (!Ca || !Cb || !inner || A + B > UINT32_MAX)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "concat: impossible shape Ca=%u Cb=%u inner=%u",
                          Ca, Cb, inner);
    rows2 c = {N, (uint32_t)(A + B), (uint32_t)A, (uint32_t)A, (uint32_t)B, 0, 0};
    return copy_rows(cmd, "concat", &c, a, b, y);
}

alvk_status alvk_op_channels(alvk_cmd *cmd, uint32_t N, uint32_t Cx, uint32_t Cy, int32_t first,
                             uint32_t inner, const alvk_buffer *x, const alvk_buffer *y) {
    uint64_t X = (uint64_t)Cx * inner, Y = (uint64_t)Cy * inner;
    int64_t off = (int64_t)first * inner;
    if (!Cx || !Cy || !inner || X > INT32_MAX || Y > INT32_MAX || off > INT32_MAX || off < -INT32_MAX)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "channels: impossible shape Cx=%u Cy=%u first=%d "
                          "inner=%u", Cx, Cy, first, inner);
    rows2 c = {N, (uint32_t)Y, (uint32_t)Y, (uint32_t)X, 0, (int32_t)off, 0};
    return copy_rows(cmd, "channels", &c, x, x, y);
}
