import GradEngine
import GradLang
import GradTensor

/// The notebook's meaning: names bound to nodes of one computation graph, kept consistent as
/// cells define and redefine them. A value type, so that a failing statement is undone by
/// putting back the copy taken before it ran (the engine graph is copy-on-write).
public struct Interpreter: Sendable {
    public internal(set) var graph = Graph()
    public internal(set) var definitions: [String: Definition] = [:]
    /// Names in the order they were first defined: `%who` order and the tie-break of rebuilds.
    public internal(set) var definitionOrder: [String] = []
    public internal(set) var nodeOfName: [String: NodeID] = [:]
    var nameOfNode: [NodeID: String] = [:]
    /// The losses whose gradients the notebook keeps current, oldest request first
    /// (GradientTargets.swift).
    var gradientTargets: [GradientTarget] = []
    /// Names the running statement redefined or whose values it moved (params after `train`).
    var changedNames: Set<String> = []
    /// Bumped when the graph is rebuilt, which gives every node a new id.
    var graphGeneration = 0
    /// The latest backward pass, reused by `grad(J, x)` while the graph's values are unchanged.
    var latestBackward: (target: NodeID, valuesVersion: Int, gradients: Gradients)?
    /// Bumped whenever existing node values may change (rebuilds, training updates).
    var valuesVersion = 0

    /// The revision of this interpreter's arithmetic that a session records, so a replay
    /// computes a stored run the way it was computed: 1 = `a @ b.T` reads `b` transposed in
    /// place (revision 0 copied the transpose first; BLAS may round the two differently).
    public static let engineRevision = 1
    /// The revision this interpreter computes with: a replay of a run recorded by an older
    /// revision sets it to that revision.
    public var arithmeticRevision = Interpreter.engineRevision

    public init() {}

    /// Runs one parsed statement. On error nothing changes: not the graph, not the names.
    public mutating func execute(_ statement: Statement, in syntax: CellSyntax, context: ExecutionContext) throws(RuntimeError) -> StatementOutcome {
        let saved = self
        do {
            return try run(statement, in: syntax, context: context)
        } catch {
            self = saved
            throw error
        }
    }

    private mutating func run(_ statement: Statement, in syntax: CellSyntax, context: ExecutionContext) throws(RuntimeError) -> StatementOutcome {
        var outcome = StatementOutcome()
        let nodesBefore = graph.count
        changedNames = []
        switch statement.kind {
        case .assign(let targets, let value):
            try assign(targets, value: value, statement: statement, syntax: syntax, context: context, outcome: &outcome)
        case .expression(let root):
            let evaluated = try evaluate(root, statement: statement, syntax: syntax, context: context, outcome: &outcome)
            switch evaluated.value {
            case .node(let id):
                outcome.result = graph.value(id)
            case .constant(let tensor):
                outcome.result = tensor
            case .string(let text):
                outcome.outputs.append(.rich(RichOutput(plain: text)))
            case .boolean(let flag):
                outcome.outputs.append(.rich(RichOutput(plain: flag ? "true" : "false")))
            case .tuple(let items):
                for item in items {
                    if let tensor = tensorValue(item) { outcome.outputs.append(.value(label: nil, tensor)) }
                }
            case .nothing:
                break
            }
        case .backward(let root):
            let evaluated = try evaluate(root, statement: statement, syntax: syntax, context: context, outcome: &outcome)
            let targetText = String(syntax.text(of: syntax[root].span))
            guard case .node(let target) = evaluated.value else {
                throw RuntimeError(RuntimeErrorID.notDifferentiable,
                                   "backward needs a node that depends on params; '\(targetText)' is a constant",
                                   at: syntax[root].span)
            }
            try checkNoGradientUse(beneath: target, statementUsesGrad: evaluated.usesGrad, at: syntax[root].span)
            let run = try backwardRun(from: target, label: targetText, at: syntax[root].span, context: context)
            follow(node: target, label: targetText, expression: targetText, gradients: run.gradients)
            outcome.runs.append(run.event)
            outcome.outputs.append(contentsOf: run.warnings)
        case .lineMagic, .cellMagic, .inspect:
            // Magics and inspection belong to the session, which knows the database and the display.
            throw RuntimeError(RuntimeErrorID.badArguments, "magics are run by the session, not the interpreter", at: statement.span)
        }
        outcome.outputs.append(contentsOf: nonFiniteWarnings(createdFrom: nodesBefore))
        refreshGradients(context: context, outcome: &outcome)
        return outcome
    }
}

extension Interpreter {
    func tensorValue(_ value: RuntimeValue) -> Tensor? {
        switch value {
        case .node(let id): graph.value(id)
        case .constant(let tensor): tensor
        default: nil
        }
    }

    /// The name of a node if it is a named node of the notebook.
    public func name(of node: NodeID) -> String? { nameOfNode[node] }

    /// Names in definition order, each with its live node.
    public var namedNodes: [(name: String, node: NodeID)] {
        definitionOrder.compactMap { name in nodeOfName[name].map { (name, $0) } }
    }
}
