#version 450
#extension GL_GOOGLE_include_directive : require
// dst[k][i] = src[i][k] (src rows of K floats, dst rows of ldd, zero-padded
// to [Kp][ldd]), reading src four floats at a time: the weight layout the
// forward convolution's GEMM wants, at a quarter of the fetches a scalar
// gather needs. K must be a multiple of 4.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push { uint rows, K, ldd, Kp; } pc;
ALVK_IN4(0, src);
layout(std430, binding = 1) writeonly buffer Dst { float dst[]; };

void main() {
    uint i = gl_GlobalInvocationID.x, k = 4u * gl_GlobalInvocationID.y;
    if (i >= pc.ldd || k >= pc.Kp) return;
    vec4 v = i < pc.rows && k < pc.K ? LOAD4(src, (i * pc.K + k) >> 2) : vec4(0.0);
    for (uint j = 0u; j < 4u; j++)
        if (k + j < pc.Kp) dst[(k + j) * pc.ldd + i] = v[j];
}
