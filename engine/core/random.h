/* The counter-based random generator (random.c). */
#ifndef ALVK_RANDOM_H
#define ALVK_RANDOM_H

#include <stdint.h>

/* The counter-based generator all of alvk's randomness comes from: value
 * number `counter` of stream `stream` under `seed`, the same whatever is
 * drawn before or after it. */
uint64_t alvk_random_u64(uint64_t seed, uint64_t stream, uint64_t counter);
/* Uniform in [0, 1) with 53 bits, and standard normal (Box-Muller over two
 * consecutive counters). */
double alvk_random_uniform(uint64_t seed, uint64_t stream, uint64_t counter);
double alvk_random_normal(uint64_t seed, uint64_t stream, uint64_t counter);

#endif
