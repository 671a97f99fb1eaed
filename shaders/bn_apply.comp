#version 450
#extension GL_GOOGLE_include_directive : require
// y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c], as y = x a + b with
// a and b computed once per plane. In training, mean and invstd are the
// batch statistics; in evaluation (EVAL) they are the running mean and
// variance, and invstd is computed here from the variance. An invocation
// owns a segment of SEG values of one plane (n, c), so the channel's
// numbers load once and every lane's loop has the same length (on lavapipe
// per-value gathers of the four per-channel numbers cost more than the
// value itself). alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint EVAL = 0;
layout(push_constant) uniform Push { uint planes, C, HW, SEGS, SEG; float eps; } pc;
ALVK_IN1(0, x);
ALVK_IN1(1, mean);
ALVK_IN1(2, scale);  // invstd, or the running variance in EVAL
ALVK_IN1(3, gamma);
ALVK_IN1(4, beta);
layout(std430, binding = 5) writeonly buffer Y { float y[]; };

void main() {
    uint v = alvk_flat_index();  // (plane, segment)
    if (v >= pc.planes * pc.SEGS) return;
    uint plane = v / pc.SEGS, c = plane % pc.C;
    uint p0 = (v - plane * pc.SEGS) * pc.SEG, base = plane * pc.HW;
    float s = LOAD1(scale, c);
    if (EVAL != 0u) s = 1.0 / sqrt(s + pc.eps);
    float a = s * LOAD1(gamma, c), b = LOAD1(beta, c) - LOAD1(mean, c) * a;
    for (uint k = 0u; k < pc.SEG; k++) {
        uint p = p0 + k;
        if (p < pc.HW) y[base + p] = LOAD1(x, base + p) * a + b;
    }
}
