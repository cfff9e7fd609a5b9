// What SQLite alone costs to record one moons_mlp training step the way gradbook stores it
// (README "The run history"; the `record` workload of `gradbook bench`): the floor under
// gradbook's training writer, with no formatting, no Swift and no training loop.
//
// Per step, as `%record params` writes it: one run row; the value and the gradient of each of
// the six params (2x16, 16, 16x16, 16, 16x2, 2: 354 numbers) as a tensor row holding both the
// float64 bytes and the JSON text; fourteen value rows (the six params referencing those
// tensor rows, the rest summaries). Tables and indexes come from the repository's schema.sql;
// WAL, synchronous=NORMAL, no automatic checkpoint (gradbook checkpoints on another thread).
// Steps are committed one per transaction, or 64 per transaction as gradbook's group commit
// does when the training loop runs ahead. The JSON is formatted before the clock starts.
//
//   gcc -O2 bench/record_floor.c -lsqlite3 -o /tmp/record_floor && /tmp/record_floor schema.sql
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { tensors = 12, values = 14, steps = 400, reps = 5 };
static const int sizes[6] = {32, 16, 256, 16, 32, 2};
static const char *shapes[6] = {"[2,16]", "[16]", "[16,16]", "[16]", "[16,2]", "[2]"};
static double numbers[steps][tensors][256];
static char json[steps][tensors][256 * 26 + 64];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void check(int code, sqlite3 *db, const char *what) {
    if (code != SQLITE_OK && code != SQLITE_DONE && code != SQLITE_ROW) {
        fprintf(stderr, "record_floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(1); }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    rewind(file);
    char *text = malloc(length + 1);
    if (!text || fread(text, 1, length, file) != (size_t)length) { perror(path); exit(1); }
    text[length] = 0;
    fclose(file);
    return text;
}

static double one_rep(const char *schema, int group) {
    const char *path = "/tmp/record_floor.db";
    char name[64];
    for (const char *suffix[] = {"", "-wal", "-shm"}, **s = suffix; s < suffix + 3; s++) {
        snprintf(name, sizeof name, "%s%s", path, *s);
        unlink(name);
    }
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    check(sqlite3_exec(db, schema, 0, 0, 0), db, "schema.sql");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"
                           "INSERT INTO session(kind, started_at) VALUES ('batch', '2026-11-27T10:00:00.000Z');"
                           "INSERT INTO train(session_id, target, optimizer, steps, started_at)"
                           " VALUES (1, 'loss', '{}', 400, '2026-11-27T10:00:00.000Z');", 0, 0, 0), db, "setup");
    for (int node = 1; node <= values; node++) {
        char sql[256];
        snprintf(sql, sizeof sql, "INSERT INTO node(session_id, name, op, inputs, shape, is_param, defined_at)"
                                  " VALUES (1, 'n%d', 'param', '[]', '[]', 1, 'x')", node);
        check(sqlite3_exec(db, sql, 0, 0, 0), db, "node");
    }
    sqlite3_stmt *run, *tensor, *value;
    check(sqlite3_prepare_v2(db, "INSERT INTO run(session_id, kind, target, step, loss, started_at, duration_ms,"
                                 " train_id, record_policy) VALUES (1, 'train', 'loss', ?1, 0.5,"
                                 " '2026-11-27T10:00:00.000Z', 0.1, 1, 'params')", -1, &run, 0), db, "run");
    check(sqlite3_prepare_v2(db, "INSERT INTO tensor(shape, data, json) VALUES (?1, ?2, ?3)", -1, &tensor, 0), db, "tensor");
    check(sqlite3_prepare_v2(db, "INSERT INTO value(run_id, node_id, shape, numel, value_storage, grad_storage,"
                                 " value_tensor_id, value_min, value_max, value_mean, value_l2,"
                                 " grad_tensor_id, grad_min, grad_max, grad_mean, grad_l2)"
                                 " VALUES (?1, ?2, '[16,16]', 256, ?3, ?4, ?5, 0.1, 0.2, 0.3, 0.4, ?6, 0.1, 0.2, 0.3, 0.4)",
                              -1, &value, 0), db, "value");
    double start = now();
    for (int step = 0; step < steps; step++) {
        if (step % group == 0) check(sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), db, "begin");
        sqlite3_bind_int(run, 1, step);
        check(sqlite3_step(run), db, "run row");
        sqlite3_reset(run);
        sqlite3_int64 runID = sqlite3_last_insert_rowid(db), ids[tensors];
        for (int k = 0; k < tensors; k++) {
            sqlite3_bind_text(tensor, 1, shapes[k % 6], -1, SQLITE_STATIC);
            sqlite3_bind_blob(tensor, 2, numbers[step][k], sizes[k % 6] * 8, SQLITE_STATIC);
            sqlite3_bind_text(tensor, 3, json[step][k], -1, SQLITE_STATIC);
            check(sqlite3_step(tensor), db, "tensor row");
            sqlite3_reset(tensor);
            ids[k] = sqlite3_last_insert_rowid(db);
        }
        for (int node = 1; node <= values; node++) {
            int full = node <= 6;
            sqlite3_bind_int64(value, 1, runID);
            sqlite3_bind_int(value, 2, node);
            sqlite3_bind_int(value, 3, full ? 2 : 1);
            sqlite3_bind_int(value, 4, full ? 2 : 1);
            if (full) {
                sqlite3_bind_int64(value, 5, ids[node - 1]);
                sqlite3_bind_int64(value, 6, ids[node + 5]);
            } else {
                sqlite3_bind_null(value, 5);
                sqlite3_bind_null(value, 6);
            }
            check(sqlite3_step(value), db, "value row");
            sqlite3_reset(value);
        }
        if (step % group == group - 1 || step == steps - 1) check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    }
    double perStep = (now() - start) / steps;
    sqlite3_finalize(run);
    sqlite3_finalize(tensor);
    sqlite3_finalize(value);
    sqlite3_close(db);
    return perStep;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: record_floor SCHEMA.sql\n");
        return 2;
    }
    char *schema = read_file(argv[1]);
    srand(1);
    for (int step = 0; step < steps; step++) {
        for (int k = 0; k < tensors; k++) {
            char *out = json[step][k];
            out += sprintf(out, "[");
            for (int i = 0; i < sizes[k % 6]; i++) {
                double x = (rand() / (double)RAND_MAX - 0.5) * 0.7;
                numbers[step][k][i] = x;
                out += sprintf(out, "%s%.17g", i ? "," : "", x);
            }
            sprintf(out, "]");
        }
    }
    const int groups[2] = {1, 64};
    for (int g = 0; g < 2; g++) {
        double best = 1e9;
        for (int rep = 0; rep < reps; rep++) {
            double perStep = one_rep(schema, groups[g]);
            if (perStep < best) best = perStep;
        }
        printf("%2d step%s per transaction: %.1f us/step (best of %d reps of %d steps)\n",
               groups[g], groups[g] == 1 ? " " : "s", best * 1e6, reps, steps);
    }
    free(schema);
    return 0;
}
