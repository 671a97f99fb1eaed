#version 450
#extension GL_GOOGLE_include_directive : require
// Row-wise softmax family over logits[B, C], one row per invocation (rows
// are short: 10 classes): MODE 0 writes the probabilities, MODE 1 the
// cross-entropy of each row and, in probs[], with PROBS 1 the probabilities
// the backward needs, with PROBS 2 the backward's result itself for dloss 1
// (softmax_ce_backward.comp's expression: a training step's loss gradient
// in the same pass). Every row subtracts its max before exp, so large
// logits cannot overflow. The batch mean of the cross-entropy is a separate
// fixed-order reduction on the host's side.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint MODE = 0;
layout(constant_id = 4) const uint PROBS = 0;
layout(push_constant) uniform Push { uint B, C; } pc;
ALVK_IN1(0, logits);
layout(std430, binding = 1) readonly buffer Labels { uint labels[]; };
layout(std430, binding = 2) writeonly buffer Result { float result[]; };
layout(std430, binding = 3) writeonly buffer Probs { float probs[]; };

void main() {
    uint b = alvk_flat_index();
    if (b >= pc.B) return;
    uint base = b * pc.C;
    float top1 = LOAD1(logits, base); // the row max
    for (uint c = 1u; c < pc.C; c++) {
        float x = LOAD1(logits, base + c);
        if (x > top1) top1 = x;
    }
    float sum = 0.0;
    for (uint c = 0u; c < pc.C; c++) sum += exp(LOAD1(logits, base + c) - top1);
    // Labels come from the device: clamp rather than read past the row.
    uint label = MODE == 1u ? min(labels[b], pc.C - 1u) : 0u;
    if (MODE == 1u) {
        result[b] = log(sum) - (LOAD1(logits, base + label) - top1);
        if (PROBS == 0u) return;
    }
    float g = 1.0 / float(pc.B);
    for (uint c = 0u; c < pc.C; c++) {
        float p = exp(LOAD1(logits, base + c) - top1) / sum;
        if (MODE == 0u) result[base + c] = p;
        else if (PROBS == 1u) probs[base + c] = p;
        else probs[base + c] = g * (p - (c == label ? 1.0 : 0.0));
    }
}
