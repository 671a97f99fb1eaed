#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(F x F, 3x3): the weight transform U = G g G^T of each 3x3
// filter g (include/winograd.glsl), as ALPHA^2 K-major GEMM operands
// u[xi][k][n] (row stride ldn, [Kp][ldn] each, zero past K and Nn).
// Forward: k = ci, n = co, g = w[co][ci]. With FLIP (the data gradient, a
// convolution of dy with the weights turned 180 degrees and Cin and Cout
// swapped): k = co, n = ci. An invocation transforms 4 filters, n = 4q ..
// 4q + 3 (ldn is a multiple of 8), and stores whole vec4s: lavapipe pays
// per store, and a vec4 costs little more than one float.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint FLIP = 0;
layout(constant_id = 4) const uint F = 2;
#include "winograd.glsl"
layout(push_constant) uniform Push { uint K, Nn, Kp, ldn, Cin; } pc;
ALVK_IN1(0, w);
layout(std430, binding = 1) writeonly buffer Ubuf { vec4 u[]; };

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.Kp * pc.ldn) return;
    uint n0 = i % pc.ldn, k = i / pc.ldn;
    vec4 g[3][3];  // filter n0 + l in component l
    [[unroll]] for (uint l = 0u; l < 4u; l++) {
        uint n = n0 + l;
        bool live = k < pc.K && n < pc.Nn;
        uint co = FLIP != 0u ? k : n, ci = FLIP != 0u ? n : k;
        uint base = live ? (co * pc.Cin + ci) * 9u : 0u;
        [[unroll]] for (uint r = 0u; r < 3u; r++)
            [[unroll]] for (uint s = 0u; s < 3u; s++) {
                float val = LOAD1(w, base + (FLIP != 0u ? 8u - 3u * r - s : 3u * r + s));
                g[r][s][l] = live ? val : 0.0;
            }
    }
    vec4 h[3][ALPHA];  // h = g G^T
    [[unroll]] for (uint r = 0u; r < 3u; r++)
        [[unroll]] for (uint b = 0u; b < ALPHA; b++)
            h[r][b] = g[r][0] * G(b, 0u) + g[r][1] * G(b, 1u) + g[r][2] * G(b, 2u);
    uint layer = pc.Kp * pc.ldn / 4u;
    [[unroll]] for (uint a = 0u; a < ALPHA; a++)
        [[unroll]] for (uint b = 0u; b < ALPHA; b++)
            u[(ALPHA * a + b) * layer + q] = G(a, 0u) * h[0][b] + G(a, 1u) * h[1][b] + G(a, 2u) * h[2][b];
}
