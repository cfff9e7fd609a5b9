#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Growable storage for one column of trivial values, owned by a class that calls
/// `release()` in its `deinit`.
///
/// Small buffers come from `malloc`. Large ones (≥ `hugeThreshold`) are anonymous
/// mappings aligned to 2 MB and marked `MADV_HUGEPAGE` on Linux: on the virtual machines
/// this project runs on, a 4 KB page fault costs about 4 µs, i.e. ~18 ns for each node of a
/// scalar graph, more than building the node; with 2 MB pages it is a sixth of that.
struct RawBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    /// The mapping that holds `base` when the buffer is mapped (nil: `malloc`).
    private var mapping: UnsafeMutableRawPointer?
    private var mappedBytes: Int

    static var hugePage: Int { 1 << 21 }
    static var hugeThreshold: Int { 1 << 22 }

    init() {
        guard let raw = malloc(MemoryLayout<Element>.stride) else { fatalError("out of memory") }
        base = raw.bindMemory(to: Element.self, capacity: 1)
        capacity = 0
        mapping = nil
        mappedBytes = 0
    }

    /// Grows to at least `newCapacity` elements, keeping the first `count`.
    mutating func grow(to newCapacity: Int, keeping count: Int) {
        guard newCapacity > capacity else { return }
        let bytes = newCapacity * MemoryLayout<Element>.stride
        #if os(Linux)
        if bytes >= RawBuffer.hugeThreshold, let (region, length, aligned) = RawBuffer.mapHuge(bytes: bytes) {
            let fresh = aligned.bindMemory(to: Element.self, capacity: newCapacity)
            fresh.update(from: base, count: count)
            release()
            base = fresh
            mapping = region
            mappedBytes = length
            capacity = newCapacity
            return
        }
        #endif
        if mapping == nil {
            guard let raw = realloc(base, bytes) else { fatalError("out of memory growing a graph column to \(newCapacity) entries") }
            base = raw.bindMemory(to: Element.self, capacity: newCapacity)
        } else {
            guard let raw = malloc(bytes) else { fatalError("out of memory growing a graph column to \(newCapacity) entries") }
            let fresh = raw.bindMemory(to: Element.self, capacity: newCapacity)
            fresh.update(from: base, count: count)
            release()
            base = fresh
        }
        capacity = newCapacity
    }

    /// Frees the storage; the buffer must not be used afterwards.
    mutating func release() {
        if let mapping {
            munmap(mapping, mappedBytes)
            self.mapping = nil
        } else {
            free(base)
        }
    }

    #if os(Linux)
    /// A mapping of at least `bytes` whose start is 2 MB-aligned, with huge pages requested
    /// before any page is touched. Nil if the kernel refuses the mapping.
    private static func mapHuge(bytes: Int) -> (region: UnsafeMutableRawPointer, length: Int, aligned: UnsafeMutableRawPointer)? {
        let length = bytes + hugePage
        guard let region = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              Int(bitPattern: region) != -1 else { return nil }
        let start = (Int(bitPattern: region) + hugePage - 1) & ~(hugePage - 1)
        guard let aligned = UnsafeMutableRawPointer(bitPattern: start) else {
            munmap(region, length)
            return nil
        }
        _ = madvise(aligned, bytes, MADV_HUGEPAGE)
        return (region, length, aligned)
    }
    #endif
}

/// Requests huge pages for the untouched interior of a large, freshly allocated buffer
/// (gradient arrays): whole 2 MB-aligned stretches only, so neighbouring data is unaffected.
func adviseHugePages(_ pointer: UnsafeMutableRawPointer?, bytes: Int) {
    #if os(Linux)
    let hugePage = 1 << 21
    guard let pointer, bytes >= 2 * hugePage else { return }
    let start = (Int(bitPattern: pointer) + hugePage - 1) & ~(hugePage - 1)
    let end = (Int(bitPattern: pointer) + bytes) & ~(hugePage - 1)
    guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(aligned, end - start, MADV_HUGEPAGE)
    #endif
}
