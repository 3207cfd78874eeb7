import Synchronization

/// Reads a file front to back in chunks, for a download that sends one chunk per pull.
///
/// Reads are synchronous `pread`s of at most ``chunkSize`` bytes; the file stays open until the
/// reader is released.
package final class FileChunkReader: Sendable {
    /// The most bytes one ``next()`` returns.
    package let chunkSize: Int
    /// The file's size when it was opened.
    package let size: Int64
    private let file: PosixFile
    // Sendable: the read position lives in the Mutex; the rest is immutable.
    private let offset: Mutex<Int64>

    /// Opens `path` to read from `offset`; `nil` when the file does not exist.
    ///
    /// - Throws: ``FileStoreError`` when it exists but cannot be read.
    package init?(path: String, offset: Int64 = 0, chunkSize: Int = 1 << 16) throws(FileStoreError) {
        guard let file = try PosixFile.openForReading(path) else { return nil }
        let size = try file.size()
        self.size = size
        self.file = file
        self.offset = Mutex(min(max(0, offset), size))
        self.chunkSize = max(1, chunkSize)
    }

    /// Whether every byte up to the size at opening was read.
    package var isAtEnd: Bool { offset.withLock { $0 >= size } }

    /// The next chunk; empty at the end.
    ///
    /// - Throws: ``FileStoreError`` when the read fails, or the file shrank since it was opened.
    package func next() throws(FileStoreError) -> [UInt8] {
        try offset.withLock { offset throws(FileStoreError) -> [UInt8] in
            let wanted = Int(min(Int64(chunkSize), size - offset))
            guard wanted > 0 else { return [] }
            var failure: FileStoreError?
            let start = offset
            let chunk = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, initialized in
                do throws(FileStoreError) {
                    initialized = try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: start)
                } catch {
                    failure = error
                    initialized = 0
                }
            }
            if let failure { throw failure }
            guard !chunk.isEmpty else {
                throw FileStoreError(.io, "\(file.path) ended at \(start) bytes; it had \(size) when the download began")
            }
            offset += Int64(chunk.count)
            return chunk
        }
    }
}
