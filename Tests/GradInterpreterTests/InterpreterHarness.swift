import GradEngine
import GradInterpreter
import GradLang
import GradTensor

/// Runs cells the way a session does, without a database, for interpreter tests.
struct Harness {
    var interpreter = Interpreter()
    var cellNumber = 0
    var outputs: [CellOutput] = []
    var runs: [RunEvent] = []

    /// Runs every statement of a cell; returns the last bare expression's value.
    @discardableResult
    mutating func run(_ source: String) throws -> Tensor? {
        cellNumber += 1
        let syntax = Parser.parse(source)
        if let diagnostic = syntax.diagnostics.first { throw diagnostic }
        var result: Tensor?
        for statement in syntax.statements {
            let outcome = try interpreter.execute(statement, in: syntax, context: ExecutionContext(cellNumber: cellNumber))
            outputs += outcome.outputs
            runs += outcome.runs
            if outcome.result != nil { result = outcome.result }
        }
        return result
    }

    func value(_ name: String) -> Double? {
        interpreter.nodeOfName[name].flatMap { interpreter.graph.scalar($0) }
    }

    /// The error a cell raises, rendered as the front ends show it.
    mutating func error(_ source: String) -> String? {
        do {
            try run(source)
            return nil
        } catch let error as RuntimeError {
            return error.diagnostic.rendered(source: source)
        } catch let diagnostic as Diagnostic {
            return diagnostic.rendered(source: source)
        } catch {
            return "\(error)"
        }
    }

    static let seed = """
    x = -2
    w = param(2)
    b = param(8)
    y = 2
    c = w * x
    a = c + b
    d = a - y
    J = 0.5 * d^2
    """
}
