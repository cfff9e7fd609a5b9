import Crypto
import GradJupyter
import Testing

@Suite struct SigningTests {
    let parts: [[UInt8]] = [Array(#"{"msg_id":"1"}"#.utf8), Array("{}".utf8), Array("{}".utf8), Array(#"{"code":"1"}"#.utf8)]

    @Test func signsLikePythonHMAC() {
        // hmac.new(b"secret", b"".join(parts), hashlib.sha256).hexdigest()
        let signature = MessageSigner(key: Array("secret".utf8)).signature(for: parts)
        #expect(String(decoding: signature, as: UTF8.self) == "260b97890d61eb0e6ad1283eaca56d59541c56327271b249b87dde0226568bfb")
    }

    /// The signer computes HMAC from precomputed pads; these vectors come from Python's `hmac`,
    /// covering keys shorter than, equal to and longer than the hash's block.
    @Test(arguments: [
        ("k", 100, MessageSigner.Scheme.hmacSHA256, "f74affcf2a439651e33b299a7caa5ef960b22a00adf0e7718a6eed0b93d8b62f"),
        ("y", 64, .hmacSHA256, "afe09300da287594f5d63ec74957530be4ae2194a0ceb0ea78a7939e7dfcc5c1"),
        ("x", 200, .hmacSHA512, "99e87c632ab6082aa4699b7ad71cf700fd61e72a15a683a6174bba5db7720a18"
            + "825185f48770fb7ac4420dd676a2a150d5a67fd9459a8e88a4845e12a8173290"),
    ])
    func matchesPythonForEveryKeyLength(letter: String, length: Int, scheme: MessageSigner.Scheme, expected: String) {
        let signer = MessageSigner(key: Array(String(repeating: letter, count: length).utf8), scheme: scheme)
        let signature = signer.signature(for: parts)
        #expect(String(decoding: signature, as: UTF8.self) == expected)
        #expect(signer.isValid(signature: signature, for: parts))
    }

    /// One signer serves every message of a connection: its precomputed pads must give, message
    /// after message, what a fresh swift-crypto `HMAC` gives, and accept exactly that.
    @Test(arguments: [MessageSigner.Scheme.hmacSHA256, .hmacSHA512])
    func aReusedSignerAgreesWithAFreshHMAC(scheme: MessageSigner.Scheme) {
        var generator = SplitMix(seed: 7)
        for keyLength in [1, 16, 63, 64, 65, 127, 128, 129, 300] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let signer = MessageSigner(key: key, scheme: scheme)
            for _ in 0..<20 {
                let message = (0..<4).map { _ in
                    (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                }
                let expected = Self.freshHMAC(scheme, key: key, parts: message)
                let signature = signer.signature(for: message)
                #expect(signature == expected)
                #expect(signer.isValid(signature: expected, for: message))
                // A change anywhere in the digest is caught (the comparison looks at every byte).
                for position in stride(from: 0, to: expected.count, by: 7) {
                    var forged = expected
                    forged[position] = forged[position] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
                    #expect(!signer.isValid(signature: forged, for: message))
                }
            }
        }
    }

    static func freshHMAC(_ scheme: MessageSigner.Scheme, key: [UInt8], parts: [[UInt8]]) -> [UInt8] {
        let joined = parts.flatMap { $0 }
        let symmetricKey = SymmetricKey(data: key)
        let code: [UInt8] = switch scheme {
        case .hmacSHA256: Array(HMAC<SHA256>.authenticationCode(for: joined, using: symmetricKey))
        case .hmacSHA512: Array(HMAC<SHA512>.authenticationCode(for: joined, using: symmetricKey))
        }
        let digits = Array("0123456789abcdef".utf8)
        return code.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
    }

    @Test func verifiesOnlyTheRightSignature() {
        let signer = MessageSigner(key: Array("secret".utf8))
        let good = signer.signature(for: parts)
        #expect(signer.isValid(signature: good, for: parts))
        #expect(signer.isValid(signature: Array(String(decoding: good, as: UTF8.self).uppercased().utf8), for: parts))
        var flipped = good
        flipped[0] = flipped[0] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(!signer.isValid(signature: flipped, for: parts))
        #expect(!signer.isValid(signature: [], for: parts))
        #expect(!signer.isValid(signature: Array(good.dropLast(2)), for: parts))
        #expect(!signer.isValid(signature: Array("zz".utf8) + good.dropFirst(2), for: parts))
        #expect(!MessageSigner(key: Array("other".utf8)).isValid(signature: good, for: parts))
        var tampered = parts
        tampered[3] = Array(#"{"code":"2"}"#.utf8)
        #expect(!signer.isValid(signature: good, for: tampered))
    }

    @Test func emptyKeyMeansNoSigning() {
        let signer = MessageSigner(key: [])
        #expect(!signer.isSigning)
        #expect(signer.signature(for: parts).isEmpty)
        #expect(signer.isValid(signature: [], for: parts))
    }

    @Test func supportsSHA512AndRejectsUnknownSchemes() throws {
        let signer = try MessageSigner(key: "secret", schemeName: "hmac-sha512")
        #expect(String(decoding: signer.signature(for: parts), as: UTF8.self)
            == "05feff03b418c88f1f77029d330eb837067dec36cbe2d1ef8591637c3112491d23b4605788b57c9bbebad2b836acabe960d10ebf18810770938df81174e74469")
        #expect(throws: MessageSigner.SchemeError.self) { try MessageSigner(key: "k", schemeName: "hmac-md5") }
    }

    @Test func codecRejectsBadFramingAndReplays() {
        let codec = MessageCodec(signer: MessageSigner(key: Array("secret".utf8)))
        let sender = MessageCodec(signer: MessageSigner(key: Array("secret".utf8)))
        let frames = sender.encode(msgType: "kernel_info_request", content: [:], parent: nil, identities: [[1, 2, 3]])
        guard case .success(let message) = codec.decode(frames) else {
            Issue.record("a correctly signed message was rejected")
            return
        }
        #expect(message.identities == [[1, 2, 3]])
        #expect(message.msgType == "kernel_info_request")
        #expect(message.header["version"] == "5.3")
        #expect(codec.decode(frames) == .failure(.replayedSignature))
        // Hex is accepted in either case; the same signature upper-cased is still a replay.
        var shouted = frames
        if let delimiter = frames.firstIndex(of: messageDelimiter) {
            shouted[delimiter + 1] = Array(String(decoding: frames[delimiter + 1], as: UTF8.self).uppercased().utf8)
        }
        #expect(shouted != frames)
        #expect(codec.decode(shouted) == .failure(.replayedSignature))
        #expect(codec.decode(Array(frames.dropFirst(2))) == .failure(.missingDelimiter))
        #expect(codec.decode(Array(frames.dropLast())) == .failure(.tooFewFrames(4)))
        let unsigned = MessageCodec(signer: MessageSigner(key: []))
            .encode(msgType: "kernel_info_request", content: [:], parent: nil, identities: [])
        #expect(codec.decode(unsigned) == .failure(.badSignature))
    }

    @Test func codecRejectsValidlySignedGarbage() {
        let signer = MessageSigner(key: Array("secret".utf8))
        let codec = MessageCodec(signer: signer)
        let parts: [[UInt8]] = [Array("[1]".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)]
        let frames = [messageDelimiter, signer.signature(for: parts)] + parts
        #expect(codec.decode(frames) == .failure(.malformed(part: "header", reason: "not an object")))
    }

    @Test func replayGuardForgetsTheOldestBeyondCapacity() {
        let guardian = ReplayGuard(capacity: 2)
        #expect(guardian.admit([1]))
        #expect(guardian.admit([2]))
        #expect(!guardian.admit([1]))
        #expect(guardian.admit([3]))
        #expect(guardian.admit([1]))
        #expect(!guardian.admit([3]))
        #expect(guardian.admit([]))
        #expect(guardian.admit([]))
    }

    @Test func repliesEchoTheRequestHeaderAndCarryFreshIDs() {
        let codec = MessageCodec(signer: MessageSigner(key: Array("k".utf8)), session: "kernel-session")
        let client = MessageCodec(signer: MessageSigner(key: Array("k".utf8)))
        guard case .success(let request) = codec.decode(client.encode(msgType: "x", content: [:], parent: nil, identities: [])) else {
            Issue.record("request rejected")
            return
        }
        let first = codec.encode(msgType: "y", content: [:], parent: request, identities: [])
        let second = codec.encode(msgType: "y", content: [:], parent: request, identities: [])
        guard case .success(let one) = client.decode(first), case .success(let two) = client.decode(second) else {
            Issue.record("the client rejected the kernel's messages")
            return
        }
        #expect(one.parentHeader == request.header)
        #expect(one.msgID != two.msgID)
        #expect(one.session == "kernel-session")
        let date = one.header["date"]?.stringValue ?? ""
        #expect(date.count == 27 && date.hasSuffix("Z") && date.contains("T"))
    }
}

@Suite struct MessageIDTests {
    @Test func idsAreUniqueAndUUIDsWellFormed() {
        let ids = MessageIDs()
        let generated = (0..<1_000).map { _ in ids.next() }
        #expect(Set(generated).count == generated.count)
        #expect(MessageIDs().next() != ids.next(), "two kernels never share ids")
        var generator = SystemRandomNumberGenerator()
        let uuid = MessageIDs.randomUUID(using: &generator)
        let groups = uuid.split(separator: "-").map(\.count)
        #expect(groups == [8, 4, 4, 4, 12])
        #expect(Array(uuid)[14] == "4", "version 4")
        #expect("89ab".contains(Array(uuid)[19]), "RFC 4122 variant")
    }
}

/// A small deterministic generator, so a failing case can be rerun.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
