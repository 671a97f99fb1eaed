#version 450
#extension GL_GOOGLE_include_directive : require
// The gather half of a convolution's data gradient: col[(n,oh,ow)][(ci,kh,kw)]
// (row stride ldc) holds dy times the weights for every tap; each input
// pixel sums the taps that reached it. One writer per dx element, no
// atomics, fixed order. alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push { uint N, Cin, H, W, KH, KW, stride, pad, OH, OW, ldc; } pc;
ALVK_IN1(0, col);
layout(std430, binding = 1) writeonly buffer DX { float dx[]; };

void main() {
    uint i = alvk_flat_index(), hw = pc.H * pc.W;
    if (i >= pc.N * pc.Cin * hw) return;
    uint n = i / (pc.Cin * hw), ci = (i / hw) % pc.Cin, ih = (i % hw) / pc.W, iw = i % pc.W;
    float s = 0.0;
    for (uint kh = 0u; kh < pc.KH; kh++) {
        int th = int(ih + pc.pad) - int(kh);
        if (th < 0 || th % int(pc.stride) != 0) continue;
        uint oh = uint(th) / pc.stride;
        if (oh >= pc.OH) continue;
        for (uint kw = 0u; kw < pc.KW; kw++) {
            int tw = int(iw + pc.pad) - int(kw);
            if (tw < 0 || tw % int(pc.stride) != 0) continue;
            uint ow = uint(tw) / pc.stride;
            if (ow >= pc.OW) continue;
            s += LOAD1(col, ((n * pc.OH + oh) * pc.OW + ow) * pc.ldc + (ci * pc.KH + kh) * pc.KW + kw);
        }
    }
    dx[i] = s;
}
