import Foundation

/// Replaces a file as a whole: the new content goes to a temporary file next to it, is flushed
/// to disk, then renamed over the old one, so a reader, a failed write or a crash at any point
/// sees the old file or the new one under the final name, never a part of one.
///
/// The export jobs write through it, so running one again (a retry, or a restart after a crash
/// mid-write) just replaces the file. A crash can leave the temporary file behind: it is hidden
/// (`.assets.xlsx.<uuid>.tmp`) and never read.
///
/// ```swift
/// try AtomicFile.replace(at: "/exports/assets.pdf", with: document)
/// ```
enum AtomicFile {
    /// Writes the file at `path` through `write`, which gets the temporary file's URL in the same
    /// directory and must have closed the file when it returns.
    ///
    /// - Parameters:
    ///   - path: The file to create or replace.
    ///   - write: Writes the whole content to the URL it gets.
    /// - Returns: What `write` returns.
    /// - Throws: What `write` throws, or an error flushing or renaming the file; the file at
    ///   `path` is then as it was and the temporary file is removed.
    static func replace<Result>(at path: String, _ write: (URL) throws -> Result) throws -> Result {
        let destination = URL(fileURLWithPath: path)
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        defer { try? FileManager.default.removeItem(at: temporary) }
        let result = try write(temporary)
        let handle = try FileHandle(forWritingTo: temporary)
        defer { try? handle.close() }
        try handle.synchronize()
        // rename(2) replaces the destination atomically within one directory; it fails only for
        // an unwritable or vanished directory, answered as the error below.
        guard rename(temporary.path, destination.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return result
    }

    /// Writes `data` as the file at `path`; see ``replace(at:_:)``.
    static func replace(at path: String, with data: Data) throws {
        try replace(at: path) { url in try data.write(to: url) }
    }
}
