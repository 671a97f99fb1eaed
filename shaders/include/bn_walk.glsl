// Batch norm's walks (bn_apply.comp describes them): how many items a
// walk has over a block of B channels from c0 (B = C from c0 = 0: all of
// them), and the walk's number of the block's item u, as item() takes it.
// Needs: spec constant WALK; push constants N, C, ASEGS; uint c0.
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
