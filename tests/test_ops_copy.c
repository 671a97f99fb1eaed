/* Op table: copies between layouts, concatenation along channels and
 * windows of channels (each the other's gradient), forward and backward,
 * on NCHW and [N, F] shapes. */
#include "ops_harness.h"
#include "ref/copy.h"

#include <stdio.h>

/* ---- concat: u = N, Ca, Cb, inner ---------------------------------------- */
static alvk_status gpu_concat(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                              const alvk_buffer *out) {
    return alvk_op_concat(cmd, c->u[0], c->u[1], c->u[2], c->u[3], &in[0], &in[1], &out[0]);
}
static void ref_concat_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_concat(c->u[0], c->u[1], c->u[2], c->u[3], in[0], in[1], out[0]);
}
/* Backward as the graph records it: two windows of dy (inputs a, b, dy). */
static alvk_status gpu_concat_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                  const alvk_buffer *out) {
    uint32_t N = c->u[0], Ca = c->u[1], Cb = c->u[2], inner = c->u[3];
    alvk_status s = alvk_op_channels(cmd, N, Ca + Cb, Ca, 0, inner, &in[2], &out[0]);
    return s == ALVK_OK ? alvk_op_channels(cmd, N, Ca + Cb, Cb, (int32_t)Ca, inner, &in[2], &out[1]) : s;
}
static void ref_concat_bwd(const op_case *c, const double *const *in, double *const *out) {
    size_t N = c->u[0], Ca = c->u[1], Cb = c->u[2], inner = c->u[3];
    ref_channels(N, Ca + Cb, Ca, 0, inner, in[2], out[0]);
    ref_channels(N, Ca + Cb, Cb, (long)Ca, inner, in[2], out[1]);
}

static op_case concat_case(uint32_t N, uint32_t Ca, uint32_t Cb, uint32_t inner, int backward) {
    size_t na = (size_t)N * Ca * inner, nb = (size_t)N * Cb * inner, ny = na + nb;
    op_case c = {.nin = 2, .nout = 1, .in_len = {na, nb}, .out_len = {ny}, .lo = {-1, -1}, .hi = {1, 1},
                 .gpu = gpu_concat, .ref = ref_concat_fwd, .tol = 0, .u = {N, Ca, Cb, inner}};
    if (backward) {
        c.nin = 3, c.nout = 2;
        c.in_len[2] = ny, c.lo[2] = -1, c.hi[2] = 1;
        c.out_len[0] = na, c.out_len[1] = nb;
        c.gpu = gpu_concat_bwd, c.ref = ref_concat_bwd, c.fwd = ref_concat_fwd, c.fwd_nin = 2;
        c.grad_of[0] = 0, c.grad_of[1] = 1;
    }
    snprintf(c.name, sizeof c.name, "concat%s N=%u Ca=%u Cb=%u inner=%u", backward ? "_backward" : "",
             N, Ca, Cb, inner);
    return c;
}

/* ---- channels: u = N, Cx, Cy, first (+ 1000), inner ----------------------- */
static int32_t first_of(const op_case *c) { return (int32_t)c->u[3] - 1000; }
static alvk_status gpu_channels(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                const alvk_buffer *out) {
    return alvk_op_channels(cmd, c->u[0], c->u[1], c->u[2], first_of(c), c->u[4], &in[0], &out[0]);
}
static void ref_channels_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_channels(c->u[0], c->u[1], c->u[2], first_of(c), c->u[4], in[0], out[0]);
}
/* The gradient of a window is the opposite window (inputs x, dy). */
static alvk_status gpu_channels_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                    const alvk_buffer *out) {
    return alvk_op_channels(cmd, c->u[0], c->u[2], c->u[1], -first_of(c), c->u[4], &in[1], &out[0]);
}
static void ref_channels_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_channels(c->u[0], c->u[2], c->u[1], -first_of(c), c->u[4], in[1], out[0]);
}

static op_case channels_case(uint32_t N, uint32_t Cx, uint32_t Cy, int32_t first, uint32_t inner,
                             int backward) {
    size_t nx = (size_t)N * Cx * inner, ny = (size_t)N * Cy * inner;
    op_case c = {.nin = 1, .nout = 1, .in_len = {nx}, .out_len = {ny}, .lo = {-1}, .hi = {1},
                 .gpu = gpu_channels, .ref = ref_channels_fwd, .tol = 0,
                 .u = {N, Cx, Cy, (uint32_t)(first + 1000), inner}};
    if (backward) {
        c.nin = 2, c.in_len[1] = ny, c.lo[1] = -1, c.hi[1] = 1, c.out_len[0] = nx;
        c.gpu = gpu_channels_bwd, c.ref = ref_channels_bwd, c.fwd = ref_channels_fwd, c.fwd_nin = 1;
    }
    snprintf(c.name, sizeof c.name, "channels%s N=%u Cx=%u Cy=%u first=%d inner=%u",
             backward ? "_backward" : "", N, Cx, Cy, first, inner);
    return c;
}

#define MAX_CASES 32
static op_case table[MAX_CASES];

static size_t build_table(void) {
    size_t n = 0;
    for (int bwd = 0; bwd < 2; bwd++) {
        table[n++] = concat_case(3, 2, 5, 7, bwd);      /* NCHW, odd sizes: vec4s straddle rows */
        table[n++] = concat_case(2, 64, 64, 49, bwd);   /* two 64-channel 7x7 maps: vec4s */
        table[n++] = concat_case(3, 2, 6, 2, bwd);      /* rows of vec4s, a's and b's */
        table[n++] = concat_case(5, 3, 1, 1, bwd);      /* [N, F] features */
        table[n++] = concat_case(130, 512, 10, 1, bwd); /* features and a one-hot */
        table[n++] = channels_case(3, 7, 2, 3, 5, bwd);  /* a window inside */
        table[n++] = channels_case(3, 2, 7, -3, 5, bwd); /* placed among zeros */
        table[n++] = channels_case(2, 4, 4, 2, 3, bwd);  /* shifted: half zeros */
        table[n++] = channels_case(4, 5, 3, 0, 1, bwd);  /* [N, F]: the first columns */
        table[n++] = channels_case(2, 8, 4, 4, 4, bwd);  /* vec4s: the last 4 of 8 */
        table[n++] = channels_case(2, 3, 4, -2, 4, bwd); /* vec4s: 2 of zeros, then x */
    }
    cr_assert(n <= MAX_CASES);
    return n;
}

OP_TABLE_TEST(ops_copy, build_table, table, MAX_CASES)
