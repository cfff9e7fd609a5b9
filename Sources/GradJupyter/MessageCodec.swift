import GradJSON

/// Why an incoming multipart message was dropped.
public enum MessageRejection: Error, Equatable, CustomStringConvertible {
    case missingDelimiter
    case tooFewFrames(Int)
    case badSignature
    case replayedSignature
    case malformed(part: String, reason: String)

    public var description: String {
        switch self {
        case .missingDelimiter: return "no <IDS|MSG> delimiter"
        case .tooFewFrames(let count): return "\(count) frames after the delimiter, need 5"
        case .badSignature: return "wrong or missing signature"
        case .replayedSignature: return "signature seen before (replayed message)"
        case .malformed(let part, let reason): return "malformed \(part): \(reason)"
        }
    }
}

/// Turns multipart frames into `JupyterMessage`s and back: delimiter, HMAC signature,
/// JSON frames, replay protection. Shared by every channel of one kernel.
public struct MessageCodec: Sendable {
    public static let protocolVersion = "5.3"

    public let signer: MessageSigner
    /// This kernel's session id, stamped on every header it sends.
    public let session: String
    public let username: String
    private let replayGuard: ReplayGuard
    private let ids = MessageIDs()
    /// The header's constant members, already serialized: headers are written per message.
    private let sessionJSON: [UInt8]
    private let usernameJSON: [UInt8]

    public init(signer: MessageSigner, session: String? = nil, username: String = "kernel",
                replayGuard: ReplayGuard = ReplayGuard()) {
        var generator = SystemRandomNumberGenerator()
        let session = session ?? MessageIDs.randomUUID(using: &generator)
        self.signer = signer
        self.session = session
        self.username = username
        self.replayGuard = replayGuard
        var sessionJSON: [UInt8] = []
        JSONWriter.writeString(session, into: &sessionJSON)
        self.sessionJSON = sessionJSON
        var usernameJSON: [UInt8] = []
        JSONWriter.writeString(username, into: &usernameJSON)
        self.usernameJSON = usernameJSON
    }

    public func decode(_ frames: [[UInt8]]) -> Result<JupyterMessage, MessageRejection> {
        guard let delimiter = frames.firstIndex(of: messageDelimiter) else { return .failure(.missingDelimiter) }
        let afterDelimiter = frames.count - delimiter - 1
        guard afterDelimiter >= 5 else { return .failure(.tooFewFrames(afterDelimiter)) }
        let signature = frames[delimiter + 1]
        let signed = Array(frames[(delimiter + 2)...(delimiter + 5)])
        guard signer.isValid(signature: signature, for: signed) else { return .failure(.badSignature) }
        guard replayGuard.admit(Self.lowercasedHex(signature)) else { return .failure(.replayedSignature) }

        let names = ["header", "parent_header", "metadata", "content"]
        var objects: [[String: JSONValue]] = []
        for (name, bytes) in zip(names, signed) {
            // Requests carry an empty parent header and metadata: no parse needed.
            if bytes.count == 2, bytes[0] == UInt8(ascii: "{"), bytes[1] == UInt8(ascii: "}") {
                objects.append([:])
                continue
            }
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes)
            } catch {
                return .failure(.malformed(part: name, reason: error.description))
            }
            guard let object = value.objectValue else { return .failure(.malformed(part: name, reason: "not an object")) }
            objects.append(object)
        }
        let contentBytes = signed[3]
        let invalidUTF8Byte = NotUTF8Cell.firstInvalidByte(in: contentBytes)
        let header = objects[0]
        guard header["msg_type"]?.stringValue != nil else { return .failure(.malformed(part: "header", reason: "no msg_type")) }
        guard header["msg_id"]?.stringValue != nil else { return .failure(.malformed(part: "header", reason: "no msg_id")) }
        return .success(JupyterMessage(
            identities: Array(frames[..<delimiter]),
            header: header,
            headerBytes: signed[0],
            parentHeader: objects[1],
            metadata: objects[2],
            content: objects[3],
            buffers: Array(frames[(delimiter + 6)...]),
            invalidUTF8Byte: invalidUTF8Byte
        ))
    }

    /// Hex digits are accepted in either case, so the replay memory keeps one spelling: otherwise
    /// a captured message replayed with its signature upper-cased would pass as new.
    static func lowercasedHex(_ hex: [UInt8]) -> [UInt8] {
        let upper = UInt8(ascii: "A")...UInt8(ascii: "F")
        guard hex.contains(where: { upper.contains($0) }) else { return hex }
        return hex.map { upper.contains($0) ? $0 | 0x20 : $0 }
    }

    /// A fresh header, serialized (the same JSON `JSONWriter` would write for the dictionary).
    func headerJSON(msgType: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(200)
        output.append(contentsOf: #"{"date":""#.utf8)
        output.append(contentsOf: Timestamp.nowUTF8())
        output.append(contentsOf: #"","msg_id":"#.utf8)
        JSONWriter.writeString(ids.next(), into: &output)
        output.append(contentsOf: #","msg_type":"#.utf8)
        JSONWriter.writeString(msgType, into: &output)
        output.append(contentsOf: #","session":"#.utf8)
        output.append(contentsOf: sessionJSON)
        output.append(contentsOf: #","username":"#.utf8)
        output.append(contentsOf: usernameJSON)
        output.append(contentsOf: #","version":""#.utf8)
        output.append(contentsOf: Self.protocolVersion.utf8)
        output.append(contentsOf: #""}"#.utf8)
        return output
    }

    /// Frames for a new message of `msgType`, parented to `parent` (whose header is echoed verbatim).
    public func encode(msgType: String, content: [String: JSONValue], parent: JupyterMessage?,
                       metadata: [String: JSONValue] = [:], identities: [[UInt8]], buffers: [[UInt8]] = []) -> [[UInt8]] {
        let parts: [[UInt8]] = [
            headerJSON(msgType: msgType),
            parent?.headerBytes ?? Array("{}".utf8),
            JSONWriter.encode(metadata),
            JSONWriter.encode(content),
        ]
        var frames = identities
        frames.reserveCapacity(identities.count + 6 + buffers.count)
        frames.append(messageDelimiter)
        frames.append(signer.signature(for: parts))
        frames.append(contentsOf: parts)
        frames.append(contentsOf: buffers)
        return frames
    }
}
