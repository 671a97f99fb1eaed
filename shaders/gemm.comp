#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// C[M,N] = alpha * A^T B + beta * C (+ bias[n]) with both operands packed
// K-major: At[k][m] (row stride lda) and B[k][n] (row stride ldb), rows
// zero-padded so that K, lda and ldb are multiples of 8 (gemm.c packs them).
// Each invocation owns a (4 RM) x (4 RN) tile of C (RM, RN <= 4) as vec4
// accumulators; per step of K it fetches RM vec4 of At and RN of B for
// 16 RM RN FMAs, with no branches inside the loop. A batch of GEMMs of one
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

// Block t = 4 i + j of the tile is the 4x4 at rows 4i, columns 4j; its
// accumulators are acc[4 t + c][r] = C[m0 + 4i + r][n0 + 4j + c].
#define IN_TILE(t) (((t) >> 2) < RM && ((t) & 3) < RN)
#define FMA(t) if (IN_TILE(t)) {                                                       \
    acc[(t) * 4 + 0] += a[(t) >> 2] * b[(t) & 3].x; acc[(t) * 4 + 1] += a[(t) >> 2] * b[(t) & 3].y; \
    acc[(t) * 4 + 2] += a[(t) >> 2] * b[(t) & 3].z; acc[(t) * 4 + 3] += a[(t) >> 2] * b[(t) & 3].w; }
#define ZERO(t) if (IN_TILE(t)) acc[(t) * 4] = acc[(t) * 4 + 1] = acc[(t) * 4 + 2] = acc[(t) * 4 + 3] = vec4(0.0);
#define STORE(t) if (IN_TILE(t)) \
    store_block((t) >> 2, (t) & 3, acc[(t) * 4], acc[(t) * 4 + 1], acc[(t) * 4 + 2], acc[(t) * 4 + 3]);
#define ALL16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

#define LOADS(i) if (i < RM) a[i] = GEMM_LOAD4(At, ia + i); if (i < RN) b[i] = GEMM_LOAD4(B, ib + i);
#define STEP LOADS(0) LOADS(1) LOADS(2) LOADS(3) ia += sa; ib += sb; ALL16(FMA)

void main() {
    // Tiles are numbered along N first, so the lanes of a workgroup are all
    // busy even when N has fewer tiles than a workgroup has lanes.
    uint tiles_n = (pc.N + 4u * RN - 1u) / (4u * RN), t = alvk_flat_index();
    n0 = (t % tiles_n) * 4u * RN, m0 = (t / tiles_n) * 4u * RM;
    if (m0 >= pc.M) return;
    vec4 acc[64], a[4], b[4];
    ALL16(ZERO)
    uint z = gl_WorkGroupID.z, sa = pc.lda >> 2, sb = pc.ldb >> 2;
    uint ia = (z * pc.sa + m0) >> 2, ib = (z * pc.sb + n0) >> 2;
    cz = z * pc.sc;
    for (uint k = 0u; k < pc.K; k += KU) {
        STEP
        if (KU >= 2u) { STEP }
        if (KU >= 4u) { STEP STEP }
        if (KU >= 8u) { STEP STEP STEP STEP }
    }
    ALL16(STORE)
}
