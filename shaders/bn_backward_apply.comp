#version 450
#extension GL_GOOGLE_include_directive : require
// Batch-norm backward, the elementwise part (training mode):
// dx = gamma invstd / n * (n dy - dbeta - xhat dgamma), n = N*H*W.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push { uint n, C, HW, count; } pc;
ALVK_IN4(0, x);
ALVK_IN4(1, dy);
ALVK_IN1(2, mean);
ALVK_IN1(3, invstd);
ALVK_IN1(4, gamma);
ALVK_IN1(5, dgamma);
ALVK_IN1(6, dbeta);
layout(std430, binding = 7) writeonly buffer DX { float dx[]; };

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 xv = LOAD4(x, q), g = LOAD4(dy, q);
    float m = float(pc.count);
    uint pos = i % pc.HW, c = (i / pc.HW) % pc.C;  // stepped below, not divided again
    for (uint k = 0u; k < 4u; k++) {
        if (i + k >= pc.n) break;
        if (k > 0u && ++pos == pc.HW) pos = 0u, c = c + 1u == pc.C ? 0u : c + 1u;
        float is = LOAD1(invstd, c), xhat = (xv[k] - LOAD1(mean, c)) * is;
        dx[i + k] = LOAD1(gamma, c) * is / m * (m * g[k] - LOAD1(dbeta, c) - xhat * LOAD1(dgamma, c));
    }
}
