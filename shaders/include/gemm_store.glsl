// What the two GEMM kernels share (gemm.comp: register tiles;
// gemm_smem.comp: shared-memory blocks): the interface (specialisation
// constants 3-5, push constants, bindings), how they load a vec4 of an
// operand, and the store of a 4x4 block.
// Each kernel sets m0, n0 (its block's origin in C) and cz (where this
// batch's C starts) before storing.
layout(constant_id = 3) const uint HAS_BIAS = 0;
layout(constant_id = 4) const uint ACCUMULATE = 0;  // beta != 0: read C
// C_LAYOUT 1: row m of C is pixel (image m / P, position m % P) and column
// n a channel, stored NCHW (convolutions); otherwise C is row-major with
// ldc, and C_LAYOUT 2 says every block's row is one whole, aligned vec4 (N,
// ldc and sc multiples of 4). C_LAYOUT 3 is NCHW with P and sc multiples
// of 4: a block's column (4 pixels of one image in one channel) is one
// whole, aligned vec4. Lavapipe predicates an `if` rather than
// branching, and pays for a store's lanes whether or not they are on, so
// the scalar stores for partial vec4s cost every block even where none is
// partial unless the constant removes them.
layout(constant_id = 5) const uint C_LAYOUT = 0;
layout(push_constant) uniform Push { uint M, N, K, lda, ldb, ldc; float alpha, beta; uint P, sa, sb, sc; } pc;
ALVK_IN4(0, At);
ALVK_IN4(1, B);
layout(std430, binding = 2) buffer Cbuf { vec4 C[]; };
ALVK_IN1(3, bias);
// A fused epilogue (ops.h: alvk_epilogue): C = relu?(C + residual?) *
// (mask > 0)? (the mask: a ReLU's gradient), residual and mask laid out as
// C is.
layout(constant_id = 9) const uint RESIDUAL = 0;
layout(constant_id = 10) const uint RELU = 0;
layout(constant_id = 11) const uint MASK = 0;
ALVK_IN4(4, residual);
ALVK_IN4(5, mask);
uint m0, n0, cz;


// Storage-buffer reads assemble each vec4 from four scalar loads: NVIDIA's
// Vulkan compiler (driver 580.159.04, H200) computed wrong results from
// direct vec4 loads in every gemm.comp tile with KU = 8 (8x8, 4x8, 8x4, 4x4; 16x16
// with KU = 1 and every texel-buffer variant were right). Found by bisection
// on the GPU (alvk-bench checks); this scalar form ran correctly there. The
// texel path keeps its vec4 fetches.
#if ALVK_TEXEL
#define GEMM_LOAD4(X, q) LOAD4(X, q)
#else
#define GEMM_LOAD4(X, q) vec4(LOAD4_1(X, 4u * (q)), LOAD4_1(X, 4u * (q) + 1u), LOAD4_1(X, 4u * (q) + 2u), LOAD4_1(X, 4u * (q) + 3u))
#endif

vec4 epilogue4(vec4 v, uint q) {
    if (RESIDUAL != 0u) v += GEMM_LOAD4(residual, q);
    if (RELU != 0u) v = mix(v, vec4(0.0), lessThan(v, vec4(0.0)));  // as unary.comp's relu
    return MASK != 0u ? v * vec4(greaterThan(GEMM_LOAD4(mask, q), vec4(0.0))) : v;  // unary_backward's
}

float epilogue1(float v, uint i) {
    if (RESIDUAL != 0u) v += LOAD4_1(residual, i);
    if (RELU != 0u && v < 0.0) v = 0.0;
    return MASK != 0u ? v * float(LOAD4_1(mask, i) > 0.0) : v;
}

// C[q] = epilogue(alpha acc + beta C[q] + b): a whole vec4 of C, added in
// the scalar form's order (b: the bias of each value, 0 without one).
void store4(uint q, vec4 acc, vec4 b) {
    vec4 v = pc.alpha * acc;
    if (ACCUMULATE != 0u) v += pc.beta * C[q];
    if (HAS_BIAS != 0u) v += b;
    C[q] = epilogue4(v, q);
}

// Writes the 4x4 block (i, j) of the tile: a row's 4 columns as one vec4
// store where C is row-major with whole, aligned vec4s (lavapipe stores
// lane by lane, so 4 scalar stores cost nearly 4 times one vec4 store, and
// with a short K the stores rival the FMAs), scalars otherwise.
void store_block(uint i, uint j, vec4 c0, vec4 c1, vec4 c2, vec4 c3) {
    vec4 cols[4] = vec4[4](c0, c1, c2, c3);
    uint n = n0 + 4u * j;
    if (C_LAYOUT == 3u) {  // a column of the block: 4 pixels of channel n + c
        uint m = m0 + 4u * i;
        if (m >= pc.M) return;
        uint pixels = cz + (m / pc.P) * pc.N * pc.P + m % pc.P;
        [[unroll]] for (uint c = 0u; c < 4u; c++) {
            if (n + c >= pc.N) return;
            store4((pixels + (n + c) * pc.P) >> 2, cols[c],
                   HAS_BIAS != 0u ? vec4(LOAD1(bias, n + c)) : vec4(0.0));
        }
        return;
    }
    if (C_LAYOUT == 2u && n >= pc.N) return;
    bool whole = C_LAYOUT == 2u || (C_LAYOUT == 0u && (pc.ldc & 3u) == 0u && (cz & 3u) == 0u && n + 3u < pc.N);
    [[unroll]] for (uint r = 0u; r < 4u; r++) {
        uint m = m0 + 4u * i + r;
        if (m >= pc.M) return;
        uint row = cz + (C_LAYOUT == 1u ? (m / pc.P) * pc.N * pc.P + m % pc.P : m * pc.ldc);
        uint col_stride = C_LAYOUT == 1u ? pc.P : 1u;
        if (whole) {
            vec4 b = vec4(0.0);
            if (HAS_BIAS != 0u)
                b = vec4(LOAD1(bias, n), LOAD1(bias, n + 1u), LOAD1(bias, n + 2u), LOAD1(bias, n + 3u));
            store4((row + n) >> 2, vec4(cols[0][r], cols[1][r], cols[2][r], cols[3][r]), b);
            continue;
        }
        if (C_LAYOUT == 2u) continue;
        [[unroll]] for (uint c = 0u; c < 4u; c++) {
            uint ci = row + (n + c) * col_stride;
            if (n + c < pc.N) {
                float v = pc.alpha * cols[c][r];
                if (ACCUMULATE != 0u) v += pc.beta * C[ci >> 2][ci & 3u];
                if (HAS_BIAS != 0u) v += LOAD1(bias, n + c);
                C[ci >> 2][ci & 3u] = epilogue1(v, ci);
            }
        }
    }
}
