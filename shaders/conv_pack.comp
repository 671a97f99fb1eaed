#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Lays out one operand of a convolution as the GEMM kernel wants it:
// K-major, dst[k][i] with row stride ldd, zero-padded to [Kp][ldd]. MODE
// says which operand (all NCHW; W is [Cout][Cin][KH][KW]):
//   0 forward A:         k = (ci,kh,kw), i = (n,oh,ow): x at the tap, 0 in padding
//   1 forward B:         k = (ci,kh,kw), i = co:        w (a transpose)
//   2 backward-data A:   k = co,         i = (n,oh,ow): dy (then col2im.comp)
//   3 backward-data B:   k = co,         i = (ci,kh,kw): w as it is, padded
//   4 backward-weight A: k = (n,oh,ow),  i = co:        dy
//   5 backward-weight B: k = (n,oh,ow),  i = (ci,kh,kw): x at the tap
// The window (KH x KW taps) may be a crop of the weights' wKH x wKW that
// starts at tap (lo, lo); engine/ops/conv.c says when.
// Each invocation fills RUN consecutive i of one row k. k and the first i
// are split into their three parts (k2,k1,k0), (i2,i1,i0) once; the
// following i step the parts without dividing.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

#define RUN 8u
layout(constant_id = 3) const uint MODE = 0;
// The radices: k = (k2*KR1 + k1)*KR0 + k0, i likewise (0xffffffff for a part
// that never wraps). Constants, so that splitting compiles to multiplies.
layout(constant_id = 4) const uint KR1 = 1;
layout(constant_id = 5) const uint KR0 = 1;
layout(constant_id = 6) const uint IR1 = 1;
layout(constant_id = 7) const uint IR0 = 1;
layout(push_constant) uniform Push {
    uint N, Cin, H, W, Cout, stride, pad, OH, OW, rows, K, ldd, Kp;
    uint wKH, wKW, lo;  // the weights' full window; the packed taps start at (lo, lo)
} pc;
ALVK_IN1(0, src);
layout(std430, binding = 1) writeonly buffer Dst { vec4 dst[]; };

// Where the element sits in src, and whether it exists there: a tap that
// falls in the padding reads nothing and yields 0.
bool tap(uint n, uint ci, uint kh, uint kw, uint oh, uint ow, out uint at) {
    int ih = int(oh * pc.stride + kh) - int(pc.pad), iw = int(ow * pc.stride + kw) - int(pc.pad);
    at = ((n * pc.Cin + ci) * pc.H + uint(ih)) * pc.W + uint(iw);
    return uint(ih) < pc.H && uint(iw) < pc.W;
}

uint weight(uint co, uint ci, uint kh, uint kw) {
    return ((co * pc.Cin + ci) * pc.wKH + pc.lo + kh) * pc.wKW + pc.lo + kw;
}

bool source(uint k, uint k2, uint k1, uint k0, uint i, uint i2, uint i1, uint i0, out uint at) {
    at = 0u;
    if (MODE == 0u) return tap(i2, k2, k1, k0, i1, i0, at);
    if (MODE == 1u) at = weight(i, k2, k1, k0);
    if (MODE == 2u) at = ((i2 * pc.Cout + k) * pc.OH + i1) * pc.OW + i0;
    if (MODE == 3u) at = weight(k, i2, i1, i0);
    if (MODE == 4u) at = ((k2 * pc.Cout + i) * pc.OH + k1) * pc.OW + k0;
    if (MODE == 5u) return tap(k2, i2, i1, i0, k1, k0, at);
    return true;
}

// Straight-line code: every lane loads (index 0 where there is nothing to
// read) and selects, and stores whole vec4s. Branches around the loads and
// scalar stores made this pass 1.5-2x slower on lavapipe.
void main() {
    uint i = gl_GlobalInvocationID.x * RUN, k = gl_GlobalInvocationID.y;
    if (i >= pc.ldd || k >= pc.Kp) return;
    uint k0 = k % KR0, k1 = (k / KR0) % KR1, k2 = k / (KR0 * KR1);
    uint i0 = i % IR0, i1 = (i / IR0) % IR1, i2 = i / (IR0 * IR1);
    float v[RUN];
    [[unroll]] for (uint r = 0u; r < RUN; r++, i++) {
        uint at;
        bool ok = source(k, k2, k1, k0, i, i2, i1, i0, at) && i < pc.rows && k < pc.K;
        float x = LOAD1(src, ok ? at : 0u);
        v[r] = ok ? x : 0.0;
        if (++i0 == IR0) {
            i0 = 0u;
            if (++i1 == IR1) i1 = 0u, i2++;
        }
    }
    uint q = (k * pc.ldd + i - RUN) / 4u;
    [[unroll]] for (uint r = 0u; r < RUN; r += 4u) dst[q + r / 4u] = vec4(v[r], v[r + 1u], v[r + 2u], v[r + 3u]);
}
