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

/* ---- what train and eval share ------------------------------------------- */

typedef struct session {
    alvk_context *ctx;
    alvk_params *params;
    alvk_dataset *train, *test;
    uint32_t classes;                /* the head's outputs */
    char data_name[64];              /* the data directory's last part: "mnist", "fashion-mnist" */
    alvk_pool *train_pool, *test_pool;
    alvk_graph *eval;
    alvk_node eval_indices, eval_correct;
    uint32_t eval_batch;
    uint32_t *test_order, test_size; /* the test images evaluated */
    int disc_first, disc_count;      /* the discriminator's store tensors, if any */
    const char *choices;             /* kernel choices to take (alvk_context_desc.choices), or NULL:
                                        set between session_load_data and session_open_device */
} session;

/* The discriminator session_open can add: none, the notebook's (Kaiming
 * fan_out), or PyTorch's default Linear init. */
enum { DISC_NONE = 0, DISC_KAIMING, DISC_DEFAULT };

/* ResNet18's smallest input side: its stride-2 stem and max pool leave
 * 2x2 maps for the residual stages. */
enum { MIN_IMAGE_SIDE = 8 };

/* Loads the training and test IDX files of data_dir (NULL: ALVK_DATA,
 * else data/mnist), 1-channel images of any one size: `classes` classes
 * (0: the largest label + 1). Exit status, the reason on stderr. */
int session_load_data(session *s, const char *data_dir, uint32_t classes);
/* Then opens the device, declares ResNet18 with a s->classes head (and
 * after them the discriminator "disc", 512 -> 512 -> 512 -> 1, when
 * asked), and builds the evaluation graph over test_size test images (0:
 * all; otherwise a subset drawn with the seed; more than the set holds is a
 * usage error). Returns an exit status. */
int session_open_device(session *s, const char *device, uint32_t eval_batch, uint32_t test_size, uint64_t seed,
                        int discriminator);
/* Both of the above. */
int session_open(session *s, const char *device, const char *data_dir, uint32_t classes, uint32_t eval_batch,
                 uint32_t test_size, uint64_t seed, int discriminator);
/* The data directory session_open reads: data_dir, else $ALVK_DATA, else
 * data/mnist. */
const char *session_data_dir(const char *data_dir);
void session_close(session *s);
/* The classifier's logits: the store's head fc on features z [B, 512]. */
alvk_node session_head(alvk_graph *g, alvk_node z);
/* The classifier's training step at `batch` images: gather from the
 * training pool, ResNet18, head, cross-entropy, backward and Adam over store
 * tensors 0..nparams-1 (the backbone and head; a discriminator declared
 * after them is left alone); lr 0: no Adam, the gradients stay in the store
 * (data-parallel training sums them over the ranks first). Returns an exit
 * status. */
int session_train_graph(session *s, uint32_t batch, double lr, int nparams, alvk_graph **g,
                        alvk_node *indices, alvk_node *loss);
/* A graph of one Adam step over store tensors 0..nparams-1. */
int session_adam_graph(session *s, double lr, int nparams, alvk_graph **g);
/* Test-set accuracy in [0, 1] of the model in the store; -1 on failure
 * (alvk_last_error says why). */
double session_test_accuracy(session *s);
/* How many of the evaluated test images first..first+count-1 the model
 * classifies right (a rank's share); -1 on failure. */
int64_t session_test_correct(session *s, uint32_t first, uint32_t count);

int cmd_devices(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
