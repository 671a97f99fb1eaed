/* Fuzz harness: the IDX reader (raw or gzip) as alvk_dataset_load uses it,
 * as an image file and as a label file. */
#include "data/idx.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("input-idx-ubyte", data, size);
    for (uint32_t dims = 1; dims <= 3; dims += 2) {
        alvk_idx idx;
        if (alvk_idx_read(path, dims, &idx) == ALVK_OK) alvk_idx_free(&idx);
    }
    return 0;
}
