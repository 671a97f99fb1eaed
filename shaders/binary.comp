#version 450
#extension GL_GOOGLE_include_directive : require
// c[i] = alpha * (a[i] OP b[(i / inner) % nb]): elementwise when nb = n,
// per column of a row-major matrix when inner = 1, per channel of NCHW when
// inner = H*W. OP is one of ALVK_BINARY_OPS (engine/ops/ops.h); EXPAND
// ignores a (c = alpha * b broadcast). alvk-variant: texel
#include "alvk.glsl"
#include "alvk_ops.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint OP = 0;
layout(constant_id = 4) const uint SAME_SHAPE = 0;  // nb = n, inner = 1: b read as vec4
layout(push_constant) uniform Push { uint n, nb, inner; float alpha; } pc;
ALVK_IN4(0, a);
#if ALVK_TEXEL
ALVK_IN1(1, b);  // one texel view serves both: R32F or RGBA32F per SAME_SHAPE
#define LOAD4_B(q) texelFetch(b, int(q))
#else
ALVK_IN1(1, b);
#define LOAD4_B(q) vec4(b[4u * (q)], b[4u * (q) + 1u], b[4u * (q) + 2u], b[4u * (q) + 3u])
#endif
layout(std430, binding = 2) writeonly buffer C { vec4 c[]; };

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 av = OP == BINARY_EXPAND ? vec4(0.0) : LOAD4(a, q);
    vec4 bv;
    if (SAME_SHAPE != 0u) {
        bv = LOAD4_B(q);
    } else {
        uint j = (i / pc.inner) % pc.nb, within = i % pc.inner;  // stepped, not divided again
        for (uint k = 0u; k < 4u; k++) {
            bv[k] = LOAD1(b, j);
            if (++within == pc.inner) within = 0u, j = j + 1u == pc.nb ? 0u : j + 1u;
        }
    }
    vec4 r;
    if (OP == BINARY_ADD) r = av + bv;
    else if (OP == BINARY_SUB) r = av - bv;
    else if (OP == BINARY_MUL) r = av * bv;
    else if (OP == BINARY_DIV) r = av / bv;
    else r = bv;  // BINARY_EXPAND
    r *= pc.alpha;
    if (i + 3u < pc.n) {
        c[q] = r;  // a whole vec4: one store
        return;
    }
    for (uint k = 0u; k < 4u && i + k < pc.n; k++) c[q][k] = r[k];
}
