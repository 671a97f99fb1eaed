#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// C[M,N] = alpha * A^T B + beta * C (+ bias[n]) with both operands packed
// K-major: At[k][m] (row stride lda) and B[k][n] (row stride ldb), rows
// zero-padded so that K, lda and ldb are multiples of 8 (gemm.c packs them).
// Each invocation owns a (4 RM) x (4 RN) tile of C (RM, RN <= 4) as vec4
// accumulators; per KU steps of K it fetches KU (RM + RN) vec4 of At and B,
// then runs each 4x4 block of the tile through all KU steps (16 KU FMAs per
// block), with no branches inside the loop. A batch of GEMMs of one
// shape (Winograd's 16) runs along the grid's z, operand z starting sa, sb
// and sc floats after operand z - 1.
//
// Why the code is unrolled by macros and not by loops: on lavapipe a fetch
// costs as much as dozens of FMAs (texel reads run at ~10 GB/s even from
// cache), so the larger the tile the better, even when its accumulators
// spill to the stack (1024^3 on an AVX2 host: 8x8 15 GFLOP/s, 16x16 18;
// 32x32 reached 21 but took lavapipe 17 s to compile, so tiles stop at
// 16x16). But NIR gives up unrolling loops that large, and a loop left
// rolled indexes the accumulators dynamically, which demotes them to
// per-lane scratch memory (5-10x slower). Every accumulator index below is
// a literal; the tiles a specialisation leaves out are dead code.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "gemm_store.glsl"

layout(constant_id = 6) const uint RM = 2;  // tile rows / 4 (1 to 4)
layout(constant_id = 7) const uint RN = 2;  // tile columns / 4 (1 to 4)
layout(constant_id = 8) const uint KU = 1;  // steps of K per loop iteration: 1, 2, 4 or 8
layout(constant_id = 12) const uint HALF = 0;  // 1: a block's columns in two halves (see BLOCK)

// Block t = 4 i + j of the tile is the 4x4 at rows 4i, columns 4j; its
// accumulators are acc[4 t + c][r] = C[m0 + 4i + r][n0 + 4j + c].
#define IN_TILE(t) (((t) >> 2) < RM && ((t) & 3) < RN)
#define FMA(t, s) if (IN_TILE(t) && (s) < KU) {                                      \
    vec4 as = a[4 * (s) + ((t) >> 2)], bs = b[4 * (s) + ((t) & 3)];                    \
    acc[(t) * 4 + 0] += as * bs.x; acc[(t) * 4 + 1] += as * bs.y;                      \
    acc[(t) * 4 + 2] += as * bs.z; acc[(t) * 4 + 3] += as * bs.w; }
// HALF: a block runs its KU steps for columns 0 and 1, then for 2 and 3,
// so 8 accumulators are live at a time instead of 16 (AVX2 has 16 vector
// registers; engine/ops/gemm.c races both). Same products, same order.
#define HALF_STEP(t, s, c) if (IN_TILE(t) && (s) < KU) {                              \
    vec4 as = a[4 * (s) + ((t) >> 2)], bs = b[4 * (s) + ((t) & 3)];                    \
    acc[(t) * 4 + (c)] += as * bs[c]; acc[(t) * 4 + (c) + 1] += as * bs[(c) + 1]; }
#define HALVES(t, c) HALF_STEP(t, 0, c) HALF_STEP(t, 1, c) HALF_STEP(t, 2, c) HALF_STEP(t, 3, c) \
    HALF_STEP(t, 4, c) HALF_STEP(t, 5, c) HALF_STEP(t, 6, c) HALF_STEP(t, 7, c)
#define BLOCK(t) if (HALF == 0u) {                                                      \
    FMA(t, 0) FMA(t, 1) FMA(t, 2) FMA(t, 3) FMA(t, 4) FMA(t, 5) FMA(t, 6) FMA(t, 7)    \
} else { HALVES(t, 0) HALVES(t, 2) }
#define ZERO(t) if (IN_TILE(t)) acc[(t) * 4] = acc[(t) * 4 + 1] = acc[(t) * 4 + 2] = acc[(t) * 4 + 3] = vec4(0.0);
#define STORE(t) if (IN_TILE(t)) \
    store_block((t) >> 2, (t) & 3, acc[(t) * 4], acc[(t) * 4 + 1], acc[(t) * 4 + 2], acc[(t) * 4 + 3]);
#define ALL16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

// Why blocks take KU steps at a time: a 16x16 tile's accumulators spill to
// the stack (256 floats a lane; lavapipe has 32 vector registers), so an
// order that touches every accumulator once per step of K pays a load and a
// store per FMA; a block keeps its 16 in registers across the KU steps.
// Each accumulator still adds its products in order of k, so every variant
// computes the same bits. On an AVX-512 host, 16x16 at KU 8 against the
// old step-major order at KU 1: GEMM 512^3 0.68x the time, 1024^3 0.81x,
// ResNet18's training convolutions 0.86x (alvk-bench, medians of paired
// runs).
#define LOADS(s, i) if ((s) < KU) {                                                    \
    if ((i) < RM) a[4 * (s) + (i)] = GEMM_LOAD4(At, ia + (s) * sa + (i));              \
    if ((i) < RN) b[4 * (s) + (i)] = GEMM_LOAD4(B, ib + (s) * sb + (i)); }
#define LOADS_STEP(s) LOADS(s, 0) LOADS(s, 1) LOADS(s, 2) LOADS(s, 3)

void main() {
    // Tiles are numbered along N first, so the lanes of a workgroup are all
    // busy even when N has fewer tiles than a workgroup has lanes.
    uint tiles_n = (pc.N + 4u * RN - 1u) / (4u * RN), t = alvk_flat_index();
    n0 = (t % tiles_n) * 4u * RN, m0 = (t / tiles_n) * 4u * RM;
    if (m0 >= pc.M) return;
    vec4 acc[64], a[32], b[32];
    ALL16(ZERO)
    uint z = gl_WorkGroupID.z, sa = pc.lda >> 2, sb = pc.ldb >> 2;
    uint ia = (z * pc.sa + m0) >> 2, ib = (z * pc.sb + n0) >> 2;
    cz = z * pc.sc;
    for (uint k = 0u; k < pc.K; k += KU) {
        LOADS_STEP(0) LOADS_STEP(1) LOADS_STEP(2) LOADS_STEP(3)
        LOADS_STEP(4) LOADS_STEP(5) LOADS_STEP(6) LOADS_STEP(7)
        ia += KU * sa;
        ib += KU * sb;
        ALL16(BLOCK)
    }
    ALL16(STORE)
}
