/* The kernel choices a device measured (the GEMM variant, whether long-K
 * GEMMs split, whether small batch-norm channels are summed serially), kept
 * on disk beside the pipeline cache under the same header (device, driver,
 * checksum), so a new process does not race them again: on lavapipe a race
 * compiles every variant, seconds per context. A file that is missing,
 * damaged, of another device or of another read path is a miss: every
 * choice is raced again when first needed and the file rewritten. Used only
 * when the pipeline cache is (ALVK_PIPELINE_CACHE=0 turns both off). */
#include "ops.h"
#include "vk/context.h"
#include "vk/pipeline_cache.h"

#include <stdlib.h>
#include <string.h>

#define KIND "choices"

/* What the file holds; version bumps when its meaning changes. */
typedef struct stored {
    uint32_t version, read_path;
    int32_t gemm_variants, gemm_variant, gemm_split, bn_serial;
} stored;
#define STORED_VERSION 2u

static int known_or_unset(int32_t v, int32_t n) { return v >= -1 && v < n; }

alvk_choices *alvk_choices_get(alvk_context *ctx) {
    alvk_choices *c = &ctx->choices;
    if (c->loaded) return c;
    *c = (alvk_choices){.loaded = 1, .gemm_variant = -1, .gemm_split = -1, .bn_serial = -1};
    size_t size;
    stored *s = ctx->pipeline_cache ? alvk_disk_cache_load(ctx, KIND, &size) : NULL;
    int ok = s && size == sizeof *s && s->version == STORED_VERSION &&
             s->read_path == (uint32_t)alvk_ops_read_path(ctx) && s->gemm_variants >= 0 &&
             known_or_unset(s->gemm_variant, s->gemm_variants) &&
             known_or_unset(s->gemm_split, 2) && known_or_unset(s->bn_serial, 2);
    if (s && !ok) alvk_log(&ctx->log, ALVK_LOG_WARN, "ignoring the " KIND " cache: not of this build");
    if (ok) {
        c->gemm_variants = s->gemm_variants, c->gemm_variant = s->gemm_variant;
        c->gemm_split = s->gemm_split, c->bn_serial = s->bn_serial;
    }
    free(s);
    return c;
}

void alvk_choices_save(alvk_context *ctx) {
    const alvk_choices *c = alvk_choices_get(ctx);
    if (!ctx->pipeline_cache) return;
    stored s = {STORED_VERSION, (uint32_t)alvk_ops_read_path(ctx), c->gemm_variants,
                c->gemm_variant, c->gemm_split, c->bn_serial};
    alvk_disk_cache_save(ctx, KIND, &s, sizeof s);
}
