// alvk_random (engine/nn/random.c), the engine's counter-based generator,
// on the device: value `counter` of stream `stream` under `seed` is
// mix(mix(seed + G (stream + 1)) + G (counter + 1)), G the golden-ratio
// constant and mix SplitMix64's finaliser. 64-bit integers are an optional
// device feature, so a uint64 is a uvec2 (low word, high word) and the
// arithmetic is done in 32-bit words, modulo 2^64 as the C code's: the
// device's values equal the host's bit for bit.

uvec2 alvk_u64_add(uvec2 a, uvec2 b) {
    uint carry, lo = uaddCarry(a.x, b.x, carry);
    return uvec2(lo, a.y + b.y + carry);
}

uvec2 alvk_u64_mul(uvec2 a, uvec2 b) {
    uint hi, lo;
    umulExtended(a.x, b.x, hi, lo);
    return uvec2(lo, hi + a.x * b.y + a.y * b.x);
}

// z ^ (z >> s) for 0 < s < 32.
uvec2 alvk_u64_xorshift(uvec2 z, uint s) {
    return z ^ uvec2((z.x >> s) | (z.y << (32u - s)), z.y >> s);
}

uvec2 alvk_mix64(uvec2 z) {
    z = alvk_u64_mul(alvk_u64_xorshift(z, 30u), uvec2(0x1ce4e5b9u, 0xbf58476du));
    z = alvk_u64_mul(alvk_u64_xorshift(z, 27u), uvec2(0x133111ebu, 0x94d049bbu));
    return alvk_u64_xorshift(z, 31u);
}

// seed + G (i + 1), the Weyl sequence's position i.
uvec2 alvk_weyl(uvec2 seed, uvec2 i) {
    return alvk_u64_add(seed, alvk_u64_mul(uvec2(0x7f4a7c15u, 0x9e3779b9u), alvk_u64_add(i, uvec2(1u, 0u))));
}

// What every value of one stream shares: mix(seed + G (stream + 1)).
uvec2 alvk_random_stream(uvec2 seed, uvec2 stream) { return alvk_mix64(alvk_weyl(seed, stream)); }

// alvk_random(seed, stream, counter), given alvk_random_stream(seed, stream).
uvec2 alvk_random_at(uvec2 stream_base, uvec2 counter) { return alvk_mix64(alvk_weyl(stream_base, counter)); }
