/* The GEMM variant a device measured fastest (and the read path it was
 * measured under), kept on disk beside the pipeline cache under the same header
 * (device, driver, checksum), so a new process does not race them again:
 * on lavapipe a race compiles every variant, seconds per context. A file
 * that is missing, damaged, of another device or names a variant this
 * build does not have is a miss: the race runs and the file is rewritten.
 * Used only when the pipeline cache is (ALVK_PIPELINE_CACHE=0 turns both
 * off). */
#include "ops.h"
#include "vk/context.h"
#include "vk/pipeline_cache.h"

#include <stdlib.h>
#include <string.h>

#define KIND "choices"

/* What the file holds; version bumps when its meaning changes. */
typedef struct stored {
    uint32_t version, read_path, gemm_variants, gemm_variant;
} stored;
#define STORED_VERSION 1u

int alvk_choices_load(alvk_context *ctx, uint32_t gemm_variants, alvk_choices *out) {
    size_t size;
    stored *s = ctx->pipeline_cache ? alvk_disk_cache_load(ctx, KIND, &size) : NULL;
    int ok = s && size == sizeof *s && s->version == STORED_VERSION &&
             s->read_path <= ALVK_READ_TEXEL && s->gemm_variants == gemm_variants &&
             s->gemm_variant < gemm_variants;
    if (s && !ok) alvk_log(&ctx->log, ALVK_LOG_WARN, "ignoring the " KIND " cache: not of this build");
    if (ok) *out = (alvk_choices){(int)s->read_path, (int)s->gemm_variant};
    free(s);
    return ok;
}

void alvk_choices_save(alvk_context *ctx, uint32_t gemm_variants, const alvk_choices *c) {
    if (!ctx->pipeline_cache || c->read_path < 0 || c->gemm_variant < 0) return;
    stored s = {STORED_VERSION, (uint32_t)c->read_path, gemm_variants, (uint32_t)c->gemm_variant};
    alvk_disk_cache_save(ctx, KIND, &s, sizeof s);
}
