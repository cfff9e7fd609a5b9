import GradJSON

/// One Jupyter message as received or about to be sent, without its wire framing.
public struct JupyterMessage: Sendable, Equatable {
    /// ROUTER routing frames (shell, control, stdin) or the PUB topic (IOPub).
    public var identities: [[UInt8]]
    public var header: [String: JSONValue]
    /// The header frame exactly as it arrived: replies carry it back verbatim as their parent_header.
    public var headerBytes: [UInt8]
    public var parentHeader: [String: JSONValue]
    public var metadata: [String: JSONValue]
    public var content: [String: JSONValue]
    /// Extra binary frames after content; they are not signed.
    public var buffers: [[UInt8]]
    /// The first byte of the content frame that is not UTF-8, if any: its strings read such
    /// bytes as U+FFFD, so a cell with them is refused rather than run (a Python client can
    /// send them: jupyter_client encodes with `surrogateescape`).
    public var invalidUTF8Byte: UInt8? = nil

    public var msgID: String { header["msg_id"]?.stringValue ?? "" }
    public var msgType: String { header["msg_type"]?.stringValue ?? "" }
    public var session: String { header["session"]?.stringValue ?? "" }
}

/// The frame that separates routing identities from the message proper.
public let messageDelimiter: [UInt8] = Array("<IDS|MSG>".utf8)
