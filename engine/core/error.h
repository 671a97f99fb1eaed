/* Errors and logging inside the engine: set the thread's last-error message,
 * map VkResult to alvk_status, and log through the context's logger. */
#ifndef ALVK_ERROR_H
#define ALVK_ERROR_H

#include "alvk/alvk.h"
#include "vk/vk_fns.h"

#if defined(__GNUC__)
#define ALVK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ALVK_PRINTF(a, b)
#endif

/* Records a formatted message as the thread's last error; returns status so
 * callers can write `return alvk_error(...)`. */
alvk_status alvk_error(alvk_status status, const char *fmt, ...) ALVK_PRINTF(2, 3);

/* Maps a failed VkResult to a status, with "what: VK_ERROR_..." as message. */
alvk_status alvk_vk_error(VkResult result, const char *what);
const char *alvk_vk_result_str(VkResult result);

/* The logger of one context (level, callback). */
typedef struct alvk_logger {
    alvk_log_level level;
    alvk_log_fn fn;
    void *user;
} alvk_logger;

/* level: the desc's, else ALVK_LOG's (the caller resolves it; DEFAULT
 * logs nothing). */
void alvk_logger_init(alvk_logger *log, alvk_log_level level, alvk_log_fn fn, void *user);
void alvk_log(const alvk_logger *log, alvk_log_level level, const char *fmt, ...)
    ALVK_PRINTF(3, 4);

/* The host side of a transfer: data is not NULL and holds at least need
 * bytes, else "fn: N bytes at data, <of> needs M" (of: "node 5", ...). */
alvk_status alvk_check_room(const char *fn, const void *data, size_t bytes, uint64_t need,
                            const char *of);

/* "1.50 GiB", "12.0 MiB", "300 B": for messages about sizes. */
const char *alvk_format_bytes(char buf[32], uint64_t bytes);

#endif
