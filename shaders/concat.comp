#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Rows from two sources, side by side: y [rows, Y] with
//   y[r][i] = a[r][i + a_off]          for i < split,
//   y[r][i] = b[r][i - split + b_off]  for i >= split,
// zero where that index falls outside its source's row (a holds rows of A
// floats, b of B). Concatenation along channels is this with split = A and
// no offsets (a row is an image's C * H * W values); a window of channels,
// the concatenation's gradient, takes a alone (split = Y) at an offset,
// and its own gradient, the window put back among zeros, the negative
// offset. Four outputs per invocation: with VEC4 (the host's promise that
// every row length, split and offset is a multiple of 4, as NCHW maps of
// an even size give) they are one aligned vec4 of one source, one fetch
// and one store; otherwise four values read one by one. alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint VEC4 = 0;  // every row, split and offset a multiple of 4
layout(push_constant) uniform Push { uint n, Y, split, A, B; int a_off, b_off; } pc;
ALVK_IN4(0, a);
ALVK_IN4(1, b);
layout(std430, binding = 2) writeonly buffer Out { vec4 y[]; };

// Output (row r, index i), read as a scalar.
float at(uint r, uint i) {
    bool first = i < pc.split;
    int k = first ? int(i) + pc.a_off : int(i - pc.split) + pc.b_off;
    uint len = first ? pc.A : pc.B;
    bool inside = uint(k) < len;  // a negative k wraps: outside
    uint where = inside ? r * len + uint(k) : 0u;
    float v;
    if (first) v = LOAD4_1(a, where);  // a branch: one fetch where the device branches
    else v = LOAD4_1(b, where);
    return inside ? v : 0.0;
}

void main() {
    uint q = alvk_flat_index(), e = 4u * q;
    if (e >= pc.n) return;
    // One division per invocation, not one per value (lavapipe divides
    // lane by lane: AVX2 has no vector integer division).
    uint r = e / pc.Y, i = e - r * pc.Y;
    bool first = i < pc.split;
    int k = first ? int(i) + pc.a_off : int(i - pc.split) + pc.b_off;
    uint len = first ? pc.A : pc.B, from = r * len + uint(k);
    if (VEC4 != 0u) {
        bool inside = uint(k) < len;
        uint w = inside ? from >> 2 : 0u;
        vec4 v;
        if (first) v = LOAD4(a, w);
        else v = LOAD4(b, w);
        y[q] = inside ? v : vec4(0.0);
        return;
    }
    uint rows = pc.n / pc.Y;
    vec4 v;
    [[unroll]] for (uint c = 0u; c < 4u; c++) {
        v[c] = at(min(r, rows - 1u), i);  // past the end (the last vec4): a value not stored
        bool wrap = ++i == pc.Y;
        r += wrap ? 1u : 0u;
        i = wrap ? 0u : i;
    }
    if (e + 3u < pc.n) {
        y[q] = v;  // a whole vec4: one store
        return;
    }
    for (uint c = 0u; c < 4u && e + c < pc.n; c++) y[q][c] = v[c];
}
