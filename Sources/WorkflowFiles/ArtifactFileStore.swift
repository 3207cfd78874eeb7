import Glibc
import WorkflowEngine
import WorkflowModel

/// The files of artifacts, under `<data directory>/artifacts/<workflow id>/`.
///
/// A job writes an artifact's content to a ``temporaryPath()`` (or hands the bytes), and
/// ``store(fileAt:workflowID:name:)`` hashes it, syncs it and renames it to
/// `<sha256 prefix>-<name>`: a file is whole or absent, and a new attempt's file never
/// overwrites the one the workflow refers to until the engine records the new one (then it
/// tells the store to ``remove(_:)`` the old file). ``sweep(keeping:)`` deletes what a crash
/// left that no workflow refers to: only files from before the store was opened, since a
/// workflow resumed at start may be writing a new one meanwhile.
package final class ArtifactFileStore: ArtifactStorage {
    /// The directory artifact files live in.
    package let directory: String
    /// A second before the store was opened: files written since are never swept (the second
    /// covers the file system's coarse timestamps).
    private let openedAt: timespec

    /// Opens (creating if needed) the artifact directory and empties its temporary folder.
    ///
    /// - Throws: ``FileStoreError`` when the directory cannot be created.
    package init(directory: String) throws(FileStoreError) {
        self.directory = directory
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        now.tv_sec -= 1
        self.openedAt = now
        try FileSystem.createDirectory(directory + "/tmp")
        for name in FileSystem.entries(of: directory + "/tmp") {
            FileSystem.remove(directory + "/tmp/" + name)
        }
    }

    /// A fresh path on the same file system for a job to write an artifact to before
    /// ``store(fileAt:workflowID:name:)``.
    package func temporaryPath() -> String {
        "\(directory)/tmp/\(UploadStore.newID()).part"
    }

    /// What a stored artifact file is.
    package struct StoredFile: Sendable, Hashable {
        /// Its size in bytes.
        package var sizeBytes: Int64
        /// Its SHA-256, 64 lowercase hex digits.
        package var sha256: String
    }

    /// Moves the file at `temporary` (from ``temporaryPath()``) into place as artifact `name` of
    /// workflow `workflowID`, synced to disk.
    ///
    /// - Throws: ``FileStoreError``: `invalidArgument` for a bad name, `io`; the temporary file is
    ///   removed either way.
    package func store(fileAt temporary: String, workflowID: String, name: String) throws(FileStoreError) -> StoredFile {
        defer { FileSystem.remove(temporary) }
        guard Artifact.isValidName(name), Self.isSafePathComponent(workflowID) else {
            throw FileStoreError(.invalidArgument, "bad artifact name \"\(name)\" of workflow \"\(workflowID)\"")
        }
        guard let file = try PosixFile.openForReading(temporary) else {
            throw FileStoreError(.io, "the artifact \(name) was not written to \(temporary)")
        }
        var digest = ContentDigest()
        var offset: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try file.read(into: buffer, at: offset)
            if count == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            offset += Int64(count)
        }
        try file.sync()
        let sha256 = digest.hex()
        try FileSystem.createDirectory("\(directory)/\(workflowID)")
        try FileSystem.rename(temporary, to: path(workflowID: workflowID, name: name, sha256: sha256))
        return StoredFile(sizeBytes: offset, sha256: sha256)
    }

    /// Stores `contents` as artifact `name` of workflow `workflowID` (see
    /// ``store(fileAt:workflowID:name:)``).
    package func store(_ contents: [UInt8], workflowID: String, name: String) throws(FileStoreError) -> StoredFile {
        let temporary = temporaryPath()
        do throws(FileStoreError) {
            let file = try PosixFile.create(temporary)
            try contents.withUnsafeBytes { buffer -> Result<Void, FileStoreError> in
                Result { () throws(FileStoreError) in try file.write(buffer) }
            }.get()
        } catch {
            FileSystem.remove(temporary)
            throw error
        }
        return try store(fileAt: temporary, workflowID: workflowID, name: name)
    }

    /// The path of `artifact`'s file.
    package func path(of artifact: Artifact) -> String {
        path(workflowID: artifact.workflowID, name: artifact.name, sha256: artifact.sha256)
    }

    /// Deletes the files of `artifacts` (and a workflow's folder once it is empty).
    package func remove(_ artifacts: [Artifact]) {
        for artifact in artifacts where Self.isSafePathComponent(artifact.workflowID) {
            FileSystem.remove(path(of: artifact))
            FileSystem.removeDirectoryIfEmpty("\(directory)/\(artifact.workflowID)")
        }
    }

    /// Deletes every file from before the store was opened that no artifact in `artifacts`
    /// refers to (what a crash left behind, and the files of workflows forgotten while the
    /// server was down).
    ///
    /// - Returns: How many files it deleted.
    @discardableResult
    package func sweep(keeping artifacts: [Artifact]) -> Int {
        let kept = Set(artifacts.map(path(of:)))
        var deleted = 0
        for workflowID in FileSystem.entries(of: directory) where workflowID != "tmp" {
            let folder = "\(directory)/\(workflowID)"
            guard FileSystem.isDirectory(folder) else { continue }
            for name in FileSystem.entries(of: folder) where !kept.contains("\(folder)/\(name)") {
                guard FileSystem.modified("\(folder)/\(name)", before: openedAt) else { continue }
                FileSystem.remove("\(folder)/\(name)")
                deleted += 1
            }
            FileSystem.removeDirectoryIfEmpty(folder)
        }
        return deleted
    }

    /// The path of the file of artifact `name` of workflow `workflowID` with content `sha256`.
    package func path(workflowID: String, name: String, sha256: String) -> String {
        "\(directory)/\(workflowID)/\(sha256.prefix(16))-\(name)"
    }

    /// Whether `component` can be used as a folder name (a workflow id is `wf-` and base-32).
    private static func isSafePathComponent(_ component: String) -> Bool {
        !component.isEmpty && component != "." && component != ".." && component != "tmp"
            && !component.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 })
    }
}
