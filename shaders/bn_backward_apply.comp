#version 450
#extension GL_GOOGLE_include_directive : require
// Batch-norm backward, the elementwise part, PyTorch's formula with m =
// N*H*W values per channel:
//   dx = gamma invstd / m (m dy - dbeta - xhat dgamma),  xhat = (x - mean) invstd
// written dx = a dy + b (x - mean) + d with a, b, d computed once per plane.
// An invocation owns a segment of SEG values of one plane (n, c), as in
// bn_apply.comp. alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push { uint planes, C, HW, SEGS, SEG, count; } pc;
ALVK_IN1(0, x);
ALVK_IN1(1, dy);
ALVK_IN1(2, mean);
ALVK_IN1(3, invstd);
ALVK_IN1(4, gamma);
ALVK_IN1(5, dgamma);
ALVK_IN1(6, dbeta);
layout(std430, binding = 7) writeonly buffer DX { float dx[]; };

void main() {
    uint v = alvk_flat_index();  // (plane, segment)
    if (v >= pc.planes * pc.SEGS) return;
    uint plane = v / pc.SEGS, c = plane % pc.C;
    uint p0 = (v - plane * pc.SEGS) * pc.SEG, base = plane * pc.HW;
    float m = float(pc.count), is = LOAD1(invstd, c), mu = LOAD1(mean, c);
    float a = LOAD1(gamma, c) * is, b = -a * is * LOAD1(dgamma, c) / m, d = -a * LOAD1(dbeta, c) / m;
    for (uint k = 0u; k < pc.SEG; k++) {
        uint p = p0 + k;
        if (p < pc.HW) dx[base + p] = a * LOAD1(dy, base + p) + b * (LOAD1(x, base + p) - mu) + d;
    }
}
