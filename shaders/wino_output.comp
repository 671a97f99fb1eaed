#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(2x2, 3x3), 3 of 3: the output transform. The 16 GEMMs left
// m[xi][t][c] (row-major, C columns, sc floats per xi); output tile t =
// (n, th, tw) is Y = A^T m A (2x2), plus the bias, written NCHW where it
// falls inside the OH x OW map. One invocation per (tile, channel).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint HAS_BIAS = 0;
layout(push_constant) uniform Push { uint C, OH, OW, TH, TW, T, sc; } pc;
ALVK_IN1(0, m);
layout(std430, binding = 1) writeonly buffer Ybuf { float y[]; };
ALVK_IN1(2, bias);

// A^T along one axis.
vec2 at(vec4 v) { return vec2(v.x + v.y + v.z, v.y - v.z - v.w); }

void main() {
    uint i = alvk_flat_index();
    if (i >= pc.T * pc.C) return;
    uint c = i % pc.C, t = i / pc.C;
    uint tw = t % pc.TW, th = (t / pc.TW) % pc.TH, n = t / (pc.TW * pc.TH);
    vec2 rows[4];  // rows[a] = (m A)[a]
    [[unroll]] for (uint a = 0u; a < 4u; a++) {
        vec4 r;
        [[unroll]] for (uint b = 0u; b < 4u; b++) r[b] = LOAD1(m, (4u * a + b) * pc.sc + i);
        rows[a] = at(r);
    }
    float b0 = HAS_BIAS != 0u ? LOAD1(bias, c) : 0.0;
    uint base = (n * pc.C + c) * pc.OH * pc.OW;
    [[unroll]] for (uint j = 0u; j < 2u; j++) {
        vec2 col = at(vec4(rows[0][j], rows[1][j], rows[2][j], rows[3][j]));
        uint ow = 2u * tw + j;
        [[unroll]] for (uint r = 0u; r < 2u; r++) {
            uint oh = 2u * th + r;
            if (oh < pc.OH && ow < pc.OW) y[base + oh * pc.OW + ow] = col[r] + b0;
        }
    }
}
