#version 450
#extension GL_GOOGLE_include_directive : require
// dx = dy * f'(.) for the unary op OP. `saved` is what f' needs: x for
// relu, square, log, leaky relu and gelu, y = f(x) for sigmoid, sqrt, tanh and
// exp, unused for scale and affine. ADD: dy is the sum of two gradients,
// dy + dy2, added here (the graph compiler's fusion of the add that
// accumulates them, engine/graph/fuse.c; the same bits as binary.comp's add).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_ops.glsl"
#include "alvk_read.glsl"
#include "normal.glsl"

layout(constant_id = 3) const uint OP = 0;
layout(constant_id = 4) const uint ADD = 0;
layout(push_constant) uniform Push { uint n; float alpha; } pc;
ALVK_IN4(0, saved);
ALVK_IN4(1, dy);
layout(std430, binding = 2) writeonly buffer DX { vec4 dx[]; };
ALVK_IN4(3, dy2);  // ADD's operand (any buffer when off)

vec4 df(vec4 s) {
    if (OP == UNARY_RELU) return vec4(greaterThan(s, vec4(0.0)));  // 1 where x > 0
    if (OP == UNARY_SIGMOID) return s * (1.0 - s);                 // y (1 - y)
    if (OP == UNARY_SQUARE) return 2.0 * s;                        // 2x
    if (OP == UNARY_SQRT) return 0.5 / s;                          // 1 / (2y)
    if (OP == UNARY_TANH) return 1.0 - s * s;                      // 1 - y^2
    if (OP == UNARY_EXP) return s;                                 // y
    if (OP == UNARY_LOG) return 1.0 / s;                           // 1 / x
    if (OP == UNARY_LEAKY_RELU) return mix(vec4(pc.alpha), vec4(1.0), greaterThan(s, vec4(0.0)));
    if (OP == UNARY_GELU) return alvk_normal_cdf(s) + s * alvk_normal_pdf(s);  // Phi(x) + x phi(x)
    return vec4(pc.alpha);                                         // scale, affine
}

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 g = LOAD4(dy, q);
    if (ADD != 0u) g += LOAD4(dy2, q);
    vec4 r = g * df(LOAD4(saved, q));
    if (i + 3u < pc.n) {
        dx[q] = r;  // a whole vec4: one store
        return;
    }
    for (uint c = 0u; c < 4u && i + c < pc.n; c++) dx[q][c] = r[c];
}
