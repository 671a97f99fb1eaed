#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Max pooling, PyTorch semantics: windows K x K at stride S, padding P whose
// positions never win; the first maximum in row-major window order wins
// ties. Also records where each maximum came from (index in the input
// plane), which is all the backward pass needs. The window is a
// specialisation constant, so its loops unroll; every tap loads (index 0 in
// the padding) and selects, branch-free. alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint K = 3;
layout(push_constant) uniform Push { uint planes, H, W, OH, OW, K, S, P; } pc;
ALVK_IN1(0, x);
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(std430, binding = 2) writeonly buffer Arg { uint argmax[]; };
ALVK_IN4(3, x4);  // x again, read by vec4s in the whole-plane form

// The whole-plane form (PH > 0; engine/ops/pool.c takes it for planes of
// whole vec4s, at most 256 values): an invocation per plane loads the
// plane once by vec4s and takes every window from registers, the geometry
// constant so that every index is known at compile time. On lavapipe the
// fetches are the cost: the stem's pool (14x14) fetches 49 vec4s per plane
// instead of 441 values, 3.9 -> 1.1 ms at batch 128 (backward 4.1 -> 1.6).
layout(constant_id = 4) const uint PH = 0;
layout(constant_id = 5) const uint PW = 1;
layout(constant_id = 6) const uint PS = 1;
layout(constant_id = 7) const uint PP = 0;

void whole_plane() {
    uint plane = alvk_flat_index();
    if (plane >= pc.planes) return;
    uint OH = (PH + 2u * PP - K) / PS + 1u, OW = (PW + 2u * PP - K) / PS + 1u;  // constants
    float img[256];
    [[unroll]] for (uint q = 0u; q < PH * PW / 4u; q++) {
        vec4 v = LOAD4(x4, plane * (PH * PW / 4u) + q);
        img[4u * q] = v.x, img[4u * q + 1u] = v.y, img[4u * q + 2u] = v.z, img[4u * q + 3u] = v.w;
    }
    [[unroll]] for (uint oh = 0u; oh < OH; oh++)
        [[unroll]] for (uint ow = 0u; ow < OW; ow++) {
            float best = uintBitsToFloat(0xff800000u);  // -inf
            uint where = 0u;
            [[unroll]] for (uint kh = 0u; kh < K; kh++)
                [[unroll]] for (uint kw = 0u; kw < K; kw++) {
                    int ih = int(oh * PS + kh) - int(PP), iw = int(ow * PS + kw) - int(PP);
                    bool inside = uint(ih) < PH && uint(iw) < PW;
                    uint i = inside ? uint(ih) * PW + uint(iw) : 0u;
                    bool wins = inside && img[i] > best;
                    best = wins ? img[i] : best;
                    where = wins ? i : where;
                }
            uint o = (plane * OH + oh) * OW + ow;
            y[o] = best;
            argmax[o] = where;
        }
}

void main() {
    if (PH > 0u) {
        whole_plane();
        return;
    }
    uint o = alvk_flat_index();
    uint ohw = pc.OH * pc.OW;
    if (o >= pc.planes * ohw) return;
    uint plane = o / ohw, oh = (o % ohw) / pc.OW, ow = o % pc.OW;
    int h0 = int(oh * pc.S) - int(pc.P), w0 = int(ow * pc.S) - int(pc.P);
    float best = uintBitsToFloat(0xff800000u);  // -inf
    uint where = 0u;
    [[unroll]] for (uint kh = 0u; kh < K; kh++) {
        int ih = h0 + int(kh);
        [[unroll]] for (uint kw = 0u; kw < K; kw++) {
            int iw = w0 + int(kw);
            bool inside = uint(ih) < pc.H && uint(iw) < pc.W;
            uint i = uint(ih) * pc.W + uint(iw);
            float v = LOAD1(x, inside ? plane * pc.H * pc.W + i : 0u);
            bool wins = inside && v > best;
            best = wins ? v : best;
            where = wins ? i : where;
        }
    }
    y[o] = best;
    argmax[o] = where;
}
