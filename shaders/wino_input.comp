#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(2x2, 3x3): the tile transforms of an activation (see
// engine/ops/conv.c). Tile t = (n, th, tw) covers output pixels 2th..2th+1
// x 2tw..2tw+1. MODE says what becomes of it:
//   0  V = B^T d B of the 4x4 input patch d at (2th - pad, 2tw - pad), zeros
//      outside the image, written v[xi][c][t] (forward and data gradient:
//      the GEMMs' A, K = channels);
//   1  the same V written v[xi][t][c] (weight gradient: A, K = tiles);
//   2  Z = A dy A^T of the 2x2 tile of dy itself (pad 0), written
//      v[xi][t][c] (weight gradient: B).
// xi = 4 row + column of the 4x4 result; each xi is a [rows][ld] block,
// zero past C and T. An invocation makes 4 results along a row of that
// block (4 tiles in mode 0, 4 channels otherwise) and stores whole vec4s;
// every lane loads (index 0 where there is nothing) and selects, as
// conv_pack.comp does.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint MODE = 0;
layout(push_constant) uniform Push { uint C, H, W, pad, TH, TW, T, ld, rows; } pc;
ALVK_IN1(0, x);
layout(std430, binding = 1) writeonly buffer Vbuf { vec4 v[]; };

const uint P = MODE == 2u ? 2u : 4u;  // the patch read per tile

// B^T (modes 0, 1) or A (mode 2, on the first two values) along one axis.
vec4 tr(vec4 d) {
    if (MODE == 2u) return vec4(d.x, d.x + d.y, d.x - d.y, -d.y);
    return vec4(d.x - d.z, d.y + d.z, d.z - d.y, d.y - d.w);
}

void main() {
    uint col = gl_GlobalInvocationID.x * 4u, row = gl_GlobalInvocationID.y;
    if (col >= pc.ld || row >= pc.rows) return;
    bool by_tile = MODE == 0u;
    uint t = by_tile ? col : row, c = by_tile ? row : col;
    uint tw = t % pc.TW, th = (t / pc.TW) % pc.TH, n = t / (pc.TW * pc.TH);
    float o[16][4];
    [[unroll]] for (uint r = 0u; r < 4u; r++) {
        bool live = t < pc.T && c < pc.C;
        int ih0 = int(2u * th) - int(pc.pad), iw0 = int(2u * tw) - int(pc.pad);
        uint base = (n * pc.C + c) * pc.H * pc.W;
        vec4 rows[4];  // rows[i]: row i of the patch transformed along w
        [[unroll]] for (uint i = 0u; i < P; i++) {
            vec4 d = vec4(0.0);
            [[unroll]] for (uint j = 0u; j < P; j++) {
                int ih = ih0 + int(i), iw = iw0 + int(j);
                bool ok = live && uint(ih) < pc.H && uint(iw) < pc.W;
                float val = LOAD1(x, ok ? base + uint(ih) * pc.W + uint(iw) : 0u);
                d[j] = ok ? val : 0.0;
            }
            rows[i] = tr(d);
        }
        [[unroll]] for (uint b = 0u; b < 4u; b++) {
            vec4 along_h = vec4(rows[0][b], rows[1][b], P > 2u ? rows[2][b] : 0.0, P > 2u ? rows[3][b] : 0.0);
            vec4 res = tr(along_h);
            [[unroll]] for (uint a = 0u; a < 4u; a++) o[4u * a + b][r] = res[a];
        }
        if (!by_tile) {
            c++;
        } else {
            t++;
            if (++tw == pc.TW) {
                tw = 0u;
                if (++th == pc.TH) th = 0u, n++;
            }
        }
    }
    uint q = (row * pc.ld + col) / 4u, block = pc.rows * pc.ld / 4u;
    [[unroll]] for (uint xi = 0u; xi < 16u; xi++)
        v[xi * block + q] = vec4(o[xi][0], o[xi][1], o[xi][2], o[xi][3]);
}
