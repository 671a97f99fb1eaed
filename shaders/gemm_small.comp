#version 450
#extension GL_GOOGLE_include_directive : require
// C[M,N] = alpha * op(A) op(B) + beta * C (+ bias[n]) for GEMMs too small
// to pay for packing (gemm.c: GEMM_SMALL_MACS): one element of C per
// invocation, reading A and B where they lie, in either layout. A classifier
// head (128 x 10 x 512) packed would run three dispatches in a row, each
// behind a barrier; this is one. Each element adds its products in order of
// k from zero and stores alpha * sum (+ beta C) (+ bias), as gemm.comp does.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint TRANS_A = 0;  // A stored [K][M] (lda per k)
layout(constant_id = 4) const uint TRANS_B = 0;  // B stored [N][K] (ldb per n)
layout(constant_id = 5) const uint HAS_BIAS = 0;
layout(constant_id = 6) const uint ACCUMULATE = 0;  // beta != 0: read C
layout(push_constant) uniform Push { uint M, N, K, lda, ldb, ldc; float alpha, beta; } pc;
ALVK_IN1(0, A);
ALVK_IN1(1, B);
layout(std430, binding = 2) buffer Cbuf { float C[]; };
ALVK_IN1(3, bias);

void main() {
    uint i = alvk_flat_index();
    if (i >= pc.M * pc.N) return;
    uint m = i / pc.N, n = i - m * pc.N;
    uint ia = TRANS_A != 0u ? m : m * pc.lda, sa = TRANS_A != 0u ? pc.lda : 1u;
    uint ib = TRANS_B != 0u ? n * pc.ldb : n, sb = TRANS_B != 0u ? 1u : pc.ldb;
    float acc = 0.0;
    for (uint k = 0u; k < pc.K; k++, ia += sa, ib += sb) acc += LOAD1(A, ia) * LOAD1(B, ib);
    uint c = m * pc.ldc + n;
    float v = pc.alpha * acc;
    if (ACCUMULATE != 0u) v += pc.beta * C[c];
    if (HAS_BIAS != 0u) v += LOAD1(bias, n);
    C[c] = v;
}
