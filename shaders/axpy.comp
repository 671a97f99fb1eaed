#version 450
#extension GL_GOOGLE_include_directive : require
// y = a * x + y over n floats: the runtime's smoke test and bandwidth probe.
#include "alvk.glsl"

layout(push_constant) uniform Push {
    uint n;
    float a;
} pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };

void main() {
    uint i = alvk_flat_index();
    if (i < pc.n) y[i] = pc.a * x[i] + y[i];
}
