/* The environment variables the engine reads, read once per context (at its
 * creation) into typed values: the layers above take them from ctx->env
 * and never call getenv. include/alvk/alvk.h documents every one. */
#ifndef ALVK_ENV_H
#define ALVK_ENV_H

#include "alvk/alvk.h"
#include "core/error.h"

#define ALVK_ENV_MAX_IGNORED 16

/* Each int is -1 where the variable is unset or empty, or its value means
 * nothing (then it is also in `ignored`). */
typedef struct alvk_env {
    alvk_log_level log;  /* ALVK_LOG; ALVK_LOG_OFF when unset */
    int validation;      /* ALVK_VALIDATION: 0 or 1 */
    char device[256];    /* ALVK_DEVICE; "" when unset */
    int pipeline_cache;  /* ALVK_PIPELINE_CACHE: 0 or 1 */
    char cache_dir[1024]; /* $XDG_CACHE_HOME/alvk, else $HOME/.cache/alvk, else "" */
    int profile;         /* ALVK_PROFILE: 0 or 1 */
    int read_path;       /* ALVK_READ_PATH: 0 ssbo, 1 texel (as alvk_read_path) */
    struct {
        unsigned rows, cols; /* ALVK_GEMM_TILE=RxC: a register tile; 0 when not */
        int half;            /* ALVK_GEMM_TILE=16x16h: its blocks in halves */
        int smem;            /* ALVK_GEMM_TILE=smem */
        int small;           /* ALVK_GEMM_TILE=small: gemm_small.comp wherever it can run */
    } gemm_tile;
    int gemm_split;      /* ALVK_GEMM_SPLIT: 0 or 1 */
    int serial_sums;     /* ALVK_SERIAL_SUMS: 0 or 1 */
    int subgroup_sums;   /* ALVK_SUBGROUP_SUMS: 0 or 1 */
    int winograd;        /* ALVK_WINOGRAD: 0, 2 or 4 */
    int paired;          /* ALVK_PAIRED: 0 or 1 */
    int fuse;            /* ALVK_FUSE: 0 or 1 */
    int fold_bn;         /* ALVK_FOLD_BN: 0 or 1 */
    /* What each ignored value was, for alvk_env_warn. */
    int nignored;
    char ignored[ALVK_ENV_MAX_IGNORED][160];
} alvk_env;

/* Reads and parses every variable. Runs before the context's logger exists
 * (ALVK_LOG configures it), so values that mean nothing are only noted. */
void alvk_env_read(alvk_env *env);
/* Logs one warning for each value alvk_env_read ignored. */
void alvk_env_warn(const alvk_env *env, const alvk_logger *log);

#endif
