-- Lanes on a shared PostgreSQL history: every member of the gradbook group reads everything and
-- writes only its own sessions; nobody deletes history or writes server files.
--
-- Run by PostgresLanesTests (Tests/GradStoreTests) as a superuser, in a database that
-- `gradbook db init` set up and where `gradbook db grant` made the roles :alice and :bob members
-- of the group:
--   psql -X -v ON_ERROR_STOP=1 -v alice=ROLE -v bob=ROLE -d DB -f tests/postgres/lanes.sql
-- Every refusal is checked for its SQLSTATE; a statement that is not refused, or refused for
-- another reason, stops the script with an error (exit status 3). SET SESSION AUTHORIZATION
-- makes the session that role's, as if it had logged in (session_user and current_user).

\set QUIET on

-- Runs `statement` and fails unless it raises `expected` (a SQLSTATE); the error is printed.
CREATE FUNCTION pg_temp.expect_refused(what text, statement text, expected text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RAISE EXCEPTION 'NOT REFUSED (% as %): %', what, current_user, statement;
EXCEPTION
    WHEN raise_exception THEN RAISE;
    WHEN OTHERS THEN
        IF SQLSTATE <> expected THEN
            RAISE EXCEPTION 'WRONG ERROR (% as %): expected %, got %: %', what, current_user, expected, SQLSTATE, SQLERRM;
        END IF;
        RAISE NOTICE 'refused: % (%: %)', what, SQLSTATE, SQLERRM;
END
$$;

-- Every row of every gradbook table, as one digest per table: "nothing changed" is equality.
CREATE FUNCTION pg_temp.digest() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    name text;
    result text := '';
    part text;
BEGIN
    FOREACH name IN ARRAY ARRAY['session', 'cell', 'node', 'graph', 'graph_node', 'train', 'run', 'tensor', 'value',
                                'checkpoint', 'optimizer_state', 'gradbook_schema'] LOOP
        EXECUTE format('SELECT %L || '':'' || count(*) || '':'' || coalesce(md5(string_agg(t::text, '','' ORDER BY t::text)), '''') FROM %I AS t', name, name)
            INTO part;
        result := result || part || E'\n';
    END LOOP;
    RETURN result;
END
$$;

------------------------------------------------------------------------------------------------
-- bob records a session with a row in every table (what gradbook inserts, bound explicitly).
------------------------------------------------------------------------------------------------
SET SESSION AUTHORIZATION :"bob";
SELECT current_user = :'bob' AND session_user = :'bob' AS bob_is_logged_in \gset
\if :bob_is_logged_in
\else
    \echo 'SET SESSION AUTHORIZATION did not make the session bob''s'
    \quit 3
\endif

INSERT INTO session(kind, notebook, started_at, engine_revision, uid, owner)
VALUES ('batch', 'seed.grad', '2026-12-06T06:00:00.000Z', 1, 'b0b00000-0000-4000-8000-000000000001', current_user)
RETURNING id AS bob_session \gset
INSERT INTO cell(session_id, execution_count, source, started_at)
VALUES (:bob_session, 1, 'w = param(2)', '2026-12-06T06:00:00.001Z') RETURNING id AS bob_cell \gset
INSERT INTO node(session_id, cell_id, name, op, inputs, shape, is_param, expr, leaf_value, leaf_value_json, defined_at)
VALUES (:bob_session, :bob_cell, 'w', 'param', '[]', '[]', 1, 'param(2)', '\x0000000000000040', '2.0', '2026-12-06T06:00:00.002Z')
RETURNING id AS bob_node \gset
INSERT INTO graph(node_count, digest) VALUES (1, 42) RETURNING id AS bob_graph \gset
INSERT INTO graph_node(graph_id, node_id) VALUES (:bob_graph, :bob_node);
INSERT INTO train(session_id, cell_id, target, optimizer, steps, started_at, checkpoint_every)
VALUES (:bob_session, :bob_cell, 'w', '{"name":"sgd","lr":0.1}', 1, '2026-12-06T06:00:00.003Z', 100)
RETURNING id AS bob_train \gset
INSERT INTO run(session_id, cell_id, kind, target, target_node_id, step, loss, started_at, graph_id, train_id, record_policy, steps)
VALUES (:bob_session, :bob_cell, 'train', 'w', :bob_node, 0, 2.0, '2026-12-06T06:00:00.004Z', :bob_graph, :bob_train, 'params', 3)
RETURNING id AS bob_run \gset
INSERT INTO tensor(shape, data, json) VALUES ('[1]', '\x0000000000000040', NULL) RETURNING id AS bob_tensor \gset
INSERT INTO value(run_id, node_id, shape, numel, value_storage, grad_storage, value_tensor_id, grad, grad_json)
VALUES (:bob_run, :bob_node, '[]', 1, 2, 2, :bob_tensor, -4.0, '-4.0');
INSERT INTO checkpoint(run_id, optimizer_steps) VALUES (:bob_run, 0);
INSERT INTO optimizer_state(run_id, node_id, slot, shape, data) VALUES (:bob_run, :bob_node, 'momentum_buffer', '[]', '\x0000000000000000');

------------------------------------------------------------------------------------------------
-- alice records her own session, and may change what gradbook changes, in her rows.
------------------------------------------------------------------------------------------------
SET SESSION AUTHORIZATION :"alice";
INSERT INTO session(kind, started_at, uid, owner)
VALUES ('repl', '2026-12-06T06:01:00.000Z', 'a11ce000-0000-4000-8000-000000000001', current_user)
RETURNING id AS alice_session \gset
INSERT INTO cell(session_id, execution_count, source, started_at)
VALUES (:alice_session, 1, 'x = 1', '2026-12-06T06:01:00.001Z') RETURNING id AS alice_cell \gset
INSERT INTO run(session_id, cell_id, kind, target, started_at) VALUES (:alice_session, :alice_cell, 'forward', 'x', '2026-12-06T06:01:00.002Z')
RETURNING id AS alice_run \gset
INSERT INTO tensor(shape, data) VALUES ('[1]', '\x000000000000f03f') RETURNING id AS alice_tensor \gset
INSERT INTO node(session_id, cell_id, name, op, inputs, shape, is_param, defined_at)
VALUES (:alice_session, :alice_cell, 'x', 'leaf', '[]', '[]', 0, '2026-12-06T06:01:00.002Z') RETURNING id AS alice_node \gset
-- A replay cites the original's node and graph, whoever recorded them.
INSERT INTO run(session_id, kind, target, target_node_id, started_at, graph_id, replay_of)
VALUES (:alice_session, 'replay', 'w', :bob_node, '2026-12-06T06:01:00.003Z', :bob_graph, :bob_run) RETURNING id AS alice_replay \gset
INSERT INTO value(run_id, node_id, shape, numel, grad_storage, grad, grad_json) VALUES (:alice_replay, :bob_node, '[]', 1, 2, -4.0, '-4.0');
UPDATE session SET ended_at = '2026-12-06T06:02:00.000Z' WHERE id = :alice_session;
UPDATE cell SET status = 'ok', error = NULL, outputs = '[]', duration_ms = 1.5 WHERE id = :alice_cell;
UPDATE run SET duration_ms = 0.25 WHERE id = :alice_run;
UPDATE tensor SET json = '[1.0]' WHERE id = :alice_tensor;

------------------------------------------------------------------------------------------------
-- Both read both, through every public view.
------------------------------------------------------------------------------------------------
SELECT (SELECT count(*) FROM sessions WHERE owner = :'bob') = 1
   AND (SELECT count(*) FROM cells WHERE session_id = :bob_session) = 1
   AND (SELECT count(*) FROM nodes WHERE session_id = :bob_session) = 1
   AND (SELECT count(*) FROM runs WHERE session_id = :bob_session AND steps = 3) = 1
   AND (SELECT grad FROM run_values WHERE run_id = :bob_run) = -4
   AND (SELECT value_json FROM run_values WHERE run_id = :bob_run) IS NULL
   AND (SELECT count(*) FROM run_nodes WHERE run_id = :alice_replay) = 1
   AND (SELECT is_checkpoint FROM train_steps WHERE run_id = :bob_run) = 1
   AND (SELECT grad_norm FROM param_history WHERE run_id = :bob_run) = 4
   AND (SELECT state_tensors FROM checkpoints WHERE run_id = :bob_run) = 1
   AS alice_reads_bob \gset
\if :alice_reads_bob
\else
    \echo 'alice cannot read bob''s session through the views'
    \quit 3
\endif

SET SESSION AUTHORIZATION :"bob";
SELECT (SELECT count(*) FROM sessions WHERE owner = :'alice' AND ended_at IS NOT NULL) = 1
   AND (SELECT status FROM cells WHERE cell_id = :alice_cell) = 'ok'
   AND (SELECT kind FROM runs WHERE run_id = :alice_replay) = 'replay'
   AND (SELECT grad FROM run_values WHERE run_id = :alice_replay) = -4
   AS bob_reads_alice \gset
\if :bob_reads_alice
\else
    \echo 'bob cannot read alice''s session through the views'
    \quit 3
\endif

------------------------------------------------------------------------------------------------
-- alice against bob's lane: every attempt refused, nothing changed.
------------------------------------------------------------------------------------------------
RESET SESSION AUTHORIZATION;
SELECT pg_temp.digest() AS before_attacks \gset
SET SESSION AUTHORIZATION :"alice";
-- The refusals are printed as NOTICEs (stderr); the calls' empty results are not.
\o /dev/null


-- insert into bob's session, run, graph, checkpoint (23503: the owner is part of the parent's key)
SELECT pg_temp.expect_refused('a cell in bob''s session',
    format('INSERT INTO cell(session_id, source, started_at) VALUES (%s, %L, %L)', :bob_session, 'x', 'now'), '23503');
SELECT pg_temp.expect_refused('a node in bob''s session',
    format('INSERT INTO node(session_id, name, op, inputs, shape, is_param, defined_at) VALUES (%s, %L, %L, %L, %L, 0, %L)', :bob_session, 'z', 'leaf', '[]', '[]', 'now'), '23503');
SELECT pg_temp.expect_refused('a train() in bob''s session',
    format('INSERT INTO train(session_id, target, optimizer, steps, started_at) VALUES (%s, %L, %L, 1, %L)', :bob_session, 'w', '{}', 'now'), '23503');
SELECT pg_temp.expect_refused('a run in bob''s session',
    format('INSERT INTO run(session_id, kind, started_at) VALUES (%s, %L, %L)', :bob_session, 'forward', 'now'), '23503');
SELECT pg_temp.expect_refused('a run of her session in bob''s cell',
    format('INSERT INTO run(session_id, cell_id, kind, started_at) VALUES (%s, %s, %L, %L)', :alice_session, :bob_cell, 'forward', 'now'), '23503');
SELECT pg_temp.expect_refused('a run of her session in bob''s train()',
    format('INSERT INTO run(session_id, kind, train_id, started_at) VALUES (%s, %L, %s, %L)', :alice_session, 'train', :bob_train, 'now'), '23503');
SELECT pg_temp.expect_refused('a value in bob''s run',
    format('INSERT INTO value(run_id, node_id, shape, numel) VALUES (%s, %s, %L, 1)', :bob_run, :alice_node, '[]'), '23503');
SELECT pg_temp.expect_refused('a node in bob''s graph',
    format('INSERT INTO graph_node(graph_id, node_id) VALUES (%s, %s)', :bob_graph, :alice_node), '23503');
SELECT pg_temp.expect_refused('optimizer state in bob''s checkpoint',
    format('INSERT INTO optimizer_state(run_id, node_id, slot, shape, data) VALUES (%s, %s, %L, %L, %L)', :bob_run, :bob_node, 'exp_avg', '[]', '\x00'), '23503');
-- a run whose summaries name a node that is not there (23503: checked per statement, version 6)
SELECT pg_temp.expect_refused('summaries of a node that is not there',
    format('INSERT INTO run(session_id, kind, started_at, summary_node_ids, summary_shapes, summary_sizes, summary_stats) '
           'VALUES (%s, %L, %L, ARRAY[-1]::bigint[], ARRAY[%L], ARRAY[[1, 1]]::bigint[], ARRAY[[0, 0, 0, 0, 0, 0, 0, 0]]::float8[])',
           :alice_session, 'forward', 'now', '[]'), '23503');
-- ... or whose arrays do not match (23514: check constraint)
SELECT pg_temp.expect_refused('summaries with a statistic missing',
    format('INSERT INTO run(session_id, kind, started_at, summary_node_ids, summary_shapes, summary_sizes, summary_stats) '
           'VALUES (%s, %L, %L, ARRAY[%s]::bigint[], ARRAY[%L], ARRAY[[1, 1]]::bigint[], ARRAY[[0, 0, 0, 0, 0, 0, 0]]::float8[])',
           :alice_session, 'forward', 'now', :alice_node, '[]'), '23514');
-- a temporary table of hers named like ours does not stand in for it in the checks (23503)
CREATE TEMPORARY TABLE run (id bigint, owner text);
INSERT INTO pg_temp.run VALUES (:bob_run, current_user);
SELECT pg_temp.expect_refused('a value of bob''s run, vouched for by her own table "run"',
    format('INSERT INTO public.value(run_id, node_id, shape, numel) VALUES (%s, %s, %L, 1)', :bob_run, :alice_node, '[]'), '23503');
DROP TABLE pg_temp.run;
-- ... or posing as bob (42501: row-level security)
SELECT pg_temp.expect_refused('a session owned by bob',
    format('INSERT INTO session(kind, started_at, owner) VALUES (%L, %L, %L)', 'repl', 'now', :'bob'), '42501');
SELECT pg_temp.expect_refused('a cell in bob''s session, owned by bob',
    format('INSERT INTO cell(session_id, source, started_at, owner) VALUES (%s, %L, %L, %L)', :bob_session, 'x', 'now', :'bob'), '42501');
SELECT pg_temp.expect_refused('a checkpoint of bob''s run, owned by bob',
    format('INSERT INTO checkpoint(run_id, optimizer_steps, owner) VALUES (%s, 1, %L)', :bob_run, :'bob'), '42501');

-- update bob's rows, in the columns gradbook updates (42501: row-level security)
SELECT pg_temp.expect_refused('ending bob''s session', format('UPDATE session SET ended_at = %L WHERE id = %s', 'now', :bob_session), '42501');
SELECT pg_temp.expect_refused('the outcome of bob''s cell', format('UPDATE cell SET status = %L, error = %L WHERE id = %s', 'error', 'x', :bob_cell), '42501');
SELECT pg_temp.expect_refused('the duration of bob''s run', format('UPDATE run SET duration_ms = 0 WHERE id = %s', :bob_run), '42501');
SELECT pg_temp.expect_refused('the JSON of bob''s tensor', format('UPDATE tensor SET json = %L WHERE id = %s', '[9]', :bob_tensor), '42501');
SELECT pg_temp.expect_refused('every cell at once, bob''s among them', 'UPDATE cell SET duration_ms = 0', '42501');
-- ... and any other column, even of her own rows (42501: no privilege)
SELECT pg_temp.expect_refused('taking over bob''s session', format('UPDATE session SET owner = current_user WHERE id = %s', :bob_session), '42501');
SELECT pg_temp.expect_refused('giving her session to bob', format('UPDATE session SET owner = %L WHERE id = %s', :'bob', :alice_session), '42501');
SELECT pg_temp.expect_refused('rewriting a recorded loss', format('UPDATE run SET loss = 0 WHERE id = %s', :alice_run), '42501');
SELECT pg_temp.expect_refused('rewriting a recorded gradient', 'UPDATE value SET grad = 0', '42501');
SELECT pg_temp.expect_refused('rewriting a cell''s source', format('UPDATE cell SET source = %L WHERE id = %s', 'y', :alice_cell), '42501');
SELECT pg_temp.expect_refused('the schema version', 'UPDATE gradbook_schema SET version = 1', '42501');

-- delete or truncate anything, her own rows included (42501: no privilege)
SELECT pg_temp.expect_refused(format('DELETE FROM %s', t), format('DELETE FROM %I', t), '42501'),
       pg_temp.expect_refused(format('DELETE FROM %s (her rows)', t), format('DELETE FROM %I WHERE owner = current_user', t), '42501'),
       pg_temp.expect_refused(format('TRUNCATE %s', t), format('TRUNCATE %I', t), '42501')
FROM unnest(ARRAY['session', 'cell', 'node', 'graph', 'graph_node', 'train', 'run', 'tensor', 'value',
                  'checkpoint', 'optimizer_state']) AS t;
SELECT pg_temp.expect_refused('DELETE FROM gradbook_schema', 'DELETE FROM gradbook_schema', '42501');
SELECT pg_temp.expect_refused('DELETE through a view', 'DELETE FROM sessions', '42501');

-- change the schema (42501: owner only)
SELECT pg_temp.expect_refused('DROP VIEW', 'DROP VIEW run_values', '42501');
SELECT pg_temp.expect_refused('ALTER TABLE', 'ALTER TABLE run DISABLE ROW LEVEL SECURITY', '42501');
SELECT pg_temp.expect_refused('DROP POLICY', 'DROP POLICY lane_update ON session', '42501');

-- write server files (42501: neither pg_write_server_files nor lo_export)
SELECT pg_temp.expect_refused('COPY TO a file', 'COPY session TO ''/tmp/gradbook-lanes-copy''', '42501');
SELECT pg_temp.expect_refused('COPY (query) TO a file', 'COPY (SELECT 1) TO ''/tmp/gradbook-lanes-query''', '42501');
SELECT pg_temp.expect_refused('COPY TO PROGRAM', 'COPY (SELECT 1) TO PROGRAM ''true''', '42501');
SELECT pg_temp.expect_refused('lo_export', 'SELECT lo_export(lo_from_bytea(0, ''x''), ''/tmp/gradbook-lanes-lo'')', '42501');

\o
RESET SESSION AUTHORIZATION;
SELECT pg_temp.digest() AS after_attacks \gset
SELECT :'before_attacks' = :'after_attacks' AS nothing_changed \gset
\if :nothing_changed
\else
    \echo 'a refused statement changed the history:'
    \echo :before_attacks
    \echo :after_attacks
    \quit 3
\endif

-- The group itself: no file-writing privileges, no superuser powers, no DELETE anywhere.
SELECT count(*) = 0 AS group_is_plain FROM pg_roles AS g
WHERE pg_has_role(:'alice', g.oid, 'MEMBER') AND g.rolname <> :'alice'
  AND (g.rolsuper OR g.rolbypassrls
       OR pg_has_role(g.oid, 'pg_write_server_files', 'USAGE')
       OR pg_has_role(g.oid, 'pg_execute_server_program', 'USAGE')
       OR has_function_privilege(g.oid, 'pg_catalog.lo_export(oid, text)', 'EXECUTE')
       OR has_table_privilege(g.oid, 'session', 'DELETE') OR has_table_privilege(g.oid, 'value', 'TRUNCATE')) \gset
\if :group_is_plain
\else
    \echo 'a group of alice holds a privilege it must not'
    \quit 3
\endif

\echo 'lanes: ok'
