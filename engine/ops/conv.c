/* 2-D convolution, forward and both gradients, on the GEMM core. Each
 * operand is first laid out K-major by shaders/conv_pack.comp (an im2col
 * gather into scratch), then one GEMM runs with the fast packed kernel.
 * Packing costs one memory-bound pass; on lavapipe it is what lets the GEMM
 * read whole vec4s (40+ GFLOP/s) instead of gathering scalars per tap. */
#include "ops.h"

enum { FWD_A, BWD_DATA_A, BWD_WEIGHT_A, BWD_WEIGHT_B, BWD_DATA_B, FWD_B };

static uint32_t round8(uint32_t x) { return (x + 7u) & ~7u; }

uint32_t alvk_conv_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad) {
    return in + 2 * pad < k ? 0 : (in + 2 * pad - k) / stride + 1;
}

static alvk_status check(const alvk_conv *c, const char *what) {
    if (!c->N || !c->Cin || !c->H || !c->W || !c->Cout || !c->KH || !c->KW || !c->stride ||
        !alvk_conv_out(c->H, c->KH, c->stride, c->pad) || !alvk_conv_out(c->W, c->KW, c->stride, c->pad))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "%s: impossible shape N=%u Cin=%u %ux%u Cout=%u kernel %ux%u stride %u "
                          "pad %u", what, c->N, c->Cin, c->H, c->W, c->Cout, c->KH, c->KW,
                          c->stride, c->pad);
    return ALVK_OK;
}

static alvk_status check_size(const char *what, const char *name, const alvk_buffer *b,
                              uint64_t floats) {
    if (b && b->size < 4 * floats)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: %s holds %llu bytes, needs %llu",
                          what, name, (unsigned long long)b->size, (unsigned long long)(4 * floats));
    return ALVK_OK;
}

/* Packs one operand ([K][rows] from src, mode as in conv_pack.comp) into
 * scratch; returns it and its row stride. */
static alvk_status pack(alvk_cmd *cmd, const alvk_conv *c, uint32_t mode, const alvk_buffer *src,
                        uint32_t rows, uint32_t K, alvk_buffer *out, uint32_t *ld) {
    uint32_t ldd = round8(rows), Kp = round8(K);
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * ldd * Kp, out);
    if (s != ALVK_OK) return s;
    *ld = ldd;
    struct {
        uint32_t N, Cin, H, W, Cout, KH, KW, stride, pad, OH, OW, rows, K, ldd, Kp;
    } push = {c->N, c->Cin, c->H, c->W, c->Cout, c->KH, c->KW, c->stride, c->pad,
              alvk_conv_out(c->H, c->KH, c->stride, c->pad),
              alvk_conv_out(c->W, c->KW, c->stride, c->pad), rows, K, ldd, Kp};
    alvk_kernel k = {.shader = ALVK_SHADER_conv_pack, .local = {16, 4}, .nspec = 1, .spec = {mode}};
    alvk_binding b[2] = {alvk_in1(src), alvk_out(out)};
    return alvk_op_dispatch(cmd, k, b, 2, &push, sizeof push,
                            (uint32_t[3]){(ldd + 15) / 16, (Kp + 3) / 4, 1});
}

/* The shape facts every direction needs. */
typedef struct conv_dims {
    uint32_t OH, OW, P_in, P_out, taps; /* taps = KH*KW */
} conv_dims;

static conv_dims dims(const alvk_conv *c) {
    conv_dims d;
    d.OH = alvk_conv_out(c->H, c->KH, c->stride, c->pad);
    d.OW = alvk_conv_out(c->W, c->KW, c->stride, c->pad);
    d.P_in = c->H * c->W;
    d.P_out = d.OH * d.OW;
    d.taps = c->KH * c->KW;
    return d;
}

/* Checks the shape and the sizes of x, w, y-shaped operands (NULL skips). */
static alvk_status check_all(const alvk_conv *c, const char *what, const alvk_buffer *x,
                             const alvk_buffer *w, const alvk_buffer *y, const alvk_buffer *b) {
    conv_dims d = dims(c);
    alvk_status s = check(c, what);
    if (s == ALVK_OK) s = check_size(what, "the input", x, (uint64_t)c->N * c->Cin * d.P_in);
    if (s == ALVK_OK) s = check_size(what, "the weights", w, (uint64_t)c->Cout * c->Cin * d.taps);
    if (s == ALVK_OK) s = check_size(what, "the output", y, (uint64_t)c->N * c->Cout * d.P_out);
    if (s == ALVK_OK) s = check_size(what, "the bias", b, c->Cout);
    return s;
}

alvk_status alvk_op_conv2d(alvk_cmd *cmd, const alvk_conv *c, const alvk_buffer *x,
                           const alvk_buffer *w, const alvk_buffer *b, const alvk_buffer *y) {
    conv_dims d = dims(c);
    uint32_t M = c->N * d.P_out, K = c->Cin * d.taps;
    alvk_buffer at, bk;
    alvk_gemm_packed g = {.M = M, .N = c->Cout, .K = K, .alpha = 1.0f, .nchw_pixels = d.P_out};
    alvk_status s = check_all(c, "conv2d", x, w, y, b);
    if (s == ALVK_OK) s = pack(cmd, c, FWD_A, x, M, K, &at, &g.lda);
    if (s == ALVK_OK) s = pack(cmd, c, FWD_B, w, c->Cout, K, &bk, &g.ldb);
    return s == ALVK_OK ? alvk_op_gemm_packed(cmd, &g, &at, &bk, y, b) : s;
}

alvk_status alvk_op_conv2d_backward_data(alvk_cmd *cmd, const alvk_conv *c, const alvk_buffer *dy,
                                         const alvk_buffer *w, const alvk_buffer *dx) {
    conv_dims d = dims(c);
    uint32_t M = c->N * d.P_in, K = c->Cout * d.taps;
    alvk_buffer at, bk;
    alvk_gemm_packed g = {.M = M, .N = c->Cin, .K = K, .alpha = 1.0f, .nchw_pixels = d.P_in};
    alvk_status s = check_all(c, "conv2d backward-data", dx, w, dy, NULL);
    if (s == ALVK_OK) s = pack(cmd, c, BWD_DATA_A, dy, M, K, &at, &g.lda);
    if (s == ALVK_OK) s = pack(cmd, c, BWD_DATA_B, w, c->Cin, K, &bk, &g.ldb);
    return s == ALVK_OK ? alvk_op_gemm_packed(cmd, &g, &at, &bk, dx, NULL) : s;
}

alvk_status alvk_op_conv2d_backward_weight(alvk_cmd *cmd, const alvk_conv *c,
                                           const alvk_buffer *x, const alvk_buffer *dy,
                                           const alvk_buffer *dw, const alvk_buffer *db) {
    conv_dims d = dims(c);
    uint32_t Ntaps = c->Cin * d.taps, K = c->N * d.P_out;
    alvk_buffer at, bk;
    alvk_gemm_packed g = {.M = c->Cout, .N = Ntaps, .K = K, .ldc = Ntaps, .alpha = 1.0f};
    alvk_status s = check_all(c, "conv2d backward-weight", x, dw, dy, db);
    if (s == ALVK_OK) s = pack(cmd, c, BWD_WEIGHT_A, dy, c->Cout, K, &at, &g.lda);
    if (s == ALVK_OK) s = pack(cmd, c, BWD_WEIGHT_B, x, Ntaps, K, &bk, &g.ldb);
    if (s == ALVK_OK) s = alvk_op_gemm_packed(cmd, &g, &at, &bk, dw, NULL);
    if (s != ALVK_OK || !db) return s;
    alvk_reduce r = {.outer = c->N, .mid = c->Cout, .inner = d.P_out, .scale = 1.0f};
    return alvk_op_reduce(cmd, &r, dy, db);
}
