/* Every environment variable the engine reads, read here and nowhere else,
 * once per context when it is created: a context's behaviour is fixed from
 * then on (and several contexts may differ), and a value that means
 * nothing is reported once, in that context's log, instead of at every
 * recording that asks. include/alvk/alvk.h documents each variable, and
 * README.md's table repeats it; tests/env.sh checks that the three agree. */
#include "env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The variable's value, or NULL when it is unset or empty (an empty value
 * is how shells unset a variable for one command). */
static const char *value(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void note_ignored(alvk_env *env, const char *name, const char *v, const char *expected,
                         const char *then) {
    if (env->nignored < ALVK_ENV_MAX_IGNORED)
        snprintf(env->ignored[env->nignored++], sizeof env->ignored[0], "%s=%.40s is not %s: %s",
                 name, v, expected, then);
}

/* The index of the variable's value in names, or -1 when unset; a value not
 * in names is noted and ignored. */
static int one_of(alvk_env *env, const char *name, const char *const *names, int n,
                  const char *expected) {
    const char *v = value(name);
    if (!v) return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) return i;
    note_ignored(env, name, v, expected, "ignored");
    return -1;
}

static int flag(alvk_env *env, const char *name) {
    static const char *const names[] = {"0", "1"};
    return one_of(env, name, names, 2, "0 or 1");
}

/* An unknown ALVK_LOG still asks for logging: it logs warnings (among them
 * the one saying so) rather than nothing. */
static alvk_log_level log_level(alvk_env *env) {
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    const char *v = value("ALVK_LOG");
    if (!v) return ALVK_LOG_OFF;
    for (int i = 0; i < 5; i++)
        if (strcmp(v, names[i]) == 0) return (alvk_log_level)(ALVK_LOG_DEBUG + i);
    note_ignored(env, "ALVK_LOG", v, "debug, info, warn, error or off", "logging warnings");
    return ALVK_LOG_WARN;
}

static void copy(char *dst, size_t size, const char *src) {
    snprintf(dst, size, "%s", src ? src : "");
}

/* The pipeline cache's directory, XDG's rule: $XDG_CACHE_HOME/alvk, else
 * $HOME/.cache/alvk; "" when neither is set. */
static void cache_dir(alvk_env *env) {
    const char *xdg = value("XDG_CACHE_HOME"), *home = value("HOME");
    if (xdg) snprintf(env->cache_dir, sizeof env->cache_dir, "%s/alvk", xdg);
    else if (home) snprintf(env->cache_dir, sizeof env->cache_dir, "%s/.cache/alvk", home);
    else env->cache_dir[0] = '\0';
}

/* ALVK_GEMM_TILE: the register tiles of ops/gemm.c's variants, smem, or
 * small (gemm_small.comp for every GEMM it can run). */
static void gemm_tile(alvk_env *env) {
    static const char *const names[] = {"16x16", "16x16h", "8x8", "4x8",
                                        "8x4",   "4x4",    "smem", "small"};
    static const unsigned tiles[][2] = {{16, 16}, {16, 16}, {8, 8}, {4, 8}, {8, 4}, {4, 4}};
    int i = one_of(env, "ALVK_GEMM_TILE", names, 8,
                   "a tile (16x16, 16x16h, 8x8, 4x8, 8x4, 4x4), smem or small");
    if (i == 7) env->gemm_tile.small = 1;
    else if (i == 6) env->gemm_tile.smem = 1;
    else if (i >= 0) env->gemm_tile.rows = tiles[i][0], env->gemm_tile.cols = tiles[i][1], env->gemm_tile.half = i == 1;
}

void alvk_env_read(alvk_env *env) {
    memset(env, 0, sizeof *env);
    env->log = log_level(env);
    env->validation = flag(env, "ALVK_VALIDATION");
    copy(env->device, sizeof env->device, value("ALVK_DEVICE"));
    env->pipeline_cache = flag(env, "ALVK_PIPELINE_CACHE");
    cache_dir(env);
    env->profile = flag(env, "ALVK_PROFILE");
    static const char *const paths[] = {"ssbo", "texel"};
    env->read_path = one_of(env, "ALVK_READ_PATH", paths, 2, "ssbo or texel");
    gemm_tile(env);
    env->gemm_split = flag(env, "ALVK_GEMM_SPLIT");
    env->serial_sums = flag(env, "ALVK_SERIAL_SUMS");
    env->subgroup_sums = flag(env, "ALVK_SUBGROUP_SUMS");
    static const char *const forms[] = {"0", "2", "4"};
    int form = one_of(env, "ALVK_WINOGRAD", forms, 3, "0, 2 or 4");
    env->winograd = form < 0 ? -1 : 2 * form;
    env->paired = flag(env, "ALVK_PAIRED");
    env->fuse = flag(env, "ALVK_FUSE");
    env->fold_bn = flag(env, "ALVK_FOLD_BN");
}

void alvk_env_warn(const alvk_env *env, const alvk_logger *log) {
    for (int i = 0; i < env->nignored; i++) alvk_log(log, ALVK_LOG_WARN, "%s", env->ignored[i]);
}
