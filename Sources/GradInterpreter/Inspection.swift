import GradEngine
import GradLang
import GradTensor

/// What `%who`, `%graph` and `name?` show about the notebook's nodes.
public struct NodeSummary: Sendable {
    public var name: String
    public var op: String
    public var inputs: [String]
    public var shape: [Int]
    public var isParam: Bool
    public var expression: String
    public var cellNumber: Int
    public var value: Tensor
    public var gradient: Tensor?
}

extension Interpreter {
    /// - Parameter shownGradients: the gradients to report (`%graph J` shows J's own); by
    ///   default each node's latest, as `.grad`.
    public func summary(of name: String, shownGradients: [String: Tensor]? = nil) -> NodeSummary? {
        guard let definition = definitions[name], let node = nodeOfName[name] else { return nil }
        let op = definition.isLeaf ? (definition.isParam ? "param" : "leaf") : graph.op(node).rule.name
        return NodeSummary(name: name, op: op, inputs: definition.dependencies, shape: graph.shape(node), isParam: definition.isParam,
                           expression: definition.sourceText, cellNumber: definition.cellNumber, value: graph.value(node),
                           gradient: shownGradients.map { $0[name] } ?? gradient(of: name))
    }

    public var summaries: [NodeSummary] { definitionOrder.compactMap { summary(of: $0) } }

    /// `name?`: a node's definition, value and gradient, or a built-in's documentation.
    public func inspect(_ name: String) -> String? {
        if let node = summary(of: name) {
            var lines = [
                "\(node.name): \(node.isParam ? "param" : (node.op == "leaf" ? "leaf" : "op node")) defined in cell \(node.cellNumber)",
                "  definition: \(node.name) = \(node.expression.isEmpty ? displayValue(node.value) : node.expression)",
                "  op:         \(node.op)",
                "  inputs:     \(node.inputs.isEmpty ? "(none)" : node.inputs.joined(separator: ", "))",
                "  shape:      \(formatShape(node.shape))",
                "  value:      \(displayValue(node.value))",
            ]
            let missing = missingGradientReason(of: name).map { "(none now: \($0))" } ?? "(none yet: run backward on a loss that depends on \(name))"
            lines.append("  gradient:   \(node.gradient.map(displayValue) ?? missing)")
            return lines.joined(separator: "\n")
        }
        return Builtins.documentation(of: name)
    }

    /// Names and built-ins for completion.
    public var completionCandidates: [String] { definitionOrder + Builtins.allNames }

    /// `%graph J` as text: one line per named node J depends on, inputs first.
    public func graphText(of name: String) -> String? {
        guard nodeOfName[name] != nil else { return nil }
        let shown = gradients(shownWith: name)
        return namedAncestors(of: name).compactMap { summary(of: $0, shownGradients: shown) }.map { node in
            let definition = node.expression.isEmpty ? displayValue(node.value) : node.expression
            let kind = node.isParam ? "param" : node.op
            let gradient = node.gradient.map { ", grad \(displayValue($0))" } ?? ""
            return "\(node.name) = \(definition)    [\(kind), shape \(formatShape(node.shape)), value \(displayValue(node.value))\(gradient)]"
        }.joined(separator: "\n")
    }

    /// `%graph J` as Graphviz DOT: named nodes as boxes (params highlighted), edges input → use.
    public func graphDOT(of name: String) -> String? {
        guard nodeOfName[name] != nil else { return nil }
        let shown = gradients(shownWith: name)
        let nodes = namedAncestors(of: name).compactMap { summary(of: $0, shownGradients: shown) }
        var lines = ["digraph \"\(dotEscape(name))\" {", "  rankdir=LR;", "  node [shape=record, fontname=\"Helvetica\"];"]
        for node in nodes {
            let label = "{ \(node.name) | \(node.expression.isEmpty ? node.op : node.expression) | value \(displayValue(node.value))"
                + (node.gradient.map { " | grad \(displayValue($0))" } ?? "") + " }"
            let style = node.isParam ? ", style=filled, fillcolor=\"#dbeafe\"" : (node.name == name ? ", style=filled, fillcolor=\"#fde68a\"" : "")
            lines.append("  \"\(dotEscape(node.name))\" [label=\"\(dotEscape(label, keepRecord: true))\"\(style)];")
        }
        for node in nodes {
            for input in node.inputs { lines.append("  \"\(dotEscape(input))\" -> \"\(dotEscape(node.name))\";") }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    private func dotEscape(_ text: String, keepRecord: Bool = false) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "<", ">": result += "\\" + String(character)
            case "|", "{", "}":
                if !keepRecord { result += "\\" }
                result.append(character)
            case "\n": result += " "
            default: result.append(character)
            }
        }
        return result
    }
}
