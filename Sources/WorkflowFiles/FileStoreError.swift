import Glibc

/// Why a file operation of ``UploadStore`` or ``ArtifactFileStore`` failed.
package struct FileStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, which the service turns into a gRPC status.
    package enum Code: Sendable, Hashable {
        /// A name, type or checksum the caller gave is malformed (INVALID_ARGUMENT).
        case invalidArgument
        /// The file is larger than the limit (RESOURCE_EXHAUSTED).
        case tooLarge
        /// The content received does not match its declared checksum or size (DATA_LOSS).
        case contentMismatch
        /// No such file, or it expired (NOT_FOUND).
        case notFound
        /// The disk failed (INTERNAL).
        case io
    }

    /// The kind of failure.
    package let code: Code
    /// What went wrong, for the caller.
    package let message: String
    /// The request field at fault, e.g. `header.sha256`.
    package let field: String?

    /// Creates an error.
    package init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    package var description: String { message }

    /// An I/O failure of `operation` on `path` with `errno`.
    static func io(_ operation: String, _ path: String, errno number: Int32) -> FileStoreError {
        FileStoreError(.io, "cannot \(operation) \(path): \(String(cString: strerror(number)))")
    }
}
