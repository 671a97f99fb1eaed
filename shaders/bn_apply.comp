#version 450
#extension GL_GOOGLE_include_directive : require
// y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c], as y = x a + b with
// a and b computed once per invocation. In training, mean and invstd are
// the batch statistics; in evaluation (EVAL) they are the running mean and
// variance, and invstd is computed here from the variance. Fused epilogue
// (the graph compiler's, engine/graph/fuse.c): RESIDUAL adds skip, RELU
// then clamps, y = relu(bn(x) + skip), as the separate add and relu kernels
// would, bit for bit.
// An invocation walks a segment of SEG values of one channel, so the
// channel's numbers load once and every lane's loop has the same length
// (on lavapipe per-value gathers of the per-channel numbers cost more than
// the value itself). WALK says how (engine/ops/batchnorm.c picks it):
//   0  a segment of one plane (n, c), value by value;
//   1  the same by vec4s (HW a multiple of 4, SEG too): a quarter of the
//      loads and stores, which is what lavapipe pays for per value;
//   2  HW = 1 (a 1x1 map): vec4s of 4 channels along n, segments of SEG
//      samples (C a multiple of 4);
//   3  small planes of whole vec4s (HW = 4, 16): channel c along n, whole
//      planes of segments of SEG samples, so the channel's numbers load
//      once per SEG planes rather than per plane;
//   4  planes not of whole vec4s (HW = 49: ResNet18's 7x7 maps), C a
//      multiple of 4: runs of 4 planes (n, c .. c + 3), which are HW whole
//      vec4s, by vec4s in segments of SEG; each component takes its own
//      plane's numbers (alvk_spread4). 128x64x7x7 on lavapipe: 0.70 -> 0.51 ms
//      (bn_backward_apply.comp: 1.34 -> 0.69).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint EVAL = 0;
layout(constant_id = 4) const uint WALK = 0;
layout(constant_id = 5) const uint RESIDUAL = 0;
layout(constant_id = 6) const uint RELU = 0;
layout(push_constant) uniform Push { uint planes, C, HW, SEGS, SEG; float eps; } pc;
ALVK_IN4(0, x);
ALVK_IN4(1, mean);
ALVK_IN4(2, scale);  // invstd, or the running variance in EVAL
ALVK_IN4(3, gamma);
ALVK_IN4(4, beta);
layout(std430, binding = 5) writeonly buffer Y { vec4 y[]; };
ALVK_IN4(6, skip);  // RESIDUAL's operand (any buffer when off)

vec4 epilogue(vec4 v, uint q) {
    if (RESIDUAL != 0u) v += LOAD4(skip, q);
    return RELU != 0u ? mix(v, vec4(0.0), lessThan(v, vec4(0.0))) : v;  // as unary.comp's relu
}

float epilogue1(float v, uint i) {
    if (RESIDUAL != 0u) v += LOAD4_1(skip, i);
    return RELU != 0u && v < 0.0 ? 0.0 : v;
}

void main() {
    uint v = alvk_flat_index();
    if (WALK == 2u) {  // v = (segment of samples, group of 4 channels)
        uint groups = pc.C / 4u, N = pc.planes / pc.C;
        if (v >= groups * pc.SEGS) return;
        uint g = v % groups, n0 = (v / groups) * pc.SEG;
        vec4 s = LOAD4(scale, g);
        if (EVAL != 0u) s = 1.0 / sqrt(s + pc.eps);
        vec4 a = s * LOAD4(gamma, g), b = LOAD4(beta, g) - LOAD4(mean, g) * a;
        for (uint k = 0u; k < pc.SEG; k++) {
            uint q = (n0 + k) * groups + g;
            if (n0 + k < N) y[q] = epilogue(LOAD4(x, q) * a + b, q);
        }
        return;
    }
    if (WALK == 3u) {  // v = (segment of samples, channel)
        uint c = v % pc.C, n0 = (v / pc.C) * pc.SEG, N = pc.planes / pc.C, q4 = pc.HW / 4u;
        if (v >= pc.C * pc.SEGS) return;
        float s = LOAD4_1(scale, c);
        if (EVAL != 0u) s = 1.0 / sqrt(s + pc.eps);
        float a = s * LOAD4_1(gamma, c), b = LOAD4_1(beta, c) - LOAD4_1(mean, c) * a;
        for (uint k = 0u; k < pc.SEG; k++)
            for (uint j = 0u; j < q4; j++) {
                uint q = (n0 + k) * pc.C * q4 + c * q4 + j;
                if (n0 + k < N) y[q] = epilogue(LOAD4(x, q) * a + b, q);
            }
        return;
    }
    if (WALK == 4u) {  // v = (run of 4 planes, segment of its HW vec4s)
        uint run = v / pc.SEGS, j0 = (v - run * pc.SEGS) * pc.SEG, g = run % (pc.C / 4u);
        if (run >= pc.planes / 4u) return;
        vec4 s = LOAD4(scale, g);
        if (EVAL != 0u) s = 1.0 / sqrt(s + pc.eps);
        vec4 a = s * LOAD4(gamma, g), b = LOAD4(beta, g) - LOAD4(mean, g) * a;
        for (uint k = 0u; k < pc.SEG; k++) {
            uint j = j0 + k, q = run * pc.HW + j;
            if (j < pc.HW)
                y[q] = epilogue(LOAD4(x, q) * alvk_spread4(a, j, pc.HW) + alvk_spread4(b, j, pc.HW), q);
        }
        return;
    }
    if (v >= pc.planes * pc.SEGS) return;  // v = (plane, segment)
    uint plane = v / pc.SEGS, c = plane % pc.C;
    uint p0 = (v - plane * pc.SEGS) * pc.SEG, base = plane * pc.HW;
    float s = LOAD4_1(scale, c);
    if (EVAL != 0u) s = 1.0 / sqrt(s + pc.eps);
    float a = s * LOAD4_1(gamma, c), b = LOAD4_1(beta, c) - LOAD4_1(mean, c) * a;
    if (WALK == 1u) {
        for (uint k = 0u; k < pc.SEG; k += 4u) {
            uint q = (base + p0 + k) >> 2;
            if (p0 + k < pc.HW) y[q] = epilogue(LOAD4(x, q) * a + b, q);
        }
        return;
    }
    for (uint k = 0u; k < pc.SEG; k++) {
        uint i = base + p0 + k;
        if (p0 + k < pc.HW) y[i >> 2][i & 3u] = epilogue1(LOAD4_1(x, i) * a + b, i);
    }
}
