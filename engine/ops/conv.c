/* 2-D convolution, forward and both gradients, on the GEMM core, in one of
 * two forms. Stride-1 3x3 windows run Winograd (below, winograd). Every
 * other window is im2col: each operand is first laid out K-major by
 * shaders/conv_pack.comp (a gather into scratch), then one GEMM runs with
 * the fast packed kernel. Packing costs one memory-bound pass; on lavapipe
 * it is what lets the GEMM read whole vec4s instead of gathering scalars
 * per tap. */
#include "ops.h"
#include "vk/context.h"

#include <stdlib.h>
#include <string.h>

/* The operands conv_pack.comp lays out (its MODE). */
enum { FWD_A, FWD_B, DATA_A, DATA_B, WEIGHT_A, WEIGHT_B };

uint32_t alvk_conv_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad) {
    return !stride || in + 2 * pad < k ? 0 : (in + 2 * pad - k) / stride + 1; /* 0: impossible */
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

/* A convolution as the kernels run it: the window cropped to the taps that
 * can touch the image (see crop), and where that window sits in the
 * weights' full KH x KW. */
typedef struct conv_run {
    alvk_conv c;           /* the cropped convolution: same output, smaller K */
    uint32_t KH, KW, lo;   /* the weights' window, and the crop's first tap */
} conv_run;

/* Taps that fall in the padding for every output position multiply only
 * zeros: a 3x3 convolution on a 1x1 image (ResNet18's layer4 on 28x28
 * input) uses its centre tap alone. Cropping the window to the taps that
 * can touch the image gives the same result with a K up to 9x smaller. The
 * crop must be the same along both axes (one pad) and keep the output size. */
static conv_run crop(const alvk_conv *c) {
    conv_run r = {*c, c->KH, c->KW, 0};
    uint32_t OH = alvk_conv_out(c->H, c->KH, c->stride, c->pad), lo = c->KH, hi = 0;
    for (uint32_t kh = 0; kh < c->KH; kh++)
        for (uint32_t oh = 0; oh < OH; oh++) {
            uint32_t ih = oh * c->stride + kh; /* + pad: unsigned */
            if (ih >= c->pad && ih - c->pad < c->H) {
                lo = kh < lo ? kh : lo, hi = kh > hi ? kh : hi;
                break;
            }
        }
    if (lo > hi || (lo == 0 && hi == c->KH - 1) || c->KH != c->KW || c->H != c->W) return r;
    alvk_conv cc = *c;
    cc.KH = cc.KW = hi - lo + 1;
    cc.pad = c->pad - lo;
    if (alvk_conv_out(cc.H, cc.KH, cc.stride, cc.pad) != OH) return r;
    r.c = cc, r.lo = lo;
    return r;
}

/* How k and i split into three parts in each mode (see conv_pack.comp):
 * radices {k1, k0, i1, i0}; 0xffffffff marks a part that never wraps. */
static void radices(const alvk_conv *c, uint32_t mode, uint32_t r[4]) {
    uint32_t OH = alvk_conv_out(c->H, c->KH, c->stride, c->pad);
    uint32_t OW = alvk_conv_out(c->W, c->KW, c->stride, c->pad), flat = 0xffffffffu;
    uint32_t taps[2] = {c->KH, c->KW}, out[2] = {OH, OW}, one[2] = {1, flat};
    const uint32_t *k = mode == FWD_A || mode == FWD_B ? taps : mode == WEIGHT_A || mode == WEIGHT_B ? out : one;
    const uint32_t *i = mode == FWD_A || mode == DATA_A ? out : mode == DATA_B || mode == WEIGHT_B ? taps : one;
    r[0] = k[0], r[1] = k[1], r[2] = i[0], r[3] = i[1];
}

/* One operand for conv_pack.comp: [K][rows] laid out from src by mode. */
typedef struct pack_job {
    uint32_t mode, rows, K;
    const alvk_buffer *src;
} pack_job;

/* Packs n (1 or 2) independent operands of one convolution into scratch,
 * in one dispatch, or with n = 2 and !pair in two; gives each and its row
 * stride in out[j], ld[j]. */
static alvk_status pack_as(alvk_cmd *cmd, const conv_run *cr, const pack_job *job, int n, int pair,
                           alvk_buffer *out, uint32_t *ld) {
    const alvk_conv *c = &cr->c;
    if (n == 2 && !pair) {
        alvk_status s = pack_as(cmd, cr, &job[0], 1, 0, &out[0], &ld[0]);
        return s == ALVK_OK ? pack_as(cmd, cr, &job[1], 1, 0, &out[1], &ld[1]) : s;
    }
    struct {
        uint32_t N, Cin, H, W, Cout, stride, pad, OH, OW, wKH, wKW, lo;
        uint32_t job[2][4]; /* rows, K, ldd, Kp */
        uint32_t across[2], groups0;
    } push = {c->N, c->Cin, c->H, c->W, c->Cout, c->stride, c->pad,
              alvk_conv_out(c->H, c->KH, c->stride, c->pad),
              alvk_conv_out(c->W, c->KW, c->stride, c->pad), cr->KH, cr->KW, cr->lo, {{0}}, {0}, 0};
    alvk_kernel k = {.shader = ALVK_SHADER_conv_pack, .local = {8, 8}, .nspec = 11, .spec = {(uint32_t)n}};
    alvk_binding b[4];
    uint64_t groups = 0;
    for (int j = 0; j < 2; j++) {
        const pack_job *p = &job[j < n ? j : 0]; /* one job: its twin binds the same buffers */
        uint32_t ldd = alvk_round8(p->rows), Kp = alvk_round8(p->K);
        if (j < n) {
            int weights = p->mode == FWD_B || p->mode == DATA_B;
            alvk_status s = (weights ? alvk_cmd_scratch_weights : alvk_cmd_scratch)(cmd, 4ull * ldd * Kp, &out[j]);
            if (s != ALVK_OK) return s;
            ld[j] = ldd;
        }
        uint32_t *jp = push.job[j];
        jp[0] = p->rows, jp[1] = p->K, jp[2] = ldd, jp[3] = Kp;
        push.across[j] = (ldd / 8 + 7) / 8;
        if (j == 0) push.groups0 = push.across[0] * ((Kp + 7) / 8);
        if (j < n) groups += (uint64_t)push.across[j] * ((Kp + 7) / 8);
        k.spec[1 + 5 * j] = p->mode;
        radices(c, p->mode, &k.spec[2 + 5 * j]);
        b[2 * j] = alvk_in1(p->src), b[2 * j + 1] = alvk_out(&out[j < n ? j : 0]);
    }
    return alvk_op_dispatch_groups(cmd, k, b, 4, &push, sizeof push, groups);
}

/* Whether a convolution's two independent packs or transforms share one
 * dispatch (the second job of conv_pack.comp and wino_transform.comp): one
 * launch instead of two wherever a workgroup-uniform branch is a real
 * branch (GPUs; Mesa 25's lavapipe: ResNet18's transforms 0.6x the time).
 * Mesa 22's lavapipe runs both sides of every branch under a mask, so each
 * workgroup pays for both jobs there (1.3x the time). Raced once per
 * device on a weight gradient's two packs, cached with the other choices;
 * ALVK_PAIRED=0|1 decides. Either way the results are the same bits. */
#define RACE_CONV {128, 64, 7, 7, 128, 3, 3, 2, 1} /* ResNet18's layer2 entry at batch 128 */

static alvk_status record_pair_race(alvk_cmd *cmd, int way, void *user) {
    const alvk_buffer *xdy = user;
    conv_run r = crop(&(alvk_conv)RACE_CONV);
    const alvk_conv *c = &r.c;
    uint32_t K = c->N * alvk_conv_out(c->H, c->KH, c->stride, c->pad) * alvk_conv_out(c->W, c->KW, c->stride, c->pad);
    pack_job job[2] = {{WEIGHT_A, c->Cout, K, &xdy[1]}, {WEIGHT_B, c->Cin * c->KH * c->KW, K, &xdy[0]}};
    alvk_buffer out[2];
    uint32_t ld[2];
    return pack_as(cmd, &r, job, 2, way, out, ld);
}

static int race_paired(alvk_context *ctx, double ms[2]) {
    alvk_conv c = RACE_CONV;
    alvk_buffer xdy[2];
    if (alvk_buffers_alloc(ctx, 2, 4ull * c.N * c.Cout * c.H * c.W, xdy) != ALVK_OK) return -1;
    int winner = alvk_race(ctx, 2, record_pair_race, xdy, ms);
    alvk_buffers_free(ctx, 2, xdy);
    return winner;
}

static int paired(alvk_context *ctx) {
    return alvk_choice_flag(ctx, ctx->env.paired, &alvk_choices_get(ctx)->paired, 1, race_paired, 1);
}

static alvk_status pack(alvk_cmd *cmd, const conv_run *cr, const pack_job *job, int n,
                        alvk_buffer *out, uint32_t *ld) {
    return pack_as(cmd, cr, job, n, n == 2 && paired(alvk_cmd_context(cmd)), out, ld);
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

/* Checks the shape and the sizes of x, w, y-shaped operands (NULL skips),
 * then gives the convolution the kernels run (cropped) and its dims. */
static alvk_status plan(const alvk_conv *c, const char *what, const alvk_buffer *x,
                        const alvk_buffer *w, const alvk_buffer *y, const alvk_buffer *b,
                        conv_run *r, conv_dims *d) {
    alvk_status s = check(c, what);
    if (s != ALVK_OK) return s;
    conv_dims full = dims(c);
    s = check_size(what, "the input", x, (uint64_t)c->N * c->Cin * full.P_in);
    if (s == ALVK_OK) s = check_size(what, "the weights", w, (uint64_t)c->Cout * c->Cin * full.taps);
    if (s == ALVK_OK) s = check_size(what, "the output", y, (uint64_t)c->N * c->Cout * full.P_out);
    if (s == ALVK_OK) s = check_size(what, "the bias", b, c->Cout);
    *r = crop(c);
    *d = dims(&r->c);
    return s;
}

static int cropped(const conv_run *r) { return r->c.KH != r->KH; }

/* The forward GEMM's A by input rows (shaders/conv_pack_rows.comp), where
 * the geometry allows: a window not cropped, input rows and output planes
 * of whole vec4s within the shader's arrays, and no padding columns. */
static int packs_by_rows(const conv_run *r, const conv_dims *d, uint32_t rows) {
    const alvk_conv *c = &r->c;
    return !cropped(r) && c->W % 4 == 0 && c->W <= 32 && d->OH <= 16 && d->P_out % 4 == 0 &&
           rows % 8 == 0;
}

static alvk_status pack_rows(alvk_cmd *cmd, const conv_run *r, const conv_dims *d,
                             const alvk_buffer *x, uint32_t rows, uint32_t K, alvk_buffer *out,
                             uint32_t *ld) {
    const alvk_conv *c = &r->c;
    uint32_t Kp = alvk_round8(K), groups = (Kp + c->KW - 1) / c->KW; /* KW rows each */
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * rows * Kp, out);
    if (s != ALVK_OK) return s;
    *ld = rows;
    struct { uint32_t N, Cin, Kp, ldd, groups; } push = {c->N, c->Cin, Kp, rows, groups};
    alvk_kernel k = {.shader = ALVK_SHADER_conv_pack_rows, .local = {64}, .nspec = 8,
                     .spec = {c->H, c->W, d->OH, d->OW, c->KH, c->KW, c->stride, c->pad}};
    alvk_binding b[2] = {alvk_in4(x), alvk_out(out)};
    return alvk_op_dispatch_1d(cmd, k, b, 2, &push, sizeof push, (uint64_t)c->N * groups);
}

/* The forward GEMM's weights, [K][Cout] from w[Cout][K]: a vec4 transpose
 * when rows of w are whole vec4s and the window is not cropped (every
 * layer but a 7x7 stem on few channels and the cropped ones), else the
 * scalar gather. */
static alvk_status pack_weights(alvk_cmd *cmd, const conv_run *r, const alvk_buffer *w,
                                uint32_t K, alvk_buffer *out, uint32_t *ld) {
    if (K % 4 || cropped(r)) return pack(cmd, r, &(pack_job){FWD_B, r->c.Cout, K, w}, 1, out, ld);
    uint32_t ldd = alvk_round8(r->c.Cout), Kp = alvk_round8(K);
    alvk_status s = alvk_cmd_scratch_weights(cmd, 4ull * ldd * Kp, out);
    if (s != ALVK_OK) return s;
    *ld = ldd;
    struct { uint32_t rows, K, ldd, Kp; } push = {r->c.Cout, K, ldd, Kp};
    alvk_kernel k = {.shader = ALVK_SHADER_transpose4, .local = {64}};
    alvk_binding b[2] = {alvk_in4(w), alvk_out(out)};
    return alvk_op_dispatch(cmd, k, b, 2, &push, sizeof push,
                            (uint32_t[3]){(ldd + 63) / 64, Kp / 4, 1});
}

/* Winograd F(F x F, 3 x 3) (Lavin and Gray, 2015) for stride-1 3x3
 * windows, F = 2 or 4: an F x F output tile costs ALPHA^2 = (F + 2)^2
 * multiply-adds per channel pair instead of 9 F^2. Three passes
 * (shaders/wino_*.comp): the input and weight transforms in one dispatch,
 * ALPHA^2 GEMMs over channels in one batched dispatch, the output
 * transform; they replace the im2col
 * pack and the GEMM, and for the data gradient col2im too (dx is itself a
 * stride-1 3x3 convolution: of dy, with the weights turned 180 degrees, Cin
 * and Cout swapped and pad 2 - pad). The weight gradient is the transpose
 * of the forward pass (winograd_weight). The tile is whichever needs fewer
 * multiplies on the map, tiles past its edge included: on ResNet18's 7x7
 * and 4x4 maps F = 4 (0.33 and 0.25 of im2col's multiply-adds), on 2x2
 * maps F = 2 (0.44). F = 4's transforms have larger coefficients (up to 8
 * and 1/24), so it rounds about 8 times coarser than im2col or F = 2 (up to
 * 2e-4 relative on ResNet18's shapes; its op-test rows allow for that,
 * the others keep their tolerances). ALVK_WINOGRAD=0 turns Winograd off,
 * =2 or =4 forces a tile (to compare, or to rule one out). */
typedef struct wino {
    uint32_t N, Cin, H, W, Cout, OH, OW, pad; /* as a forward convolution */
    uint32_t F;                               /* the output tile: F x F */
} wino;

/* Tiles along a map of `out` pixels. */
static uint32_t tiles_along(uint32_t out, uint32_t F) { return (out + F - 1) / F; }
static uint32_t round16(uint32_t n) { return (n + 15) / 16 * 16; }

/* Values per tile after a transform: ALPHA^2, ALPHA = F + 2; also how many
 * GEMMs one Winograd convolution batches. */
static uint32_t tile_values(uint32_t F) { return (F + 2) * (F + 2); }

static uint64_t wino_cost(uint32_t OH, uint32_t OW, uint32_t F) {
    return (uint64_t)tiles_along(OH, F) * tiles_along(OW, F) * tile_values(F);
}

/* The tile Winograd uses for a convolution whose tiles cover OH x OW, or 0
 * when the window is not a stride-1 3x3. */
static uint32_t winograd_tile(alvk_context *ctx, const conv_run *r, uint32_t OH, uint32_t OW) {
    int forced = ctx->env.winograd; /* ALVK_WINOGRAD */
    const alvk_conv *c = &r->c;
    if (c->KH != 3 || c->KW != 3 || c->stride != 1 || c->pad > 2 || cropped(r) || forced == 0)
        return 0;
    if (forced > 0) return (uint32_t)forced;
    return wino_cost(OH, OW, 4) < wino_cost(OH, OW, 2) ? 4 : 2;
}

/* One of the two transforms of a wino_transform.comp dispatch: an
 * activation's (mode as there; the NCHW src of C channels, H x W, in tiles
 * TH x TW, into ALPHA^2 [rows][ld] blocks) or, as job 1, the filters'
 * (mode = flip; src w, [Cout][Cin][3][3], into ALPHA^2 [Kp][ldn] blocks). */
typedef struct wino_job {
    const alvk_buffer *src;
    uint32_t mode, H, W, pad, TH, TW;
    uint32_t size[4]; /* C, T, ld, rows; the weights' K, Nn, Kp, ldn */
} wino_job;

/* One wino_transform.comp dispatch: the activation job a and the second
 * job b (NULL: left out; the weights when Cin, theirs, is not 0), into
 * scratch oa and ob. */
static alvk_status transform(alvk_cmd *cmd, uint32_t F, const wino_job *a, const wino_job *b,
                             uint32_t Cin, alvk_buffer *oa, alvk_buffer *ob) {
    struct { uint32_t job[2][4], Cin, across[2], groups0; } push = {{{0}}, Cin, {0}, 0};
    uint64_t groups = 0;
    for (int j = 0; j < 2; j++) {
        const wino_job *p = j ? b : a;
        alvk_buffer *o = j ? ob : oa;
        if (!p) continue;
        const uint32_t *n = p->size;
        int weights = j == 1 && Cin;
        alvk_status s = (weights ? alvk_cmd_scratch_weights : alvk_cmd_scratch)(cmd, 4ull * tile_values(F) * n[2] * n[3], o);
        if (s != ALVK_OK) return s;
        memcpy(push.job[j], n, sizeof push.job[j]);
        if (j == 1 && Cin) { /* 64 invocations of 4 filters each */
            groups += ((uint64_t)n[2] * n[3] / 4 + 63) / 64;
        } else { /* 16 x 4 invocations of 4 values each */
            push.across[j] = (n[2] / 4 + 15) / 16;
            groups += (uint64_t)push.across[j] * ((n[3] + 3) / 4);
        }
        if (j == 0) push.groups0 = (uint32_t)groups;
    }
    const wino_job *ka = a ? a : b, *kb = b ? b : a; /* a job left out binds the other's buffers */
    const alvk_buffer *qa = a ? oa : ob, *qb = b ? ob : oa;
    alvk_kernel k = {.shader = ALVK_SHADER_wino_transform, .local = {16, 4}, .nspec = 15,
                     .spec = {ka->mode, F, ka->H, ka->W, ka->pad, ka->TH, ka->TW, !b ? 0 : Cin ? 2 : 1,
                              kb->mode, kb->H, kb->W, kb->pad, kb->TH, kb->TW, a != NULL}};
    alvk_binding bind[4] = {alvk_in1(ka->src), alvk_out(qa), alvk_in1(kb->src), alvk_out(qb)};
    return alvk_op_dispatch_groups(cmd, k, bind, 4, &push, sizeof push, groups);
}

/* Both transforms a Winograd GEMM needs, into scratch out[0] and out[1]:
 * in one dispatch where the device pairs them (paired), else in two; job 1
 * is the weights when Cin (theirs) is not 0. */
static alvk_status transforms(alvk_cmd *cmd, uint32_t F, const wino_job job[2], uint32_t Cin,
                              alvk_buffer out[2]) {
    if (paired(alvk_cmd_context(cmd))) return transform(cmd, F, &job[0], &job[1], Cin, &out[0], &out[1]);
    alvk_status s = transform(cmd, F, &job[0], NULL, 0, &out[0], NULL);
    if (s != ALVK_OK) return s;
    return Cin ? transform(cmd, F, NULL, &job[1], Cin, NULL, &out[1])
               : transform(cmd, F, &job[1], NULL, 0, &out[1], NULL);
}

/* Forward, or with flip the data gradient (w is the forward convolution's
 * [Cout][Cin], so [p->Cout][p->Cin] swapped here). Rows of tiles and
 * channels are padded to 16, the widest GEMM tile, so no tile reads past
 * its operand. */
static alvk_status winograd(alvk_cmd *cmd, const wino *p, int flip, const alvk_buffer *x,
                            const alvk_buffer *w, const alvk_buffer *bias, const alvk_epilogue *epi,
                            const alvk_buffer *y) {
    uint32_t F = p->F, A2 = tile_values(F);
    uint32_t T = p->N * tiles_along(p->OH, F) * tiles_along(p->OW, F);
    uint32_t ldt = round16(T), ldn = round16(p->Cout), Kp = alvk_round8(p->Cin);
    uint32_t TH = tiles_along(p->OH, F), TW = tiles_along(p->OW, F);
    wino_job job[2] = {{x, 0, p->H, p->W, p->pad, TH, TW, {p->Cin, T, ldt, Kp}},
                       {w, (uint32_t)flip, 1, 1, 0, 1, 1, {p->Cin, p->Cout, Kp, ldn}}};
    alvk_buffer vu[2], m;
    alvk_status s = transforms(cmd, F, job, flip ? p->Cout : p->Cin, vu);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * A2 * T * p->Cout, &m);
    alvk_gemm_packed g = {.M = T, .N = p->Cout, .K = p->Cin, .lda = ldt, .ldb = ldn,
                          .ldc = p->Cout, .alpha = 1.0f, .batch = A2, .sa = Kp * ldt,
                          .sb = Kp * ldn, .sc = T * p->Cout};
    if (s == ALVK_OK) s = alvk_op_gemm_packed(cmd, &g, &vu[0], &vu[1], &m, NULL);
    if (s != ALVK_OK) return s;

    struct { uint32_t C, OH, OW, TH, TW, T, sc; } pout = {
        p->Cout, p->OH, p->OW, tiles_along(p->OH, F), tiles_along(p->OW, F), T, g.sc};
    uint32_t lanes = p->Cout % 4 ? 1 : 4; /* channels per invocation, read as vec4s */
    int whole = p->OH == F && p->OW == F; /* each tile a whole plane (see wino_output.comp) */
    alvk_kernel ko = {.shader = ALVK_SHADER_wino_output, .local = {64}, .nspec = 7,
                      .spec = {bias != NULL, lanes, F, epi->residual != NULL, epi->relu != 0, whole,
                               epi->mask != NULL}};
    alvk_binding b[5] = {alvk_in4(&m), alvk_out(y), alvk_in1(bias ? bias : &m),
                         alvk_in1(epi->residual ? epi->residual : &m), alvk_in1(epi->mask ? epi->mask : &m)};
    return alvk_op_dispatch_1d(cmd, ko, b, 5, &pout, sizeof pout, (uint64_t)T * p->Cout / lanes);
}

/* The weight gradient: the forward's transpose. Per tile, V = B^T d B of
 * the input patch and Z = A dy A^T of the output tile's gradient; ALPHA^2
 * GEMMs sum Z^T V over the tiles (K = tiles), and G^T (.) G of each sum is
 * the filter's gradient. */
static alvk_status winograd_weight(alvk_cmd *cmd, const alvk_conv *c, uint32_t OH, uint32_t OW,
                                   uint32_t F, const alvk_buffer *x, const alvk_buffer *dy,
                                   const alvk_buffer *dw) {
    uint32_t T = c->N * tiles_along(OH, F) * tiles_along(OW, F), Tp = alvk_round8(T);
    uint32_t ldi = round16(c->Cin), ldo = round16(c->Cout), A2 = tile_values(F);
    uint32_t TH = tiles_along(OH, F), TW = tiles_along(OW, F);
    wino_job job[2] = {{x, 1, c->H, c->W, c->pad, TH, TW, {c->Cin, T, ldi, Tp}},
                       {dy, 2, OH, OW, 0, TH, TW, {c->Cout, T, ldo, Tp}}};
    alvk_buffer vz[2], m;
    alvk_status s = transforms(cmd, F, job, 0, vz);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * A2 * c->Cin * c->Cout, &m);
    /* m[xi][co][ci] = Z^T V: filter co * Cin + ci at xi's offset plus its
     * index, so wino_wgrad reads 4 filters as one vec4. */
    alvk_gemm_packed g = {.M = c->Cout, .N = c->Cin, .K = T, .lda = ldo, .ldb = ldi,
                          .ldc = c->Cin, .alpha = 1.0f, .batch = A2, .sa = Tp * ldo,
                          .sb = Tp * ldi, .sc = c->Cin * c->Cout};
    if (s == ALVK_OK) s = alvk_op_gemm_packed(cmd, &g, &vz[1], &vz[0], &m, NULL);
    if (s != ALVK_OK) return s;
    struct { uint32_t Cin, Cout, sc; } push = {c->Cin, c->Cout, g.sc};
    alvk_kernel k = {.shader = ALVK_SHADER_wino_wgrad, .local = {64}, .nspec = 1, .spec = {F}};
    return alvk_op_dispatch_1d(cmd, k, (alvk_binding[2]){alvk_in4(&m), alvk_out(dw)}, 2, &push,
                               sizeof push, ((uint64_t)c->Cin * c->Cout + 3) / 4); /* 4 filters each */
}

alvk_status alvk_op_conv2d(alvk_cmd *cmd, const alvk_conv *c0, const alvk_buffer *x,
                           const alvk_buffer *w, const alvk_buffer *b, const alvk_buffer *y) {
    return alvk_op_conv2d_fused(cmd, c0, x, w, b, NULL, y);
}

alvk_status alvk_op_conv2d_fused(alvk_cmd *cmd, const alvk_conv *c0, const alvk_buffer *x,
                                 const alvk_buffer *w, const alvk_buffer *b,
                                 const alvk_epilogue *epi0, const alvk_buffer *y) {
    conv_run r;
    conv_dims d;
    alvk_epilogue epi = epi0 ? *epi0 : (alvk_epilogue){0};
    alvk_status s = plan(c0, "conv2d", x, w, y, b, &r, &d);
    if (s == ALVK_OK) s = check_size("conv2d", "residual", epi.residual, (uint64_t)c0->N * c0->Cout * d.P_out);
    if (s != ALVK_OK) return s;
    const alvk_conv *c = &r.c;
    uint32_t F = winograd_tile(alvk_cmd_context(cmd), &r, d.OH, d.OW);
    if (F) {
        wino p = {c->N, c->Cin, c->H, c->W, c->Cout, d.OH, d.OW, c->pad, F};
        return winograd(cmd, &p, 0, x, w, b, &epi, y);
    }
    uint32_t M = c->N * d.P_out, K = c->Cin * d.taps;
    alvk_buffer at, bk;
    alvk_gemm_packed g = {.M = M, .N = c->Cout, .K = K, .alpha = 1.0f, .nchw_pixels = d.P_out, .epi = epi};
    if (packs_by_rows(&r, &d, M)) {
        s = pack_rows(cmd, &r, &d, x, M, K, &at, &g.lda);
        if (s == ALVK_OK) s = pack_weights(cmd, &r, w, K, &bk, &g.ldb);
    } else { /* both operands in one dispatch */
        pack_job job[2] = {{FWD_A, M, K, x}, {FWD_B, c->Cout, K, w}};
        alvk_buffer out[2] = {{0}};
        uint32_t ld[2] = {0};
        s = pack(cmd, &r, job, 2, out, ld);
        at = out[0], bk = out[1], g.lda = ld[0], g.ldb = ld[1];
    }
    return s == ALVK_OK ? alvk_op_gemm_packed(cmd, &g, &at, &bk, y, b) : s;
}

/* A 1x1 window at stride 1 without padding (layer4's cropped 3x3 on 1x1
 * maps) maps each pixel to itself: col is dx, which the GEMM writes NCHW
 * directly. */
static int data_by_gemm_alone(const alvk_conv *c) {
    return c->KH == 1 && c->KW == 1 && c->stride == 1 && c->pad == 0;
}

/* dx as a GEMM over Cout, then a gather: col = dy^T W holds every tap's
 * contribution ([N*OH*OW][Cin*KH*KW]), and col2im sums the taps of each
 * input pixel. Unlike a GEMM over the zero-stuffed dy (K = Cout*KH*KW), no
 * multiply is wasted on zeros, which matters at stride 2 (4x). */
alvk_status alvk_op_conv2d_backward_data(alvk_cmd *cmd, const alvk_conv *c0, const alvk_buffer *dy,
                                         const alvk_buffer *w, const alvk_epilogue *epi0,
                                         const alvk_buffer *dx) {
    conv_run r;
    conv_dims d;
    alvk_epilogue epi = epi0 ? *epi0 : (alvk_epilogue){0};
    uint64_t dx_floats = (uint64_t)c0->N * c0->Cin * c0->H * c0->W;
    alvk_status s = plan(c0, "conv2d backward-data", dx, w, dy, NULL, &r, &d);
    if (s == ALVK_OK) s = check_size("conv2d backward-data", "residual", epi.residual, dx_floats);
    if (s == ALVK_OK) s = check_size("conv2d backward-data", "mask", epi.mask, dx_floats);
    if (s != ALVK_OK) return s;
    const alvk_conv *c = &r.c;
    uint32_t F = winograd_tile(alvk_cmd_context(cmd), &r, c->H, c->W);
    if (F) {
        wino p = {c->N, c->Cout, d.OH, d.OW, c->Cin, c->H, c->W, 2 - c->pad, F};
        return winograd(cmd, &p, 1, dy, w, NULL, &epi, dx);
    }
    uint32_t M = c->N * d.P_out, Ntaps = c->Cin * d.taps;
    alvk_buffer at, bk, col;
    alvk_gemm_packed g = {.M = M, .N = Ntaps, .K = c->Cout, .ldc = Ntaps, .alpha = 1.0f};
    /* B is w itself ([Cout][Cin*KH*KW] is [K][Ntaps]) when the window is
     * whole and both are whole rows of 8: the pack would copy it. */
    int w_as_is = !cropped(&r) && Ntaps % 8 == 0 && c->Cout % 8 == 0;
    pack_job job[2] = {{DATA_A, M, c->Cout, dy}, {DATA_B, Ntaps, c->Cout, w}};
    alvk_buffer out[2] = {{0}, *w};
    uint32_t ld[2] = {0, Ntaps};
    s = pack(cmd, &r, job, w_as_is ? 1 : 2, out, ld);
    at = out[0], bk = out[1], g.lda = ld[0], g.ldb = ld[1];
    if (s == ALVK_OK && data_by_gemm_alone(c)) {
        g.nchw_pixels = d.P_out;
        g.epi = epi;
        return alvk_op_gemm_packed(cmd, &g, &at, &bk, dx, NULL);
    }
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * M * Ntaps, &col);
    if (s == ALVK_OK) s = alvk_op_gemm_packed(cmd, &g, &at, &bk, &col, NULL);
    if (s != ALVK_OK) return s;
    struct { uint32_t N, Cin, H, W, OH, OW, ldc; } push = {c->N, c->Cin, c->H, c->W, d.OH, d.OW, Ntaps};
    alvk_kernel k = {.shader = ALVK_SHADER_col2im, .local = {64}, .nspec = 7,
                     .spec = {c->KH, c->KW, c->stride, c->pad, epi.residual != NULL, epi.relu != 0,
                              epi.mask != NULL}};
    alvk_binding b[4] = {alvk_in1(&col), alvk_out(dx), alvk_in1(epi.residual ? epi.residual : &col),
                         alvk_in1(epi.mask ? epi.mask : &col)};
    return alvk_op_dispatch_1d(cmd, k, b, 4, &push, sizeof push, (uint64_t)c->N * c->Cin * c->H);
}

int alvk_conv2d_backward_data_fuses_exactly(alvk_context *ctx, const alvk_conv *c0) {
    conv_run r = crop(c0);
    const alvk_conv *c = &r.c;
    if (!data_by_gemm_alone(c)) return 1; /* Winograd's or col2im's kernel takes it */
    for (uint32_t n = 1; n <= c->N; n++) { /* whether to split depends on the batch */
        alvk_gemm_packed g = {.M = n * c->H * c->W, .N = c->Cin, .K = c->Cout, .alpha = 1.0f,
                              .nchw_pixels = c->H * c->W};
        if (alvk_gemm_splits(ctx, &g, 0)) return 0;
    }
    return 1;
}

/* dw over a cropped window is written to scratch, then spread over the
 * full window with zeros at the taps the crop dropped. */
static alvk_status uncrop(alvk_cmd *cmd, const conv_run *r, const alvk_buffer *dwc,
                          const alvk_buffer *dw) {
    uint32_t filters = r->c.Cout * r->c.Cin;
    alvk_kernel k = {.shader = ALVK_SHADER_conv_uncrop, .local = {64}, .nspec = 4,
                     .spec = {r->KH, r->KW, r->c.KH, r->lo}};
    alvk_binding b[2] = {alvk_in4(dwc), alvk_out(dw)};
    return alvk_op_dispatch_1d(cmd, k, b, 2, &filters, sizeof filters, (filters + 3) / 4);
}

/* dw as one GEMM over the pixels of im2col'd operands. */
static alvk_status im2col_weight(alvk_cmd *cmd, const conv_run *r, const conv_dims *d,
                                 const alvk_buffer *x, const alvk_buffer *dy,
                                 const alvk_buffer *dw) {
    const alvk_conv *c = &r->c;
    uint32_t Ntaps = c->Cin * d->taps, K = c->N * d->P_out;
    alvk_buffer at, bk, dwc = *dw;
    alvk_gemm_packed g = {.M = c->Cout, .N = Ntaps, .K = K, .ldc = Ntaps, .alpha = 1.0f};
    pack_job job[2] = {{WEIGHT_A, c->Cout, K, dy}, {WEIGHT_B, Ntaps, K, x}};
    alvk_buffer out[2] = {{0}};
    uint32_t ld[2] = {0};
    alvk_status s = pack(cmd, r, job, 2, out, ld);
    at = out[0], bk = out[1], g.lda = ld[0], g.ldb = ld[1];
    if (s == ALVK_OK && cropped(r)) s = alvk_cmd_scratch(cmd, 4ull * c->Cout * Ntaps, &dwc);
    if (s == ALVK_OK) s = alvk_op_gemm_packed(cmd, &g, &at, &bk, &dwc, NULL);
    if (s == ALVK_OK && cropped(r)) s = uncrop(cmd, r, &dwc, dw);
    return s;
}

alvk_status alvk_op_conv2d_backward_weight(alvk_cmd *cmd, const alvk_conv *c0,
                                           const alvk_buffer *x, const alvk_buffer *dy,
                                           const alvk_buffer *dw, const alvk_buffer *db) {
    conv_run r;
    conv_dims d;
    alvk_status s = plan(c0, "conv2d backward-weight", x, dw, dy, db, &r, &d);
    if (s != ALVK_OK) return s;
    uint32_t F = winograd_tile(alvk_cmd_context(cmd), &r, d.OH, d.OW);
    s = F ? winograd_weight(cmd, &r.c, d.OH, d.OW, F, x, dy, dw) : im2col_weight(cmd, &r, &d, x, dy, dw);
    if (s != ALVK_OK || !db) return s;
    return alvk_op_channel_sum(cmd, r.c.N, r.c.Cout, d.P_out, dy, db); /* as the graph sums it */
}
