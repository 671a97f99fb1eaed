/* Fuzz harness: alvk run's state-file parser (al_state_load). What a
 * state that parses may still get wrong is run.c's check_state's (tested
 * case by case in tests/state.sh). */
#include "../../apps/alvk/al.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_file("state.txt", data, size);
    al_state st;
    int found;
    if (al_state_load(fuzz_dir(), &st, &found) == EXIT_OK) al_state_free(&st);
    return 0;
}
