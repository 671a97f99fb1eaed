/* The counter-based random generator: every value is a hash of (seed,
 * stream, counter), so a tensor's initial values do not depend on what was
 * drawn before it, and a seed reproduces a run exactly. The mixer is
 * SplitMix64's finaliser applied to a Weyl-sequence position. */
#include "random.h"
#include "alvk/alvk.h" /* alvk_random is public */

#include <math.h>

static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t alvk_random_u64(uint64_t seed, uint64_t stream, uint64_t counter) {
    return mix(mix(seed + 0x9e3779b97f4a7c15ull * (stream + 1)) + 0x9e3779b97f4a7c15ull * (counter + 1));
}

double alvk_random_uniform(uint64_t seed, uint64_t stream, uint64_t counter) {
    return (double)(alvk_random_u64(seed, stream, counter) >> 11) * (1.0 / 9007199254740992.0);
}

double alvk_random_normal(uint64_t seed, uint64_t stream, uint64_t counter) {
    double u1 = alvk_random_uniform(seed, stream, 2 * counter);
    double u2 = alvk_random_uniform(seed, stream, 2 * counter + 1);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

uint64_t alvk_random(uint64_t seed, uint64_t stream, uint64_t counter) {
    return alvk_random_u64(seed, stream, counter);
}
