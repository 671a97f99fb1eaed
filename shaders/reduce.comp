#version 450
#extension GL_GOOGLE_include_directive : require
// Deterministic sums. x is viewed as [outer, mid, inner]: output j sums
// `outer` rows of `inner` contiguous values. Each row is cut into SEGS
// segments of SEG values (virtual rows v = row * SEGS + segment), and
// workgroup (p, j) sums part p, virtual rows [p*chunk, (p+1)*chunk), in a
// fixed order: lane l takes virtual rows l, l + LOCAL, ..., each in a loop
// of SEG steps (the same on every lane, no division per value: lavapipe
// runs lanes in lockstep and divides in software), then GROUP_SUM
// (group_sum.glsl). With one part the result is finished here (y[j] = post(scale *
// sum)); with several, a second pass over the partials finishes it. No
// atomics, so a run repeats bit for bit.
// alvk-variant: texel, subgroup
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "group_sum.glsl"

layout(constant_id = 3) const uint SQUARE = 0;  // sum x^2 instead of x
layout(constant_id = 4) const uint SQRT = 0;    // y = sqrt(scale * sum)
// SERIAL: one invocation per output adds its few values in order. For
// short sums (global average pooling of 1x1 maps, say) a workgroup per
// output would spend all its time in barriers (lavapipe: 200 ms for 65,536
// outputs of one value each, against well under 1 ms this way).
layout(constant_id = 5) const uint SERIAL = 0;
layout(push_constant) uniform Push { uint outer, mid, inner, chunk, parts, SEGS, SEG; float scale; } pc;
ALVK_IN1(0, x);
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

shared float partial[gl_WorkGroupSize.x];

void serial() {
    uint j = alvk_flat_index();
    if (j >= pc.mid) return;
    float s = 0.0;
    for (uint o = 0u; o < pc.outer; o++)
        for (uint k = 0u; k < pc.inner; k++) {
            float v = LOAD1(x, (o * pc.mid + j) * pc.inner + k);
            s += SQUARE != 0u ? v * v : v;
        }
    float r = pc.scale * s;
    y[j] = SQRT != 0u ? sqrt(r) : r;
}

void main() {
    if (SERIAL != 0u) {
        serial();
        return;
    }
    // j spans y and z: one grid dimension holds at most 65,535 groups.
    uint lane = gl_LocalInvocationID.x, p = gl_WorkGroupID.x;
    uint j = gl_WorkGroupID.y + gl_WorkGroupID.z * gl_NumWorkGroups.y;
    if (j >= pc.mid) return;
    uint rows = pc.outer * pc.SEGS;
    uint v = p * pc.chunk + lane, end = min(rows, p * pc.chunk + pc.chunk);
    // The lane's row and segment, stepped by LOCAL virtual rows without dividing.
    uint row = v / pc.SEGS, seg = v - row * pc.SEGS;
    uint step_row = gl_WorkGroupSize.x / pc.SEGS, step_seg = gl_WorkGroupSize.x % pc.SEGS;
    float s = 0.0;
    for (; v < end; v += gl_WorkGroupSize.x) {
        uint k0 = seg * pc.SEG, base = (row * pc.mid + j) * pc.inner;
        for (uint k = 0u; k < pc.SEG; k++) {
            bool ok = k0 + k < pc.inner;
            float x_ = LOAD1(x, ok ? base + k0 + k : base);
            s += ok ? (SQUARE != 0u ? x_ * x_ : x_) : 0.0;
        }
        row += step_row, seg += step_seg;
        if (seg >= pc.SEGS) seg -= pc.SEGS, row++;
    }
    float total;
    GROUP_SUM(total, s, partial)
    if (lane != 0u) return;
    if (pc.parts > 1u) {
        y[j * pc.parts + p] = total;
    } else {
        float r = pc.scale * total;
        y[j] = SQRT != 0u ? sqrt(r) : r;
    }
}
