#version 450
#extension GL_GOOGLE_include_directive : require
// One Adam step, four parameters per invocation, in the order of
// operations torch.optim.Adam uses (no weight decay, no amsgrad):
//   m = lerp(m, g, 1 - beta1)       v = beta2 v + (1 - beta2) g^2
//   p -= step_size * (m / (sqrt(v) / sqrt(1 - beta2^t) + eps))
// with step_size = lr / (1 - beta1^t) and the bias corrections computed on
// the host in double. params, m and v are updated in place.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push {
    uint n;
    float one_minus_beta1, beta2, one_minus_beta2, step_size, bc2_sqrt, eps;
} pc;
ALVK_IN4(0, grads);
layout(std430, binding = 1) buffer Params { float p[]; };
layout(std430, binding = 2) buffer M { float m[]; };
layout(std430, binding = 3) buffer V { float v[]; };

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 g = LOAD4(grads, q);
    for (uint c = 0u; c < 4u && i + c < pc.n; c++) {
        uint k = i + c;
        float mk = m[k] + pc.one_minus_beta1 * (g[c] - m[k]);
        float vk = pc.beta2 * v[k] + pc.one_minus_beta2 * g[c] * g[c];
        m[k] = mk;
        v[k] = vk;
        p[k] -= pc.step_size * (mk / (sqrt(vk) / pc.bc2_sqrt + pc.eps)); // addcdiv's order
    }
}
