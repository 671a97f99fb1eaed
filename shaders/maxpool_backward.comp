#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Max pooling backward as a gather, so no two invocations write one place
// and no atomics are needed: each input pixel sums dy over the windows that
// chose it. An invocation owns an S x S block of input pixels (S the
// stride), which at most SPAN = ceil((K + S - 1) / S) windows per axis
// reach: it loads those windows' argmax and dy once and hands each to the
// pixel it chose, instead of every pixel loading every window over it (on
// ResNet18's stem pool, K = 3 and S = 2, 8 loads per 4 pixels rather than
// 8 per pixel). The loops unroll; every candidate loads (index 0 where
// there is no window) and selects, which lavapipe runs far faster than
// data-dependent loops. A pixel adds its windows in a fixed order, so runs
// repeat bit for bit.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint S = 2;     // the stride: the block's side
layout(constant_id = 4) const uint SPAN = 2;  // windows per axis that reach a block
layout(push_constant) uniform Push { uint planes, H, W, OH, OW, K, S, P; } pc;
ALVK_IN1U(0, argmax);
ALVK_IN1(1, dy);
layout(std430, binding = 2) writeonly buffer DX { vec4 dx[]; };

// The whole-plane form (PH > 0; engine/ops/pool.c takes it for planes of
// whole vec4s, at most 256 values, of at most 64 windows): an invocation
// per plane loads every window's argmax and dy once, sums each pixel's
// candidates in the order above with every index known at compile time,
// and stores the plane by vec4s (on lavapipe the fetches are the cost).
layout(constant_id = 5) const uint PH = 0;
layout(constant_id = 6) const uint PW = 1;
layout(constant_id = 7) const uint PK = 1;
layout(constant_id = 8) const uint PP = 0;

void whole_plane() {
    uint plane = alvk_flat_index();
    if (plane >= pc.planes) return;
    uint OH = (PH + 2u * PP - PK) / S + 1u, OW = (PW + 2u * PP - PK) / S + 1u;  // constants
    uint from[64];
    float d[64], g[256];
    [[unroll]] for (uint o = 0u; o < OH * OW; o++) {
        from[o] = LOAD1U(argmax, plane * OH * OW + o);
        d[o] = LOAD1(dy, plane * OH * OW + o);
    }
    [[unroll]] for (uint ih = 0u; ih < PH; ih++)
        [[unroll]] for (uint iw = 0u; iw < PW; iw++) {
            uint last_h = (ih / S * S + S - 1u + PP) / S, last_w = (iw / S * S + S - 1u + PP) / S;
            uint p = ih * PW + iw;
            g[p] = 0.0;
            [[unroll]] for (uint a = 0u; a < SPAN; a++)
                [[unroll]] for (uint b = 0u; b < SPAN; b++) {
                    uint oh = last_h - a, ow = last_w - b;  // wraps below 0: out of range
                    bool real = oh < OH && ow < OW;
                    uint o = real ? oh * OW + ow : 0u;
                    g[p] += real && from[o] == p ? d[o] : 0.0;
                }
        }
    [[unroll]] for (uint q = 0u; q < PH * PW / 4u; q++)
        dx[plane * (PH * PW / 4u) + q] =
            vec4(g[4u * q], g[4u * q + 1u], g[4u * q + 2u], g[4u * q + 3u]);
}

void main() {
    if (PH > 0u) {
        whole_plane();
        return;
    }
    uint BH = (pc.H + S - 1u) / S, BW = (pc.W + S - 1u) / S;
    uint v = alvk_flat_index();  // block (plane, bh, bw)
    if (v >= pc.planes * BH * BW) return;
    uint plane = v / (BH * BW), bh = (v / BW) % BH, bw = v % BW;
    // The last window that starts at or before the block's last row
    // (column); candidates run back from it.
    uint last_h = (bh * S + S - 1u + pc.P) / S, last_w = (bw * S + S - 1u + pc.P) / S;
    uint from[SPAN][SPAN];
    float d[SPAN][SPAN];
    [[unroll]] for (uint a = 0u; a < SPAN; a++)
        [[unroll]] for (uint b = 0u; b < SPAN; b++) {
            uint oh = last_h - a, ow = last_w - b;  // wraps below 0: out of range
            bool real = oh < pc.OH && ow < pc.OW;
            uint o = real ? (plane * pc.OH + oh) * pc.OW + ow : 0u;
            from[a][b] = real ? LOAD1U(argmax, o) : 0xffffffffu;
            d[a][b] = LOAD1(dy, o);
        }
    [[unroll]] for (uint i = 0u; i < S; i++)
        [[unroll]] for (uint j = 0u; j < S; j++) {
            uint ih = bh * S + i, iw = bw * S + j, p = ih * pc.W + iw;
            float g = 0.0;
            [[unroll]] for (uint a = 0u; a < SPAN; a++)
                [[unroll]] for (uint b = 0u; b < SPAN; b++)
                    g += from[a][b] == p ? d[a][b] : 0.0;
            uint at = plane * pc.H * pc.W + p;
            if (ih < pc.H && iw < pc.W) dx[at / 4u][at % 4u] = g;
        }
}
