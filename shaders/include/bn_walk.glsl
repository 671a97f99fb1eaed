// Batch norm's walks (bn_apply.comp describes them): how many items a
// walk has over a block of B channels from c0 (B = C from c0 = 0: all of
// them), and the walk's number of the block's item u, as item() takes it;
// and the workgroup's block of channels in the one-dispatch kernels.
// Needs: spec constants WALK, SERIAL, BLOCK; push constants N, C, ASEGS;
// uint c0.
uint items(uint B) {
    uint fours = B / 4u;
    if (WALK == 2u) return pc.ASEGS * fours;
    if (WALK == 3u) return pc.ASEGS * B;
    if (WALK == 4u) return pc.N * fours * pc.ASEGS;
    return pc.N * B * pc.ASEGS;
}

uint item_of_block(uint u, uint B) {
    uint fours = B / 4u;
    if (WALK == 2u) return (u / fours) * (pc.C / 4u) + c0 / 4u + u % fours;
    if (WALK == 3u) return (u / B) * pc.C + c0 + u % B;
    if (WALK == 4u) {
        uint n = u / (fours * pc.ASEGS), r = u - n * fours * pc.ASEGS;
        return (n * (pc.C / 4u) + c0 / 4u + r / pc.ASEGS) * pc.ASEGS + r % pc.ASEGS;
    }
    uint n = u / (B * pc.ASEGS), r = u - n * B * pc.ASEGS;
    return (n * pc.C + c0 + r / pc.ASEGS) * pc.ASEGS + r % pc.ASEGS;
}

// The workgroup's block: sets c0, returns how many channels it holds (a
// lane per channel when SERIAL, else BLOCK; the last block may be short).
uint block_begin() {
    uint B = SERIAL != 0u ? gl_WorkGroupSize.x : BLOCK;
    c0 = gl_WorkGroupID.x * B;
    return min(B, pc.C - c0);
}

// fn(c, k) for channel c = c0 + k of a block of B: each lane its own
// channel when SERIAL, else every lane through each channel in turn (fn
// sums across the workgroup, so all lanes must reach it).
#define EACH_CHANNEL(fn, B)                                                    \
    if (SERIAL != 0u) {                                                        \
        if (gl_LocalInvocationID.x < B) fn(c0 + gl_LocalInvocationID.x, gl_LocalInvocationID.x); \
    } else {                                                                   \
        for (uint k_ = 0u; k_ < B; k_++) fn(c0 + k_, k_);                      \
    }
