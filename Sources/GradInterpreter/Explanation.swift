import GradTensor

/// `%explain J`: the forward pass as the sequence of definitions with their values, and the
/// backward pass as chain-rule steps with numbers, the way a textbook works the seed example.
/// A step of scalars is one line (`dJ/dc = dJ/da * da/dc = 2 * 1 = 2`); a step of tensors is
/// its rule (`dL/dz = dL/dh ⊙ (1 - h^2)`) with the tensors it multiplies and its result
/// shown under it, aligned.
public struct Explanation: Sendable {
    public var target: String
    public var forwardSteps: [ExplanationStep]
    public var backwardSteps: [ExplanationStep]

    public init(target: String, forwardSteps: [ExplanationStep], backwardSteps: [ExplanationStep]) {
        self.target = target
        self.forwardSteps = forwardSteps
        self.backwardSteps = backwardSteps
    }

    /// An explanation of plain lines.
    public init(target: String, forward: [String], backward: [String]) {
        self.init(target: target, forwardSteps: forward.map { ExplanationStep(rule: $0) },
                  backwardSteps: backward.map { ExplanationStep(rule: $0) })
    }

    public var forward: [String] { forwardSteps.map(\.rule) }
    public var backward: [String] { backwardSteps.map(\.rule) }

    /// Whether any step shows a tensor (then the text says how tensors are rounded).
    public var showsTensors: Bool {
        (forwardSteps + backwardSteps).contains { step in step.workings.contains { $0.value.rank > 0 } }
    }

    public var text: String {
        var lines = ["Forward pass"]
        for step in forwardSteps { lines.append(step.text(inline: true)) }
        lines += ["", "Backward pass (chain rule)"]
        for step in backwardSteps { lines.append(step.text(inline: false)) }
        if showsTensors {
            lines += ["", "(tensors to \(ExplanationStep.significantDigits) significant digits; more than \(ExplanationStep.elisionThreshold) elements shown by their corners)"]
        }
        return lines.joined(separator: "\n")
    }
}

/// One line of an explanation, with the tensors that make it up.
public struct ExplanationStep: Sendable {
    /// `c = w * x = -4`, `dJ/dc = dJ/da * da/dc = 2 * 1 = 2`, `dL/dW = x.T @ dL/dz`.
    public var rule: String
    /// Tensors shown under the rule: a forward step's value; a backward step's factors, then
    /// its result.
    public var workings: [Working]

    public init(rule: String, workings: [Working] = []) {
        self.rule = rule
        self.workings = workings
    }

    public struct Working: Sendable {
        public var label: String
        public var value: Tensor

        public init(label: String, value: Tensor) {
            self.label = label
            self.value = value
        }
    }

    public static let significantDigits = 4
    public static let elisionThreshold = 64

    /// A forward step's value after its rule (`h = tanh(z) = [[...` with the rows aligned);
    /// a backward step's workings under it, labels padded so the values line up.
    func text(inline: Bool) -> String {
        let indent = "  "
        guard !workings.isEmpty else { return indent + rule }
        if inline, workings.count == 1, let only = workings.first {
            let head = indent + rule + " = "
            return head + Self.aligned(Self.display(only.value), column: head.count)
        }
        var lines = [indent + rule]
        let width = workings.map(\.label.count).max() ?? 0
        for working in workings {
            let head = indent + "    " + working.label + String(repeating: " ", count: width - working.label.count) + " = "
            lines.append(head + Self.aligned(Self.display(working.value), column: head.count))
        }
        return lines.joined(separator: "\n")
    }

    /// Continuation lines of a multi-line value indented to start under its first line.
    static func aligned(_ text: String, column: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { $0.offset == 0 ? String($0.element) : String(repeating: " ", count: column) + $0.element }
            .joined(separator: "\n")
    }

    /// A scalar exactly; a tensor rounded for reading, its corners only when large.
    public static func display(_ value: Tensor) -> String {
        if value.rank == 0, let scalar = value.scalars.first { return formatScalar(scalar) }
        let text = rounded(value).description(summarizingAbove: elisionThreshold)
        return value.count > elisionThreshold ? text + "  (shape \(formatShape(value.shape)))" : text
    }

    /// Every element to `significantDigits` significant digits.
    public static func rounded(_ value: Tensor) -> Tensor {
        value.map { x in
            guard x.isFinite, x != 0 else { return x }
            let exponent = Int((Swift.abs(x)).log10Floor) - (significantDigits - 1)
            if exponent >= 0 {
                let scale = power10(exponent)
                return (x / scale).rounded() * scale
            }
            let scale = power10(-exponent)
            return (x * scale).rounded() / scale
        }
    }

    private static func power10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<min(exponent, 400) { result *= 10 }
        return result
    }
}

private extension Double {
    /// ⌊log10(self)⌋ for a positive finite number, by comparison (no libm in this file).
    var log10Floor: Double {
        var exponent = 0.0
        var scaled = self
        while scaled >= 10 { scaled /= 10; exponent += 1 }
        while scaled < 1 { scaled *= 10; exponent -= 1 }
        return exponent
    }
}
