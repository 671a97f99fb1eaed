#version 450
#extension GL_GOOGLE_include_directive : require
// Batch norm in evaluation folded into the convolution before it: with
// s = gamma / sqrt(running_var + eps) per output channel,
//   w'[co][k] = w[co][k] s,   b'[co] = (b[co] - running_mean) s + beta
// (b = 0 without a bias), so conv(x; w', b') = bn(conv(x; w, b)) up to
// rounding. One invocation per 4 weights (vec4s when a filter's weights
// are a multiple of 4, as in every 3x3 layer from 4 channels up; on
// lavapipe a pass over ResNet18's 11 M weights costs as much as the batch
// norms it saves unless it moves whole vec4s), or per weight (VEC4 = 0);
// the first of each filter also writes the bias. Run before every pass that uses them, so the folded
// weights follow the store (e.g. after each active-learning round).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint HAS_BIAS = 0;
layout(constant_id = 4) const uint VEC4 = 0;  // per_filter % 4 == 0
layout(push_constant) uniform Push { uint Cout, per_filter; float eps; } pc;
ALVK_IN4(0, w);
ALVK_IN1(1, b);
ALVK_IN1(2, gamma);
ALVK_IN1(3, beta);
ALVK_IN1(4, running_mean);
ALVK_IN1(5, running_var);
layout(std430, binding = 6) writeonly buffer W2 { vec4 w_out[]; };
layout(std430, binding = 7) writeonly buffer B2 { float b_out[]; };

void main() {
    uint q = alvk_flat_index(), i = VEC4 != 0u ? 4u * q : q;
    if (i >= pc.Cout * pc.per_filter) return;
    uint co = i / pc.per_filter;
    float s = LOAD1(gamma, co) / sqrt(LOAD1(running_var, co) + pc.eps);
    if (VEC4 != 0u) w_out[q] = LOAD4(w, q) * s;
    else w_out[i >> 2][i & 3u] = LOAD4_1(w, i) * s;
    if (i == co * pc.per_filter) {
        float b0 = HAS_BIAS != 0u ? LOAD1(b, co) : 0.0;
        b_out[co] = (b0 - LOAD1(running_mean, co)) * s + LOAD1(beta, co);
    }
}
