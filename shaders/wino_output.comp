#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(2x2, 3x3), 3 of 3: the output transform. The 16 GEMMs left
// m[xi][t][c] (row-major, C columns, sc floats per xi); output tile t =
// (n, th, tw) is Y = A^T m A (2x2), plus the bias, written NCHW where it
// falls inside the OH x OW map. One invocation per tile and 4 channels,
// read as vec4s (C a multiple of 4), or per tile and channel.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint HAS_BIAS = 0;
layout(constant_id = 4) const uint LANES = 1;  // channels per invocation: 4 or 1
layout(push_constant) uniform Push { uint C, OH, OW, TH, TW, T, sc; } pc;
ALVK_IN4(0, m);
layout(std430, binding = 1) writeonly buffer Ybuf { float y[]; };
ALVK_IN1(2, bias);

// A^T along one axis.
vec2 at2(vec4 v) { return vec2(v.x + v.y + v.z, v.y - v.z - v.w); }

// Sums xi of this invocation's channels, from where xi = 0 starts.
vec4 load(uint xi, uint at) {
    return LANES == 4u ? LOAD4(m, (xi * pc.sc + at) >> 2) : vec4(LOAD4_1(m, xi * pc.sc + at));
}

void main() {
    uint i = alvk_flat_index(), groups = pc.C / LANES;
    if (i >= pc.T * groups) return;
    uint c = (i % groups) * LANES, t = i / groups, at = t * pc.C + c;
    uint tw = t % pc.TW, th = (t / pc.TW) % pc.TH, n = t / (pc.TW * pc.TH);
    vec4 rows[4][2];  // rows[a][j] = (m A)[a][j], one lane per channel
    [[unroll]] for (uint a = 0u; a < 4u; a++) {
        vec4 r0 = load(4u * a, at), r1 = load(4u * a + 1u, at), r2 = load(4u * a + 2u, at),
             r3 = load(4u * a + 3u, at);
        rows[a][0] = r0 + r1 + r2;
        rows[a][1] = r1 - r2 - r3;
    }
    [[unroll]] for (uint l = 0u; l < LANES; l++) {
        float b0 = HAS_BIAS != 0u ? LOAD1(bias, c + l) : 0.0;
        uint base = (n * pc.C + c + l) * pc.OH * pc.OW;
        [[unroll]] for (uint j = 0u; j < 2u; j++) {
            vec2 col = at2(vec4(rows[0][j][l], rows[1][j][l], rows[2][j][l], rows[3][j][l]));
            uint ow = 2u * tw + j;
            [[unroll]] for (uint r = 0u; r < 2u; r++) {
                uint oh = 2u * th + r;
                if (oh < pc.OH && ow < pc.OW) y[base + oh * pc.OW + ow] = col[r] + b0;
            }
        }
    }
}
