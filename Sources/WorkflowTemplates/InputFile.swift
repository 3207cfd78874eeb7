import Foundation
import WorkflowEngine
import WorkflowFiles
import WorkflowModel

/// The file a job reads: an upload, named by the `file_id` parameter, or a path on the server's
/// disk (`file_path`, `rules_path`), for clients that share the server's disk.
struct InputFile: Sendable, Hashable {
    /// Where the file comes from.
    enum Source: Sendable, Hashable {
        /// An upload's id.
        case upload(String)
        /// A server path.
        case path(String)
    }

    /// Where the file comes from.
    let source: Source

    /// The file `params` name: `file_id` or `pathParameter`, exactly one of them.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` naming the parameter when neither or both
    ///   are given, or `file_id` is not an upload id.
    init(params: [String: String], pathParameter: String) throws(EngineError) {
        let fileID = params["file_id"].flatMap { $0.isEmpty ? nil : $0 }
        let path = params[pathParameter].flatMap { $0.isEmpty ? nil : $0 }
        switch (fileID, path) {
        case (let fileID?, nil):
            guard UploadStore.isWellFormedID(fileID) else {
                throw .invalidArgument(field: "params.file_id", reason: "must be the id UploadFile answered (\"f-\" and 26 characters), got \"\(fileID)\"")
            }
            source = .upload(fileID)
        case (nil, let path?):
            source = .path(path)
        case (.some, .some):
            throw .invalidArgument(field: "params.file_id", reason: "give file_id or \(pathParameter), not both")
        case (nil, nil):
            throw .invalidArgument(field: "params.file_id", reason: "is required (or \(pathParameter), a path on the server)")
        }
    }

    /// The file as a job opens it.
    struct Resolved: Sendable {
        /// Where to read it.
        var path: String
        /// Its name for steps and errors, e.g. `assets.csv`.
        var name: String
        /// The upload, when the file is one.
        var upload: UploadedFile?

        /// How errors name the file: its path on the server, or the upload's name and id.
        var label: String {
            upload.map { "\($0.name) (upload \($0.id))" } ?? path
        }

        /// The entity steps about the file name.
        var entity: EntityReference {
            if let upload {
                return EntityReference(tag: upload.name, route: "/api/v1/files/\(upload.id)", id: upload.id, type: "File")
            }
            return EntityReference(tag: name, route: path, type: "File")
        }
    }

    /// Finds the file.
    ///
    /// - Throws: ``JobError`` with the code `VALIDATION` (not retried) when the upload does not
    ///   exist or expired: running again cannot bring it back.
    func resolve(in files: FileArea) throws(JobError) -> Resolved {
        switch source {
        case .path(let path):
            return Resolved(path: path, name: URL(fileURLWithPath: path).lastPathComponent, upload: nil)
        case .upload(let id):
            guard let upload = files.uploads.file(id: id) else {
                throw .invalidInput("Upload \(id) does not exist: it expired or was never stored; upload the file again")
            }
            return Resolved(path: files.uploads.contentPath(id: id), name: upload.name, upload: upload)
        }
    }
}
