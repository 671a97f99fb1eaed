#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// C[M,N] = alpha * A^T B + beta * C (+ bias[n]) with both operands packed
// K-major: At[k][m] (row stride lda) and B[k][n] (row stride ldb), rows
// zero-padded so that K, lda and ldb are multiples of 8 (gemm.c packs them).
// Each invocation owns a (4 RM) x (4 RN) tile of C as vec4 accumulators; per
// step of K it fetches RM vec4 of At and RN of B for 16 RM RN FMAs, with no
// branches and no clamping inside the loop. The tile is a specialisation
// constant chosen per device by measurement (gemm.c). On lavapipe (1024^3):
// 4x4 tiles 25 GFLOP/s, 4x8 34, 8x8 44, 8x16 and 12x12 under 3 (spills).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint HAS_BIAS = 0;
layout(constant_id = 4) const uint ACCUMULATE = 0;  // beta != 0: read C
// OUT_NCHW: row m of C is pixel (image m / P, position m % P) and column n a
// channel, stored NCHW (convolutions); otherwise C is row-major with ldc.
layout(constant_id = 5) const uint OUT_NCHW = 0;
layout(constant_id = 6) const uint RM = 2;  // tile rows / 4 (1 or 2)
layout(constant_id = 7) const uint RN = 2;  // tile columns / 4 (1 or 2)

layout(push_constant) uniform Push { uint M, N, K, lda, ldb, ldc; float alpha, beta; uint P; } pc;
ALVK_IN4(0, At);
ALVK_IN4(1, B);
layout(std430, binding = 2) buffer Cbuf { float C[]; };
ALVK_IN1(3, bias);

void main() {
    uint n0 = gl_GlobalInvocationID.x * 4u * RN, m0 = gl_GlobalInvocationID.y * 4u * RM;
    if (m0 >= pc.M || n0 >= pc.N) return;
    vec4 acc[RM * RN * 4u];  // acc[(i RN + j) 4 + c][r] = C[m0 + 4i + r][n0 + 4j + c]
    [[unroll]] for (uint t = 0u; t < RM * RN * 4u; t++) acc[t] = vec4(0.0);
    uint ia = m0 >> 2, ib = n0 >> 2, sa = pc.lda >> 2, sb = pc.ldb >> 2;
    for (uint k = 0u; k < pc.K; k += 8u) {
        [[unroll]] for (uint kk = 0u; kk < 8u; kk++) {
            vec4 a[RM], b[RN];
            [[unroll]] for (uint i = 0u; i < RM; i++) a[i] = LOAD4(At, ia + i);
            [[unroll]] for (uint j = 0u; j < RN; j++) b[j] = LOAD4(B, ib + j);
            ia += sa;
            ib += sb;
            [[unroll]] for (uint i = 0u; i < RM; i++)
                [[unroll]] for (uint j = 0u; j < RN; j++)
                    [[unroll]] for (uint c = 0u; c < 4u; c++)
                        acc[(i * RN + j) * 4u + c] += a[i] * b[j][c];
        }
    }
    // C[m][n] lives at row(m) + n * col_stride. Both loops are unrolled so
    // that every accumulator index is a constant: an indexed access would
    // demote the accumulators to memory (5-10x slower on lavapipe).
    uint col_stride = OUT_NCHW != 0u ? pc.P : 1u;
    [[unroll]] for (uint i = 0u; i < 4u * RM; i++) {
        uint m = m0 + i;
        uint row = OUT_NCHW != 0u ? (m / pc.P) * pc.N * pc.P + m % pc.P : m * pc.ldc;
        [[unroll]] for (uint j = 0u; j < 4u * RN; j++) {
            uint n = n0 + j, ci = row + n * col_stride;
            if (m < pc.M && n < pc.N) {
                float v = pc.alpha * acc[((i >> 2) * RN + (j >> 2)) * 4u + (j & 3u)][i & 3u];
                if (ACCUMULATE != 0u) v += pc.beta * C[ci];
                if (HAS_BIAS != 0u) v += LOAD1(bias, n);
                C[ci] = v;
            }
        }
    }
}
