#version 450
#extension GL_GOOGLE_include_directive : require
// dx = dy * f'(.) for the unary op OP. `saved` is what f' needs: x for relu
// and square, y = f(x) for sigmoid and sqrt, unused for scale and affine.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint OP = 0;
layout(push_constant) uniform Push { uint n; float alpha; } pc;
ALVK_IN4(0, saved);
ALVK_IN4(1, dy);
layout(std430, binding = 2) writeonly buffer DX { vec4 dx[]; };

vec4 df(vec4 s) {
    if (OP == 0) return vec4(greaterThan(s, vec4(0.0)));  // relu: 1 where x > 0
    if (OP == 1) return s * (1.0 - s);                    // sigmoid: y (1 - y)
    if (OP == 2) return vec4(pc.alpha);                   // scale
    if (OP == 3) return 2.0 * s;                          // square: 2x
    if (OP == 4) return 0.5 / s;                          // sqrt: 1 / (2y)
    return vec4(pc.alpha);                                // affine
}

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 r = LOAD4(dy, q) * df(LOAD4(saved, q));
    if (i + 3u < pc.n) {
        dx[q] = r;  // a whole vec4: one store
        return;
    }
    for (uint c = 0u; c < 4u && i + c < pc.n; c++) dx[q][c] = r[c];
}
