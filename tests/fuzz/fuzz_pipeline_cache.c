/* Fuzz harness: the pipeline-cache file as a context loads it at creation
 * (header, device identity, checksum, then the blob handed to the driver)
 * and the kernel-choices file of the same directory. */
#include "fuzz_common.h"
#include "vk/context.h"
#include "vk/pipeline_cache.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char pipelines[1200], choices[1200];
    alvk_context_desc desc = {.validation = -1, .pipeline_cache = 1, .cache_dir = fuzz_dir(),
                              .log_level = ALVK_LOG_ERROR};
    alvk_context *ctx;
    if (!pipelines[0]) { /* the file names carry the device's identity */
        if (alvk_context_create(&desc, &ctx) != ALVK_OK) abort();
        alvk_disk_cache_path(ctx, "pipelines", pipelines, sizeof pipelines);
        alvk_disk_cache_path(ctx, "choices", choices, sizeof choices);
        alvk_context_destroy(ctx);
    }
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(i ? choices : pipelines, "wb");
        if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();
    }
    if (alvk_context_create(&desc, &ctx) == ALVK_OK) {
        size_t n;
        free(alvk_disk_cache_load(ctx, "choices", &n));
        alvk_context_destroy(ctx);
    }
    return 0;
}
