#version 450
#extension GL_GOOGLE_include_directive : require
// Lays out one operand of a convolution as the GEMM kernel wants it:
// K-major, dst[k][i] with row stride ldd, zero-padded to [Kp][ldd]. MODE
// says which operand (all NCHW; W is [Cout][Cin][KH][KW]):
//   0 forward A:         k = (ci,kh,kw), i = (n,oh,ow): x at the tap, 0 in padding
//   1 forward B:         k = (ci,kh,kw), i = co:        w (a transpose)
//   2 backward-data A:   k = co,         i = (n,oh,ow): dy (then col2im.comp)
//   3 backward-data B:   k = co,         i = (ci,kh,kw): w as it is, padded
//   4 backward-weight A: k = (n,oh,ow),  i = co:        dy
//   5 backward-weight B: k = (n,oh,ow),  i = (ci,kh,kw): x at the tap
// Each invocation fills RUN consecutive i of one row k. k and the first i
// are split into their three parts (k2,k1,k0), (i2,i1,i0) once, with the
// radices in kr and ir; the following i step the parts without dividing
// (divisions per element made this pass slower than the GEMM it feeds).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

#define RUN 8u
layout(constant_id = 3) const uint MODE = 0;
layout(push_constant) uniform Push {
    uint N, Cin, H, W, Cout, KH, KW, stride, pad, OH, OW, rows, K, ldd, Kp;
    uint kr1, kr0, ir1, ir0;  // radices: k = (k2*kr1 + k1)*kr0 + k0, i likewise
} pc;
ALVK_IN1(0, src);
layout(std430, binding = 1) writeonly buffer Dst { float dst[]; };

// x[n][ci][oh*s + kh - pad][ow*s + kw - pad], 0 outside the image.
float tap(uint n, uint ci, uint kh, uint kw, uint oh, uint ow) {
    int ih = int(oh * pc.stride + kh) - int(pc.pad), iw = int(ow * pc.stride + kw) - int(pc.pad);
    if (ih < 0 || iw < 0 || ih >= int(pc.H) || iw >= int(pc.W)) return 0.0;
    return LOAD1(src, ((n * pc.Cin + ci) * pc.H + uint(ih)) * pc.W + uint(iw));
}

float value(uint k, uint k2, uint k1, uint k0, uint i, uint i2, uint i1, uint i0) {
    if (MODE == 0u) return tap(i2, k2, k1, k0, i1, i0);
    if (MODE == 1u) return LOAD1(src, i * pc.K + k);
    if (MODE == 2u) return LOAD1(src, ((i2 * pc.Cout + k) * pc.OH + i1) * pc.OW + i0);
    if (MODE == 3u) return LOAD1(src, k * pc.rows + i);
    if (MODE == 4u) return LOAD1(src, ((k2 * pc.Cout + i) * pc.OH + k1) * pc.OW + k0);
    return tap(k2, i2, i1, i0, k1, k0);  // MODE 5
}

void main() {
    uint i = gl_GlobalInvocationID.x * RUN, k = gl_GlobalInvocationID.y;
    if (i >= pc.ldd || k >= pc.Kp) return;
    uint k0 = k % pc.kr0, k1 = (k / pc.kr0) % pc.kr1, k2 = k / (pc.kr0 * pc.kr1);
    uint i0 = i % pc.ir0, i1 = (i / pc.ir0) % pc.ir1, i2 = i / (pc.ir0 * pc.ir1);
    for (uint r = 0u; r < RUN && i < pc.ldd; r++, i++) {
        dst[k * pc.ldd + i] = i < pc.rows && k < pc.K ? value(k, k2, k1, k0, i, i2, i1, i0) : 0.0;
        if (++i0 == pc.ir0) {
            i0 = 0u;
            if (++i1 == pc.ir1) i1 = 0u, i2++;
        }
    }
}
