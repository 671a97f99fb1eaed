/* `alvk run` in two files sharing this header: run.c reads the flags and
 * makes every check before any work (the flags against the data set, OUT,
 * a resumed state against its config), then reports the end; run_jobs.c
 * is the experiment: the jobs (one per strategy and trial) from a queue,
 * over MPI ranks or in one process, each round, the baseline and the
 * estimate. run.c calls into run_jobs.c, never the other way. */
#ifndef ALVK_RUN_H
#define ALVK_RUN_H

#include "al.h"

#include <pthread.h>

typedef struct run_opts {
    al_config c;
    const char *data, *device, *out, *resume;
    char baseline_file[4096]; /* --baseline's value when it came from a state file */
    char dataset[64];         /* the data set a resumed run was started on ("" if not recorded) */
} run_opts;

/* Seconds the calibration predicts: for the ETA of the whole run (every
 * rank's rounds) and of rank 0's round in progress. */
typedef struct progress {
    const al_config *c;
    int strategy;                 /* rank 0's round in progress */
    uint32_t trial, round;
    double start, total;          /* the work left when the run (re)started */
    double finished;              /* of it, finished rounds (any rank's) */
    double partial;               /* rank 0's round in progress */
    uint32_t rounds_total, rounds_done, jobs_total, jobs_done;
    double round_t0;              /* when the round's training began */
    int baseline;                 /* training the full-data baseline */
    al_rates rates;               /* measured before the run */
    double step_units;            /* per image of this round's training */
} progress;

/* A job: one trial of one strategy, its rounds one after another. Jobs are
 * independent (each starts from its own seeded weights and labels), so
 * they may run in any order, on any rank. */
typedef struct job {
    int strategy;
    uint32_t trial;
} job;

typedef struct run {
    run_opts o;
    session s;
    al_model m;
    al_state st;                   /* rank 0's; guarded by lock while the coordinator runs */
    uint32_t *pool_ids, pool_size; /* pool position -> training-set index */
    uint32_t *pool_pos;            /* training-set index -> pool position, or UINT32_MAX */
    al_pool pool;
    char device[256], driver[520];
    progress pr;
    pthread_mutex_t lock;
    job *queue;                    /* jobs with rounds left, in the order they start */
    uint32_t njobs, next_job;
    int rc;                        /* the coordinator's verdict: why the run stopped */
} run;

/* Writes OUT's files (rank 0). Exit status. */
int run_save(run *r);
/* The experiment, once the flags are checked, the data loaded, the pool
 * chosen and (rank 0) OUT opened and its state checked: the device, the
 * estimate, the baseline and every round left. This rank's exit status
 * (rank 0's is the run's). */
int run_experiment(run *r);

/* What the jobs hold, for run.c's checks of a resumed state too: the
 * trials of strategy s; the rounds of job j the state holds (its records
 * are rounds 0..k-1, once checked); the images its rounds picked, in order
 * (returns how many); and its pool before its next round, rebuilt from its
 * seeded first labels and those picks into r->pool (0 when they do not fit
 * the pool, the reason in why). */
uint32_t run_trials(const al_config *c, int s);
uint32_t run_rounds_done(const al_state *st, job j);
uint32_t run_job_picks(const al_state *st, job j, uint32_t *out);
int run_rebuild_pool(run *r, job j, const uint32_t *picked, uint32_t npicked, char *why, size_t size);

#endif
