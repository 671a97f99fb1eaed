#version 450
#extension GL_GOOGLE_include_directive : require
// Adds one to a counter on the device (Adam's step count, a graph's run
// count for dropout), so a recorded step advances it on every replay.
#include "alvk.glsl"

layout(std430, binding = 0) buffer Counter { uint value; };

void main() { value += 1u; }
