import Crypto
import Foundation

/// The HMAC signature of Jupyter messages: hex digest over header, parent_header, metadata and
/// content exactly as sent. An empty key means the connection is unauthenticated (signature "").
public struct MessageSigner: Sendable {
    public enum Scheme: String, Sendable {
        case hmacSHA256 = "hmac-sha256"
        case hmacSHA512 = "hmac-sha512"
    }

    public enum SchemeError: Error, CustomStringConvertible {
        case unsupported(String)

        public var description: String {
            switch self {
            case .unsupported(let name):
                return "unsupported signature_scheme \"\(name)\" (supported: hmac-sha256, hmac-sha512)"
            }
        }
    }

    /// Raw key bytes: swift-crypto's `SymmetricKey` is not `Sendable`, so one is made per verification.
    private let keyBytes: [UInt8]
    /// The key XOR ipad / opad, padded to the hash's block size (RFC 2104), computed once so that
    /// signing the kernel's own messages costs two hash passes and no key setup.
    private let innerPad: [UInt8]
    private let outerPad: [UInt8]
    public let scheme: Scheme

    public init(key: [UInt8], scheme: Scheme = .hmacSHA256) {
        self.keyBytes = key
        self.scheme = scheme
        let blockSize = scheme == .hmacSHA256 ? SHA256.blockByteCount : SHA512.blockByteCount
        var block = key.count > blockSize
            ? (scheme == .hmacSHA256 ? Array(SHA256.hash(data: key)) : Array(SHA512.hash(data: key))) : key
        block += Array(repeating: 0, count: blockSize - block.count)
        innerPad = block.map { $0 ^ 0x36 }
        outerPad = block.map { $0 ^ 0x5C }
    }

    private var key: SymmetricKey? {
        keyBytes.isEmpty ? nil : SymmetricKey(data: keyBytes)
    }

    public init(key: String, schemeName: String) throws(SchemeError) {
        // An empty scheme is allowed when there is no key: older connection files omit it.
        let name = schemeName.isEmpty ? Scheme.hmacSHA256.rawValue : schemeName
        guard let scheme = Scheme(rawValue: name) else { throw .unsupported(schemeName) }
        self.init(key: Array(key.utf8), scheme: scheme)
    }

    public var isSigning: Bool { !keyBytes.isEmpty }

    /// The hex signature for the four signed frames, or "" when there is no key.
    public func signature(for parts: [[UInt8]]) -> [UInt8] {
        guard isSigning else { return [] }
        switch scheme {
        case .hmacSHA256: return Self.hex(mac(SHA256.self, parts))
        case .hmacSHA512: return Self.hex(mac(SHA512.self, parts))
        }
    }

    /// HMAC(key, parts) = H(opad ‖ H(ipad ‖ parts)); equal to `HMAC<H>` (checked in the tests).
    private func mac<H: HashFunction>(_: H.Type, _ parts: [[UInt8]]) -> H.Digest {
        var inner = H()
        innerPad.withUnsafeBytes { inner.update(bufferPointer: $0) }
        for part in parts { part.withUnsafeBytes { inner.update(bufferPointer: $0) } }
        var outer = H()
        outerPad.withUnsafeBytes { outer.update(bufferPointer: $0) }
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }

    /// Whether `signature` (hex, as received) authenticates `parts`. Constant-time in the digest.
    public func isValid(signature: [UInt8], for parts: [[UInt8]]) -> Bool {
        guard let key else { return true }
        guard let digest = Self.bytes(fromHex: signature) else { return false }
        var signed: [UInt8] = []
        signed.reserveCapacity(parts.reduce(0) { $0 &+ $1.count })
        for part in parts { signed.append(contentsOf: part) }
        switch scheme {
        case .hmacSHA256:
            return HMAC<SHA256>.isValidAuthenticationCode(digest, authenticating: signed, using: key)
        case .hmacSHA512:
            return HMAC<SHA512>.isValidAuthenticationCode(digest, authenticating: signed, using: key)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func hex<Code: Digest>(_ code: Code) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(Code.byteCount * 2)
        code.withUnsafeBytes { raw in
            for byte in raw {
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return output
    }

    static func bytes(fromHex hex: [UInt8]) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(hex.count / 2)
        var index = 0
        while index < hex.count {
            guard let high = nibble(hex[index]), let low = nibble(hex[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
