#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a file in the data directory, so two servers never write one store.
///
/// Owns the file descriptor and closes it (releasing the lock) in `deinit`.
final class DirectoryLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock on `path`, creating the file if needed.
    ///
    /// - Throws: ``StoreError`` when the file cannot be opened or another process holds the lock.
    init(path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StoreError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        // flock returns 0 on success, -1 with EWOULDBLOCK when another holder has it (or
        // another errno for other failures): any failure means this process may not write here.
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another workflowd uses this data directory" : String(cString: strerror(errno))
            close(descriptor)
            throw StoreError("cannot lock \(path): \(reason)")
        }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }
}
