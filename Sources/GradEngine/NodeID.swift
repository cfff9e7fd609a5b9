/// A node of a `Graph`: its position in the graph's append-only arrays. Ids are a
/// topological order (a node's inputs always have smaller ids).
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int32

    public init(_ index: Int32) { self.index = index }

    /// The id as an array position.
    public var position: Int { Int(index) }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.index < rhs.index }
    public var description: String { "%\(index)" }
}

/// An error from the engine: what went wrong, naming the op where there is one (shape
/// errors carry both shapes). No source location: the interpreter adds it.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The op whose forward or backward failed, if any.
    public var op: OpCode?

    public init(_ message: String, op: OpCode? = nil) {
        self.message = message
        self.op = op
    }

    public var description: String { message }
}
