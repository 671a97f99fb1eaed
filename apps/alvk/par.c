/* Ranks over MPI, or one process without it: see par.h. */
#include "par.h"

#include <alvk/alvk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int rank, size = 1, local_rank;
static char host[256];

/* The rank count mpirun announces (Open MPI's, MPICH Hydra's), 0 when
 * mpirun did not start this process. */
static int launched_size(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (int i = 0; i < 2; i++)
        if (getenv(vars[i])) return atoi(getenv(vars[i]));
    return 0;
}

/* One rank's share of a weighted sum: v <- w v. */
static void scale(float *v, size_t n, double w) {
    for (size_t i = 0; i < n && w != 1; i++) v[i] = (float)(w * v[i]);
}

int par_rank(void) { return rank; }
int par_size(void) { return size; }
int par_local_rank(void) { return local_rank; }
const char *par_host(void) {
    if (!*host && gethostname(host, sizeof host - 1) != 0) strcpy(host, "?");
    return host;
}

const char *par_device(const char *requested, char *buf, size_t bytes) {
    const char *env = getenv("ALVK_DEVICE");
    if (requested || (env && *env) || size == 1) return requested;
    alvk_context *ctx;
    if (alvk_context_create(&(alvk_context_desc){0}, &ctx) != ALVK_OK) return NULL; /* session_open says why */
    alvk_device_info best, d;
    int n = alvk_context_device_count(ctx), same = 0, pick = -1;
    if (alvk_context_device_info(ctx, alvk_context_device_index(ctx), &best) != ALVK_OK) n = 0;
    for (int i = 0; i < n; i++)
        if (alvk_context_device_info(ctx, i, &d) == ALVK_OK && d.type == best.type) same++;
    for (int i = 0, k = 0; i < n && same && pick < 0; i++)
        if (alvk_context_device_info(ctx, i, &d) == ALVK_OK && d.type == best.type && k++ == local_rank % same)
            pick = i;
    alvk_context_destroy(ctx);
    snprintf(buf, bytes, "%d", pick);
    return pick >= 0 ? buf : NULL;
}

int par_reduce_gradients(alvk_params *p, float *buf, uint32_t extra, const double *w, int have) {
    uint64_t n = alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE);
    int read = !have || alvk_params_read_grad(p, -1, buf, n * sizeof *buf) == ALVK_OK;
    if (!have || !read) memset(buf, 0, n * sizeof *buf);
    /* A rank that could not read still takes part in the sum: the others wait on it. */
    return par_weighted_sum(buf, n + extra, w) && read && alvk_params_write_grad(p, -1, buf, n * sizeof *buf) == ALVK_OK;
}

void par_share_choices(alvk_context *ctx, char text[PAR_CHOICES]) {
    text[0] = 0;
    if (par_rank() == 0 && (!ctx || alvk_context_choices(ctx, text, PAR_CHOICES) != ALVK_OK)) text[0] = 0;
    par_bcast(text, PAR_CHOICES, 0);
}

#ifdef ALVK_HAVE_MPI
#include <mpi.h>

static void nap(void) { nanosleep(&(struct timespec){0, 1000000}, NULL); }

static MPI_Comm channels[2];
static int initialised;

/* MPI's counts are ints: one call moves at most this many bytes. */
#define CHUNK (1u << 30)

static void wait_for(MPI_Request *req) {
    int done = 0;
    while (MPI_Test(req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done) nap();
}

int par_init(int *argc, char ***argv) {
    if (!launched_size()) return 0;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "alvk: MPI_Init failed\n");
        return 1;
    }
    initialised = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 0; i < 2; i++) MPI_Comm_dup(MPI_COMM_WORLD, &channels[i]);
    if (provided < MPI_THREAD_MULTIPLE && size > 1) {
        fprintf(stderr, "alvk: this MPI library gives no MPI_THREAD_MULTIPLE, which alvk's job queue needs\n");
        return 1;
    }
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_free(&local);
    int len = 0;
    char name[MPI_MAX_PROCESSOR_NAME];
    if (MPI_Get_processor_name(name, &len) == MPI_SUCCESS) snprintf(host, sizeof host, "%.*s", len, name);
    return 0;
}

void par_abort(int status) {
    if (initialised) MPI_Abort(MPI_COMM_WORLD, status);
    exit(status);
}

void par_finalize(void) {
    if (!initialised) return;
    for (int i = 0; i < 2; i++) MPI_Comm_free(&channels[i]);
    MPI_Finalize();
    initialised = 0;
}

int par_send(int channel, int to, int tag, const void *data, size_t bytes) {
    if (!initialised || bytes > CHUNK) return 0;
    MPI_Request req;
    if (MPI_Isend(data, (int)bytes, MPI_BYTE, to, tag, channels[channel], &req) != MPI_SUCCESS) return 0;
    wait_for(&req);
    return 1;
}

int par_waiting(int channel, int from) {
    int flag = 0;
    if (initialised)
        MPI_Iprobe(from < 0 ? MPI_ANY_SOURCE : from, MPI_ANY_TAG, channels[channel], &flag, MPI_STATUS_IGNORE);
    return flag;
}

int par_recv(int channel, int from, int *tag, int *source, void **data, size_t *bytes) {
    *data = NULL, *bytes = 0;
    if (!initialised) return 0;
    MPI_Message msg;
    MPI_Status st;
    int flag = 0, count;
    for (;;) {
        if (MPI_Improbe(from < 0 ? MPI_ANY_SOURCE : from, MPI_ANY_TAG, channels[channel], &flag, &msg, &st) !=
            MPI_SUCCESS)
            return 0;
        if (flag) break;
        nap();
    }
    MPI_Get_count(&st, MPI_BYTE, &count);
    if (count > 0 && !(*data = malloc((size_t)count))) return 0;
    MPI_Request req;
    if (MPI_Imrecv(*data, count, MPI_BYTE, &msg, &req) != MPI_SUCCESS) return 0;
    wait_for(&req);
    *bytes = (size_t)count, *tag = st.MPI_TAG;
    if (source) *source = st.MPI_SOURCE;
    return 1;
}

int par_all_ok(int ok, int *first_failed) {
    int mine = ok ? size : rank, lowest = mine;
    if (initialised) {
        MPI_Request req;
        MPI_Iallreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &req);
        wait_for(&req);
    }
    if (first_failed) *first_failed = lowest < size ? lowest : -1;
    return lowest == size;
}

int par_worst(int status) {
    int worst = status;
    if (initialised) {
        MPI_Request req;
        MPI_Iallreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
        wait_for(&req);
    }
    return worst;
}

int par_bcast(void *data, size_t bytes, int root) {
    for (size_t at = 0; initialised && at < bytes; at += CHUNK) {
        MPI_Request req;
        size_t n = bytes - at < CHUNK ? bytes - at : CHUNK;
        if (MPI_Ibcast((char *)data + at, (int)n, MPI_BYTE, root, MPI_COMM_WORLD, &req) != MPI_SUCCESS) return 0;
        wait_for(&req);
    }
    return 1;
}

/* A reduce-scatter in a fixed order and an all-gather: rank r receives
 * every rank's part r and sums it in rank order, then every rank gathers
 * the summed parts. Memory: twice v per rank, whatever the rank count. */
int par_weighted_sum(float *v, size_t n, const double *w) {
    if (size == 1) {
        scale(v, n, w[0]);
        return 1;
    }
    size_t part = (n + (size_t)size - 1) / (size_t)size;
    if (part * sizeof(float) > CHUNK / (size_t)size) return 0; /* the same on every rank */
    float *out = calloc(part * (size_t)size, sizeof *out), *in = calloc(part * (size_t)size, sizeof *in);
    int ok = par_all_ok(out && in, NULL); /* every rank in the collectives below, or none */
    if (ok) {
        memcpy(out, v, n * sizeof *v);
        MPI_Request req;
        ok = MPI_Ialltoall(out, (int)part, MPI_FLOAT, in, (int)part, MPI_FLOAT, MPI_COMM_WORLD, &req) == MPI_SUCCESS;
        if (ok) wait_for(&req);
    }
    for (size_t i = 0; ok && i < part; i++) {
        double s = 0;
        for (int r = 0; r < size; r++) s += w[r] * in[(size_t)r * part + i];
        out[i] = (float)s;
    }
    if (ok) {
        MPI_Request req;
        ok = MPI_Iallgather(out, (int)part, MPI_FLOAT, in, (int)part, MPI_FLOAT, MPI_COMM_WORLD, &req) == MPI_SUCCESS;
        if (ok) wait_for(&req);
    }
    if (ok) memcpy(v, in, n * sizeof *v);
    free(out), free(in);
    return ok;
}

int par_sum_u64(uint64_t *v, size_t n) {
    if (size == 1) return 1;
    MPI_Request req;
    if (MPI_Iallreduce(MPI_IN_PLACE, v, (int)n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD, &req) != MPI_SUCCESS)
        return 0;
    wait_for(&req);
    return 1;
}

void par_barrier(void) {
    if (!initialised) return;
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    wait_for(&req);
}

#else /* one process */

int par_init(int *argc, char ***argv) {
    (void)argc, (void)argv;
    if (launched_size() > 1) {
        fprintf(stderr, "alvk: started by mpirun, but this alvk was built without MPI: every rank would run the "
                "whole job (rebuild with libopenmpi-dev installed, or run alvk without mpirun)\n");
        return 1;
    }
    return 0;
}
void par_finalize(void) {}
void par_abort(int status) { exit(status); }
int par_send(int channel, int to, int tag, const void *data, size_t bytes) {
    (void)channel, (void)to, (void)tag, (void)data, (void)bytes;
    return 0;
}
int par_waiting(int channel, int from) {
    (void)channel, (void)from;
    return 0;
}
int par_recv(int channel, int from, int *tag, int *source, void **data, size_t *bytes) {
    (void)channel, (void)from, (void)tag, (void)source;
    *data = NULL, *bytes = 0;
    return 0;
}
int par_all_ok(int ok, int *first_failed) {
    if (first_failed) *first_failed = ok ? -1 : 0;
    return ok;
}
int par_worst(int status) { return status; }
int par_bcast(void *data, size_t bytes, int root) {
    (void)data, (void)bytes, (void)root;
    return 1;
}
int par_weighted_sum(float *v, size_t n, const double *w) {
    scale(v, n, w[0]);
    return 1;
}
int par_sum_u64(uint64_t *v, size_t n) {
    (void)v, (void)n;
    return 1;
}
void par_barrier(void) {}

#endif
