/* Helpers every subcommand uses: usage errors, flag values, progress lines,
 * interrupts and the seeded shuffle. */
#include "cli.h"
#include "par.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cli_command;
static int every_rank_speaks;

void cli_usage_every_rank(void) { every_rank_speaks = 1; }

int cli_usage_error(const char *fmt, ...) {
    if (par_rank() != 0 && !every_rank_speaks) return EXIT_USAGE; /* the same flags: rank 0 says it once */
    va_list ap;
    va_start(ap, fmt);
    fputs("alvk: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'alvk %s%s--help' for the options.\n", cli_command ? cli_command : "", cli_command ? " " : "");
    return EXIT_USAGE;
}

int cli_fail(const char *what) {
    fprintf(stderr, "alvk: %s: %s\n", what, alvk_last_error());
    return EXIT_FAILED;
}

int cli_uint(const char *flag, const char *text, uint64_t lo, uint64_t hi, uint32_t *out) {
    char *end;
    /* strtoull alone would take " 5", "+5" and "-5" (as a huge number). */
    int digits = text && text[0] >= '0' && text[0] <= '9';
    unsigned long long v = digits ? strtoull(text, &end, 10) : 0;
    if (!digits || *end || v < lo || v > hi) {
        fprintf(stderr, "alvk: %s takes a whole number in %llu..%llu, not '%s'\n", flag,
                (unsigned long long)lo, (unsigned long long)hi, text ? text : "");
        return 0;
    }
    *out = (uint32_t)v;
    return 1;
}

int cli_double(const char *flag, const char *text, double lo, double hi, double *out) {
    char *end;
    int starts = text && ((text[0] >= '0' && text[0] <= '9') || text[0] == '.' || text[0] == '-');
    double v = starts ? strtod(text, &end) : 0;
    if (!starts || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "alvk: %s takes a number in [%g, %g], not '%s'\n", flag, lo, hi, text ? text : "");
        return 0;
    }
    *out = v;
    return 1;
}

double cli_now(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress(int final, const char *fmt, ...) {
    static double last;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* alvk run's coordinator prints too */
    if (par_rank() != 0) return;
    pthread_mutex_lock(&lock);
    double now = cli_now();
    int tty = isatty(STDERR_FILENO);
    if (final || now - last >= (tty ? 0.25 : 10.0)) {
        last = now;
        char line[320];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        if (tty) fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
        else fprintf(stderr, "%s\n", line);
        fflush(stderr);
    }
    pthread_mutex_unlock(&lock);
}

volatile int cli_interrupted;

static void on_signal(int sig) {
    (void)sig;
    cli_interrupted = 1;
}

void cli_catch_interrupts(void) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

/* A seeded Fisher-Yates shuffle of v[0..n). */
void cli_shuffle(uint32_t *v, uint32_t n, uint64_t seed, uint64_t stream) {
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)(alvk_random(seed, stream, i) % i), t = v[i - 1];
        v[i - 1] = v[j], v[j] = t;
    }
}
