#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// The GPU-class GEMM: C[M,N] = alpha * A^T B + beta * C (+ bias[n]) on the
// same packed operands and interface as gemm.comp (At[k][m], B[k][n], K
// and row strides multiples of 8), by blocks in shared memory. A workgroup
// of 256 lanes owns a 64x64 block of C, each lane a 4x4 piece of it. Per
// step of 8 along K, the workgroup loads an 8x64 slice of At and of B into
// shared memory, one vec4 per lane (lanes 0-127 At, 128-255 B: coalesced
// rows; vec4 loads, assembled from scalars on storage buffers as in
// gemm.comp), then every lane reads 2 vec4 per k for 16 FMAs. Two slices
// alternate (double buffering): the next slice is fetched into registers
// before the current one is used, so one barrier per step orders it all.
// On lavapipe, where a workgroup is a loop on one core, this loses to
// gemm.comp's register tiles; the race decides per device.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "gemm_store.glsl"

#define BLOCK 64u  // C block per workgroup, rows and columns
#define BK 8u      // K per step: the operands' padding, so no K guard

shared vec4 slice[2][2][BK][BLOCK / 4u];  // [buffer][At, B][k][vec4 of the block row]

// The vec4 this lane fetches for step k0: operand `which` (0 At, 1 B), row
// k0 + kr, vec4 q of the block's row; zero past the vec4 that holds the
// operand's last column (`rows`: M for At, N for B).
vec4 fetch(uint which, uint k0, uint kr, uint q, uint base, uint ld, uint origin, uint rows) {
    uint col = origin / 4u + q;
    if (4u * col >= rows) return vec4(0.0);
    uint i = (base + (k0 + kr) * ld) / 4u + col;
    return which == 0u ? GEMM_LOAD4(At, i) : GEMM_LOAD4(B, i);
}

void main() {
    uint blocks_n = (pc.N + BLOCK - 1u) / BLOCK;
    uint blk = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    uint bm = (blk / blocks_n) * BLOCK, bn = (blk % blocks_n) * BLOCK;
    if (bm >= pc.M) return;  // whole workgroups only: the barriers stay uniform
    uint lane = gl_LocalInvocationID.x, z = gl_WorkGroupID.z;
    uint which = lane / 128u, kr = (lane % 128u) / 16u, q = lane % 16u;
    uint base = which == 0u ? z * pc.sa : z * pc.sb, ld = which == 0u ? pc.lda : pc.ldb;
    uint origin = which == 0u ? bm : bn, rows = which == 0u ? pc.M : pc.N;
    uint ty = lane / 16u, tx = lane % 16u;  // this lane's 4x4: rows 4 ty, columns 4 tx
    vec4 acc0 = vec4(0.0), acc1 = vec4(0.0), acc2 = vec4(0.0), acc3 = vec4(0.0);

    slice[0][which][kr][q] = fetch(which, 0u, kr, q, base, ld, origin, rows);
    barrier();
    uint cur = 0u;
    for (uint k0 = 0u; k0 < pc.K; k0 += BK) {
        bool more = k0 + BK < pc.K;
        vec4 next = more ? fetch(which, k0 + BK, kr, q, base, ld, origin, rows) : vec4(0.0);
        [[unroll]] for (uint k = 0u; k < BK; k++) {
            vec4 a = slice[cur][0][k][ty], b = slice[cur][1][k][tx];
            acc0 += a * b.x;
            acc1 += a * b.y;
            acc2 += a * b.z;
            acc3 += a * b.w;
        }
        if (more) slice[1u - cur][which][kr][q] = next;
        barrier();
        cur = 1u - cur;
    }
    m0 = bm + 4u * ty, n0 = bn + 4u * tx, cz = z * pc.sc;
    if (m0 < pc.M && n0 < pc.N) store_block(0u, 0u, acc0, acc1, acc2, acc3);
}
