/// A growable run of bytes, filled a few bytes at a time: the elements of the arrays a group of
/// training steps sends to the server (SQLArrayColumns), twelve bytes per number, tens of
/// thousands of numbers per group. `[UInt8].append(contentsOf:)` costs more per call than the
/// handful of bytes each call adds (measured: most of the time the training writer spent
/// putting a step's summaries together, on the core it shares with the server).
///
/// A value type, copied on write as `Array` is (hence `@unchecked Sendable`, as `Array` is
/// Sendable: a copy shares the storage until either side writes).
struct ByteBuffer: @unchecked Sendable {
    private final class Storage {
        let bytes: UnsafeMutableRawPointer
        var count = 0
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            bytes = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }

        deinit { bytes.deallocate() }

        /// A copy with room for at least `capacity` bytes.
        func copy(capacity requested: Int) -> Storage {
            let copy = Storage(capacity: requested)
            copy.bytes.copyMemory(from: bytes, byteCount: count)
            copy.count = count
            return copy
        }
    }

    private var storage: Storage

    init(capacity: Int = 256) {
        storage = Storage(capacity: Swift.max(capacity, 16))
    }

    var count: Int { storage.count }

    /// The storage, this value's own, with room for `extra` more bytes.
    private mutating func writableStorage(adding extra: Int) -> Storage {
        let needed = storage.count + extra
        if needed > storage.capacity {
            let doubled = storage.capacity > Int.max / 2 ? needed : storage.capacity * 2
            storage = storage.copy(capacity: Swift.max(needed, doubled))
        } else if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy(capacity: storage.capacity)
        }
        return storage
    }

    mutating func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        let size = MemoryLayout<Integer>.size
        let storage = writableStorage(adding: size)
        storage.bytes.storeBytes(of: value.bigEndian, toByteOffset: storage.count, as: Integer.self)
        storage.count += size
    }

    /// An element of a binary int8 or float8 array: its length (8) and its bytes, big-endian.
    mutating func appendEightByteElement(_ bits: UInt64) {
        let storage = writableStorage(adding: 12)
        storage.bytes.storeBytes(of: UInt32(8).bigEndian, toByteOffset: storage.count, as: UInt32.self)
        storage.bytes.storeBytes(of: bits.bigEndian, toByteOffset: storage.count + 4, as: UInt64.self)
        storage.count += 12
    }

    /// Four elements of a binary float8 array at once, NaN and nil as NULL (a length of -1 and
    /// no bytes). Returns whether any was NULL.
    mutating func appendDoubleElements(_ first: Double?, _ second: Double?, _ third: Double?, _ fourth: Double?) -> Bool {
        let storage = writableStorage(adding: 48)
        let stored = (Self.store(first, in: storage), Self.store(second, in: storage),
                      Self.store(third, in: storage), Self.store(fourth, in: storage))
        return !(stored.0 && stored.1 && stored.2 && stored.3)
    }

    /// Writes one float8 element at the end of `storage` (which has room); false for a NULL.
    @inline(__always)
    private static func store(_ value: Double?, in storage: Storage) -> Bool {
        guard let value, !value.isNaN else {
            storage.bytes.storeBytes(of: UInt32.max, toByteOffset: storage.count, as: UInt32.self)
            storage.count += 4
            return false
        }
        storage.bytes.storeBytes(of: UInt32(8).bigEndian, toByteOffset: storage.count, as: UInt32.self)
        storage.bytes.storeBytes(of: value.bitPattern.bigEndian, toByteOffset: storage.count + 4, as: UInt64.self)
        storage.count += 12
        return true
    }

    mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        let storage = writableStorage(adding: bytes.count)
        (storage.bytes + storage.count).copyMemory(from: source, byteCount: bytes.count)
        storage.count += bytes.count
    }

    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: storage.bytes, count: storage.count))
    }
}
