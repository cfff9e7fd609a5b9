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
        let views = (try? store.viewColumns()) ?? []
        let names = views.flatMap { [$0.view] + $0.columns }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
