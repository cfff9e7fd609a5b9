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

    /// The key XOR ipad / opad, padded to the hash's block size (RFC 2104), computed once so that
    /// signing and verifying a message costs two hash passes and no key setup (swift-crypto's
    /// `HMAC(key:)` would hash the pads again, and allocate, for every message).
    private let innerPad: [UInt8]
    private let outerPad: [UInt8]
    public let scheme: Scheme
    public let isSigning: Bool

    public init(key: [UInt8], scheme: Scheme = .hmacSHA256) {
        self.isSigning = !key.isEmpty
        self.scheme = scheme
        let blockSize = scheme == .hmacSHA256 ? SHA256.blockByteCount : SHA512.blockByteCount
        var block = key.count > blockSize
            ? (scheme == .hmacSHA256 ? Array(SHA256.hash(data: key)) : Array(SHA512.hash(data: key))) : key
        block += Array(repeating: 0, count: blockSize - block.count)
        innerPad = block.map { $0 ^ 0x36 }
        outerPad = block.map { $0 ^ 0x5C }
    }

    public init(key: String, schemeName: String) throws(SchemeError) {
        // An empty scheme is allowed when there is no key: older connection files omit it.
        let name = schemeName.isEmpty ? Scheme.hmacSHA256.rawValue : schemeName
        guard let scheme = Scheme(rawValue: name) else { throw .unsupported(schemeName) }
        self.init(key: Array(key.utf8), scheme: scheme)
    }

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
        guard isSigning else { return true }
        guard let received = Self.bytes(fromHex: signature) else { return false }
        switch scheme {
        case .hmacSHA256: return Self.constantTimeEqual(mac(SHA256.self, parts), received)
        case .hmacSHA512: return Self.constantTimeEqual(mac(SHA512.self, parts), received)
        }
    }

    /// Compares every byte whatever the first difference, so the time taken says nothing about
    /// how much of a forged signature was right. Only a length mismatch returns early; lengths
    /// are public. (swift-crypto's `Digest == DataProtocol` is constant-time too, but its generic
    /// path costs more than the MAC itself.)
    static func constantTimeEqual<Code: Digest>(_ code: Code, _ bytes: [UInt8]) -> Bool {
        code.withUnsafeBytes { computed in
            guard computed.count == bytes.count else { return false }
            var difference: UInt8 = 0
            for index in 0..<bytes.count { difference |= computed[index] ^ bytes[index] }
            return difference == 0
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
