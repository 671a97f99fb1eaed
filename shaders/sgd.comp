#version 450
#extension GL_GOOGLE_include_directive : require
// One SGD step, four parameters per invocation, in the order of operations
// torch.optim.SGD uses:
//   g += weight_decay p
//   b = momentum b + (1 - dampening) g    (b = g when no step has been taken)
//   g = nesterov ? g + momentum b : b     (both only with momentum)
//   p -= lr g
// The hyperparameters come from a slot of the graph's hyperparameter buffer
// (the host changes them between runs without re-recording), "no step
// taken" from the store's step counter. params and the momentum buffer b
// are updated in place, read through the fast read path (bindings 3-4 view
// the memory of 1-2) by the one invocation that writes them.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push {
    uint n, slot;
} pc;
ALVK_IN4(0, grads);
layout(std430, binding = 1) writeonly buffer Params { vec4 p[]; };
layout(std430, binding = 2) writeonly buffer B { vec4 b[]; };
ALVK_IN4(3, p_in);
ALVK_IN4(4, b_in);
layout(std430, binding = 5) readonly buffer Steps { uint step; };  // 1 at the first (see adam.comp)
// alvk_sgd_hyper (engine/ops/ops_train.h), field for field.
struct SgdHyper {
    float lr, momentum, one_minus_dampening, weight_decay;
    uint nesterov, unused0, unused1, unused2;
};
layout(std430, binding = 6) readonly buffer Hyper { SgdHyper hyper[]; };

void main() {
    // Uniform loads before any branch (see adam.comp).
    SgdHyper h = hyper[pc.slot];
    bool first = step == 1u;
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 g = LOAD4(grads, q), p4 = LOAD4(p_in, q);
    if (h.weight_decay != 0.0) g += h.weight_decay * p4;
    bool momentum = h.momentum != 0.0;
    vec4 bk = vec4(0.0);
    if (momentum) {
        bk = first ? g : h.momentum * LOAD4(b_in, q) + h.one_minus_dampening * g;
        g = h.nesterov != 0u ? g + h.momentum * bk : bk;
    }
    vec4 pk = p4 - h.lr * g;
    if (i + 3u < pc.n) {
        p[q] = pk;
        if (momentum) b[q] = bk;
        return;
    }
    for (uint c = 0u; c < 4u && i + c < pc.n; c++) {
        p[q][c] = pk[c];
        if (momentum) b[q][c] = bk[c];
    }
}
