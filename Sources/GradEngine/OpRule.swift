import GradTensor

/// How many tensor inputs an op takes.
public enum Arity: Sendable, Equatable {
    case fixed(Int)
    case variadic(minimum: Int)

    public func accepts(_ count: Int) -> Bool {
        switch self {
        case .fixed(let n): return count == n
        case .variadic(let minimum): return count >= minimum
        }
    }
}

/// What a built-in's non-tensor argument is and how the user passes it.
public enum AttributeKind: Sendable, Equatable {
    /// `axis=` as an integer or a list of integers (or omitted: all axes) → `axes`.
    case axes
    /// `axis=` as one integer → `axes` with one element.
    case axis
    /// `keepdims=` → `keepdims`.
    case keepdims
    /// The integers after the tensor (`reshape(x, 2, 3)`) → `shape`.
    case shape
    /// An integer after the tensor (`one_hot(y, 3)`) → `classes`.
    case classes
    /// The bracket syntax `x[...]` → `index`.
    case index
}

/// One attribute of an op as the interpreter parses it.
public struct AttributeSpec: Sendable, Equatable {
    /// The keyword (`axis`, `keepdims`) or, for positional attributes, the name in the docs.
    public let name: String
    public let kind: AttributeKind
    /// Passed by position after the tensor inputs rather than as `name=`.
    public let positional: Bool
    public let required: Bool
    /// The default, as documentation (`none` = all axes, `-1`, `false`).
    public let defaultDescription: String?

    public init(_ name: String, _ kind: AttributeKind, positional: Bool = false, required: Bool = false, default defaultDescription: String? = nil) {
        self.name = name
        self.kind = kind
        self.positional = positional
        self.required = required
        self.defaultDescription = defaultDescription
    }
}

/// Inputs of a forward computation.
public struct ForwardArguments: Sendable {
    public let inputs: [Tensor]
    public let attributes: OpAttributes

    public init(inputs: [Tensor], attributes: OpAttributes) {
        self.inputs = inputs
        self.attributes = attributes
    }
}

/// Inputs of a vector-Jacobian product: the op's inputs and output, the gradient of the
/// target with respect to the output, and which input gradients are wanted (others may be
/// returned as nil). A result may have the broadcast shape: the engine reduces it.
public struct BackwardArguments: Sendable {
    public let inputs: [Tensor]
    public let output: Tensor
    public let gradient: Tensor
    public let attributes: OpAttributes
    public let needsGradient: [Bool]

    public init(inputs: [Tensor], output: Tensor, gradient: Tensor, attributes: OpAttributes, needsGradient: [Bool]) {
        self.inputs = inputs
        self.output = output
        self.gradient = gradient
        self.attributes = attributes
        self.needsGradient = needsGradient
    }
}

/// Inputs of a Jacobian-vector product (forward mode): the op's inputs and output, and the
/// tangent of each input — its derivative along the direction being followed, in the input's
/// shape, or nil where it is zero (the input does not depend on the seeded node, or is not
/// differentiable). At least one tangent is set. A result may have any shape that broadcasts
/// to the output's: the engine broadcasts it (Forward mode's counterpart of the VJP's sum).
public struct TangentArguments: Sendable {
    public let inputs: [Tensor]
    public let output: Tensor
    public let tangents: [Tensor?]
    public let attributes: OpAttributes

    public init(inputs: [Tensor], output: Tensor, tangents: [Tensor?], attributes: OpAttributes) {
        self.inputs = inputs
        self.output = output
        self.tangents = tangents
        self.attributes = attributes
    }
}

public typealias UnaryFunction = @convention(c) (Double) -> Double
/// `(x, output, gradient of output)` → gradient of x.
public typealias UnaryDerivative = @convention(c) (Double, Double, Double) -> Double
public typealias BinaryFunction = @convention(c) (Double, Double) -> Double
/// `(a, b, output, gradient of output)` → gradient of one input.
public typealias BinaryDerivative = @convention(c) (Double, Double, Double, Double) -> Double

/// The scalar fast path of an elementwise op: when every input is a rank-0 node the
/// engine calls these instead of building tensors. They must compute what the tensor
/// forward and VJP compute. Plain C function pointers, so a call costs no reference
/// counting (scalar graphs make one call per node).
///
/// A derivative `(…, g) -> g · ∂y/∂input` is linear in `g`, and a scalar op's Jacobian is 1×1,
/// so the same function with an input's tangent in place of `g` is that input's term of the
/// JVP: forward mode's scalar path calls these too (and the row's `jvp` computes the same bits).
public enum ScalarRule: Sendable {
    case unary(forward: UnaryFunction, vjp: UnaryDerivative)
    case binary(forward: BinaryFunction, vjpFirst: BinaryDerivative, vjpSecond: BinaryDerivative)
}

/// How the op-table test draws inputs for an op.
public enum InputDomain: Sendable, Equatable {
    /// Normal samples.
    case any
    /// Values in [0.5, 2] (log, sqrt, the base of pow).
    case positive
    /// Normal samples pushed at least 0.3 away from 0 (abs, relu: kinks at 0).
    case awayFromZero
    /// Integers in 0..<n held as doubles (labels); not differentiated.
    case classIndex(Int)
}

/// An input configuration on which the op's VJP and JVP are checked against finite differences
/// and against each other;
/// listing broadcasting shapes here covers the engine's broadcast reduction too.
public struct OpExample: Sendable {
    public let shapes: [[Int]]
    public let domains: [InputDomain]
    public let attributes: OpAttributes

    public init(_ shapes: [[Int]], domains: [InputDomain]? = nil, attributes: OpAttributes = OpAttributes()) {
        self.shapes = shapes
        self.domains = domains ?? [InputDomain](repeating: .any, count: shapes.count)
        self.attributes = attributes
    }
}

/// One op: everything the interpreter, the engine, the recorder and the tests need to
/// know about it. `OpRule.table` holds one per `OpCode`, in `OpCode` order.
public struct OpRule: Sendable {
    public let op: OpCode
    /// Unique name, recorded in the database (`add`, `maximum`, `max`, `log_softmax`).
    public let name: String
    /// The built-in function name a user calls (`exp`, `max`, `pow`); nil for ops written
    /// only with syntax (`+`, `x[i]`).
    public let callName: String?
    /// The operator spelling for display (`+`, `-`, `*`, `/`, `^`, `@`; `-` prefix for `neg`).
    public let symbol: String?
    public let arity: Arity
    /// Per input position, whether the op is differentiable in it (for variadic ops the
    /// last entry applies to every further input).
    public let differentiable: [Bool]
    public let attributes: [AttributeSpec]
    /// One-paragraph help shown by `name?` and `%help`.
    public let doc: String
    public let forward: @Sendable (ForwardArguments) throws(TensorError) -> Tensor
    /// nil for ops that are not differentiable at all (and for sources).
    public let vjp: (@Sendable (BackwardArguments) throws(TensorError) -> [Tensor?])?
    /// The Jacobian-vector product: the output's tangent from the inputs' tangents (forward
    /// mode). Set exactly where `vjp` is, and its adjoint: ⟨jvp(v), u⟩ = ⟨v, vjp(u)⟩.
    public let jvp: (@Sendable (TangentArguments) throws(TensorError) -> Tensor)?
    public let scalar: ScalarRule?
    public let examples: [OpExample]

    /// True for `leaf` and `constant`.
    public var isSource: Bool { op == .leaf || op == .constant }

    public func isDifferentiable(inputAt position: Int) -> Bool {
        guard vjp != nil, let last = differentiable.last else { return false }
        return position < differentiable.count ? differentiable[position] : last
    }
}
