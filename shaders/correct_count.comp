#version 450
#extension GL_GOOGLE_include_directive : require
// out[0] = the number of rows of logits[B, C] whose argmax (the first index
// on ties) equals their label, in one workgroup: each lane counts a strided
// run of rows, then GROUP_SUM (group_sum.glsl); integer sums, so the result
// is exact and repeatable. alvk-variant: texel, subgroup
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "group_sum.glsl"

layout(push_constant) uniform Push { uint B, C; } pc;
ALVK_IN1(0, logits);
layout(std430, binding = 1) readonly buffer Labels { uint labels[]; };
layout(std430, binding = 2) writeonly buffer Out { uint result[]; };

shared uint partial[gl_WorkGroupSize.x];

uint argmax(uint b) {
    uint base = b * pc.C, best = 0u;
    float top = LOAD1(logits, base);
    for (uint c = 1u; c < pc.C; c++) {
        float x = LOAD1(logits, base + c);
        if (x > top) {
            top = x;
            best = c;
        }
    }
    return best;
}

void main() {
    uint lane = gl_LocalInvocationID.x, n = 0u;
    for (uint b = lane; b < pc.B; b += gl_WorkGroupSize.x)
        if (argmax(b) == labels[b]) n++; // a label >= C never matches
    uint total;
    GROUP_SUM(total, n, partial)
    if (lane == 0u) result[0] = total;
}
