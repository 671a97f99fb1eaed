#version 450
#extension GL_GOOGLE_include_directive : require
// Lays out one operand of a convolution as the GEMM kernel wants it:
// K-major, dst[k][i] with row stride ldd, zero-padded to [Kp][ldd]. MODE
// says which operand (all NCHW; W is [Cout][Cin][KH][KW]):
//   0 forward A:         k = (ci,kh,kw), i = (n,oh,ow): x at the tap, 0 in padding
//   1 backward-data A:   k = (co,kh,kw), i = (n,ih,iw): dy at the output that
//                        tap reaches, 0 where none does (stride, edges)
//   2 backward-weight A: k = (n,oh,ow),  i = co:        dy
//   3 backward-weight B: k = (n,oh,ow),  i = (ci,kh,kw): x at the tap
//   4 backward-data B:   k = (co,kh,kw), i = ci:        w
//   5 forward B:         k = (ci,kh,kw), i = co:        w (a transpose)
// Each output element is a gather from the source; nothing is summed here.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint MODE = 0;
layout(push_constant) uniform Push {
    uint N, Cin, H, W, Cout, KH, KW, stride, pad, OH, OW, rows, K, ldd, Kp;
} pc;
ALVK_IN1(0, src);
layout(std430, binding = 1) writeonly buffer Dst { float dst[]; };

// x[n][ci][oh*s + kh - pad][ow*s + kw - pad], 0 outside the image.
float tap(uint n, uint ci, uint kh, uint kw, uint oh, uint ow) {
    int ih = int(oh * pc.stride + kh) - int(pc.pad), iw = int(ow * pc.stride + kw) - int(pc.pad);
    if (ih < 0 || iw < 0 || ih >= int(pc.H) || iw >= int(pc.W)) return 0.0;
    return LOAD1(src, ((n * pc.Cin + ci) * pc.H + uint(ih)) * pc.W + uint(iw));
}

float value(uint k, uint i) {
    uint khw = pc.KH * pc.KW, ohw = pc.OH * pc.OW;
    if (MODE == 0u) {
        uint ci = k / khw, kh = (k % khw) / pc.KW, kw = k % pc.KW;
        uint n = i / ohw, oh = (i % ohw) / pc.OW, ow = i % pc.OW;
        return tap(n, ci, kh, kw, oh, ow);
    }
    if (MODE == 1u) {
        uint co = k / khw, kh = (k % khw) / pc.KW, kw = k % pc.KW;
        uint hw = pc.H * pc.W, n = i / hw, ih = (i % hw) / pc.W, iw = i % pc.W;
        int th = int(ih + pc.pad) - int(kh), tw = int(iw + pc.pad) - int(kw);
        if (th < 0 || tw < 0 || th % int(pc.stride) != 0 || tw % int(pc.stride) != 0) return 0.0;
        uint oh = uint(th) / pc.stride, ow = uint(tw) / pc.stride;
        if (oh >= pc.OH || ow >= pc.OW) return 0.0;
        return LOAD1(src, ((n * pc.Cout + co) * pc.OH + oh) * pc.OW + ow);
    }
    if (MODE == 2u) {
        uint n = k / ohw, p = k % ohw;
        return LOAD1(src, (n * pc.Cout + i) * ohw + p);
    }
    if (MODE == 3u) {
        uint n = k / ohw, oh = (k % ohw) / pc.OW, ow = k % pc.OW;
        uint ci = i / khw, kh = (i % khw) / pc.KW, kw = i % pc.KW;
        return tap(n, ci, kh, kw, oh, ow);
    }
    if (MODE == 4u) {
        uint co = k / khw, r = k % khw;
        return LOAD1(src, (co * pc.Cin + i) * khw + r);
    }
    return LOAD1(src, i * pc.K + k);  // MODE 5
}

void main() {
    uint i = gl_GlobalInvocationID.x, k = gl_GlobalInvocationID.y;
    if (i >= pc.ldd || k >= pc.Kp) return;
    dst[k * pc.ldd + i] = i < pc.rows && k < pc.K ? value(k, i) : 0.0;
}
