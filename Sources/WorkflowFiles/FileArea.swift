import Foundation

/// The server's files: uploads (``UploadStore``, `uploads/`) and artifacts
/// (``ArtifactFileStore``, `artifacts/`) under one directory, the data directory's `files/`.
package struct FileArea: Sendable {
    /// Files clients uploaded.
    package let uploads: UploadStore
    /// Files workflows produced.
    package let artifacts: ArtifactFileStore
    /// The folder holding both.
    package let directory: String
    /// Whether the area is a temporary folder of its own (``temporary(uploadLimits:)``), which
    /// ``removeIfTemporary()`` deletes.
    package let isTemporary: Bool

    /// The default upload limits: 1 GiB, kept 7 days.
    package static let defaultUploadLimits = UploadStore.Limits(maxBytes: 1 << 30, retention: .seconds(7 * 24 * 3600))

    /// Opens (creating if needed) the area under `directory`.
    ///
    /// - Throws: ``FileStoreError`` when a folder cannot be created.
    package init(directory: String, uploadLimits: UploadStore.Limits = FileArea.defaultUploadLimits) throws(FileStoreError) {
        try self.init(directory: directory, uploadLimits: uploadLimits, isTemporary: false)
    }

    private init(directory: String, uploadLimits: UploadStore.Limits, isTemporary: Bool) throws(FileStoreError) {
        uploads = try UploadStore(directory: directory + "/uploads", limits: uploadLimits)
        artifacts = try ArtifactFileStore(directory: directory + "/artifacts")
        self.directory = directory
        self.isTemporary = isTemporary
    }

    /// Deletes the area's folder and everything in it if it is a temporary one; nothing otherwise.
    package func removeIfTemporary() {
        guard isTemporary else { return }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// An area in a new folder under the system's temporary directory, for a server without a
    /// data directory (its files last as long as its workflows: until it stops) and for tests.
    package static func temporary(uploadLimits: UploadStore.Limits = FileArea.defaultUploadLimits) throws(FileStoreError) -> FileArea {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/workflowd-files-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FileStoreError(.io, "cannot create a temporary directory under \(base)")
        }
        return try FileArea(directory: String(cString: made), uploadLimits: uploadLimits, isTemporary: true)
    }
}
