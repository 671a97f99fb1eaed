/* `alvk run` in two files sharing this header: run.c reads the flags, opens
 * OUT and the state (a new experiment or --resume), and reports the end;
 * run_jobs.c does the work: the jobs (one per strategy and trial) from a
 * queue, over MPI ranks or in one process, each round, the baseline and the
 * estimate, and checks a resumed state against its config. */
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
/* The experiment, once the flags are checked, the data loaded and (rank 0)
 * OUT opened: the pool, the state's checks, the device, the estimate, the
 * baseline and every round left. This rank's exit status (rank 0's is the
 * run's). */
int run_experiment(run *r);

#endif
