#version 450
#extension GL_GOOGLE_include_directive : require
// y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c], four values per
// invocation. In training, mean and invstd are the batch statistics; in
// evaluation (EVAL) they are the running mean and variance, and invstd is
// computed here from the variance. alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint EVAL = 0;
layout(push_constant) uniform Push { uint n, C, HW; float eps; } pc;
ALVK_IN4(0, x);
ALVK_IN1(1, mean);
ALVK_IN1(2, scale);  // invstd, or the running variance in EVAL
ALVK_IN1(3, gamma);
ALVK_IN1(4, beta);
layout(std430, binding = 5) writeonly buffer Y { float y[]; };

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 v = LOAD4(x, q);
    uint pos = i % pc.HW, c = (i / pc.HW) % pc.C;  // stepped below, not divided again
    for (uint k = 0u; k < 4u; k++) {
        if (i + k >= pc.n) break;
        if (k > 0u && ++pos == pc.HW) pos = 0u, c = c + 1u == pc.C ? 0u : c + 1u;
        float s = LOAD1(scale, c);
        if (EVAL != 0u) s = 1.0 / sqrt(s + pc.eps);
        y[i + k] = (v[k] - LOAD1(mean, c)) * s * LOAD1(gamma, c) + LOAD1(beta, c);
    }
}
