#version 450
#extension GL_GOOGLE_include_directive : require
// Batch-norm backward, the per-channel part, one workgroup per channel:
// dbeta = sum(dy), dgamma = sum(dy * xhat) with xhat = (x - mean) invstd.
// MASK: dy is taken as dy (mask > 0), a ReLU's backward fused in (see
// bn_backward_apply.comp).
// alvk-variant: texel, subgroup
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "channel_sum.glsl"

layout(constant_id = 3) const uint SERIAL = 0;  // see channel_sum.glsl
layout(constant_id = 4) const uint MASK = 0;

layout(push_constant) uniform Push { uint N, C, HW, SEGS, SEG; } pc;
ALVK_IN1(0, x);
ALVK_IN1(1, dy);
ALVK_IN1(2, mean);
ALVK_IN1(3, invstd);
layout(std430, binding = 4) writeonly buffer DGamma { float dgamma[]; };
layout(std430, binding = 5) writeonly buffer DBeta { float dbeta[]; };
ALVK_IN1(6, mask);  // MASK's operand (any buffer when off)
ALVK_IN4(7, x4);  // x, dy and mask again, read by vec4s (channel_sum.glsl)
ALVK_IN4(8, dy4);
ALVK_IN4(9, mask4);

shared vec2 lane_sum[gl_WorkGroupSize.x];

float mu, is;
#define DY(i) (MASK != 0u ? LOAD1(dy, i) * (LOAD1(mask, i) > 0.0 ? 1.0 : 0.0) : LOAD1(dy, i))
#define DY_XHAT(i) (DY(i) * (LOAD1(x, i) - mu) * is)  // dy's load is shared
#define DY4(q) (MASK != 0u ? LOAD4(dy4, q) * vec4(greaterThan(LOAD4(mask4, q), vec4(0.0))) : LOAD4(dy4, q))
#define DY_XHAT4(q) (DY4(q) * (LOAD4(x4, q) - mu) * is)

void main() {
    uint c = SERIAL != 0u ? gl_GlobalInvocationID.x : gl_WorkGroupID.x;
    if (c >= pc.C) return;
    mu = LOAD1(mean, c);
    is = LOAD1(invstd, c);
    float sum_dy, sum_dy_xhat;
    CHANNEL_SUM2(sum_dy, DY, DY4, sum_dy_xhat, DY_XHAT, DY_XHAT4)
    if (SERIAL == 0u && gl_LocalInvocationID.x != 0u) return;
    dbeta[c] = sum_dy;
    dgamma[c] = sum_dy_xhat;
}
