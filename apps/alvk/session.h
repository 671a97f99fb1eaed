/* The session: what train, eval, run and the benchmarks open to compute
 * (session.c). Functions that can fail return an exit status (cli.h) with
 * the reason on stderr. */
#ifndef ALVK_SESSION_H
#define ALVK_SESSION_H

#include "cli.h"

#include <alvk/alvk.h>
#include <stdint.h>

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


/* The batch-norm running statistics of the store's ResNet18 (bn_stats.c),
 * and a forward pass in training mode at batch-norm momentum 1 over
 * training images (at the session's evaluation batch) that recomputes them. */
typedef struct bn_stats {
    session *s;
    alvk_graph *g;
    alvk_node idx, out;
    int n, *at;      /* store indices: each batch norm's running mean, then its variance */
    uint64_t floats; /* their floats in all */
    float *saved;    /* bn_stats_save's copy */
} bn_stats;

/* Builds the graph (after session_open_device). Exit status. */
int bn_stats_init(bn_stats *b, session *s);
void bn_stats_free(bn_stats *b);
/* Copies the statistics to the host, or back into the store. */
int bn_stats_save(bn_stats *b);
int bn_stats_restore(bn_stats *b);
/* Replaces the statistics by those of training images ids[0..n): each
 * batch's statistics pooled over the batches (exact for the first layer,
 * and for all when n fits one batch: deeper layers see inputs normalised
 * per batch, as in training). The weights are unchanged. */
int bn_stats_recompute(bn_stats *b, const uint32_t *ids, uint32_t n);

#endif
