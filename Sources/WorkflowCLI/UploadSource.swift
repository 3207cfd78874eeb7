import Crypto
import Foundation
import HTTP2Transport
import Synchronization
import WorkflowMessages

/// A local file as the messages of an `UploadFile` call: the header (name, content type, size
/// and the SHA-256 computed by a first read of the file), then chunks read one at a time as the
/// connection takes them, so the client holds one chunk of the file whatever its size.
package final class UploadSource: ClientRequestStream {
    /// The size of each chunk message.
    package static let chunkSize = 1 << 20

    /// The file's path.
    package let path: String
    /// The header message.
    package let header: WorkflowV1.UploadHeader

    private struct State {
        var sentHeader = false
        var file: FileHandle?
        var readError: String?
    }

    // Sendable: the file handle and progress live in the Mutex; the rest is immutable.
    private let state: Mutex<State>

    /// Reads `path` once to hash it and opens it for the upload.
    ///
    /// - Parameters:
    ///   - path: The file to upload.
    ///   - name: The name to store it under; the file's own name by default.
    ///   - contentType: Its media type; guessed from the extension by default.
    /// - Throws: ``CommandFailure`` (a usage error) when the file cannot be read.
    package init(path: String, name: String? = nil, contentType: String? = nil) throws(CommandFailure) {
        let url = URL(fileURLWithPath: path)
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw CommandFailure(exitStatus: .usage, message: "cannot read \(path): \(error.localizedDescription)")
        }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            while let chunk = try handle.read(upToCount: Self.chunkSize), !chunk.isEmpty {
                hasher.update(data: chunk)
                size += Int64(chunk.count)
            }
            try handle.seek(toOffset: 0)
        } catch {
            throw CommandFailure(exitStatus: .usage, message: "cannot read \(path): \(error.localizedDescription)")
        }
        let digest = hasher.finalize().hex
        self.path = path
        self.header = WorkflowV1.UploadHeader(
            name: name ?? url.lastPathComponent,
            contentType: contentType ?? Self.contentType(ofExtension: url.pathExtension),
            sha256: digest,
            sizeBytes: size
        )
        self.state = Mutex(State(file: handle))
    }

    /// Why reading the file failed during the upload, if it did (the upload then ends short
    /// and the server refuses it).
    package var readError: String? {
        state.withLock { $0.readError }
    }

    package func nextMessage() -> [UInt8]? {
        state.withLock { state -> [UInt8]? in
            guard state.sentHeader else {
                state.sentHeader = true
                return WorkflowV1.UploadFileRequest(part: .header(header)).serializedBytes()
            }
            guard let file = state.file else { return nil }
            do {
                guard let chunk = try file.read(upToCount: Self.chunkSize), !chunk.isEmpty else {
                    try? file.close()
                    state.file = nil
                    return nil
                }
                return WorkflowV1.UploadFileRequest(part: .chunk([UInt8](chunk))).serializedBytes()
            } catch {
                state.readError = error.localizedDescription
                try? file.close()
                state.file = nil
                return nil
            }
        }
    }

    /// The media type of a file extension, for the files the product reads and writes.
    static func contentType(ofExtension pathExtension: String) -> String {
        switch pathExtension.lowercased() {
        case "csv": "text/csv"
        case "json": "application/json"
        case "conf", "txt": "text/plain"
        case "pdf": "application/pdf"
        case "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        default: "application/octet-stream"
        }
    }
}
