#version 450
#extension GL_GOOGLE_include_directive : require
// Batch-norm backward, the elementwise part, PyTorch's formula with m =
// N*H*W values per channel:
//   dx = gamma invstd / m (m dy - dbeta - xhat dgamma),  xhat = (x - mean) invstd
// written dx = a dy + b (x - mean) + d with a, b, d computed once per
// invocation. An invocation walks a segment of one channel as WALK says
// (see bn_apply.comp). MASK: dy is a ReLU's output gradient, taken as
// dy (mask > 0) here (the ReLU's backward fused in, as unary_backward.comp
// computes it).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint WALK = 0;
layout(constant_id = 4) const uint MASK = 0;
layout(push_constant) uniform Push { uint planes, C, HW, SEGS, SEG, count; } pc;
ALVK_IN4(0, x);
ALVK_IN4(1, dy);
ALVK_IN4(2, mean);
ALVK_IN4(3, invstd);
ALVK_IN4(4, gamma);
ALVK_IN4(5, dgamma);
ALVK_IN4(6, dbeta);
layout(std430, binding = 7) writeonly buffer DX { vec4 dx[]; };
ALVK_IN4(8, mask);  // MASK's operand (any buffer when off)

vec4 DY4(uint q) {
    vec4 g = LOAD4(dy, q);
    return MASK != 0u ? g * vec4(greaterThan(LOAD4(mask, q), vec4(0.0))) : g;
}

float DY1(uint i) {
    float g = LOAD4_1(dy, i);
    return MASK != 0u ? g * (LOAD4_1(mask, i) > 0.0 ? 1.0 : 0.0) : g;
}

void main() {
    uint v = alvk_flat_index();
    float m = float(pc.count);
    if (WALK == 2u) {  // v = (segment of samples, group of 4 channels)
        uint groups = pc.C / 4u, N = pc.planes / pc.C;
        if (v >= groups * pc.SEGS) return;
        uint g = v % groups, n0 = (v / groups) * pc.SEG;
        vec4 is = LOAD4(invstd, g), mu = LOAD4(mean, g), a = LOAD4(gamma, g) * is;
        vec4 b = -a * is * LOAD4(dgamma, g) / m, d = -a * LOAD4(dbeta, g) / m;
        for (uint k = 0u; k < pc.SEG; k++) {
            uint q = (n0 + k) * groups + g;
            if (n0 + k < N) dx[q] = a * DY4(q) + b * (LOAD4(x, q) - mu) + d;
        }
        return;
    }
    if (WALK == 3u) {  // v = (segment of samples, channel)
        uint c = v % pc.C, n0 = (v / pc.C) * pc.SEG, N = pc.planes / pc.C, q4 = pc.HW / 4u;
        if (v >= pc.C * pc.SEGS) return;
        float is = LOAD4_1(invstd, c), mu = LOAD4_1(mean, c), a = LOAD4_1(gamma, c) * is;
        float b = -a * is * LOAD4_1(dgamma, c) / m, d = -a * LOAD4_1(dbeta, c) / m;
        for (uint k = 0u; k < pc.SEG; k++)
            for (uint j = 0u; j < q4; j++) {
                uint q = (n0 + k) * pc.C * q4 + c * q4 + j;
                if (n0 + k < N) dx[q] = a * DY4(q) + b * (LOAD4(x, q) - mu) + d;
            }
        return;
    }
    if (WALK == 4u) {  // v = (run of 4 planes, segment of its HW vec4s)
        uint run = v / pc.SEGS, j0 = (v - run * pc.SEGS) * pc.SEG, g = run % (pc.C / 4u);
        if (run >= pc.planes / 4u) return;
        vec4 is = LOAD4(invstd, g), mu = LOAD4(mean, g), a = LOAD4(gamma, g) * is;
        vec4 b = -a * is * LOAD4(dgamma, g) / m, d = -a * LOAD4(dbeta, g) / m;
        for (uint k = 0u; k < pc.SEG; k++) {
            uint j = j0 + k, q = run * pc.HW + j;
            if (j < pc.HW)
                dx[q] = alvk_spread4(a, j, pc.HW) * DY4(q) +
                        alvk_spread4(b, j, pc.HW) * (LOAD4(x, q) - alvk_spread4(mu, j, pc.HW)) +
                        alvk_spread4(d, j, pc.HW);
        }
        return;
    }
    if (v >= pc.planes * pc.SEGS) return;  // v = (plane, segment)
    uint plane = v / pc.SEGS, c = plane % pc.C;
    uint p0 = (v - plane * pc.SEGS) * pc.SEG, base = plane * pc.HW;
    float is = LOAD4_1(invstd, c), mu = LOAD4_1(mean, c), a = LOAD4_1(gamma, c) * is;
    float b = -a * is * LOAD4_1(dgamma, c) / m, d = -a * LOAD4_1(dbeta, c) / m;
    if (WALK == 1u) {
        for (uint k = 0u; k < pc.SEG; k += 4u) {
            uint q = (base + p0 + k) >> 2;
            if (p0 + k < pc.HW) dx[q] = a * DY4(q) + b * (LOAD4(x, q) - mu) + d;
        }
        return;
    }
    for (uint k = 0u; k < pc.SEG; k++) {
        uint i = base + p0 + k;
        if (p0 + k < pc.HW) dx[i >> 2][i & 3u] = a * DY1(i) + b * (LOAD4_1(x, i) - mu) + d;
    }
}
