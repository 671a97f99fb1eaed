#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(F x F, 3x3): the tile transforms of an activation (see
// engine/ops/conv.c and include/winograd.glsl). Tile t = (n, th, tw)
// covers output pixels F th .. F th + F - 1 (and likewise along w). MODE
// says what becomes of it:
//   0  V = B^T d B of the ALPHA x ALPHA input patch d at (F th - pad,
//      F tw - pad), zeros outside the image, written v[xi][c][t] (forward
//      and data gradient: the GEMMs' A, K = channels);
//   1  the same V written v[xi][t][c] (weight gradient: A, K = tiles);
//   2  Z = A dy A^T of the F x F tile of dy itself (pad 0), written
//      v[xi][t][c] (weight gradient: B).
// xi = ALPHA row + column of the result; each xi is a [rows][ld] block,
// zero past C and T. An invocation makes 4 results along a row of that
// block (4 tiles in mode 0, 4 channels otherwise) and stores whole vec4s;
// every lane loads (index 0 where there is nothing) and selects, as
// conv_pack.comp does.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint MODE = 0;
layout(constant_id = 4) const uint F = 2;
// The map's geometry, constant so that where a tile's taps fall is known at
// compile time wherever its position is: mode 0 on maps of 1, 2 or 4 tiles
// (an invocation's 4 tiles then sit at fixed positions: ResNet18's 7x7,
// 4x4 and 2x2 maps), modes 1 and 2 on maps of one tile. There the
// bounds checks fold and taps in the padding load nothing (the transform
// of 128x128x4x4: 2.2 -> 1.8 ms on lavapipe, of 128x256x2x2 1.5 -> 1.0).
layout(constant_id = 5) const uint H = 1;
layout(constant_id = 6) const uint W = 1;
layout(constant_id = 7) const uint PAD = 0;
layout(constant_id = 8) const uint TH = 1;  // tiles along h and w
layout(constant_id = 9) const uint TW = 1;
#include "winograd.glsl"
layout(push_constant) uniform Push { uint C, T, ld, rows; } pc;
ALVK_IN1(0, x);
layout(std430, binding = 1) writeonly buffer Vbuf { vec4 v[]; };

const uint P = MODE == 2u ? F : ALPHA;  // the patch read per tile

// The transform's matrix: B^T (ALPHA x ALPHA), or A (ALPHA x F) in mode 2.
float L(uint a, uint i) { return MODE == 2u ? AT(i, a) : BT(a, i); }

void main() {
    uint col = gl_GlobalInvocationID.x * 4u, row = gl_GlobalInvocationID.y;
    if (col >= pc.ld || row >= pc.rows) return;
    bool by_tile = MODE == 0u;
    uint t = by_tile ? col : row, c = by_tile ? row : col;
    uint tw = t % TW, th = (t / TW) % TH, n = t / (TW * TH);
    // PLANE: the 4 tiles are one whole plane (maps of 2 x 2 tiles, t a
    // multiple of 4), whose tiles overlap by ALPHA - F rows and columns:
    // the plane is loaded once, each value once, and tile r's patch is a
    // window of it at a position known at compile time (ResNet18's 7x7
    // maps: 49 loads instead of 100; 128x64x7x7 on lavapipe 10-25 % faster
    // forward and for the data gradient, in paired runs). Not a const: glslang
    // 11.12 emits an undefined id for a specialisation-constant && here.
    bool PLANE = MODE + uint(TH * TW != 4u) + uint(max(H, W) > 10u) == 0u;
    float img[10][10];  // H, W <= 2 F + 2 (pad <= 2) for F <= 4
    if (PLANE) {
        bool live = t < pc.T && c < pc.C;
        uint base = (n * pc.C + c) * H * W;
        [[unroll]] for (uint i = 0u; i < H; i++)
            [[unroll]] for (uint j = 0u; j < W; j++) {
                float val = LOAD1(x, live ? base + i * W + j : 0u);
                img[i][j] = live ? val : 0.0;
            }
    }
    float o[ALPHA * ALPHA][4];
    [[unroll]] for (uint r = 0u; r < 4u; r++) {
        bool live = t < pc.T && c < pc.C;
        if (PLANE) th = r / TW, tw = r % TW;
        int ih0 = int(F * th) - int(PAD), iw0 = int(F * tw) - int(PAD);
        uint base = (n * pc.C + c) * H * W;
        float d[P][P];
        [[unroll]] for (uint i = 0u; i < P; i++)
            [[unroll]] for (uint j = 0u; j < P; j++) {
                int ih = ih0 + int(i), iw = iw0 + int(j);
                bool in_map = uint(ih) < H && uint(iw) < W;
                if (PLANE) {
                    d[i][j] = in_map ? img[in_map ? ih : 0][in_map ? iw : 0] : 0.0;
                } else {
                    bool ok = live && in_map;
                    float val = LOAD1(x, ok ? base + uint(ih) * W + uint(iw) : 0u);
                    d[i][j] = ok ? val : 0.0;
                }
            }
        float h[P][ALPHA];  // h = d L^T
        [[unroll]] for (uint i = 0u; i < P; i++)
            [[unroll]] for (uint b = 0u; b < ALPHA; b++) {
                float s = 0.0;
                [[unroll]] for (uint j = 0u; j < P; j++) s += d[i][j] * L(b, j);
                h[i][b] = s;
            }
        [[unroll]] for (uint a = 0u; a < ALPHA; a++)
            [[unroll]] for (uint b = 0u; b < ALPHA; b++) {
                float s = 0.0;
                [[unroll]] for (uint i = 0u; i < P; i++) s += L(a, i) * h[i][b];
                o[ALPHA * a + b][r] = s;
            }
        if (!by_tile) {
            c++;
        } else {
            t++;
            if (++tw == TW) {
                tw = 0u;
                if (++th == TH) th = 0u, n++;
            }
        }
    }
    uint q = (row * pc.ld + col) / 4u, block = pc.rows * pc.ld / 4u;
    [[unroll]] for (uint xi = 0u; xi < ALPHA * ALPHA; xi++)
        v[xi * block + q] = vec4(o[xi][0], o[xi][1], o[xi][2], o[xi][3]);
}
