#version 450
#extension GL_GOOGLE_include_directive : require
// One Adam step, four parameters per invocation, in the order of
// operations torch.optim.Adam uses (no weight decay, no amsgrad):
//   m = lerp(m, g, 1 - beta1)       v = beta2 v + (1 - beta2) g^2
//   p -= step_size * (m / (sqrt(v) / sqrt(1 - beta2^t) + eps))
// with step_size = lr / (1 - beta1^t). The bias corrections come from the
// step counter on the device (t = steps taken + 1, in float), so a
// recorded training step replays without the host touching it; count.comp
// advances the counter. params, m and v are updated in place: read through
// the fast read path (bindings 4-6 view the same memory as 1-3), written
// through storage buffers; each value is read and then written by the one
// invocation that owns it, so the two views never race.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push {
    uint n;
    float one_minus_beta1, beta2, one_minus_beta2, eps, beta1, lr;
} pc;
ALVK_IN4(0, grads);
layout(std430, binding = 1) writeonly buffer Params { vec4 p[]; };
layout(std430, binding = 2) writeonly buffer M { vec4 m[]; };
layout(std430, binding = 3) writeonly buffer V { vec4 v[]; };
ALVK_IN4(4, p_in);
ALVK_IN4(5, m_in);
ALVK_IN4(6, v_in);
layout(std430, binding = 7) readonly buffer Steps { uint steps_taken; };

void main() {
    // Before any branch: lavapipe loads a uniform address once for all
    // lanes only outside control flow (inside, lane by lane).
    float t = float(steps_taken + 1u);
    float step_size = pc.lr / (1.0 - pow(pc.beta1, t));
    float bc2_sqrt = sqrt(1.0 - pow(pc.beta2, t));
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 g = LOAD4(grads, q), p4 = LOAD4(p_in, q), m4 = LOAD4(m_in, q), v4 = LOAD4(v_in, q);
    vec4 mk = m4 + pc.one_minus_beta1 * (g - m4);
    vec4 vk = pc.beta2 * v4 + pc.one_minus_beta2 * g * g;
    vec4 pk = p4 - step_size * (mk / (sqrt(vk) / bc2_sqrt + pc.eps));  // addcdiv's order
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
