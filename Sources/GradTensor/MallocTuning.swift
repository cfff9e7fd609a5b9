import CBLAS

/// Keeps freed tensor buffers inside the process.
///
/// glibc serves blocks above its mmap threshold (128 KB at first, raised as such blocks are
/// freed) from fresh mappings and gives heap space above 2× that back to the kernel, so a
/// training step that frees and re-allocates the same megabyte-sized tensors every step
/// faults every page in again: on this project's virtual machines a 4 KB fault costs about
/// 4 µs, and a 784×256 float64 matrix has 400 of them. With fixed thresholds the buffers
/// of one step are reused by the next one.
private let mallocTuning: Void = {
    #if os(Linux)
    _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
    _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
    #endif
}()

extension Tensor {
    /// Applies the thresholds above (once per process; later calls do nothing). Graphs call
    /// it when they are created.
    public static func keepFreedBuffersInProcess() {
        _ = mallocTuning
    }
}
