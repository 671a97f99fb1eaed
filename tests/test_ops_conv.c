/* Op table: conv2d forward, backward-data and backward-weight on every
 * distinct layer shape of ResNet18 on 28x28 inputs, odd shapes, and each
 * form the op picks between (im2col, Winograd, cropped windows). */
#include "ops_harness.h"
#include "ref/conv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* u: N, Cin, H, W, Cout, K (square), stride, pad; the bias is u[8] != 0;
 * u[9]: the form forced (see choose_form). */
static alvk_conv conv_of(const op_case *c) {
    return (alvk_conv){c->u[0], c->u[1], c->u[2], c->u[3], c->u[4], c->u[5], c->u[5], c->u[6], c->u[7]};
}
static ref_conv ref_of(const op_case *c) {
    return (ref_conv){c->u[0], c->u[1], c->u[2], c->u[3], c->u[4], c->u[5], c->u[5], c->u[6], c->u[7]};
}

/* Stride-1 3x3 rows run Winograd with the tile conv.c picks; u[9] forces
 * im2col (IM2COL), F(2x2) (2) or F(4x4) (4) instead, so every form keeps
 * reference rows on the shapes the others take. Each row is its own
 * process. The table pairs a convolution's packs and transforms in one
 * dispatch (ALVK_PAIRED=1); separate_dispatches runs them apart. */
#define IM2COL 1
static void choose_form(const op_case *c, alvk_cmd *cmd) {
    alvk_env *env = &alvk_cmd_context(cmd)->env;
    if (c->u[9]) env->winograd = c->u[9] == IM2COL ? 0 : (int)c->u[9]; /* ALVK_WINOGRAD */
    if (env->paired < 0) env->paired = 1; /* both packs or transforms in one dispatch, unless a test says */
}

/* Whether a row runs F(4x4, 3x3): conv.c's rule (fewer multiplies over the
 * tiles that cover the map) or forced. Its transforms' coefficients (up to
 * 8 and 1/24) round about 8 times coarser than im2col or F(2x2): on
 * ResNet18's layer shapes with values in [-1, 1], up to 2e-4 relative where
 * the others stay under 3e-5. */
static int runs_f4(size_t OH, size_t OW, uint32_t K, uint32_t stride, uint32_t form) {
    if (K != 3 || stride != 1 || form == IM2COL || form == 2) return 0;
    size_t f4 = (OH + 3) / 4 * ((OW + 3) / 4) * 36, f2 = (OH + 1) / 2 * ((OW + 1) / 2) * 16;
    return form == 4 || f4 < f2;
}

/* Inputs x, w, b; output y. */
static alvk_status gpu_conv(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                            const alvk_buffer *out) {
    choose_form(c, cmd);
    alvk_conv cv = conv_of(c);
    alvk_epilogue epi = {.residual = c->u[10] == 2 ? &in[3] : NULL, .relu = c->u[10] != 0};
    return alvk_op_conv2d_fused(cmd, &cv, &in[0], &in[1], c->u[8] ? &in[2] : NULL, &epi, &out[0]);
}
/* With the fused epilogue of u[10]: 1 relu(y), 2 relu(y + residual), the
 * residual input 3. */
static void ref_conv_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_conv r = ref_of(c);
    ref_conv2d(&r, in[0], in[1], c->u[8] ? in[2] : NULL, out[0]);
    for (size_t i = 0; c->u[10] && i < c->out_len[0]; i++) {
        double v = out[0][i] + (c->u[10] == 2 ? in[3][i] : 0.0);
        out[0][i] = v < 0 ? 0 : v;
    }
}
/* Inputs x, w, b, dy; outputs dx, dw, db. */
static alvk_status gpu_conv_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                const alvk_buffer *out) {
    choose_form(c, cmd);
    alvk_conv cv = conv_of(c);
    alvk_status s = alvk_op_conv2d_backward_data(cmd, &cv, &in[3], &in[1], NULL, &out[0]);
    return s == ALVK_OK ? alvk_op_conv2d_backward_weight(cmd, &cv, &in[0], &in[3], &out[1], &out[2]) : s;
}
static void ref_conv_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_conv r = ref_of(c);
    ref_conv2d_backward(&r, in[0], in[1], in[3], out[0], out[1], out[2]);
}


static op_case conv_case(uint32_t N, uint32_t Cin, uint32_t H, uint32_t W, uint32_t Cout,
                         uint32_t K, uint32_t stride, uint32_t pad, int bias, int backward,
                         uint32_t form) {
    size_t OH = ref_conv_out(H, K, stride, pad), OW = ref_conv_out(W, K, stride, pad);
    size_t nx = (size_t)N * Cin * H * W, nw = (size_t)Cout * Cin * K * K, ny = N * Cout * OH * OW;
    double taps = (double)Cin * K * K;
    op_case c = {.nin = 3, .nout = 1, .in_len = {nx, nw, Cout}, .out_len = {ny},
                 .lo = {-1, -1, -1}, .hi = {1, 1, 1}, .gpu = gpu_conv, .ref = ref_conv_fwd,
                 .tol = 1e-6 * sqrt(taps) + 1e-6, .u = {N, Cin, H, W, Cout, K, stride, pad, bias}};
    if (backward) {
        c.nin = 4, c.nout = 3;
        c.in_len[3] = ny, c.lo[3] = -1, c.hi[3] = 1;
        c.out_len[0] = nx, c.out_len[1] = nw, c.out_len[2] = Cout;
        c.gpu = gpu_conv_bwd, c.ref = ref_conv_bwd, c.fwd = ref_conv_fwd, c.fwd_nin = 3;
        c.u[8] = 1;
        c.grad_of[0] = 0, c.grad_of[1] = 1, c.grad_of[2] = 2;
        c.tol = 1e-6 * sqrt((double)N * OH * OW + (double)Cout * K * K) + 2e-6;
    }
    /* The data gradient tiles the input's map, the others the output's. */
    if (runs_f4(OH, OW, K, stride, form) || (backward && runs_f4(H, W, K, stride, form)))
        c.tol *= 8;
    c.u[9] = form;
    static const char *const forms[] = {"", " im2col", " F(2x2)", "", " F(4x4)"};
    snprintf(c.name, sizeof c.name, "conv2d%s N=%u Cin=%u %ux%u Cout=%u kernel=%u stride=%u "
             "pad=%u bias=%d%s", backward ? "_backward" : "", N, Cin, H, W, Cout, K, stride, pad,
             c.u[8] != 0, forms[form]);
    return c;
}

/* A forward row with a fused epilogue (u[10], see gpu_conv). */
static op_case conv_fused_case(uint32_t N, uint32_t Cin, uint32_t H, uint32_t Cout, uint32_t K,
                               uint32_t stride, uint32_t pad, int bias, uint32_t form, uint32_t epi) {
    op_case c = conv_case(N, Cin, H, H, Cout, K, stride, pad, bias, 0, form);
    c.u[10] = epi;
    if (epi == 2) c.nin = 4, c.in_len[3] = c.out_len[0], c.lo[3] = -1, c.hi[3] = 1;
    size_t len = strlen(c.name);
    snprintf(c.name + len, sizeof c.name - len, epi == 2 ? " +residual relu" : " relu");
    return c;
}

/* The data gradient with a ReLU's gradient fused in: inputs dy, w, mask
 * and (u[10] == 2) a residual gradient; dx = (dx + residual?) * (mask > 0). */
static alvk_status gpu_conv_data_masked(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                        const alvk_buffer *out) {
    choose_form(c, cmd);
    alvk_conv cv = conv_of(c);
    alvk_epilogue epi = {.residual = c->u[10] == 2 ? &in[3] : NULL, .mask = &in[2]};
    return alvk_op_conv2d_backward_data(cmd, &cv, &in[0], &in[1], &epi, &out[0]);
}
static void ref_conv_data_masked(const op_case *c, const double *const *in, double *const *out) {
    ref_conv r = ref_of(c);
    double *x = calloc(c->out_len[0], sizeof *x), *dw = calloc(c->in_len[1], sizeof *dw);
    double *db = calloc(c->u[4], sizeof *db);
    cr_assert(x && dw && db);
    ref_conv2d_backward(&r, x, in[1], in[0], out[0], dw, db);
    for (size_t i = 0; i < c->out_len[0]; i++)
        out[0][i] = in[2][i] > 0 ? out[0][i] + (c->u[10] == 2 ? in[3][i] : 0.0) : 0.0;
    free(x), free(dw), free(db);
}
static op_case conv_data_masked_case(uint32_t N, uint32_t Cin, uint32_t H, uint32_t Cout, uint32_t K,
                                     uint32_t stride, uint32_t pad, uint32_t form, int residual) {
    op_case c = conv_case(N, Cin, H, H, Cout, K, stride, pad, 0, 1, form);
    size_t nx = c.out_len[0], ny = c.in_len[3];
    c.nin = residual ? 4 : 3, c.nout = 1;
    c.in_len[0] = ny, c.in_len[1] = (size_t)Cout * Cin * K * K, c.in_len[2] = nx, c.in_len[3] = nx;
    c.lo[3] = -1, c.hi[3] = 1;
    c.gpu = gpu_conv_data_masked, c.ref = ref_conv_data_masked, c.fwd = NULL, c.fwd_nin = 0;
    c.grad_of[0] = c.grad_of[1] = c.grad_of[2] = 0;
    c.u[10] = residual ? 2 : 1;
    memcpy(c.name, "conv2d_data ", 12); /* over "conv2d_backward" */
    memmove(c.name + 12, c.name + 16, strlen(c.name + 16) + 1);
    size_t len = strlen(c.name);
    snprintf(c.name + len, sizeof c.name - len, residual ? " +residual masked" : " masked");
    return c;
}

#define MAX_CASES 112
static op_case table[MAX_CASES];

static size_t build_table(void) {
    /* Cin, H, Cout, K, stride, pad, bias: ResNet18 on 28x28 (deeplay: block
     * and shortcut convs have a bias, the stem does not). */
    static const uint32_t resnet[][7] = {
        {1, 28, 64, 7, 2, 3, 0},    /* stem: 28 -> 14 (then max pool -> 7) */
        {64, 7, 64, 3, 1, 1, 1},    /* layer1 */
        {64, 7, 128, 3, 2, 1, 1},   /* layer2.0.conv1: 7 -> 4 */
        {64, 7, 128, 1, 2, 0, 1},   /* layer2.0 shortcut */
        {128, 4, 128, 3, 1, 1, 1},  /* layer2 */
        {128, 4, 256, 3, 2, 1, 1},  /* layer3.0.conv1: 4 -> 2 */
        {128, 4, 256, 1, 2, 0, 1},  /* layer3.0 shortcut */
        {256, 2, 256, 3, 1, 1, 1},  /* layer3 */
        {256, 2, 512, 3, 2, 1, 1},  /* layer4.0.conv1: 2 -> 1 */
        {256, 2, 512, 1, 2, 0, 1},  /* layer4.0 shortcut */
        {512, 1, 512, 3, 1, 1, 1},  /* layer4 */
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof resnet / sizeof resnet[0]; i++) {
        const uint32_t *r = resnet[i];
        table[n++] = conv_case(1, r[0], r[1], r[1], r[2], r[3], r[4], r[5], (int)r[6], 0, 0);
        table[n++] = conv_case(3, r[0], r[1], r[1], r[2], r[3], r[4], r[5], (int)r[6], 0, 0);
        if (r[0] * r[2] <= 128 * 128) /* the FD check of the largest layers is too slow */
            table[n++] = conv_case(1, r[0], r[1], r[1], r[2], r[3], r[4], r[5], 1, 1, 0);
    }
    /* Odd shapes: channels off every tile, non-square, stride 2 without pad. */
    table[n++] = conv_case(3, 3, 5, 6, 5, 3, 1, 1, 1, 0, 0);
    table[n++] = conv_case(3, 3, 5, 6, 5, 3, 1, 1, 1, 1, 0);
    table[n++] = conv_case(2, 5, 9, 7, 3, 2, 2, 0, 1, 0, 0);
    table[n++] = conv_case(2, 5, 9, 7, 3, 2, 2, 0, 1, 1, 0);
    table[n++] = conv_case(2, 1, 28, 28, 64, 7, 2, 3, 0, 1, 0); /* the stem, batch 2 */
    /* The forward's A by input rows (conv_pack_rows.comp): the stem, 3
     * channels with rows past K, a 5x5 window at stride 1. */
    table[n++] = conv_case(2, 1, 28, 28, 64, 7, 2, 3, 0, 0, 0);
    table[n++] = conv_case(2, 3, 8, 8, 5, 3, 2, 1, 1, 0, 0);
    table[n++] = conv_case(2, 2, 8, 8, 3, 5, 1, 2, 1, 0, 0);
    table[n++] = conv_case(130, 2, 3, 3, 3, 3, 1, 1, 1, 0, 0); /* batch 130 */
    table[n++] = conv_case(2, 3, 1, 1, 4, 3, 1, 1, 1, 1, 0);   /* 1x1 spatial, 3x3 kernel */
    table[n++] = conv_case(2, 3, 2, 2, 4, 3, 1, 1, 1, 1, 0);   /* 2x2 spatial */
    table[n++] = conv_case(2, 5, 3, 4, 6, 1, 1, 0, 1, 1, 0);   /* 1x1 at stride 1: dx without col2im */
    /* Winograd's edges: odd maps (partial tiles), pad 0 and 2, channels off
     * every tile; each form forced on a shape another one takes. */
    static const uint32_t wino[][6] = {
        /* N, Cin, H, W, Cout, pad */
        {2, 5, 7, 5, 6, 0}, {2, 3, 5, 4, 5, 2}, {3, 9, 3, 3, 17, 1}, {1, 2, 1, 2, 3, 1},
    };
    for (size_t i = 0; i < sizeof wino / sizeof wino[0]; i++)
        for (int backward = 0; backward <= 1; backward++) {
            const uint32_t *r = wino[i];
            table[n++] = conv_case(r[0], r[1], r[2], r[3], r[4], 3, 1, r[5], 1, backward, 0);
        }
    for (int backward = 0; backward <= 1; backward++) {
        table[n++] = conv_case(1, 64, 7, 7, 64, 3, 1, 1, 1, backward, IM2COL);
        table[n++] = conv_case(1, 64, 7, 7, 64, 3, 1, 1, 1, backward, 2);
        table[n++] = conv_case(2, 9, 2, 3, 17, 3, 1, 1, 1, backward, 4);
        /* Maps of 2 x 2 tiles, each loaded once for its 4 (wino_transform's PLANE). */
        table[n++] = conv_case(2, 3, 4, 3, 5, 3, 1, 1, 1, backward, 2);
        table[n++] = conv_case(2, 3, 6, 8, 5, 3, 1, 1, 1, backward, 4);
    }
    /* Windows cropped to the taps that touch the image (conv.c, crop),
     * forward and backward. */
    static const uint32_t cropped[][6] = {
        /* Cin, H, Cout, K, stride, pad */
        {3, 2, 4, 3, 2, 1}, /* 2x2 -> 1x1: taps 1..2 */
        {3, 1, 5, 5, 1, 2}, /* 5x5 on 1x1: the centre */
        {2, 3, 3, 7, 1, 2}, /* 7x7 on 3x3, pad 2: taps 2..4 */
        {2, 1, 3, 5, 1, 3}, /* 5x5 on 1x1, pad 3: taps 1..3, still padded by 2 */
    };
    for (size_t i = 0; i < sizeof cropped / sizeof cropped[0]; i++)
        for (int backward = 0; backward <= 1; backward++) {
            const uint32_t *r = cropped[i];
            table[n++] = conv_case(2, r[0], r[1], r[1], r[2], r[3], r[4], r[5], 1, backward, 0);
        }
    /* Fused epilogues on every output kernel: Winograd F(4x4) and F(2x2)
     * (wino_output, tiles inside a map and tiles that are whole planes, by
     * vec4s and channel by channel), im2col's GEMM store (4 pixels a vec4
     * where a map's pixels are a multiple of 4, here with channels off the
     * vec4 lanes, else one by one), the 1x1 shortcut, a cropped window,
     * channels off the vec4 lanes. */
    for (uint32_t epi = 1; epi <= 2; epi++) {
        table[n++] = conv_fused_case(2, 16, 7, 16, 3, 1, 1, 1, 4, epi);
        table[n++] = conv_fused_case(2, 16, 4, 16, 3, 1, 1, 1, 2, epi);
        table[n++] = conv_fused_case(2, 16, 4, 16, 3, 1, 1, 1, 4, epi);
        table[n++] = conv_fused_case(2, 5, 2, 6, 3, 1, 1, 1, 2, epi);
        table[n++] = conv_fused_case(2, 8, 7, 12, 3, 2, 1, 1, 0, epi);
        table[n++] = conv_fused_case(2, 8, 7, 12, 1, 2, 0, 1, 0, epi);
        table[n++] = conv_fused_case(2, 3, 2, 4, 3, 2, 1, 1, 0, epi);
        table[n++] = conv_fused_case(2, 5, 5, 6, 3, 1, 1, 1, IM2COL, epi);
        table[n++] = conv_fused_case(2, 5, 5, 7, 3, 1, 0, 0, 0, epi);
        table[n++] = conv_fused_case(2, 5, 8, 7, 3, 1, 1, 1, IM2COL, epi);
    }
    /* The data gradient with a ReLU's gradient fused in (fuse.c), on every
     * output kernel: Winograd F(4x4) and F(2x2) (whole planes, by vec4s and
     * channel by channel), col2im at stride 2 (a 3x3 and a 1x1 shortcut),
     * and the GEMM alone (a 3x3 cropped to its centre on 1x1 maps). */
    for (int residual = 0; residual <= 1; residual++) {
        table[n++] = conv_data_masked_case(2, 16, 7, 16, 3, 1, 1, 4, residual);
        table[n++] = conv_data_masked_case(2, 16, 4, 16, 3, 1, 1, 2, residual);
        table[n++] = conv_data_masked_case(2, 6, 2, 5, 3, 1, 1, 2, residual);
        table[n++] = conv_data_masked_case(2, 8, 7, 12, 3, 2, 1, 0, residual);
        table[n++] = conv_data_masked_case(2, 8, 7, 12, 1, 2, 0, 0, residual);
        table[n++] = conv_data_masked_case(2, 8, 1, 8, 3, 1, 1, 0, residual);
    }
    cr_assert(n <= MAX_CASES);
    return n;
}

OP_TABLE_TEST(ops_conv, build_table, table, MAX_CASES)

/* Weight gradients with K split (gemm.c), forced: the stem over 8 images
 * (K = 1,568 pixels: 4 slices) and a strided 1x1 (K = 512: 2). */
Test(ops_conv, weight_gradient_with_split_k) {
    setenv("ALVK_GEMM_SPLIT", "1", 1);
    op_case c = conv_case(8, 1, 28, 28, 64, 7, 2, 3, 0, 1, 0);
    op_case_run(&c);
    c = conv_case(32, 8, 8, 8, 16, 1, 2, 0, 1, 1, 0);
    op_case_run(&c);
}

/* A convolution's two packs or transforms in two dispatches (ALVK_PAIRED=0,
 * what lavapipe 22 races to), every direction: Winograd F(4x4) and F(2x2)
 * (input and weight transforms; the weight gradient's x and dy), im2col at
 * stride 2 (forward, data and weight packs) and a cropped window (its
 * weights packed for the data gradient). */
Test(ops_conv, separate_dispatches) {
    setenv("ALVK_PAIRED", "0", 1);
    for (int backward = 0; backward < 2; backward++) {
        op_case c = conv_case(2, 9, 5, 6, 17, 3, 1, 1, 1, backward, 4);
        op_case_run(&c);
        c = conv_case(2, 5, 2, 2, 6, 3, 1, 1, 1, backward, 2);
        op_case_run(&c);
        c = conv_case(2, 8, 7, 7, 12, 3, 2, 1, 1, backward, 0);
        op_case_run(&c);
        c = conv_case(2, 3, 2, 2, 4, 3, 2, 1, 1, backward, 0);
        op_case_run(&c);
    }
}

/* The shared-memory GEMM (ALVK_GEMM_TILE=smem) under each form's layouts:
 * Winograd's batched GEMMs, im2col's NCHW output, the weight gradient's
 * row-major C, and a 1x1 stride-2 layer. */
Test(ops_conv, shared_memory_gemm) {
    setenv("ALVK_GEMM_TILE", "smem", 1);
    for (int backward = 0; backward < 2; backward++) {
        op_case c = conv_case(2, 9, 5, 6, 17, 3, 1, 1, 1, backward, 4);
        op_case_run(&c);
        c = conv_case(2, 9, 5, 6, 17, 3, 1, 1, 1, backward, IM2COL);
        op_case_run(&c);
        c = conv_case(3, 8, 6, 6, 70, 1, 2, 0, 1, backward, 0);
        op_case_run(&c);
    }
}
