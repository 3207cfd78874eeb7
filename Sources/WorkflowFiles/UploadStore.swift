import Foundation
import Glibc
import Synchronization
import WorkflowEngine

/// Files clients upload for workflows to read, under `<data directory>/uploads`.
///
/// An upload streams into `tmp/<id>.part` while its SHA-256 is computed; ``UploadWriter/finish()``
/// checks checksum and size, syncs the file, renames it to `<id>.data`, then writes its
/// description to `<id>.json` the same way. An upload exists once its description does: one
/// that fails or is abandoned is removed at once; what a crash left (a part file, content
/// without a description) is removed when the store next opens. ``sweep(nowMs:)`` deletes
/// expired uploads.
///
/// ```swift
/// let store = try UploadStore(directory: "data/uploads", limits: .init(maxBytes: 1 << 30, retention: .seconds(7 * 86_400)))
/// let writer = try store.begin(UploadDescription(name: "assets.csv", contentType: "text/csv", sha256: digest))
/// try writer.append(chunk)
/// let file = try writer.finish()   // file.id goes in `file_id`
/// ```
package final class UploadStore: Sendable {
    /// How large uploads may be and how long they are kept.
    package struct Limits: Sendable, Hashable {
        /// The largest upload, in bytes.
        package var maxBytes: Int64
        /// How long an upload is kept after it was stored.
        package var retention: Duration

        /// Creates limits.
        package init(maxBytes: Int64, retention: Duration) {
            self.maxBytes = maxBytes
            self.retention = retention
        }
    }

    /// The directory uploads live in.
    package let directory: String
    /// The limits every upload is held to.
    package let limits: Limits
    private var temporaryDirectory: String { directory + "/tmp" }

    /// Opens (creating if needed) the upload directory and removes what unfinished uploads of an
    /// earlier process left: part files, and content whose description was never written.
    ///
    /// - Throws: ``FileStoreError`` when the directory cannot be created.
    package init(directory: String, limits: Limits) throws(FileStoreError) {
        self.directory = directory
        self.limits = limits
        try FileSystem.createDirectory(directory + "/tmp")
        for name in FileSystem.entries(of: directory + "/tmp") {
            FileSystem.remove(directory + "/tmp/" + name)
        }
        // No upload is being published yet: content without a description was cut off by a crash.
        let names = Set(FileSystem.entries(of: directory))
        for name in names where name.hasSuffix(".data") && !names.contains(String(name.dropLast(5)) + ".json") {
            FileSystem.remove("\(directory)/\(name)")
        }
    }

    /// Starts an upload of the content `description` announces.
    ///
    /// - Throws: ``FileStoreError``: `invalidArgument` for a bad name, type or checksum,
    ///   `tooLarge` for a declared size over the limit, `io` when the file cannot be created.
    package func begin(_ description: UploadDescription) throws(FileStoreError) -> UploadWriter {
        try Self.check(description, limits: limits)
        let id = Self.newID()
        let file = try PosixFile.create("\(temporaryDirectory)/\(id).part")
        return UploadWriter(store: self, id: id, description: description, file: file)
    }

    /// The upload `id`, if it exists and has not expired.
    package func file(id: String) -> UploadedFile? {
        guard Self.isWellFormedID(id),
              let data = FileManager.default.contents(atPath: descriptionPath(id)),
              let file = try? JSONDecoder().decode(UploadedFile.self, from: data),
              file.expiresAtMs > WallClock.nowMs()
        else { return nil }
        return file
    }

    /// The path of upload `id`'s content (see ``file(id:)`` for whether it exists).
    package func contentPath(id: String) -> String {
        "\(directory)/\(id).data"
    }

    /// Deletes upload `id` (its description first, so it is never half visible).
    package func delete(id: String) {
        guard Self.isWellFormedID(id) else { return }
        FileSystem.remove(descriptionPath(id))
        FileSystem.remove(contentPath(id: id))
    }

    /// Deletes expired uploads (and descriptions that cannot be read), each description first.
    /// Safe while uploads are published: it looks only at described ones.
    ///
    /// - Returns: How many uploads it deleted.
    @discardableResult
    package func sweep(nowMs: Int64 = WallClock.nowMs()) -> Int {
        var deleted = 0
        for name in FileSystem.entries(of: directory) where name.hasSuffix(".json") {
            let id = String(name.dropLast(5))
            let data = FileManager.default.contents(atPath: descriptionPath(id))
            let file = data.flatMap { try? JSONDecoder().decode(UploadedFile.self, from: $0) }
            guard let file, file.expiresAtMs > nowMs else {
                FileSystem.remove(descriptionPath(id))
                FileSystem.remove(contentPath(id: id))
                deleted += 1
                continue
            }
        }
        return deleted
    }

    /// Makes upload `id` visible: called by ``UploadWriter/finish()`` once the content checked out.
    fileprivate func publish(id: String, description: UploadDescription, sizeBytes: Int64, sha256: String) throws(FileStoreError) -> UploadedFile {
        let now = WallClock.nowMs()
        let (seconds, attoseconds) = limits.retention.components
        let retentionMs = seconds.multipliedReportingOverflow(by: 1000).partialValue + attoseconds / 1_000_000_000_000_000
        let file = UploadedFile(
            id: id, name: description.name,
            contentType: description.contentType.isEmpty ? "application/octet-stream" : description.contentType,
            sizeBytes: sizeBytes, sha256: sha256, createdAtMs: now, expiresAtMs: now.addingReportingOverflow(retentionMs).overflow ? .max : now + retentionMs
        )
        try FileSystem.rename("\(temporaryDirectory)/\(id).part", to: contentPath(id: id))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json: Data
        do {
            json = try encoder.encode(file)
        } catch {
            throw FileStoreError(.io, "cannot describe upload \(id): \(error)")
        }
        let temporary = "\(temporaryDirectory)/\(id).json"
        do throws(FileStoreError) {
            let handle = try PosixFile.create(temporary)
            let bytes = [UInt8](json)
            try bytes.withUnsafeBytes { buffer -> Result<Void, FileStoreError> in
                Result { () throws(FileStoreError) in try handle.write(buffer) }
            }.get()
            try handle.sync()
            try FileSystem.rename(temporary, to: descriptionPath(id))
        } catch {
            FileSystem.remove(temporary)
            FileSystem.remove(contentPath(id: id))
            throw error
        }
        return file
    }

    /// Removes what an upload that did not finish wrote.
    fileprivate func discard(id: String) {
        FileSystem.remove("\(temporaryDirectory)/\(id).part")
    }

    private func descriptionPath(_ id: String) -> String {
        "\(directory)/\(id).json"
    }

    /// Checks what an upload declares.
    static func check(_ description: UploadDescription, limits: Limits) throws(FileStoreError) {
        let name = description.name
        guard (1...255).contains(name.utf8.count),
              !name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }),
              name != ".", name != ".."
        else {
            throw FileStoreError(
                .invalidArgument, "the file name must be 1 to 255 bytes with no '/', '\\' or control characters", field: "header.name"
            )
        }
        guard description.contentType.utf8.count <= 255,
              !description.contentType.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
        else {
            throw FileStoreError(.invalidArgument, "the content type must be at most 255 printable bytes", field: "header.content_type")
        }
        guard ContentDigest.isHexSHA256(description.sha256) else {
            throw FileStoreError(
                .invalidArgument, "must be the content's SHA-256 as 64 hex digits, got \"\(description.sha256.prefix(80))\"",
                field: "header.sha256"
            )
        }
        if let size = description.sizeBytes {
            guard size >= 0 else {
                throw FileStoreError(.invalidArgument, "must not be negative", field: "header.size_bytes")
            }
            guard size <= limits.maxBytes else {
                throw FileStoreError(
                    .tooLarge, "the file is \(size) bytes; uploads may be at most \(limits.maxBytes) bytes", field: "header.size_bytes"
                )
            }
        }
    }

    private static let idDigits = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// `f-` and 26 Crockford base-32 digits of 130 random bits: unguessable.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        var digits: [UInt8] = Array("f-".utf8)
        for _ in 0..<26 {
            digits.append(idDigits[Int(generator.next() % 32)])
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// Whether `id` has the shape ``newID()`` gives (so it is safe in a path).
    package static func isWellFormedID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return bytes.count == 28 && bytes.starts(with: Array("f-".utf8)) && bytes[2...].allSatisfy { idDigits.contains($0) }
    }
}

/// One upload in progress: content goes in with ``append(_:)``, then ``finish()`` or ``abort()``.
///
/// Calls come from one caller at a time (the upload's stream), possibly on different threads.
package final class UploadWriter: Sendable {
    private struct State: ~Copyable {
        var file: PosixFile?
        var digest = ContentDigest()
    }

    /// The id the upload gets when it finishes.
    package let id: String
    /// What the upload declared.
    package let description: UploadDescription
    private let store: UploadStore
    // Sendable: the open file and the running digest live in the Mutex.
    private let state: Mutex<State>

    fileprivate init(store: UploadStore, id: String, description: UploadDescription, file: consuming PosixFile) {
        self.store = store
        self.id = id
        self.description = description
        self.state = Mutex(State(file: file))
    }

    /// Writes the next bytes of the content.
    ///
    /// - Throws: ``FileStoreError``: `tooLarge` past the size limit (or past the declared
    ///   size: `contentMismatch`), `io` when the disk fails; the upload is then aborted.
    package func append(_ bytes: UnsafeRawBufferPointer) throws(FileStoreError) {
        let failure = state.withLock { state -> FileStoreError? in
            guard let file = state.file.take() else {
                return FileStoreError(.io, "upload \(id) already ended")
            }
            let total = state.digest.byteCount + Int64(bytes.count)
            if total > store.limits.maxBytes {
                return FileStoreError(.tooLarge, "the file is larger than \(store.limits.maxBytes) bytes, the most an upload may be")
            }
            if let declared = description.sizeBytes, total > declared {
                return FileStoreError(.contentMismatch, "more content than the \(declared) bytes the header declared", field: "header.size_bytes")
            }
            do throws(FileStoreError) {
                try file.write(bytes)
            } catch {
                return error
            }
            state.digest.update(bytes)
            state.file = consume file
            return nil
        }
        if let failure {
            abort()
            throw failure
        }
    }

    /// Checks the content against the declared checksum and size, makes it durable and
    /// visible. Blocks on the disk: call it off a network thread.
    ///
    /// - Throws: ``FileStoreError``: `contentMismatch` (the upload is discarded), `io`.
    package func finish() throws(FileStoreError) -> UploadedFile {
        let result = state.withLock { state -> Result<(Int64, String), FileStoreError> in
            guard let file = state.file.take() else {
                return .failure(FileStoreError(.io, "upload \(id) already ended"))
            }
            let size = state.digest.byteCount
            let sha256 = state.digest.hex()
            if let declared = description.sizeBytes, declared != size {
                return .failure(FileStoreError(
                    .contentMismatch, "received \(size) bytes, but the header declared \(declared)", field: "header.size_bytes"
                ))
            }
            guard sha256 == description.sha256.lowercased() else {
                return .failure(FileStoreError(
                    .contentMismatch,
                    "the content received (\(size) bytes) has SHA-256 \(sha256), not \(description.sha256.lowercased()) as declared",
                    field: "header.sha256"
                ))
            }
            do throws(FileStoreError) {
                try file.sync()
            } catch {
                return .failure(error)
            }
            return .success((size, sha256))
        }
        switch result {
        case .failure(let error):
            store.discard(id: id)
            throw error
        case .success(let (size, sha256)):
            do throws(FileStoreError) {
                return try store.publish(id: id, description: description, sizeBytes: size, sha256: sha256)
            } catch {
                store.discard(id: id)
                throw error
            }
        }
    }

    /// Ends the upload without keeping anything.
    package func abort() {
        state.withLock { state in
            _ = state.file.take()
        }
        store.discard(id: id)
    }
}
