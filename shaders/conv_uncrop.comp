#version 450
#extension GL_GOOGLE_include_directive : require
// A convolution's weight gradient over its full KH x KW window from the one
// over a cropped window (engine/ops/conv.c, crop): taps inside the crop
// copy, taps outside it are 0 (they only ever met padding).
//   dw[co][ci][kh][kw] = dwc[co][ci][kh - LO][kw - LO]
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint KH = 3;
layout(constant_id = 4) const uint KW = 3;
layout(constant_id = 5) const uint KC = 1;  // the crop's side
layout(constant_id = 6) const uint LO = 1;  // its first tap along each axis
layout(push_constant) uniform Push { uint n; } pc;
ALVK_IN1(0, dwc);
layout(std430, binding = 1) writeonly buffer DW { vec4 dw[]; };

float value(uint i) {
    uint kh = (i / KW) % KH - LO, kw = i % KW - LO, row = i / (KH * KW);  // row = (co, ci)
    bool inside = kh < KC && kw < KC && i < pc.n;  // kh, kw wrap below LO
    float v = LOAD1(dwc, inside ? (row * KC + kh) * KC + kw : 0u);
    return inside ? v : 0.0;
}

// Four elements per invocation, stored as one vec4 (scalar stores made
// this pass cost as much as the GEMM before it on lavapipe).
void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 r = vec4(value(i), value(i + 1u), value(i + 2u), value(i + 3u));
    if (i + 3u < pc.n) {
        dw[q] = r;
        return;
    }
    for (uint c = 0u; c < 4u && i + c < pc.n; c++) dw[q][c] = r[c];
}
