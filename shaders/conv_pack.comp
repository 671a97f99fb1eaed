#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Lays out one or two operands of a convolution as the GEMM kernel wants
// them: K-major, dst[k][i] with row stride ldd, zero-padded to [Kp][ldd].
// A mode says which operand (all NCHW; W is [Cout][Cin][KH][KW]):
//   0 forward A:         k = (ci,kh,kw), i = (n,oh,ow): x at the tap, 0 in padding
//   1 forward B:         k = (ci,kh,kw), i = co:        w (a transpose)
//   2 backward-data A:   k = co,         i = (n,oh,ow): dy (then col2im.comp)
//   3 backward-data B:   k = co,         i = (ci,kh,kw): w as it is, padded
//   4 backward-weight A: k = (n,oh,ow),  i = co:        dy
//   5 backward-weight B: k = (n,oh,ow),  i = (ci,kh,kw): x at the tap
// The window (KH x KW taps) may be a crop of the weights' wKH x wKW that
// starts at tap (lo, lo); engine/ops/conv.c says when.
// With JOBS = 2 one dispatch packs both operands of a GEMM (src0 into
// dst0 by MODE0, src1 into dst1 by MODE1): they are independent, so a
// convolution's packs cost one dispatch, not two. Its workgroups are
// numbered job 0's first, each job's 8 x 8 blocks along i first.
// Each invocation fills RUN consecutive i of one row k. k and the first i
// are split into their three parts (k2,k1,k0), (i2,i1,i0) once; the
// following i step the parts without dividing.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

#define RUN 8u
layout(constant_id = 3) const uint JOBS = 1;
// Each job's mode and radices: k = (k2*KR1 + k1)*KR0 + k0, i likewise
// (0xffffffff for a part that never wraps). Constants, so that splitting
// compiles to multiplies.
layout(constant_id = 4) const uint MODE0 = 0;
layout(constant_id = 5) const uint KR1_0 = 1;
layout(constant_id = 6) const uint KR0_0 = 1;
layout(constant_id = 7) const uint IR1_0 = 1;
layout(constant_id = 8) const uint IR0_0 = 1;
layout(constant_id = 9) const uint MODE1 = 0;
layout(constant_id = 10) const uint KR1_1 = 1;
layout(constant_id = 11) const uint KR0_1 = 1;
layout(constant_id = 12) const uint IR1_1 = 1;
layout(constant_id = 13) const uint IR0_1 = 1;
layout(push_constant) uniform Push {
    uint N, Cin, H, W, Cout, stride, pad, OH, OW;
    uint wKH, wKW, lo;  // the weights' full window; the packed taps start at (lo, lo)
    uvec4 job[2];       // each job's rows, K, ldd, Kp
    uint across[2];     // each job's workgroups along i
    uint groups0;       // job 0's workgroups
} pc;
ALVK_IN1(0, src0);
layout(std430, binding = 1) writeonly buffer Dst0 { vec4 dst0[]; };
ALVK_IN1(2, src1);
layout(std430, binding = 3) writeonly buffer Dst1 { vec4 dst1[]; };

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

bool source(uint mode, uint k, uint k2, uint k1, uint k0, uint i, uint i2, uint i1, uint i0,
            out uint at) {
    at = 0u;
    if (mode == 0u) return tap(i2, k2, k1, k0, i1, i0, at);
    if (mode == 1u) at = weight(i, k2, k1, k0);
    if (mode == 2u) at = ((i2 * pc.Cout + k) * pc.OH + i1) * pc.OW + i0;
    if (mode == 3u) at = weight(k, i2, i1, i0);
    if (mode == 4u) at = ((k2 * pc.Cout + i) * pc.OH + k1) * pc.OW + k0;
    if (mode == 5u) return tap(k2, i2, i1, i0, k1, k0, at);
    return true;
}

// Job j's part of the dispatch; called with constants only, so each call
// inlines into code specialised for its mode and radices. Straight-line
// code: every lane loads (index 0 where there is nothing to read) and
// selects, and stores whole vec4s. Branches around the loads and scalar
// stores made this pass 1.5-2x slower on lavapipe.
void pack(uint j, uint mode, uint KR1, uint KR0, uint IR1, uint IR0, uint group) {
    uint rows = pc.job[j].x, K = pc.job[j].y, ldd = pc.job[j].z, Kp = pc.job[j].w;
    uint i = ((group % pc.across[j]) * 8u + gl_LocalInvocationID.x) * RUN;
    uint k = (group / pc.across[j]) * 8u + gl_LocalInvocationID.y;
    if (i >= ldd || k >= Kp) return;
    uint k0 = k % KR0, k1 = (k / KR0) % KR1, k2 = k / (KR0 * KR1);
    uint i0 = i % IR0, i1 = (i / IR0) % IR1, i2 = i / (IR0 * IR1);
    float v[RUN];
    [[unroll]] for (uint r = 0u; r < RUN; r++, i++) {
        uint at;
        bool ok = source(mode, k, k2, k1, k0, i, i2, i1, i0, at) && i < rows && k < K;
        float x = j == 0u ? LOAD1(src0, ok ? at : 0u) : LOAD1(src1, ok ? at : 0u);
        v[r] = ok ? x : 0.0;
        if (++i0 == IR0) {
            i0 = 0u;
            if (++i1 == IR1) i1 = 0u, i2++;
        }
    }
    uint q = (k * ldd + i - RUN) / 4u;
    [[unroll]] for (uint r = 0u; r < RUN; r += 4u) {
        vec4 x = vec4(v[r], v[r + 1u], v[r + 2u], v[r + 3u]);
        if (j == 0u) dst0[q + r / 4u] = x;
        else dst1[q + r / 4u] = x;
    }
}

void main() {
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (group < pc.groups0) pack(0u, MODE0, KR1_0, KR0_0, IR1_0, IR0_0, group);
    else if (JOBS == 2u) pack(1u, MODE1, KR1_1, KR0_1, IR1_1, IR0_1, group - pc.groups0);
}
