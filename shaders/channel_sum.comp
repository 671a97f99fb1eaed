#version 450
#extension GL_GOOGLE_include_directive : require
// Per-channel sums of an NCHW tensor, y[c] = sum over n and p of
// x[n][c][p], added in the order batch norm's kernels add a channel
// (channel_sum.glsl, with batchnorm.c's segments and workgroup size): the
// graph's convolution-bias gradient, so that a batch-norm backward's
// DX_SUMS, which sums the same dx inside that kernel, gives the same bits
// whether the graph compiler fuses the two or not. SERIAL: a lane per
// channel, in order (64 channels per workgroup); else a workgroup per
// channel.
// alvk-variant: texel, subgroup
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "channel_sum.glsl"

layout(constant_id = 3) const uint SERIAL = 0;
layout(push_constant) uniform Push { uint N, C, HW, SEGS, SEG; } pc;
ALVK_IN4(0, x);
ALVK_IN1(1, x1);  // x again, read by scalars (the serial sums)
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

shared vec2 lane_sum[gl_WorkGroupSize.x];
uint c;
#define VALUE(i) LOAD1(x1, i)
#define VALUE4(q) LOAD4(x, q)

void main() {
    c = SERIAL != 0u ? gl_GlobalInvocationID.x : gl_WorkGroupID.x;
    if (c >= pc.C) return;  // SERIAL only: a workgroup's channel is < C
    float s;
    CHANNEL_SUM(s, VALUE, VALUE4)
    if (SERIAL == 0u && gl_LocalInvocationID.x != 0u) return;
    y[c] = s;
}
