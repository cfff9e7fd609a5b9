/// The internal tables as `gradbook copy` moves them (HistoryCopy.swift): which rows belong to a
/// session, which columns hold ids of other rows. The copy is driven by this list alone, and a
/// test checks it against schema.sql, so a column or table added there without being described
/// here fails a test instead of being dropped from copies.
struct HistoryTable: Sendable {
    /// Which rows of the table a session brings with it.
    enum Rows: Sendable {
        /// The session row itself.
        case session
        /// Rows with a `session_id` column.
        case ofSession
        /// Rows with a `run_id` column naming one of the session's runs.
        case ofRun
        /// Graphs the session's runs used (shared between runs and sessions).
        case graph
        /// Members of those graphs.
        case graphMember
        /// Tensors the session's values refer to (shared between values).
        case tensor
    }

    let name: String
    /// The id column, assigned anew by the target; nil for tables keyed by their references.
    let key: String?
    /// Every other column, in schema order. PostgreSQL's per-row `owner` is not listed: it is
    /// set from the session's owner when the target is PostgreSQL (see HistoryCopy).
    let columns: [String]
    /// Columns holding ids of rows of another table (column -> table).
    let references: [String: String]
    /// References that may become NULL when the row they name is in no history the copy can
    /// see: a replay still replays without knowing which run it repeated.
    let droppableReferences: Set<String>
    let rows: Rows
    /// The order in which rows are read and inserted: the target numbers rows in this order, so
    /// a row's rank within its session is the same in every copy.
    let order: String

    init(_ name: String, key: String? = "id", columns: [String], references: [String: String] = [:],
         droppable: Set<String> = [], rows: Rows, order: String = "id") {
        self.name = name
        self.key = key
        self.columns = columns
        self.references = references
        self.droppableReferences = droppable
        self.rows = rows
        self.order = order
    }

    /// `key` and `columns`, as they are selected.
    var selectedColumns: [String] { (key.map { [$0] } ?? []) + columns }

    static let session = HistoryTable(
        "session", columns: ["kind", "notebook", "started_at", "ended_at", "engine_revision", "uid", "owner"],
        rows: .session)
    static let cell = HistoryTable(
        "cell", columns: ["session_id", "execution_count", "source", "status", "error", "outputs", "started_at", "duration_ms"],
        references: ["session_id": "session"], rows: .ofSession)
    static let node = HistoryTable(
        "node", columns: ["session_id", "cell_id", "name", "op", "inputs", "shape", "is_param", "expr", "attributes",
                          "leaf_value", "leaf_value_json", "defined_at"],
        references: ["session_id": "session", "cell_id": "cell"], rows: .ofSession)
    static let train = HistoryTable(
        "train", columns: ["session_id", "cell_id", "target", "optimizer", "steps", "started_at", "checkpoint_every"],
        references: ["session_id": "session", "cell_id": "cell"], rows: .ofSession)
    /// `digest` hashes the member ids, which differ in the target: it is computed again there.
    static let graph = HistoryTable("graph", columns: ["node_count", "digest"], rows: .graph)
    static let graphNode = HistoryTable(
        "graph_node", key: nil, columns: ["graph_id", "node_id"], references: ["graph_id": "graph", "node_id": "node"],
        rows: .graphMember, order: "graph_id, node_id")
    static let run = HistoryTable(
        "run", columns: ["session_id", "cell_id", "kind", "target", "target_node_id", "step", "loss", "started_at",
                         "duration_ms", "graph_id", "train_id", "replay_of", "record_policy", "steps"],
        references: ["session_id": "session", "cell_id": "cell", "target_node_id": "node", "graph_id": "graph",
                     "train_id": "train", "replay_of": "run"],
        droppable: ["replay_of"], rows: .ofSession)
    static let tensor = HistoryTable("tensor", columns: ["shape", "data", "json"], rows: .tensor)
    static let value = HistoryTable(
        "value", key: nil,
        columns: ["run_id", "node_id", "shape", "numel", "value_storage", "grad_storage", "value", "value_json",
                  "value_tensor_id", "value_min", "value_max", "value_mean", "value_l2", "grad", "grad_json",
                  "grad_tensor_id", "grad_min", "grad_max", "grad_mean", "grad_l2"],
        references: ["run_id": "run", "node_id": "node", "value_tensor_id": "tensor", "grad_tensor_id": "tensor"],
        rows: .ofRun, order: "run_id, node_id")
    /// Keyed by its run: a reference to a checkpoint is a reference to that run.
    static let checkpoint = HistoryTable(
        "checkpoint", key: nil, columns: ["run_id", "optimizer_steps"], references: ["run_id": "run"],
        rows: .ofRun, order: "run_id")
    static let optimizerState = HistoryTable(
        "optimizer_state", key: nil, columns: ["run_id", "node_id", "slot", "shape", "data"],
        references: ["run_id": "checkpoint", "node_id": "node"], rows: .ofRun, order: "run_id, node_id, slot")

    /// Every table, parents before the rows that refer to them.
    static let all: [HistoryTable] = [session, cell, node, train, graph, graphNode, run, tensor, value, checkpoint, optimizerState]

    /// The table whose ids a reference to `name` holds: a checkpoint is named by its run's id.
    static func identifying(_ name: String) -> String {
        name == checkpoint.name ? run.name : name
    }

    /// Tables whose rows belong to one session, numbered in the same order in every copy.
    static let sessionOwned: Set<String> = [cell.name, node.name, train.name, run.name]
}
