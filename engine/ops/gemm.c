/* The GEMM core shared by linear and convolution: C = alpha * op(A) op(B) +
 * beta * C (+ bias per column). The kernels (shaders/gemm.comp: register
 * tiles; shaders/gemm_smem.comp: shared-memory blocks, for GPUs) want both
 * operands K-major and padded to multiples of 8, so they run without edge
 * checks along K; operands in any other layout are packed into scratch
 * first, a memory-bound pass that costs a few percent of the GEMM. Which
 * kernel, tile and read path run, and whether long-K GEMMs split K, is
 * raced once per device (below). */
#include "ops.h"
#include "vk/context.h"
#include "vk/transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The variants chosen between on each device: the register tile (4 rm x
 * 4 rn floats of C per invocation), the workgroup size (lx * ly
 * invocations) and how many steps of K one loop iteration takes, largest
 * tile first. Large tiles win on lavapipe, where a fetch costs dozens of
 * FMAs (the conv GEMM 6272x64x576 on an AVX2 host: 8x8 14.4 GFLOP/s, 16x16
 * 17.6), small ones on GPUs, where registers are per lane and occupancy
 * matters. 32x32 tiles reach 20.6 there but take lavapipe 17 s to compile,
 * in every process (it keeps no binaries in the pipeline cache): not worth
 * it. Every variant takes 8 steps of K per iteration (gemm.comp's block
 * order keeps a 4x4 block's accumulators in registers across them). */
/* The last variant is the GPU-class kernel (shaders/gemm_smem.comp):
 * 64x64 blocks of C through shared memory, 4x4 per lane of 256. */
/* `half`: each 4x4 block of the tile runs its K steps for two columns,
 * then again for the other two (gemm.comp, HALF): 8 accumulators live
 * instead of 16, which with a block's operands fits AVX2's 16 vector
 * registers (lavapipe on an AVX2 host, 16x16 tiles: ResNet18's convolution
 * GEMMs 0.8x the time, 1024^3 and 2048^3 about 0.9x, in alternated runs),
 * at the cost of loading the A operand twice; where registers are many
 * (AVX-512) the whole block may be faster, so both are raced. */
typedef struct gemm_variant {
    uint32_t rm, rn, lx, ly, ku, smem, half;
} gemm_variant;
static const gemm_variant variants[] = {
    {4, 4, 8, 1, 8, 0, 0}, {4, 4, 8, 1, 8, 0, 1}, {2, 2, 8, 4, 8, 0, 0}, {2, 2, 16, 16, 8, 0, 0},
    {1, 2, 8, 8, 8, 0, 0}, {2, 1, 8, 8, 8, 0, 0}, {1, 1, 16, 16, 8, 0, 0},
    {1, 1, 16, 16, 8, 1, 0},
};
#define SMEM_BLOCK 64u /* gemm_smem.comp's block of C */
#define NVARIANTS (int)(sizeof variants / sizeof variants[0])
/* The square GEMM the variants race on: 512, where that runs in under
 * TUNE_SHORT_MS (a GPU, whose time at 512 is mostly launch overhead) 1024.
 * At 256 lavapipe's tiles all ran in 1.0-1.5 ms, a different winner per
 * race. */
#define TUNE_SIZE 512u
/* A way wins only by more than 10 % over every way before it (larger tiles
 * first): 16x16 and 8x8 ran within a few percent of each other at 512^3 on
 * lavapipe, so races flipped between them, while 16x16 was 6 % faster on
 * ResNet's convolutions and 2x at 2048^3. */
#define TUNE_TIE 1.10
#define TUNE_SIZE_GPU 1024u
#define TUNE_SHORT_MS 0.2

/* What a GEMM runs: a variant, and the read path of its shader. The GEMM
 * chooses its own path (gemm.comp's storage-buffer form works around a
 * driver bug with scalar loads, which can make it slower than the texel
 * form where the context's read probe calls the paths even). */
typedef struct gemm_pick {
    const gemm_variant *v;
    int texel;
} gemm_pick;

/* An operand as the kernel wants it: K-major ([K][rows], row stride a
 * multiple of 8, K a multiple of 8). `kmajor` says how src is laid out. */
static alvk_status packed(alvk_cmd *cmd, const alvk_buffer *src, int kmajor, uint32_t rows,
                          uint32_t K, uint32_t lds, alvk_buffer *out, uint32_t *ld) {
    if (kmajor && lds % 8 == 0 && K % 8 == 0) { /* already usable as is */
        *out = *src;
        *ld = lds;
        return ALVK_OK;
    }
    uint32_t ldd = alvk_round8(rows), Kp = alvk_round8(K);
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * ldd * Kp, out);
    if (s != ALVK_OK) return s;
    *ld = ldd;
    alvk_kernel k = {.shader = ALVK_SHADER_pack, .local = {16, 4}, .nspec = 1, .spec = {kmajor != 0}};
    alvk_binding b[2] = {alvk_in1(src), alvk_out(out)};
    struct { uint32_t rows, K, lds, ldd, Kp; } push = {rows, K, lds, ldd, Kp};
    return alvk_op_dispatch(cmd, k, b, 2, &push, sizeof push,
                            (uint32_t[3]){(ldd + 15) / 16, (Kp + 3) / 4, 1});
}

/* A GEMM of at most this many multiply-adds runs as gemm_small.comp, reading
 * its operands where they lie: a classifier head or a discriminator's output
 * layer, where packing would add two dispatches and a barrier to work that
 * takes less time than a dispatch. ALVK_GEMM_TILE=small sends every GEMM
 * there (tests), a forced tile none. */
#define GEMM_SMALL_MACS (1u << 23)

int alvk_gemm_small(const alvk_context *ctx, const alvk_gemm *g) {
    const alvk_env *e = &ctx->env;
    if ((uint64_t)g->M * g->N > UINT32_MAX || e->gemm_tile.rows || e->gemm_tile.smem) return 0;
    return e->gemm_tile.small || (uint64_t)g->M * g->N * g->K <= GEMM_SMALL_MACS;
}

static alvk_status record_small(alvk_cmd *cmd, const alvk_gemm *g, uint32_t lda, uint32_t ldb,
                                uint32_t ldc, const alvk_buffer *a, const alvk_buffer *b,
                                const alvk_buffer *c, const alvk_buffer *bias) {
    alvk_kernel k = {.shader = ALVK_SHADER_gemm_small, .local = {64}, .nspec = 4,
                     .spec = {g->trans_a != 0, g->trans_b != 0, bias != NULL, g->beta != 0.0f}};
    alvk_binding bind[4] = {alvk_in1(a), alvk_in1(b), alvk_out(c), alvk_in1(bias ? bias : c)};
    struct { uint32_t M, N, K, lda, ldb, ldc; float alpha, beta; } push = {
        g->M, g->N, g->K, lda, ldb, ldc, g->alpha, g->beta};
    return alvk_op_dispatch_1d(cmd, k, bind, 4, &push, sizeof push, (uint64_t)g->M * g->N);
}

alvk_status alvk_op_gemm(alvk_cmd *cmd, const alvk_gemm *g, const alvk_buffer *a,
                         const alvk_buffer *b, const alvk_buffer *c, const alvk_buffer *bias) {
    if (!g->M || !g->N || !g->K)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "gemm: empty shape %ux%ux%u", g->M, g->N, g->K);
    uint32_t lda = g->lda ? g->lda : (g->trans_a ? g->M : g->K);
    uint32_t ldb = g->ldb ? g->ldb : (g->trans_b ? g->K : g->N);
    uint32_t ldc = g->ldc ? g->ldc : g->N;
    uint64_t need_a = 4ull * (g->trans_a ? (uint64_t)(g->K - 1) * lda + g->M : (uint64_t)(g->M - 1) * lda + g->K);
    uint64_t need_b = 4ull * (g->trans_b ? (uint64_t)(g->N - 1) * ldb + g->K : (uint64_t)(g->K - 1) * ldb + g->N);
    uint64_t need_c = 4ull * ((uint64_t)(g->M - 1) * ldc + g->N);
    if (a->size < need_a || b->size < need_b || c->size < need_c || (bias && bias->size < 4ull * g->N))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT,
                          "gemm %ux%ux%u (trans %d%d): an operand is smaller than its shape",
                          g->M, g->N, g->K, g->trans_a, g->trans_b);
    if (alvk_gemm_small(alvk_cmd_context(cmd), g))
        return record_small(cmd, g, lda, ldb, ldc, a, b, c, bias);
    /* A is M x K: K-major when stored transposed. B is K x N: K-major as is. */
    alvk_buffer at, bk;
    uint32_t lda_p, ldb_p;
    alvk_status s = packed(cmd, a, g->trans_a, g->M, g->K, lda, &at, &lda_p);
    if (s == ALVK_OK) s = packed(cmd, b, !g->trans_b, g->N, g->K, ldb, &bk, &ldb_p);
    if (s != ALVK_OK) return s;

    alvk_gemm_packed p = {.M = g->M, .N = g->N, .K = g->K, .lda = lda_p, .ldb = ldb_p,
                          .ldc = ldc, .alpha = g->alpha, .beta = g->beta};
    return alvk_op_gemm_packed(cmd, &p, &at, &bk, c, bias);
}

/* How many invocations of variant v cover one C: one per register tile,
 * 256 per 64x64 block for the shared-memory kernel. */
static uint64_t tiles(const gemm_variant *v, const alvk_gemm_packed *p) {
    if (v->smem)
        return 256ull * ((p->M + SMEM_BLOCK - 1) / SMEM_BLOCK) * ((p->N + SMEM_BLOCK - 1) / SMEM_BLOCK);
    return (uint64_t)((p->M + 4 * v->rm - 1) / (4 * v->rm)) * ((p->N + 4 * v->rn - 1) / (4 * v->rn));
}

static uint32_t batch(const alvk_gemm_packed *p) { return p->batch ? p->batch : 1; }

/* gemm_store.glsl's C_LAYOUT: 1 NCHW, 3 NCHW whose 4-pixel columns are
 * whole vec4s, 2 row-major rows of whole vec4s (its scalar stores for
 * partial ones compiled out), 0 row-major. */
static uint32_t c_layout(const alvk_gemm_packed *p) {
    if (p->nchw_pixels)
        return p->nchw_pixels % 4 == 0 && (batch(p) == 1 || p->sc % 4 == 0) ? 3 : 1;
    return p->N % 4 == 0 && p->ldc % 4 == 0 && (batch(p) == 1 || p->sc % 4 == 0) ? 2 : 0;
}

static alvk_status record_variant(alvk_cmd *cmd, gemm_pick g, const alvk_gemm_packed *p,
                                  const alvk_buffer *at, const alvk_buffer *bk,
                                  const alvk_buffer *c, const alvk_buffer *bias) {
    const gemm_variant *v = g.v;
    alvk_shader_id shader = v->smem ? (g.texel ? ALVK_SHADER_gemm_smem_texel : ALVK_SHADER_gemm_smem)
                                    : (g.texel ? ALVK_SHADER_gemm_texel : ALVK_SHADER_gemm);
    /* Constants 6-8 and 12 are gemm.comp's tile (none in gemm_smem.comp),
     * 9-11 the epilogue's. */
    alvk_kernel k = {.shader = shader, .as_named = 1, .local = {v->lx * v->ly}, .nspec = 10,
                     .spec = {bias != NULL, p->beta != 0.0f, c_layout(p), v->smem ? 0 : v->rm,
                              v->smem ? 0 : v->rn, v->smem ? 0 : v->ku, p->epi.residual != NULL,
                              p->epi.relu != 0, p->epi.mask != NULL, v->half}};
    alvk_binding bind[6] = {alvk_in4(at), alvk_in4(bk), alvk_out(c), alvk_in1(bias ? bias : c),
                            alvk_in4(p->epi.residual ? p->epi.residual : c),
                            alvk_in4(p->epi.mask ? p->epi.mask : c)};
    struct { uint32_t M, N, K, lda, ldb, ldc; float alpha, beta; uint32_t P, sa, sb, sc; } push = {
        p->M, p->N, alvk_round8(p->K), p->lda, p->ldb, p->ldc, p->alpha, p->beta, p->nchw_pixels,
        p->sa, p->sb, p->sc};
    return alvk_op_dispatch_layers(cmd, k, bind, 6, &push, sizeof push, tiles(v, p), batch(p));
}

/* Choice c (cached on disk) is variant c % NVARIANTS under the read path
 * c / NVARIANTS (ALVK_READ_SSBO, ALVK_READ_TEXEL). */
static gemm_pick pick_of(int c) {
    return (gemm_pick){&variants[c % NVARIANTS], c / NVARIANTS == ALVK_READ_TEXEL};
}

/* "16x16 register tiles by 8 lanes, texel reads", for the log. */
static const char *describe(gemm_pick g, char *buf, size_t n) {
    const char *reads = g.texel ? "texel" : "ssbo";
    if (g.v->smem) snprintf(buf, n, "64x64 shared-memory blocks, %s reads", reads);
    else snprintf(buf, n, "%ux%u register tiles%s by %u lanes, %s reads", 4 * g.v->rm, 4 * g.v->rn,
                  g.v->half ? " (half blocks)" : "", g.v->lx * g.v->ly, reads);
    return buf;
}

/* Racing the variants on the tuning GEMM: way i records choice ways[i]. */
typedef struct tune_operands {
    const alvk_buffer *a, *b, *c;
    uint32_t size;
    const int *ways;
    gemm_pick split_pick; /* the split race's tile */
} tune_operands;

static alvk_status record_tune(alvk_cmd *cmd, int way, void *user) {
    const tune_operands *t = user;
    alvk_gemm_packed p = {.M = t->size, .N = t->size, .K = t->size, .lda = t->size,
                          .ldb = t->size, .ldc = t->size, .alpha = 1.0f};
    return record_variant(cmd, pick_of(t->ways[way]), &p, t->a, t->b, t->c, NULL);
}

/* The tuning operands: A and B hold small integers (|x| <= 3), so every
 * way computes C exactly whatever its order of additions (sums stay below
 * 2^24), and no way is timed on NaNs or denormals of fresh memory. */
static float pattern(uint32_t i, int b) { return (float)((int)((i * (b ? 3u : 7u) + b) % 7u) - 3); }

static int tune_operands_alloc(alvk_context *ctx, uint32_t size, alvk_buffer t[3]) {
    size_t n = (size_t)size * size;
    float *host = malloc(4 * n);
    if (!host || alvk_buffers_alloc(ctx, 3, 4ull * n, t) != ALVK_OK) {
        free(host);
        return 0;
    }
    int ok = 1;
    for (int b = 0; b < 2 && ok; b++) {
        for (size_t i = 0; i < n; i++) host[i] = pattern((uint32_t)i, b);
        ok = alvk_buffer_write(ctx, &t[b], 0, host, 4 * n) == ALVK_OK;
    }
    free(host);
    if (!ok) alvk_buffers_free(ctx, 3, t);
    return ok;
}

/* Whether choice c computes the TUNE_SIZE GEMM of the tuning operands
 * exactly (a host reference): a raced kernel that a driver miscompiles is
 * fast and wrong, and must not win. */
static int computes_right(alvk_context *ctx, int choice) {
    const uint32_t n = TUNE_SIZE;
    alvk_buffer t[3];
    if (!tune_operands_alloc(ctx, n, t)) return 0;
    float *c = malloc(4ull * n * n);
    tune_operands ops = {&t[0], &t[1], &t[2], n, &choice, {0}};
    int ok = c && alvk_run_way(ctx, record_tune, 0, &ops) == ALVK_OK &&
             alvk_buffer_read(ctx, &t[2], 0, c, 4ull * n * n) == ALVK_OK;
    for (uint32_t m = 0; ok && m < n; m++)
        for (uint32_t j = 0; ok && j < n; j++) {
            float want = 0;
            for (uint32_t k = 0; k < n; k++) want += pattern(k * n + m, 0) * pattern(k * n + j, 1);
            ok = c[(size_t)m * n + j] == want;
        }
    free(c);
    alvk_buffers_free(ctx, 3, t);
    return ok;
}

/* The variants race under the context's read path, and under the other
 * path too where the read probe measured it within 2x: each shader form
 * has its own speed (see gemm_pick). */
static int race_both_paths(const alvk_context *ctx) {
    double a = ctx->read_ms[0], b = ctx->read_ms[1];
    return a > 0 && b > 0 && a < 2 * b && b < 2 * a;
}

/* Races the ways at 512^3, then at 1024^3 where 512^3 ran in under
 * TUNE_SHORT_MS; ms gets the last race's times. Returns whether one ran. */
static int race_ways(alvk_context *ctx, const int *ways, int n, double *ms) {
    int raced = 0;
    for (uint32_t size = TUNE_SIZE; size; size = size == TUNE_SIZE ? TUNE_SIZE_GPU : 0) {
        alvk_buffer t[3];
        double m[2 * NVARIANTS];
        if (!tune_operands_alloc(ctx, size, t)) break;
        int w = alvk_race(ctx, n, record_tune, &(tune_operands){&t[0], &t[1], &t[2], size, ways, {0}}, m);
        alvk_buffers_free(ctx, 3, t);
        for (int i = 0; i < n; i++) {
            char name[64];
            alvk_log(&ctx->log, ALVK_LOG_INFO, "gemm %u^3, %s: %.3f ms", size,
                     describe(pick_of(ways[i]), name, sizeof name), m[i]);
        }
        if (w < 0) break;
        memcpy(ms, m, sizeof m), raced = 1;
        if (m[w] >= TUNE_SHORT_MS) break;
    }
    return raced;
}

/* The (variant, path) this device runs fastest and right: raced once per
 * device (each way's best of several runs, interleaved), checked against a
 * host reference, the choice then cached on disk (choices.c) for later
 * contexts; ALVK_GEMM_TILE=RxC (e.g. 16x16, 8x8) or smem picks a kernel
 * instead, under the context's read path. */
static gemm_pick choose(alvk_context *ctx) {
    int path = (int)alvk_ops_read_path(ctx);
    /* ALVK_GEMM_TILE: env.c takes exactly these variants' tiles. */
    const unsigned r = ctx->env.gemm_tile.rows, c = ctx->env.gemm_tile.cols;
    if (ctx->env.gemm_tile.smem) return pick_of(path * NVARIANTS + NVARIANTS - 1);
    for (int i = 0; i < NVARIANTS && r; i++)
        if (4 * variants[i].rm == r && 4 * variants[i].rn == c && (int)variants[i].half == ctx->env.gemm_tile.half)
            return pick_of(path * NVARIANTS + i);
    alvk_choices *ch = alvk_choices_get(ctx);
    char name[64];
    if (ch->gemm_variant >= 0 && ch->gemm_variants == 2 * NVARIANTS) {
        gemm_pick g = pick_of(ch->gemm_variant);
        if (!ch->gemm_logged)
            alvk_log(&ctx->log, ALVK_LOG_INFO, "gemm: %s (cached choice)", describe(g, name, sizeof name));
        ch->gemm_logged = 1;
        return g;
    }
    ch->gemm_variants = 2 * NVARIANTS, ch->gemm_variant = path * NVARIANTS, ch->gemm_logged = 1;
    int ways[2 * NVARIANTS], n = 0;
    for (int i = 0; i < NVARIANTS; i++) ways[n++] = path * NVARIANTS + i;
    if (race_both_paths(ctx))
        for (int i = 0; i < NVARIANTS; i++) ways[n++] = (1 - path) * NVARIANTS + i;
    double ms[2 * NVARIANTS];
    if (!race_ways(ctx, ways, n, ms)) return pick_of(ch->gemm_variant);
    for (;;) { /* the first way left within TUNE_TIE of the fastest that computes right */
        int best = -1;
        for (int i = 0; i < n; i++)
            if (ms[i] > 0 && (best < 0 || ms[i] < ms[best])) best = i;
        if (best < 0) return pick_of(ch->gemm_variant); /* none: not saved, raced again next time */
        for (int i = 0; i < best; i++)
            if (ms[i] > 0 && ms[i] <= TUNE_TIE * ms[best]) {
                best = i;
                break;
            }
        if (computes_right(ctx, ways[best])) {
            ch->gemm_variant = ways[best];
            alvk_choices_save(ctx);
            return pick_of(ch->gemm_variant);
        }
        alvk_log(&ctx->log, ALVK_LOG_WARN, "gemm: %s: wrong results on this device, not used",
                 describe(pick_of(ways[best]), name, sizeof name));
        ms[best] = -1;
    }
}

/* A large tile leaves a small GEMM too few invocations to keep every core
 * busy (a 64x64 weight gradient is 16 invocations of 16x16): step down to
 * smaller tiles until there are MIN_INVOCATIONS. */
#define MIN_INVOCATIONS 64
static gemm_pick fit(gemm_pick g, const alvk_gemm_packed *p) {
    for (const gemm_variant *w = g.v + 1;
         !g.v->smem && w < variants + NVARIANTS && tiles(g.v, p) * batch(p) < MIN_INVOCATIONS; w++)
        if (!w->smem && w->rm * w->rn < g.v->rm * g.v->rn) g.v = w;
    return g;
}

/* Split K. A long-K GEMM with few register tiles (a weight gradient: 64x49
 * outputs over K = 25,088 pixels) gives a GPU a few hundred invocations,
 * each walking all of K. Split, it runs as S GEMMs over slices of K (one
 * batched dispatch, partial products to scratch), then a reduce adds the S
 * slices in order (deterministic for a given S). Lavapipe, two cores, is
 * busy with far fewer invocations and only pays the extra pass, so whether
 * to split is raced once per device on the tuning shape below. */
#define SPLIT_TARGET 16384u /* invocations a split GEMM aims for */
#define SPLIT_MIN_K 256u    /* the least K per slice */
#define SPLIT_TUNE_MN 64u   /* tuning GEMM: 64 x 64 over K = 16,384 */
#define SPLIT_TUNE_K 16384u

/* Slices for p under variant v: the largest divisor S of round8(K) / 8 with
 * S times v's invocations near SPLIT_TARGET and slices of at least
 * SPLIT_MIN_K; 1 when p cannot or need not split (batched, bias, beta, a C
 * with gaps). */
static uint32_t split_count(const gemm_variant *v, const alvk_gemm_packed *p, int has_bias) {
    if (batch(p) > 1 || has_bias || p->beta != 0.0f || (!p->nchw_pixels && p->ldc != p->N) ||
        p->epi.residual || p->epi.relu || p->epi.mask)
        return 1;
    uint64_t t = tiles(v, p);
    uint32_t q = alvk_round8(p->K) / 8, want = t >= SPLIT_TARGET ? 1 : (uint32_t)((SPLIT_TARGET + t - 1) / t);
    uint32_t most = alvk_round8(p->K) / SPLIT_MIN_K;
    if (want > most) want = most;
    for (uint32_t s = want; s > 1; s--)
        if (q % s == 0) return s;
    return 1;
}

static alvk_status record_split(alvk_cmd *cmd, gemm_pick g, const alvk_gemm_packed *p,
                                uint32_t S, const alvk_buffer *at, const alvk_buffer *bk,
                                const alvk_buffer *c) {
    uint32_t Ks = alvk_round8(p->K) / S, mn = p->M * p->N;
    alvk_buffer part;
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * S * mn, &part);
    if (s != ALVK_OK) return s;
    alvk_gemm_packed q = *p;
    q.K = Ks, q.batch = S, q.sa = Ks * p->lda, q.sb = Ks * p->ldb, q.sc = mn;
    s = record_variant(cmd, fit(g, &q), &q, at, bk, &part, NULL);
    if (s != ALVK_OK) return s;
    return alvk_op_reduce(cmd, &(alvk_reduce){.outer = S, .mid = mn, .inner = 1, .scale = 1.0f}, &part, c);
}

/* Racing split against whole on the tuning shape: way 0 whole, way 1 split. */
static alvk_status record_split_tune(alvk_cmd *cmd, int way, void *user) {
    const tune_operands *t = user;
    gemm_pick g = t->split_pick;
    alvk_gemm_packed p = {.M = SPLIT_TUNE_MN, .N = SPLIT_TUNE_MN, .K = SPLIT_TUNE_K,
                          .lda = SPLIT_TUNE_MN, .ldb = SPLIT_TUNE_MN, .ldc = SPLIT_TUNE_MN, .alpha = 1.0f};
    uint32_t S = split_count(g.v, &p, 0);
    return way ? record_split(cmd, g, &p, S, t->a, t->b, t->c)
               : record_variant(cmd, fit(g, &p), &p, t->a, t->b, t->c, NULL);
}

static int race_split(alvk_context *ctx, double ms[2]) {
    gemm_pick g = choose(ctx);
    alvk_buffer t[3];
    if (alvk_buffers_alloc(ctx, 3, 4ull * SPLIT_TUNE_MN * SPLIT_TUNE_K, t) != ALVK_OK) return -1;
    int winner = alvk_race(ctx, 2, record_split_tune, &(tune_operands){&t[0], &t[1], &t[2], 0, NULL, g}, ms);
    alvk_buffers_free(ctx, 3, t);
    alvk_log(&ctx->log, ALVK_LOG_INFO, "gemm %ux%ux%u: whole %.3f ms, K split %.3f ms", SPLIT_TUNE_MN,
             SPLIT_TUNE_MN, SPLIT_TUNE_K, ms[0], ms[1]);
    return winner;
}

/* Whether this device gains from splitting K: raced once, cached on disk
 * (not when measured on a kernel ALVK_GEMM_TILE forced); ALVK_GEMM_SPLIT=0|1
 * decides instead. */
static int splits(alvk_context *ctx) {
    int tile_forced = ctx->env.gemm_tile.rows || ctx->env.gemm_tile.smem;
    return alvk_choice_flag(ctx, ctx->env.gemm_split, &alvk_choices_get(ctx)->gemm_split, 0,
                            race_split, !tile_forced);
}

int alvk_gemm_splits(alvk_context *ctx, const alvk_gemm_packed *p, int has_bias) {
    return split_count(choose(ctx).v, p, has_bias) > 1 && splits(ctx);
}

alvk_status alvk_op_gemm_packed(alvk_cmd *cmd, const alvk_gemm_packed *p, const alvk_buffer *at,
                                const alvk_buffer *bk, const alvk_buffer *c,
                                const alvk_buffer *bias) {
    alvk_context *ctx = alvk_cmd_context(cmd);
    gemm_pick g = choose(ctx);
    uint32_t S = split_count(g.v, p, bias != NULL);
    if (S > 1 && splits(ctx)) return record_split(cmd, g, p, S, at, bk, c);
    return record_variant(cmd, fit(g, p), p, at, bk, c, bias);
}
