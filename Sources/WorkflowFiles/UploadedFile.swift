/// A stored upload, as ``UploadStore`` describes it.
package struct UploadedFile: Sendable, Hashable, Codable {
    /// The id workflows take in place of a path, e.g. `f-5N0G7M3Q2WAKX9T1D4H8C6BVRE`.
    package var id: String
    /// The file name the upload gave, e.g. `assets.csv`.
    package var name: String
    /// The media type the upload gave.
    package var contentType: String
    /// The content's size in bytes.
    package var sizeBytes: Int64
    /// The content's SHA-256, 64 lowercase hex digits.
    package var sha256: String
    /// When it was stored, in Unix epoch milliseconds.
    package var createdAtMs: Int64
    /// When the store deletes it, in Unix epoch milliseconds.
    package var expiresAtMs: Int64
}

/// What an upload declares before its content (the header of `UploadFile`).
package struct UploadDescription: Sendable, Hashable {
    /// The file name, e.g. `assets.csv`.
    package var name: String
    /// The media type; empty for `application/octet-stream`.
    package var contentType: String
    /// The SHA-256 the content must have, 64 hex digits.
    package var sha256: String
    /// The size the content must have, if declared.
    package var sizeBytes: Int64?

    /// Creates a description.
    package init(name: String, contentType: String, sha256: String, sizeBytes: Int64? = nil) {
        self.name = name
        self.contentType = contentType
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
    }
}
