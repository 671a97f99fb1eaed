/* The kernel choices a device measured (the GEMM variant, whether long-K
 * GEMMs split, whether small sums run serially, whether workgroup sums use
 * subgroup operations, whether a convolution's two packs or transforms
 * share a dispatch), kept on disk beside the pipeline cache under the
 * same header (device, driver, checksum), so a new process does not race
 * them again: on lavapipe a race compiles every variant, seconds per
 * context. A file that is missing, damaged or of another device is a miss:
 * every choice is raced again when first needed and the file rewritten.
 * Used only when the pipeline cache is (ALVK_PIPELINE_CACHE=0 turns both
 * off). */
#include "ops.h"
#include "vk/context.h"
#include "vk/pipeline_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND "choices"

/* What the file holds: the choices measured under each read path (a
 * context's path can differ from the last one's where the probe calls the
 * paths even, or where ALVK_READ_PATH forces one); version bumps when its
 * meaning changes. */
typedef struct entry {
    int32_t gemm_variants, gemm_variant, gemm_split, bn_serial, group_sum_sg, paired;
} entry;
typedef struct stored {
    uint32_t version;
    entry path[2]; /* [ALVK_READ_SSBO], [ALVK_READ_TEXEL] */
} stored;
#define STORED_VERSION 6u

static int known_or_unset(int32_t v, int32_t n) { return v >= -1 && v < n; }
static int valid(const entry *e) {
    return e->gemm_variants >= 0 && known_or_unset(e->gemm_variant, e->gemm_variants) &&
           known_or_unset(e->gemm_split, 2) && known_or_unset(e->bn_serial, 2) &&
           known_or_unset(e->group_sum_sg, 2) && known_or_unset(e->paired, 2);
}

/* The file's entries; both unknown where it is missing or damaged (a
 * warning says so when `warn`). */
static stored load(alvk_context *ctx, int warn) {
    entry unknown = {0, -1, -1, -1, -1, -1};
    stored out = {STORED_VERSION, {unknown, unknown}};
    size_t size;
    stored *s = ctx->pipeline_cache ? alvk_disk_cache_load(ctx, KIND, &size) : NULL;
    int ok = s && size == sizeof *s && s->version == STORED_VERSION && valid(&s->path[0]) &&
             valid(&s->path[1]);
    if (s && !ok && warn) alvk_log(&ctx->log, ALVK_LOG_WARN, "ignoring the " KIND " cache: not of this build");
    if (ok) out = *s;
    free(s);
    return out;
}

alvk_choices *alvk_choices_get(alvk_context *ctx) {
    alvk_choices *c = &ctx->choices;
    if (c->loaded) return c;
    entry e = load(ctx, 1).path[alvk_ops_read_path(ctx)];
    *c = (alvk_choices){.loaded = 1, .gemm_variants = e.gemm_variants, .gemm_variant = e.gemm_variant,
                        .gemm_split = e.gemm_split, .bn_serial = e.bn_serial,
                        .group_sum_sg = e.group_sum_sg, .paired = e.paired};
    return c;
}

void alvk_choices_save(alvk_context *ctx) {
    const alvk_choices *c = alvk_choices_get(ctx);
    if (!ctx->pipeline_cache) return;
    stored s = load(ctx, 0); /* keeps the other read path's entry */
    s.path[alvk_ops_read_path(ctx)] =
        (entry){c->gemm_variants, c->gemm_variant, c->gemm_split, c->bn_serial, c->group_sum_sg, c->paired};
    alvk_disk_cache_save(ctx, KIND, &s, sizeof s);
}

/* ---- choices as text: one process's for another ------------------------- */

/* The device (vendor, device, driver version) and each choice that can
 * change a result, -1 where none was needed yet. */
#define TEXT "alvk-choices 1 device %x:%x:%x read %d gemm %d %d split %d serial %d sg %d"

alvk_status alvk_context_choices(alvk_context *ctx, char *text, size_t size) {
    alvk_status s = handle_check(ctx, HANDLE_CONTEXT, "alvk_context_choices");
    if (s != ALVK_OK) return s;
    if (!text || size < 2) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_context_choices: no room");
    const alvk_choices *c = alvk_choices_get(ctx);
    const alvk_device_info *d = &ctx->infos[ctx->device_index];
    int read = alvk_ops_read_path(ctx);
    int n = snprintf(text, size, TEXT, d->vendor_id, d->device_id, d->driver_version, read, c->gemm_variants,
                     c->gemm_variant, c->gemm_split, c->bn_serial, c->group_sum_sg);
    if (n < 0 || (size_t)n >= size)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_context_choices: %zu bytes of room, %d needed", size,
                          n + 1);
    return ALVK_OK;
}

alvk_status alvk_choices_take(alvk_context *ctx, const char *text) {
    const alvk_device_info *d = &ctx->infos[ctx->device_index];
    unsigned vendor, device, driver;
    int read, end = 0;
    entry e;
    int n = sscanf(text, TEXT "%n", &vendor, &device, &driver, &read, &e.gemm_variants, &e.gemm_variant,
                   &e.gemm_split, &e.bn_serial, &e.group_sum_sg, &end);
    e.paired = -1; /* not in the text: it changes no result, so each process races its own */
    if (n != 9 || text[end] || (read != ALVK_READ_SSBO && read != ALVK_READ_TEXEL) || !valid(&e))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_context_desc.choices is not alvk_context_choices' "
                          "text of this build: '%.120s'", text);
    if (vendor != d->vendor_id || device != d->device_id || driver != d->driver_version) {
        alvk_log(&ctx->log, ALVK_LOG_INFO, "kernel choices of another device or driver: measuring this one's");
        return ALVK_OK;
    }
    ctx->read_path = read;
    ctx->choices = (alvk_choices){.loaded = 1, .gemm_variants = e.gemm_variants, .gemm_variant = e.gemm_variant,
                                  .gemm_split = e.gemm_split, .bn_serial = e.bn_serial, .group_sum_sg = e.group_sum_sg,
                                  .paired = e.paired};
    return ALVK_OK;
}

/* How much faster than the default the other way must run to be chosen:
 * the two ways of a yes/no choice round differently, and a near tie must
 * not flip between processes on noise (each one races where no cache is
 * kept), or runs would stop repeating bit for bit. */
#define CHOICE_MARGIN 0.10

int alvk_choice_flag(alvk_context *ctx, int forced, int *field, int fallback,
                     int (*race)(alvk_context *ctx, double ms[2]), int save) {
    if (forced >= 0) return forced;
    alvk_choices_get(ctx);
    if (*field >= 0) return *field;
    *field = fallback; /* while the race runs (it may record this op), and if it finds nothing */
    double ms[2] = {-1, -1};
    int winner = race(ctx, ms);
    if (winner >= 0 && winner != fallback && ms[fallback] > 0 && ms[winner] > (1 - CHOICE_MARGIN) * ms[fallback])
        winner = fallback;
    if (winner >= 0) {
        *field = winner;
        if (save) alvk_choices_save(ctx);
    }
    return *field;
}
