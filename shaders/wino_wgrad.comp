#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(2x2, 3x3), the weight gradient's last step: the 16 GEMMs left
// m[xi][ci][co] (row-major, Cout columns, sc floats per xi), the sums over
// tiles of V times Z (wino_input.comp modes 1 and 2); each filter's
// gradient is G^T m G (3x3), the transpose of the forward's G g G^T.
// One invocation per (co, ci) writes its 9 taps.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push { uint Cin, Cout, sc; } pc;
ALVK_IN1(0, m);
layout(std430, binding = 1) writeonly buffer DW { float dw[]; };

// G^T along one axis.
vec3 gt(vec4 v) { return vec3(v.x + 0.5 * (v.y + v.z), 0.5 * (v.y - v.z), 0.5 * (v.y + v.z) + v.w); }

void main() {
    uint i = alvk_flat_index();  // co * Cin + ci: where the filter starts, / 9
    if (i >= pc.Cin * pc.Cout) return;
    uint ci = i % pc.Cin, co = i / pc.Cin, at = ci * pc.Cout + co;
    vec3 rows[4];  // rows[a] = (m G)[a]
    [[unroll]] for (uint a = 0u; a < 4u; a++) {
        vec4 r;
        [[unroll]] for (uint b = 0u; b < 4u; b++) r[b] = LOAD1(m, (4u * a + b) * pc.sc + at);
        rows[a] = gt(r);
    }
    [[unroll]] for (uint s = 0u; s < 3u; s++) {
        vec3 col = gt(vec4(rows[0][s], rows[1][s], rows[2][s], rows[3][s]));
        [[unroll]] for (uint r = 0u; r < 3u; r++) dw[i * 9u + 3u * r + s] = col[r];
    }
}
