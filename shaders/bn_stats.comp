#version 450
#extension GL_GOOGLE_include_directive : require
// Batch-norm training statistics, one workgroup per channel: the batch mean,
// the biased variance (two passes: mean first, then squared deviations, so
// no cancellation), saved as mean and 1/sqrt(var + eps) for the normalise
// and backward kernels, and the running statistics updated in place as
// PyTorch does (momentum, unbiased variance). alvk-variant: texel, subgroup
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "channel_sum.glsl"

layout(constant_id = 3) const uint SERIAL = 0;  // see channel_sum.glsl

layout(push_constant) uniform Push { uint N, C, HW, SEGS, SEG; float eps, momentum; } pc;
ALVK_IN1(0, x);
layout(std430, binding = 1) writeonly buffer Mean { float mean[]; };
layout(std430, binding = 2) writeonly buffer Invstd { float invstd[]; };
layout(std430, binding = 3) buffer RunMean { float running_mean[]; };
layout(std430, binding = 4) buffer RunVar { float running_var[]; };
ALVK_IN4(5, x4);  // x again, read by vec4s (channel_sum.glsl)

shared vec2 lane_sum[gl_WorkGroupSize.x];

float mu;
#define VALUE(i) LOAD1(x, i)
#define DEVIATION2(i) ((LOAD1(x, i) - mu) * (LOAD1(x, i) - mu))
#define VALUE4(q) LOAD4(x4, q)
#define DEVIATION2_4(q) ((LOAD4(x4, q) - mu) * (LOAD4(x4, q) - mu))

void main() {
    uint c = SERIAL != 0u ? gl_GlobalInvocationID.x : gl_WorkGroupID.x;
    if (c >= pc.C) return;
    float n = float(pc.N * pc.HW), sum, dev2;
    CHANNEL_SUM(sum, VALUE, VALUE4)
    mu = sum / n;
    CHANNEL_SUM(dev2, DEVIATION2, DEVIATION2_4)
    if (SERIAL == 0u && gl_LocalInvocationID.x != 0u) return;
    float var = dev2 / n;
    mean[c] = mu;
    invstd[c] = 1.0 / sqrt(var + pc.eps);
    float unbiased = n > 1.0 ? dev2 / (n - 1.0) : var;
    running_mean[c] = (1.0 - pc.momentum) * running_mean[c] + pc.momentum * mu;
    running_var[c] = (1.0 - pc.momentum) * running_var[c] + pc.momentum * unbiased;
}
