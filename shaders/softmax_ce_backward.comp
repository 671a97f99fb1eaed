#version 450
#extension GL_GOOGLE_include_directive : require
// Gradient of the batch-mean softmax cross-entropy, one element per
// invocation: dlogits = dloss * (probs - onehot(label)) / B. dloss is the
// upstream gradient of the scalar loss, read from the device so a recorded
// step needs no host value. alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push { uint B, C; } pc;
ALVK_IN1(0, probs);
layout(std430, binding = 1) readonly buffer Labels { uint labels[]; };
ALVK_IN1(2, dloss);
layout(std430, binding = 3) writeonly buffer DLogits { float dlogits[]; };

void main() {
    uint i = alvk_flat_index();
    if (i >= pc.B * pc.C) return;
    uint b = i / pc.C, c = i - b * pc.C;
    float g = LOAD1(dloss, 0) / float(pc.B);
    float onehot = c == min(labels[b], pc.C - 1u) ? 1.0 : 0.0; // clamped as the forward does
    dlogits[i] = g * (LOAD1(probs, i) - onehot);
}
