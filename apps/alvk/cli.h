/* The alvk program's subcommands and the conventions they share: exit
 * status 0 on success, 1 when the work failed, 2 on a usage error, 130
 * when interrupted (after saving what was finished). */
#ifndef ALVK_CLI_H
#define ALVK_CLI_H

#include <alvk/alvk.h>
#include <stdint.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

/* The subcommand being run ("run"), for cli_usage_error's hint. */
extern const char *cli_command;
/* Prints "alvk: message" and where the options are (alvk COMMAND --help)
 * to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...);
/* Under mpirun only rank 0 reports usage errors (every rank parses the
 * same flags) until this call: after it, the checks that differ per rank
 * (its data) report on every rank. */
void cli_usage_every_rank(void);
/* Prints "alvk: what: <alvk_last_error()>"; returns EXIT_FAILED. */
int cli_fail(const char *what);

/* Parses the value of a flag; on a bad value prints why and returns 0. */
int cli_uint(const char *flag, const char *text, uint64_t lo, uint64_t hi, uint32_t *out);
int cli_double(const char *flag, const char *text, double lo, double hi, double *out);

/* Wall-clock seconds (for rates, ETAs and the seconds results record). */
double cli_now(void);

/* Progress on stderr: a line rewritten in place on a terminal, one line
 * per call otherwise (at most every few seconds, so logs stay short). */
void cli_progress(int final, const char *fmt, ...);

/* ---- random streams ----------------------------------------------------------
 * Every random choice the program makes is alvk_random(seed, stream, i) of
 * one of these streams. They are part of what makes a seed reproduce a run
 * (and a resumed run end as an uninterrupted one): never change them. */
enum {
    STREAM_SUBSET = 0,          /* alvk train: --subset's images; epoch e shuffles with stream e */
    STREAM_TEST = 0x7e57        /* the test images --test-size evaluates */
};
/* alvk run's streams: what (below), strategy, trial and round packed in one;
 * a training stream's epoch e shuffles with stream + e, and its adversarial
 * mixing weights come from stream + e + STREAM_ALPHA. */
enum { STREAM_LABELS = 1, STREAM_TRAIN, STREAM_QUERY, STREAM_WEIGHTS, STREAM_POOL };
#define STREAM_ALPHA 0x5eed0000ull
static inline uint64_t cli_stream(int what, int strategy, uint32_t trial, uint32_t round) {
    return ((((uint64_t)what * 8 + (uint64_t)strategy) * 4096 + trial) * 4096 + round) << 20;
}

/* A seeded Fisher-Yates shuffle of v[0..n) (stream: which shuffle). */
void cli_shuffle(uint32_t *v, uint32_t n, uint64_t seed, uint64_t stream);

/* Set by SIGINT/SIGTERM: long commands stop at the next step boundary. */
extern volatile int cli_interrupted;
void cli_catch_interrupts(void);

int cmd_devices(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
