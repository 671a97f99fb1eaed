#version 450
#extension GL_GOOGLE_include_directive : require
// Argmax of each row of logits[B, C] (the first index on ties). COUNT 0:
// out[b] = argmax of row b, one row per invocation. COUNT 1: out[0] = the
// number of rows whose argmax equals their label, in one workgroup: each
// lane counts a strided run of rows, then GROUP_SUM (group_sum.glsl); integer
// sums, so the result is exact and repeatable. alvk-variant: texel, subgroup
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "group_sum.glsl"

layout(constant_id = 3) const uint COUNT = 0;
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
    if (COUNT == 0u) {
        uint b = alvk_flat_index();
        if (b < pc.B) result[b] = argmax(b);
        return;
    }
    uint lane = gl_LocalInvocationID.x, n = 0u;
    for (uint b = lane; b < pc.B; b += gl_WorkGroupSize.x)
        if (argmax(b) == labels[b]) n++; // a label >= C never matches
    uint total;
    GROUP_SUM(total, n, partial)
    if (lane == 0u) result[0] = total;
}
