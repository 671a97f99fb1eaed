/* Ranks: alvk run and alvk train under `mpirun -np N` in a build with MPI,
 * otherwise one process. Everything MPI is in par.c behind these plain
 * functions, which act as a single rank in a build without MPI or when
 * mpirun did not start the process (then MPI is never initialised).
 *
 * Every wait polls (MPI's test calls and 1 ms sleeps) instead of blocking
 * in MPI, whose blocking calls spin a core: a rank that waits leaves its
 * core to the ranks that compute, which matters where lavapipe runs the
 * kernels on those same cores.
 *
 * Threads: rank 0 of `alvk run` calls the messaging functions from two
 * threads (its coordinator and its own worker), each on its own channel;
 * the collectives are for one thread. */
#ifndef ALVK_PAR_H
#define ALVK_PAR_H

#include <alvk/alvk.h>
#include <stddef.h>
#include <stdint.h>

/* Initialises MPI when mpirun started the process (and the build has MPI).
 * Exit status; the reason on stderr. */
int par_init(int *argc, char ***argv);
/* Finalises MPI (a no-op without it). */
void par_finalize(void);
int par_rank(void);
int par_size(void);
/* This rank's index among the ranks on its host. */
int par_local_rank(void);
/* Ends every rank at once (MPI_Abort; exit without MPI): for the failures
 * after which the ranks could no longer agree to stop. */
void par_abort(int status);
/* This rank's host name. */
const char *par_host(void);

/* The device this rank opens: `requested` (the --device flag) or
 * $ALVK_DEVICE when set, the default device for a single rank, else the
 * local rank's turn among the host's devices of the best type (GPUs before
 * lavapipe), round robin. Returns requested, NULL (the default) or buf. */
const char *par_device(const char *requested, char *buf, size_t size);

/* Rank 0's kernel choices (alvk_context_choices of its context ctx) in
 * text on every rank, for the other ranks' alvk_context_desc.choices: kernel
 * variants round differently, and every rank must compute with rank 0's
 * for a run's numbers not to depend on the rank count. Call on every rank
 * (ctx may be NULL but on rank 0); "" where rank 0 had none. */
enum { PAR_CHOICES = 256 };
void par_share_choices(alvk_context *ctx, char text[PAR_CHOICES]);

/* ---- messages (alvk run's job queue) ----------------------------------------
 * Two channels, so rank 0's coordinator thread and its worker never take
 * each other's messages; messages between two ranks on one channel arrive
 * in the order they were sent. */
enum { PAR_TO_COORDINATOR = 0, PAR_TO_WORKER = 1 };
/* 1 when sent. */
int par_send(int channel, int to, int tag, const void *data, size_t bytes);
/* Whether a message waits on the channel (from: a rank, or -1 for any). */
int par_waiting(int channel, int from);
/* Waits for the next message on the channel; *data is malloc'd (free it),
 * NULL for an empty message. 1 on success. */
int par_recv(int channel, int from, int *tag, int *source, void **data, size_t *bytes);

/* ---- collectives (every rank calls them, in the same order) ---------------- */
/* 1 when every rank passed ok != 0; *first_failed (may be NULL) is the
 * lowest failing rank, or -1. */
int par_all_ok(int ok, int *first_failed);
/* The highest of the ranks' exit statuses (0 when all are): every rank then
 * exits with the same status, whichever mpirun reports. */
int par_worst(int status);
int par_bcast(void *data, size_t bytes, int root);
/* v <- sum over ranks r, in rank order, of w[r] * (rank r's v), summed in
 * double: every rank gets the same bits, whatever the ranks' timing, so a
 * data-parallel run repeats bit for bit. w has par_size() entries. */
int par_weighted_sum(float *v, size_t n, const double *w);
/* Data-parallel training's exchange: this rank's packed gradients
 * (alvk_params_read_grad, index -1; zeros where the rank had no rows) with
 * `extra` values after them in buf (the loss), summed over the ranks with
 * weights w as par_weighted_sum does, the gradients then written back to the
 * store. buf holds alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE) + extra
 * floats. 1 on success. */
int par_reduce_gradients(alvk_params *p, float *buf, uint32_t extra, const double *w, int have);
/* Adds v over the ranks (exact for counts below 2^53). */
int par_sum_u64(uint64_t *v, size_t n);
void par_barrier(void);

#endif
