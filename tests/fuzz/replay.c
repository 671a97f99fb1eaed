/* Runs fuzz inputs through a harness's LLVMFuzzerTestOneInput without a
 * fuzzer: `alvk-fuzz-NAME FILE|DIR...` replays each file (a directory: each
 * file in it) and exits 0 when none crashed, so CI replays the seed corpus
 * of every reader. AFL++ drives the same binary (`afl-fuzz ... -- BIN @@`);
 * libFuzzer builds the harness with its own main instead (README). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 0;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
    int ok = data && n >= 0 && fread(data, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    if (ok) LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    return ok;
}

int main(int argc, char **argv) {
    int files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            for (struct dirent *e; d && (e = readdir(d));) {
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                if (e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                    if (!replay_file(path)) return 1;
                    files++;
                }
            }
            if (d) closedir(d);
        } else {
            if (!replay_file(argv[i])) return 1;
            files++;
        }
    }
    printf("replayed %d inputs\n", files);
    return files ? 0 : 1;
}
