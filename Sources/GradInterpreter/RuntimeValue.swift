import GradEngine
import GradTensor

/// What an expression evaluates to while a statement runs. Only `.node` values can become
/// named nodes of the notebook graph; the others exist to feed built-ins (`header=true`,
/// `"path"`) or to be destructured (`X, y = moons(100)`).
enum RuntimeValue {
    case node(NodeID)
    /// A value that depends on no node (literals, constructors, `grad(...)` results). Kept out of
    /// the graph until an op needs it, so `x = -2` is a leaf and constants fold as they meet.
    case constant(Tensor)
    case string(String)
    case boolean(Bool)
    case tuple([RuntimeValue])
    /// `print(...)` and other built-ins called for their effect.
    case nothing

    var kindDescription: String {
        switch self {
        case .node, .constant: "a tensor"
        case .string: "a string"
        case .boolean: "a boolean"
        case .tuple(let items): "\(items.count) values"
        case .nothing: "nothing"
        }
    }
}
