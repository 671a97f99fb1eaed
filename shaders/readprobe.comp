#version 450
#extension GL_GOOGLE_include_directive : require
// Streams x through the read path under test: invocation q sums the vec4s
// q, q + stride, ... and writes one float, so reads dominate the time.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push { uint n4, stride; } pc;
ALVK_IN4(0, x);
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

void main() {
    uint q = gl_GlobalInvocationID.x;
    vec4 s = vec4(0.0);
    for (uint i = q; i < pc.n4; i += pc.stride) s += LOAD4(x, i);
    y[q] = s.x + s.y + s.z + s.w;
}
