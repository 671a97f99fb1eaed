#version 450
#extension GL_GOOGLE_include_directive : require
// One Adam step, four parameters per invocation, in the order of
// operations torch.optim.Adam uses (no amsgrad):
//   m = lerp(m, g, 1 - beta1)       v = beta2 v + (1 - beta2) g^2
//   p -= step_size * (m / (sqrt(v) / sqrt(1 - beta2^t) + eps))
// with step_size = lr / (1 - beta1^t). The hyperparameters come from a
// slot of the graph's hyperparameter buffer and t from a step counter on
// the device (this step's number, in float: count.comp advanced it before
// the step), so a recorded training step replays without the host touching
// it and the host can change the learning rate between runs. A slot may
// also ask for AdamW's decoupled weight decay, p *= 1 - lr weight_decay before the step (torch's
// order); at 1 (none) the step is the arithmetic it always was. params, m
// and v are updated in place: read through the fast read path (bindings 4-6
// view the same memory as 1-3), written through storage buffers; each value
// is read and then written by the one invocation that owns it, so the two
// views never race.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push {
    uint n, slot;
} pc;
ALVK_IN4(0, grads);
layout(std430, binding = 1) writeonly buffer Params { vec4 p[]; };
layout(std430, binding = 2) writeonly buffer M { vec4 m[]; };
layout(std430, binding = 3) writeonly buffer V { vec4 v[]; };
ALVK_IN4(4, p_in);
ALVK_IN4(5, m_in);
ALVK_IN4(6, v_in);
layout(std430, binding = 7) readonly buffer Steps { uint step; };  // 1 at the first
// alvk_adam_hyper (engine/ops/ops_train.h), field for field.
struct AdamHyper {
    float lr, beta1, beta2, eps, one_minus_beta1, one_minus_beta2, decay, unused;
};
layout(std430, binding = 8) readonly buffer Hyper { AdamHyper hyper[]; };

void main() {
    // Before any branch: lavapipe loads a uniform address once for all
    // lanes only outside control flow (inside, lane by lane).
    AdamHyper h = hyper[pc.slot];
    float t = float(step);
    float step_size = h.lr / (1.0 - pow(h.beta1, t));
    float bc2_sqrt = sqrt(1.0 - pow(h.beta2, t));
    float eps = h.eps, decay = h.decay;
    float one_minus_beta1 = h.one_minus_beta1, beta2 = h.beta2, one_minus_beta2 = h.one_minus_beta2;
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 g = LOAD4(grads, q), p4 = LOAD4(p_in, q), m4 = LOAD4(m_in, q), v4 = LOAD4(v_in, q);
    if (decay != 1.0) p4 *= decay;
    vec4 mk = m4 + one_minus_beta1 * (g - m4);
    vec4 vk = beta2 * v4 + one_minus_beta2 * g * g;
    vec4 pk = p4 - step_size * (mk / (sqrt(vk) / bc2_sqrt + eps));  // addcdiv's order
    if (i + 3u < pc.n) {  // whole vec4s: one store each
        m[q] = mk;
        v[q] = vk;
        p[q] = pk;
        return;
    }
    for (uint c = 0u; c < 4u && i + c < pc.n; c++) {
        m[q][c] = mk[c];
        v[q][c] = vk[c];
        p[q][c] = pk[c];
    }
}
