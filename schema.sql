-- gradbook run history (SQLite).
--
-- This file is the only place the schema is written. The gradbook binary embeds it and runs it
-- as a sequence of versions: version 1 is everything up to the first line that starts with
-- `-- @version N: name`; each such line starts version N, the statements that take a version
-- N-1 database to N. A schema change appends a section at the end and never edits an earlier
-- one, so every database, fresh or upgraded, is built by the same steps, each in its own
-- transaction, and PRAGMA user_version says how far it got. A view that a later section
-- redefines (DROP VIEW + CREATE VIEW) is described where it is last created.
--
-- Conventions
--   * Internal tables have singular names (session, cell, node, ...). They may change between
--     versions, always through a migration.
--   * PUBLIC names are the plural views at the end of this file: sessions, cells, nodes, runs,
--     run_values (SPEC §3, columns fixed forever; later columns may be appended), and
--     run_nodes, train_steps, param_history (documented extras). They work from the stock
--     sqlite3 shell: no custom SQL functions are needed anywhere.
--   * Times are ISO-8601 UTC text with milliseconds: 2026-11-27T04:31:12.345Z.
--   * Durations are REAL milliseconds.
--   * Shapes and input lists are JSON arrays: '[]' is a scalar, '[2,3]' a 2x3 matrix.
--   * Tensors are stored two ways when stored in full: `data`, float64 little-endian row-major
--     (the exact bits, what replay reads), and `json`, nested arrays by shape with shortest
--     round-trip numbers (what SQL reads). JSON has no NaN or infinities: NaN is written null,
--     +/-Infinity as 9e999 / -9e999 (which every JSON reader, SQLite's included, parses as +/-inf).
--   * Scalars (shape []) are stored as REAL plus their exact JSON text; a REAL column cannot hold
--     NaN (SQLite turns it into NULL), the JSON text keeps it as null.

CREATE TABLE session (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('repl', 'batch', 'kernel')),
    notebook    TEXT,                     -- path of the notebook file for batch runs and kernels
    started_at  TEXT NOT NULL,
    ended_at    TEXT                      -- NULL while the session runs or if its process died
) STRICT;

CREATE TABLE cell (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES session(id),
    execution_count INTEGER,
    source          TEXT NOT NULL,
    -- NULL while the cell runs; stays NULL if the process died during the cell.
    status          TEXT CHECK (status IN ('ok', 'error')),
    error           TEXT,
    outputs         TEXT CHECK (outputs IS NULL OR json_valid(outputs)),  -- nbformat outputs array
    started_at      TEXT NOT NULL,
    duration_ms     REAL
) STRICT;
CREATE INDEX cell_by_session ON cell(session_id, execution_count);

-- One row per DEFINITION of a named node: redefining `x` adds a row and leaves the old one, so
-- every run can still name the exact definitions it used (see graph_node).
CREATE TABLE node (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES session(id),
    cell_id         INTEGER REFERENCES cell(id),
    name            TEXT NOT NULL,
    op              TEXT NOT NULL,
    inputs          TEXT NOT NULL CHECK (json_valid(inputs)),   -- JSON array of input node names
    shape           TEXT NOT NULL CHECK (json_valid(shape)),    -- shape when defined
    is_param        INTEGER NOT NULL CHECK (is_param IN (0, 1)),
    expr            TEXT,                                        -- the definition's source text
    attributes      TEXT CHECK (attributes IS NULL OR json_valid(attributes)),
    leaf_value      BLOB,        -- leaves and params: the value at definition, float64 LE
    leaf_value_json TEXT,        -- the same value as nested JSON
    defined_at      TEXT NOT NULL
) STRICT;
CREATE INDEX node_by_session_name ON node(session_id, name);
CREATE INDEX node_by_cell ON node(cell_id);

-- The set of node definitions a run used. Runs with the same set share one graph (every step of
-- a train() call, and a replay with its original), so recording a step adds no rows here.
-- Replay rebuilds run N from exactly these definitions, however the names were redefined since.
CREATE TABLE graph (
    id          INTEGER PRIMARY KEY,
    node_count  INTEGER NOT NULL,
    digest      INTEGER NOT NULL      -- hash of the sorted node ids, to find an identical graph
) STRICT;
CREATE INDEX graph_by_digest ON graph(digest);

CREATE TABLE graph_node (
    graph_id  INTEGER NOT NULL REFERENCES graph(id),
    node_id   INTEGER NOT NULL REFERENCES node(id),
    PRIMARY KEY (graph_id, node_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX graph_node_by_node ON graph_node(node_id);

-- One call of train(): its settings, shared by the runs of its steps.
CREATE TABLE train (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES session(id),
    cell_id     INTEGER REFERENCES cell(id),
    target      TEXT NOT NULL,
    optimizer   TEXT NOT NULL CHECK (json_valid(optimizer)),  -- {"name":"adam","lr":0.01,...}
    steps       INTEGER NOT NULL,                              -- steps asked for
    started_at  TEXT NOT NULL
) STRICT;

CREATE TABLE run (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES session(id),
    cell_id         INTEGER REFERENCES cell(id),     -- NULL for a replay started from the CLI
    kind            TEXT NOT NULL CHECK (kind IN ('forward', 'backward', 'train', 'replay')),
    target          TEXT,                            -- name of the node the run computed
    target_node_id  INTEGER REFERENCES node(id),
    step            INTEGER,                         -- 0-based step of a train() call
    loss            REAL,                            -- the target's value when it is a scalar
    started_at      TEXT NOT NULL,
    duration_ms     REAL,
    graph_id        INTEGER REFERENCES graph(id),
    train_id        INTEGER REFERENCES train(id),
    replay_of       INTEGER REFERENCES run(id),
    record_policy   TEXT CHECK (record_policy IN ('all', 'params', 'scalars', 'none'))
) STRICT;
CREATE INDEX run_by_session ON run(session_id, id);
CREATE INDEX run_by_train ON run(train_id, step);

-- A tensor stored in full (see Conventions). Referenced by value rows; an unchanged tensor
-- (a dataset leaf at every training step) is stored once and referenced again.
-- `json` is derived from `data`. A writer may store `data` first and fill `json` later (when the
-- cell finishes, or on the next read-write open after a crash); until then the views show NULL
-- JSON for those rows, while `data` is always complete. gradbook writes both with the row.
CREATE TABLE tensor (
    id     INTEGER PRIMARY KEY,
    shape  TEXT NOT NULL,        -- JSON array, to nest `json` without the value row
    data   BLOB NOT NULL,
    json   TEXT
) STRICT;
CREATE INDEX tensor_json_pending ON tensor(id) WHERE json IS NULL;

-- What a run recorded for one node. value_storage / grad_storage say how much:
--   NULL  not recorded;
--   1     summary: numel (always set) and the _min/_max/_mean/_l2 columns;
--   2     in full: a scalar as REAL + exact JSON text, a tensor as tensor row + the summary columns.
-- A summary of a tensor holding NaN has NULL statistics (SQLite stores NaN as NULL).
CREATE TABLE value (
    run_id          INTEGER NOT NULL REFERENCES run(id),
    node_id         INTEGER NOT NULL REFERENCES node(id),
    shape           TEXT NOT NULL,        -- JSON array: the shape in this run
    numel           INTEGER NOT NULL,
    value_storage   INTEGER CHECK (value_storage IN (1, 2)),
    grad_storage    INTEGER CHECK (grad_storage IN (1, 2)),
    value           REAL,
    value_json      TEXT,
    value_tensor_id INTEGER REFERENCES tensor(id),
    value_min       REAL,
    value_max       REAL,
    value_mean      REAL,
    value_l2        REAL,
    grad            REAL,
    grad_json       TEXT,
    grad_tensor_id  INTEGER REFERENCES tensor(id),
    grad_min        REAL,
    grad_max        REAL,
    grad_mean       REAL,
    grad_l2         REAL,
    PRIMARY KEY (run_id, node_id)
) STRICT, WITHOUT ROWID;

------------------------------------------------------------------------------------------------
-- PUBLIC query surface. Column lists and meanings below are stable across versions.
------------------------------------------------------------------------------------------------

-- sessions: one row per REPL, batch run or kernel.
--   session_id, kind ('repl'/'batch'/'kernel'), notebook (file path or NULL),
--   started_at, ended_at (NULL while running, or if the process died).
CREATE VIEW sessions AS
SELECT id AS session_id, kind, notebook, started_at, ended_at
FROM session;

-- cells: one row per executed cell.
--   cell_id, session_id, execution_count, source, status ('ok'/'error'; NULL while running or
--   if the process died during the cell), error (message, NULL if ok), started_at, duration_ms,
--   outputs (extra: the nbformat outputs as a JSON array).
CREATE VIEW cells AS
SELECT id AS cell_id, session_id, execution_count, source, status, error, started_at, duration_ms,
       outputs
FROM cell;

-- nodes: one row per definition of a named node (a redefinition is a new row).
--   node_id, session_id, cell_id, name, op, inputs (JSON array of names), shape (JSON array, at
--   definition), is_param (0/1); extras: expr (source text of the definition), attributes (JSON),
--   leaf_value_json (leaves and params: the value at definition, nested JSON), defined_at,
--   leaf_value (the same value as a float64 little-endian BLOB).
CREATE VIEW nodes AS
SELECT id AS node_id, session_id, cell_id, name, op, inputs, shape, is_param,
       expr, attributes, leaf_value_json, defined_at, leaf_value
FROM node;

-- runs: one row per forward pass, backward pass, train step or replay.
--   run_id, session_id, cell_id, kind ('forward'/'backward'/'train'/'replay'), target (node
--   name), step (train steps, 0-based), loss (target's value when scalar), started_at,
--   duration_ms; extras: replay_of (the run a replay re-ran), train_id (groups the steps of one
--   train() call), optimizer (JSON settings of that call), record_policy ('all'/'params'/
--   'scalars'/'none'), graph_id (the node definitions used, see run_nodes), target_node_id.
CREATE VIEW runs AS
SELECT r.id AS run_id, r.session_id, r.cell_id, r.kind, r.target, r.step, r.loss, r.started_at,
       r.duration_ms, r.replay_of, r.train_id, t.optimizer, r.record_policy, r.graph_id,
       r.target_node_id
FROM run AS r
LEFT JOIN train AS t ON t.id = r.train_id;

-- run_values: what each run recorded per node.
--   run_id, node_id, name, shape (JSON array, in this run), value and grad (REAL for scalars,
--   NULL otherwise or when not recorded), value_json and grad_json (the tensor as nested JSON
--   where it was stored in full, scalars included; NULL otherwise); extras: value_stored and
--   grad_stored ('full'/'summary'/NULL = not recorded), numel, and the summaries value_min,
--   value_max, value_mean, value_l2, grad_min, grad_max, grad_mean, grad_l2 (set for every
--   non-scalar tensor recorded, in full or as a summary).
CREATE VIEW run_values AS
SELECT v.run_id, v.node_id, n.name, v.shape, v.value, v.grad,
       COALESCE(v.value_json, vt.json) AS value_json,
       COALESCE(v.grad_json, gt.json) AS grad_json,
       CASE v.value_storage WHEN 2 THEN 'full' WHEN 1 THEN 'summary' END AS value_stored,
       CASE v.grad_storage WHEN 2 THEN 'full' WHEN 1 THEN 'summary' END AS grad_stored,
       v.numel,
       v.value_min, v.value_max, v.value_mean, v.value_l2,
       v.grad_min, v.grad_max, v.grad_mean, v.grad_l2
FROM value AS v
JOIN node AS n ON n.id = v.node_id
LEFT JOIN tensor AS vt ON vt.id = v.value_tensor_id
LEFT JOIN tensor AS gt ON gt.id = v.grad_tensor_id;

-- run_nodes: the node definitions each run used (its whole graph, recorded whatever the
-- %record policy), so a run can be rebuilt and two runs compared after names were redefined.
--   run_id, node_id, name, op, inputs, shape, is_param, expr, attributes, cell_id.
CREATE VIEW run_nodes AS
SELECT r.id AS run_id, n.id AS node_id, n.name, n.op, n.inputs, n.shape, n.is_param, n.expr,
       n.attributes, n.cell_id
FROM run AS r
JOIN graph_node AS g ON g.graph_id = r.graph_id
JOIN node AS n ON n.id = g.node_id;

-- train_steps: one row per recorded training step (loss curves).
--   run_id, session_id, target, step, loss, started_at, duration_ms, train_id, cell_id,
--   optimizer (JSON settings of the train() call).
--   Example: SELECT step, loss FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps);
CREATE VIEW train_steps AS
SELECT r.id AS run_id, r.session_id, r.target, r.step, r.loss, r.started_at, r.duration_ms,
       r.train_id, r.cell_id, t.optimizer
FROM run AS r
LEFT JOIN train AS t ON t.id = r.train_id
WHERE r.kind = 'train';

-- param_history: every param's value and gradient in every run that recorded it.
--   run_id, step (NULL outside training), name, value, grad (REAL for scalar params),
--   grad_norm (L2 norm of the gradient: |grad| for scalars), value_norm, kind, train_id, loss,
--   node_id, shape, value_json, grad_json (full tensors where stored in full), value_mean,
--   grad_mean, grad_max_abs (largest |gradient element|).
--   Example: SELECT step, name, grad_norm FROM param_history WHERE train_id = 1 ORDER BY step, name;
CREATE VIEW param_history AS
SELECT r.id AS run_id, r.step, n.name, v.value, v.grad,
       COALESCE(v.grad_l2, abs(v.grad)) AS grad_norm,
       COALESCE(v.value_l2, abs(v.value)) AS value_norm,
       r.kind, r.train_id, r.loss, v.node_id, v.shape,
       COALESCE(v.value_json, vt.json) AS value_json,
       COALESCE(v.grad_json, gt.json) AS grad_json,
       COALESCE(v.value_mean, v.value) AS value_mean,
       COALESCE(v.grad_mean, v.grad) AS grad_mean,
       COALESCE(max(abs(v.grad_min), abs(v.grad_max)), abs(v.grad)) AS grad_max_abs
FROM value AS v
JOIN node AS n ON n.id = v.node_id
JOIN run AS r ON r.id = v.run_id
LEFT JOIN tensor AS vt ON vt.id = v.value_tensor_id
LEFT JOIN tensor AS gt ON gt.id = v.grad_tensor_id
WHERE n.is_param = 1;

-- @version 2: engine revision of each session
-- Which revision of gradbook's arithmetic a session computed with, so a replay rebuilds its runs
-- the same way, bit for bit. NULL: a session recorded before revisions were kept (revision 0).
-- Revision 1: `a @ b.T` and `a.T @ b` are one matrix product that reads the operand transposed
-- in place (BLAS's transa/transb); before, the transpose was copied first, and BLAS may sum in
-- another order for the two layouts.
ALTER TABLE session ADD COLUMN engine_revision INTEGER;

-- @version 3: step counts and forward-mode runs
-- Every run records how many node evaluations it made (`steps`), and two kinds of run join the
-- four: 'forward_mode' (jvp, grad(..., mode="forward")) and 'gradcheck' (finite differences).
-- SQLite cannot widen a CHECK constraint in place, so `run` is rebuilt: copied into a new table
-- that takes its name. The migrator runs every version with foreign keys off and checks them
-- before committing (SQLite's documented procedure for rebuilding a table); legacy_alter_table
-- keeps the rename from re-parsing the views, which name `run` and read the new table as before.
PRAGMA legacy_alter_table = ON;
CREATE TABLE run_rebuilt (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES session(id),
    cell_id         INTEGER REFERENCES cell(id),     -- NULL for a replay started from the CLI
    kind            TEXT NOT NULL CHECK (kind IN ('forward', 'backward', 'train', 'replay', 'forward_mode', 'gradcheck')),
    target          TEXT,                            -- name of the node the run computed
    target_node_id  INTEGER REFERENCES node(id),
    step            INTEGER,                         -- 0-based step of a train() call
    loss            REAL,                            -- the target's value when it is a scalar
    started_at      TEXT NOT NULL,
    duration_ms     REAL,
    graph_id        INTEGER REFERENCES graph(id),
    train_id        INTEGER REFERENCES train(id),
    replay_of       INTEGER REFERENCES run(id),
    record_policy   TEXT CHECK (record_policy IN ('all', 'params', 'scalars', 'none')),
    -- Node evaluations the run made (README, "Steps"): forward = op nodes evaluated; backward =
    -- op nodes whose VJP ran + elements of the params that received a gradient (n + p);
    -- forward_mode = JVPs over all its passes; gradcheck = nodes re-evaluated by its finite
    -- differences; train = the step's forward re-evaluation + its backward. NULL: not counted
    -- (replays, and runs recorded before this version).
    steps           INTEGER CHECK (steps IS NULL OR steps >= 0)
) STRICT;
INSERT INTO run_rebuilt(id, session_id, cell_id, kind, target, target_node_id, step, loss, started_at,
                        duration_ms, graph_id, train_id, replay_of, record_policy)
SELECT id, session_id, cell_id, kind, target, target_node_id, step, loss, started_at,
       duration_ms, graph_id, train_id, replay_of, record_policy
FROM run;
DROP TABLE run;
ALTER TABLE run_rebuilt RENAME TO run;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX run_by_session ON run(session_id, id);
CREATE INDEX run_by_train ON run(train_id, step);

-- runs: one row per forward pass, backward pass, train step, replay, forward-mode computation
-- or gradcheck.
--   run_id, session_id, cell_id, kind ('forward'/'backward'/'train'/'replay'/'forward_mode'/
--   'gradcheck'), target (node name), step (train steps, 0-based), loss (target's value when
--   scalar), started_at, duration_ms; extras: replay_of (the run a replay re-ran), train_id
--   (groups the steps of one train() call), optimizer (JSON settings of that call),
--   record_policy ('all'/'params'/'scalars'/'none'), graph_id (the node definitions used, see
--   run_nodes), target_node_id, steps (node evaluations the run made; see `run.steps`).
DROP VIEW runs;
CREATE VIEW runs AS
SELECT r.id AS run_id, r.session_id, r.cell_id, r.kind, r.target, r.step, r.loss, r.started_at,
       r.duration_ms, r.replay_of, r.train_id, t.optimizer, r.record_policy, r.graph_id,
       r.target_node_id, r.steps
FROM run AS r
LEFT JOIN train AS t ON t.id = r.train_id;

-- @version 4: training checkpoints
-- A train() call records summaries of its params at every step and, at checkpoints, everything
-- needed to continue exactly: every param's value and gradient in full (the step's value rows)
-- and the optimizer's state (below). A step between checkpoints is recovered by re-executing
-- the steps from the checkpoint before it (gradbook replay), each checked against its summaries.

-- The checkpoint interval K of a train() call: the first step, every K-th step and the last
-- finished step are checkpoints. NULL: none were kept (%record scalars or none), or the call
-- was recorded before checkpoints existed.
ALTER TABLE train ADD COLUMN checkpoint_every INTEGER;

-- A training step stored as a checkpoint. Its optimizer state is the state BEFORE the step's
-- update, the moment the step's value rows describe (params as the step's forward pass used
-- them): restoring both and running the step again continues the training exactly.
CREATE TABLE checkpoint (
    run_id          INTEGER PRIMARY KEY REFERENCES run(id),
    optimizer_steps INTEGER NOT NULL      -- updates made before this step (Adam's t − 1, the lr decay's k)
) STRICT;

-- The optimizer's per-param buffers at a checkpoint, under PyTorch's names: 'momentum_buffer'
-- (momentum), 'exp_avg' and 'exp_avg_sq' (adam); SGD keeps none. A param without a row has no
-- buffer yet. `data` is float64 little-endian row-major, the exact bits.
CREATE TABLE optimizer_state (
    run_id   INTEGER NOT NULL REFERENCES checkpoint(run_id),
    node_id  INTEGER NOT NULL REFERENCES node(id),
    slot     TEXT NOT NULL CHECK (slot IN ('momentum_buffer', 'exp_avg', 'exp_avg_sq')),
    shape    TEXT NOT NULL,       -- JSON array, the param's shape
    data     BLOB NOT NULL,
    PRIMARY KEY (run_id, node_id, slot)
) STRICT, WITHOUT ROWID;

-- checkpoints: the training steps stored as checkpoints (PUBLIC).
--   train_id, step, run_id, session_id, optimizer (JSON settings of the train() call),
--   optimizer_steps (updates made before the step), state_tensors (optimizer buffers stored),
--   checkpoint_every (the call's interval K).
--   Example: SELECT step, run_id FROM checkpoints WHERE train_id = 1 ORDER BY step;
CREATE VIEW checkpoints AS
SELECT r.train_id, r.step, c.run_id, r.session_id, t.optimizer, c.optimizer_steps,
       (SELECT count(*) FROM optimizer_state AS s WHERE s.run_id = c.run_id) AS state_tensors,
       t.checkpoint_every
FROM checkpoint AS c
JOIN run AS r ON r.id = c.run_id
LEFT JOIN train AS t ON t.id = r.train_id;

-- train_steps: one row per recorded training step (loss curves).
--   run_id, session_id, target, step, loss, started_at, duration_ms, train_id, cell_id,
--   optimizer (JSON settings of the train() call), is_checkpoint (1: the step's params are
--   stored in full with the optimizer state; 0: as summaries, recovered by gradbook replay).
--   Example: SELECT step, loss FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps);
DROP VIEW train_steps;
CREATE VIEW train_steps AS
SELECT r.id AS run_id, r.session_id, r.target, r.step, r.loss, r.started_at, r.duration_ms,
       r.train_id, r.cell_id, t.optimizer,
       EXISTS (SELECT 1 FROM checkpoint AS c WHERE c.run_id = r.id) AS is_checkpoint
FROM run AS r
LEFT JOIN train AS t ON t.id = r.train_id
WHERE r.kind = 'train';

-- @version 5: session identity and owner
-- A history can be copied into another (`gradbook copy`, SQLite <-> PostgreSQL): a session's
-- `uid` (a random UUID, lowercase text) is its identity in every history, so copying twice stores
-- it once. `owner` is who recorded it: the login name on SQLite, the PostgreSQL role on a shared
-- server (where row-level security lets each role write only its own sessions). Sessions
-- recorded before this version get a fresh uid and no owner.
ALTER TABLE session ADD COLUMN uid TEXT;
ALTER TABLE session ADD COLUMN owner TEXT;
UPDATE session SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
                         || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2)
                         || '-' || hex(randomblob(6)))
WHERE uid IS NULL;
CREATE UNIQUE INDEX session_by_uid ON session(uid);

-- sessions: one row per REPL, batch run or kernel.
--   session_id, kind ('repl'/'batch'/'kernel'), notebook (file path or NULL), started_at,
--   ended_at (NULL while running, or if the process died); extras: session_uid (the session's
--   identity in every history it is copied to), owner (who recorded it).
DROP VIEW sessions;
CREATE VIEW sessions AS
SELECT id AS session_id, kind, notebook, started_at, ended_at, uid AS session_uid, owner
FROM session;
