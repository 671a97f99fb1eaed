/* The pipeline cache file. Its header carries the device identity because a
 * driver handed a foreign blob may crash rather than reject it; the checksum
 * catches a file that is damaged but still long enough. */
#include "pipeline_cache.h"
#include "context.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(_WIN32)
#include <direct.h>
#include <process.h>
#define mkdir_one(p) _mkdir(p)
#define process_id() _getpid()
#else
#include <unistd.h>
#define mkdir_one(p) mkdir(p, 0755)
#define process_id() getpid()
#endif

#define CACHE_MAGIC "ALVKPCH"
#define CACHE_VERSION 1u

typedef struct cache_header {
    char magic[8];
    uint32_t version;
    uint32_t vendor_id, device_id, driver_version;
    uint8_t uuid[VK_UUID_SIZE];
    uint64_t data_size;
    uint64_t checksum;
} cache_header;

static uint64_t fnv1a(const void *data, size_t n) {
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void expected_header(const alvk_context *ctx, cache_header *h) {
    VkPhysicalDeviceProperties props;
    ctx->vk.vkGetPhysicalDeviceProperties(ctx->gpu, &props);
    memset(h, 0, sizeof *h);
    memcpy(h->magic, CACHE_MAGIC, sizeof h->magic);
    h->version = CACHE_VERSION;
    h->vendor_id = props.vendorID;
    h->device_id = props.deviceID;
    h->driver_version = props.driverVersion;
    memcpy(h->uuid, props.pipelineCacheUUID, VK_UUID_SIZE);
}

void alvk_disk_cache_path(const alvk_context *ctx, const char *kind, char *path, size_t n) {
    cache_header h;
    expected_header(ctx, &h);
    char uuid[2 * VK_UUID_SIZE + 1];
    for (unsigned i = 0; i < VK_UUID_SIZE; i++) snprintf(uuid + 2 * i, 3, "%02x", h.uuid[i]);
    snprintf(path, n, "%s/%s-%04x-%04x-%s.bin", ctx->cache_dir, kind, h.vendor_id, h.device_id,
             uuid);
}

void *alvk_disk_cache_load(alvk_context *ctx, const char *kind, size_t *size) {
    *size = 0;
    char path[1200];
    alvk_disk_cache_path(ctx, kind, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        alvk_log(&ctx->log, ALVK_LOG_DEBUG, "no %s cache at %s yet", kind, path);
        return NULL;
    }
    cache_header want, got;
    expected_header(ctx, &want);
    const char *why = NULL;
    void *data = NULL;
    if (fread(&got, sizeof got, 1, f) != 1) why = "shorter than its header";
    else if (memcmp(got.magic, want.magic, sizeof got.magic) || got.version != want.version)
        why = "not an alvk pipeline cache of this version";
    else if (got.vendor_id != want.vendor_id || got.device_id != want.device_id ||
             got.driver_version != want.driver_version || memcmp(got.uuid, want.uuid, VK_UUID_SIZE))
        why = "written for another device or driver";
    else if (got.data_size > ((uint64_t)1 << 31) || !(data = malloc(got.data_size ? got.data_size : 1)))
        why = "of an impossible size";
    else if (fread(data, 1, got.data_size, f) != got.data_size) why = "truncated";
    else if (fnv1a(data, got.data_size) != got.checksum) why = "damaged (checksum mismatch)";
    fclose(f);
    if (why) {
        alvk_log(&ctx->log, ALVK_LOG_WARN, "ignoring %s cache %s: %s", kind, path, why);
        free(data);
        return NULL;
    }
    *size = got.data_size;
    return data;
}

/* mkdir -p, tolerating directories that already exist. */
static int make_dirs(const char *dir) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir_one(tmp) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir_one(tmp) != 0 && errno != EEXIST ? -1 : 0;
}

int alvk_disk_cache_save(alvk_context *ctx, const char *kind, const void *data, size_t size) {
    char path[1200], tmp[1300];
    alvk_disk_cache_path(ctx, kind, path, sizeof path);
    /* One temporary name per process: concurrent writers never collide, and
     * the rename makes whichever finishes last the cache. */
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)process_id());
    if (make_dirs(ctx->cache_dir) != 0) {
        alvk_log(&ctx->log, ALVK_LOG_WARN, "cannot create %s: %s; %s cache not saved",
                 ctx->cache_dir, strerror(errno), kind);
        return 0;
    }
    cache_header h;
    expected_header(ctx, &h);
    h.data_size = size;
    h.checksum = fnv1a(data, size);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(&h, sizeof h, 1, f) == 1 && fwrite(data, 1, size, f) == size;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok) {
        alvk_log(&ctx->log, ALVK_LOG_WARN, "cannot write %s cache %s: %s", kind, path,
                 strerror(errno));
        remove(tmp);
        return 0;
    }
    alvk_log(&ctx->log, ALVK_LOG_DEBUG, "saved %zu bytes of %s cache to %s", size, kind, path);
    return 1;
}
