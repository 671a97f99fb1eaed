/* Fuzz harness: alvk_params_load (the safetensors header parser, the
 * checks against the store, the non-finite scan) into a small MLP store
 * "m" (m.0: 2 -> 3, m.1: 3 -> 2) on the default device, made once. */
#include "fuzz_common.h"

#include <alvk/alvk.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static alvk_context *ctx;
    static alvk_params *params;
    if (!params) {
        alvk_context_desc desc = {.validation = -1, .pipeline_cache = -1};
        if (alvk_context_create(&desc, &ctx) != ALVK_OK || alvk_params_create(ctx, &params) != ALVK_OK ||
            alvk_model_mlp(params, "m", 2, (uint32_t[]){3}, 1, 2) != ALVK_OK || alvk_params_commit(params) != ALVK_OK) {
            fprintf(stderr, "fuzz_safetensors: no device: %s\n", alvk_last_error());
            abort();
        }
    }
    alvk_params_load(params, fuzz_file("input.safetensors", data, size));
    return 0;
}
