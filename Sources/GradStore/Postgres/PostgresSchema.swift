/// The PostgreSQL schema as embedded from `schema-postgres.sql` at the repository root (never a
/// copy), split into the same `-- @version N: name` sections as `schema.sql`.
public enum PostgresSchema {
    public static let sql = String(decoding: PackageResources.schema_postgres_sql, as: UTF8.self)

    public static let sections: [Schema.Section] = Schema.split(sql)

    /// SQL for the relations of the current schema (where the sections create theirs) whose
    /// names `names` (an SQL expression of type text[]) lists: `pg_class` rows, read with the
    /// statement's snapshot. Not `to_regclass`: it answers from the backend's catalog cache, which
    /// may still say "no such table" just after another client's migration committed, until this
    /// connection processes the invalidations (at its next transaction or relation lock).
    static func relations(named names: String) -> String {
        """
        SELECT c.oid, c.relname, c.relowner, c.relacl FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relname = ANY (\(names))
        """
    }

    /// The table that holds the schema version (one row), PostgreSQL's `PRAGMA user_version`.
    static let versionTable = "gradbook_schema"

    /// The tables the sections create, in creation order. A database shared with other
    /// applications is recognised as someone else's only by these names (and the views').
    static let tables = ["session", "cell", "node", "graph", "graph_node", "train", "run", "tensor", "value",
                         "checkpoint", "optimizer_state"]

    /// The public views (SQLite's), then the internal ones.
    static let views = publicViews + internalViews
    static let publicViews = ["sessions", "cells", "nodes", "runs", "run_values", "run_nodes", "train_steps",
                              "param_history", "checkpoints"]
    /// Views SQLite does not have: `value_rows`, what the public views and the store read for
    /// `value` (schema-postgres.sql, versions 6 and 8).
    static let internalViews = ["value_rows"]

    /// Columns SQLite's tables do not have, besides `owner` on every table: a run's values in its
    /// row, summaries (version 6) and tensor rows and full scalars (version 8), which
    /// `value_rows` shows as rows of `value`.
    static let internalColumns: [String: [String]] = [
        "run": ["summary_node_ids", "summary_shapes", "summary_sizes", "summary_stats",
                "summary_tensor_ids", "summary_scalars", "summary_scalar_json"],
    ]

    /// The only columns gradbook changes after inserting a row (a session's end, a cell's
    /// outcome, a run's duration, a tensor's deferred JSON): the group role may update these
    /// and nothing else.
    static let updatableColumns: [(table: String, columns: [String])] = [
        ("session", ["ended_at"]),
        ("cell", ["status", "error", "outputs", "duration_ms"]),
        ("run", ["duration_ms"]),
        ("tensor", ["json"]),
    ]
}
