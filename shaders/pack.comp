#version 450
#extension GL_GOOGLE_include_directive : require
// Packs a GEMM operand K-major with zero padding: dst[k][i] (row stride
// ldd) = src(i, k) for i < rows, k < K, else 0, over a grid that covers the
// padded [Kp][ldd]. src(i, k) is src[k*lds + i] when the source is already
// K-major (KMAJOR), src[i*lds + k] when it must be transposed.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint KMAJOR = 0;
layout(push_constant) uniform Push { uint rows, K, lds, ldd, Kp; } pc;
ALVK_IN1(0, src);
layout(std430, binding = 1) writeonly buffer Dst { float dst[]; };

void main() {
    uint i = gl_GlobalInvocationID.x, k = gl_GlobalInvocationID.y;
    if (i >= pc.ldd || k >= pc.Kp) return;
    float v = 0.0;
    if (i < pc.rows && k < pc.K)
        v = LOAD1(src, KMAJOR != 0u ? k * pc.lds + i : i * pc.lds + k);
    dst[k * pc.ldd + i] = v;
}
