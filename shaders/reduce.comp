#version 450
#extension GL_GOOGLE_include_directive : require
// Deterministic sums. x is viewed as [outer, mid, inner]; workgroup (p, j)
// sums part p (elements [p*chunk, (p+1)*chunk) of the outer*inner values
// that belong to j) in a fixed order: each lane a strided run, then a tree
// in shared memory. With one part the result is finished here
// (y[j] = post(scale * sum)); with several, a second pass over the partials
// finishes it. No atomics, so a run repeats bit for bit.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint SQUARE = 0;  // sum x^2 instead of x
layout(constant_id = 4) const uint SQRT = 0;    // y = sqrt(scale * sum)
// SERIAL: one invocation per output adds its few values in order. For
// short sums (global average pooling of 1x1 maps, say) a workgroup per
// output would spend all its time in barriers (lavapipe: 200 ms for 65,536
// outputs of one value each, against well under 1 ms this way).
layout(constant_id = 5) const uint SERIAL = 0;
layout(push_constant) uniform Push { uint outer, mid, inner, chunk, parts; float scale; } pc;
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
    uint count = pc.outer * pc.inner;
    uint begin = p * pc.chunk, end = min(count, begin + pc.chunk);
    float s = 0.0;
    for (uint e = begin + lane; e < end; e += gl_WorkGroupSize.x) {
        uint o = e / pc.inner, k = e - o * pc.inner;
        float v = LOAD1(x, (o * pc.mid + j) * pc.inner + k);
        s += SQUARE != 0u ? v * v : v;
    }
    partial[lane] = s;
    barrier();
    for (uint w = gl_WorkGroupSize.x / 2u; w > 0u; w >>= 1u) {
        if (lane < w) partial[lane] += partial[lane + w];
        barrier();
    }
    if (lane != 0u) return;
    if (pc.parts > 1u) {
        y[j * pc.parts + p] = partial[0];
    } else {
        float r = pc.scale * partial[0];
        y[j] = SQRT != 0u ? sqrt(r) : r;
    }
}
