#version 450
#extension GL_GOOGLE_include_directive : require
// c[i] = alpha * (a[i] OP b[(i / inner) % nb]): elementwise when nb = n,
// per column of a row-major matrix when inner = 1, per channel of NCHW when
// inner = H*W. OP follows ALVK_BINARY_OPS; EXPAND ignores a (c = alpha * b
// broadcast). alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint OP = 0;
layout(push_constant) uniform Push { uint n, nb, inner; float alpha; } pc;
ALVK_IN4(0, a);
ALVK_IN1(1, b);
layout(std430, binding = 2) writeonly buffer C { float c[]; };

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 av = OP == 4 ? vec4(0.0) : LOAD4(a, q);
    vec4 bv;
    for (uint k = 0u; k < 4u; k++) bv[k] = LOAD1(b, ((i + k) / pc.inner) % pc.nb);
    vec4 r;
    if (OP == 0) r = av + bv;
    else if (OP == 1) r = av - bv;
    else if (OP == 2) r = av * bv;
    else if (OP == 3) r = av / bv;
    else r = bv;
    r *= pc.alpha;
    for (uint k = 0u; k < 4u; k++)
        if (i + k < pc.n) c[i + k] = r[k];
}
