/* Status strings, the thread-local last error, VkResult mapping and the
 * logger. The library prints nothing unless a log level asks for it. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALVK_STR(x) #x
#define ALVK_XSTR(x) ALVK_STR(x)

const char *alvk_version(void) {
    return ALVK_XSTR(ALVK_VERSION_MAJOR) "." ALVK_XSTR(ALVK_VERSION_MINOR) "." ALVK_XSTR(
        ALVK_VERSION_PATCH);
}

const char *alvk_status_str(alvk_status status) {
    static const char *const messages[] = {
#define ALVK_STATUS_MSG(code, msg) msg,
        ALVK_STATUS_LIST(ALVK_STATUS_MSG)
#undef ALVK_STATUS_MSG
    };
    if ((unsigned)status >= ALVK_STATUS_COUNT) return "unknown status";
    return messages[status];
}

/* One message per thread, so two threads using two contexts never mix up
 * their errors. */
static _Thread_local char last_error[1024];

const char *alvk_last_error(void) {
    return last_error[0] ? last_error : "no error";
}

alvk_status alvk_error(alvk_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

const char *alvk_vk_result_str(VkResult result) {
    switch (result) {
#define CASE(r) case r: return #r;
        CASE(VK_SUCCESS) CASE(VK_NOT_READY) CASE(VK_TIMEOUT) CASE(VK_INCOMPLETE)
        CASE(VK_ERROR_OUT_OF_HOST_MEMORY) CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        CASE(VK_ERROR_INITIALIZATION_FAILED) CASE(VK_ERROR_DEVICE_LOST)
        CASE(VK_ERROR_MEMORY_MAP_FAILED) CASE(VK_ERROR_LAYER_NOT_PRESENT)
        CASE(VK_ERROR_EXTENSION_NOT_PRESENT) CASE(VK_ERROR_FEATURE_NOT_PRESENT)
        CASE(VK_ERROR_INCOMPATIBLE_DRIVER) CASE(VK_ERROR_TOO_MANY_OBJECTS)
        CASE(VK_ERROR_FORMAT_NOT_SUPPORTED) CASE(VK_ERROR_FRAGMENTED_POOL)
        CASE(VK_ERROR_OUT_OF_POOL_MEMORY) CASE(VK_ERROR_INVALID_SHADER_NV)
        CASE(VK_ERROR_VALIDATION_FAILED_EXT) CASE(VK_ERROR_UNKNOWN)
#undef CASE
    default: return "VkResult (unnamed)";
    }
}

alvk_status alvk_vk_error(VkResult result, const char *what) {
    alvk_status status = ALVK_ERROR_VULKAN;
    if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY) status = ALVK_ERROR_OUT_OF_DEVICE_MEMORY;
    if (result == VK_ERROR_OUT_OF_HOST_MEMORY) status = ALVK_ERROR_OUT_OF_HOST_MEMORY;
    if (result == VK_ERROR_DEVICE_LOST) status = ALVK_ERROR_DEVICE_LOST;
    if (result == VK_ERROR_VALIDATION_FAILED_EXT) status = ALVK_ERROR_VALIDATION;
    return alvk_error(status, "%s failed: %s (%d)", what, alvk_vk_result_str(result), (int)result);
}

void alvk_logger_init(alvk_logger *log, alvk_log_level level, alvk_log_fn fn, void *user) {
    log->level = level != ALVK_LOG_DEFAULT ? level : ALVK_LOG_OFF;
    log->fn = fn;
    log->user = user;
}

void alvk_log(const alvk_logger *log, alvk_log_level level, const char *fmt, ...) {
    if (!log || level < log->level || log->level == ALVK_LOG_OFF) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log->fn) {
        log->fn(log->user, level, msg);
        return;
    }
    static const char *const tags[] = {"", "debug", "info", "warn", "error", ""};
    fprintf(stderr, "alvk %s: %s\n", tags[level], msg);
}

const char *alvk_format_bytes(char buf[32], uint64_t bytes) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 4) v /= 1024.0, u++;
    if (u == 0) snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
    else snprintf(buf, 32, "%.2f %s", v, units[u]);
    return buf;
}

alvk_status alvk_check_room(const char *fn, const void *data, size_t bytes, uint64_t need,
                            const char *of) {
    if (!data) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: data is NULL", fn);
    if (bytes < need)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "%s: %zu bytes at data, %s needs %llu", fn,
                          bytes, of, (unsigned long long)need);
    return ALVK_OK;
}
