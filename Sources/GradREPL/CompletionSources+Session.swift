import GradInterpreter
import GradSession
import GradStore

extension CompletionSources {
    /// What a session can complete right now: its nodes, the built-ins, magics, keyword
    /// arguments, and (for `%sql`) the public views of the run history with their columns.
    /// The REPL and the Jupyter kernel both complete from this.
    public init(session: Session) {
        self.init(
            names: session.interpreter.definitionOrder,
            builtins: Interpreter.builtinFunctionNames,
            magics: Session.magicNames,
            attributes: Interpreter.attributeNames,
            keywordArguments: { Interpreter.keywordArguments(of: $0) },
            recordPolicies: RecordPolicy.allCases.map(\.rawValue),
            sqlNames: { Self.sqlNames(in: session.store) })
    }

    /// The public views and their columns, read from the database's own schema.
    static func sqlNames(in store: RunStore) -> [String] {
        var names: [String] = []
        if let views = try? store.query("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name") {
            for row in views.rows {
                guard let view = row.first?.textValue else { continue }
                names.append(view)
                if let columns = try? store.query("SELECT name FROM pragma_table_info(?1)", arguments: [.text(view)]) {
                    names += columns.rows.compactMap { $0.first?.textValue }
                }
            }
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
