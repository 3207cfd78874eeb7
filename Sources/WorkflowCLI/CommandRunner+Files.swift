import Crypto
import Foundation
import MessageRuntime
import RPCCore
import WorkflowMessages

extension CommandRunner {
    /// `workflowctl upload`: stores a local file on the server and prints its id (what
    /// `start … file_id=<id>` takes), or the whole `UploadedFile` as JSON.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - name: The name to store it under; the file's own by default.
    ///   - contentType: Its media type; from its extension by default.
    ///   - output: Text (the id alone) or JSON.
    /// - Returns: ``ExitStatus/success``, or the failure's status.
    package func upload(path: String, name: String?, contentType: String?, output: OutputMode?) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            let source = try UploadSource(path: path, name: name, contentType: contentType)
            let file = try await withConnection { connection throws(CommandFailure) in
                try await connection.uploadFile(source)
            }
            if output == .json {
                console.writeLine(String(decoding: file.protoJSONBytes(), as: UTF8.self))
            } else {
                console.writeLine(file.fileID)
                console.report("stored \(file.name): \(file.sizeBytes) bytes, sha256 \(file.sha256), kept until \(TimeText.localDateTime(epochMs: file.expiresAtMs))")
            }
            return .success
        }
    }

    /// `workflowctl download`: saves artifacts to local files, each checked against its
    /// SHA-256 and written whole (a temporary file renamed into place). An id without a `.`
    /// names a workflow: all its artifacts are saved.
    ///
    /// - Parameters:
    ///   - ids: Artifact ids (`<workflow id>.<name>`) or workflow ids.
    ///   - destination: A directory to save into (the artifacts' names), or, for one artifact,
    ///     a file path; the current directory by default.
    /// - Returns: ``ExitStatus/success``, or the failure's status.
    package func download(ids: [String], destination: String?) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            try await withConnection { connection throws(CommandFailure) -> ExitStatus in
                var artifactIDs: [String] = []
                for id in ids {
                    if id.contains(".") {
                        artifactIDs.append(id)
                    } else {
                        let artifacts = try await connection.workflow(id: id).artifacts
                        guard !artifacts.isEmpty else {
                            throw CommandFailure(exitStatus: .serverError, message: "workflow \(id) has no artifacts (yet)")
                        }
                        artifactIDs += artifacts.map(\.id)
                    }
                }
                // A destination that is not an existing directory is the one artifact's file.
                var isDirectory: ObjCBool = false
                let directory: String? = if let destination {
                    FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory) && isDirectory.boolValue ? destination : nil
                } else {
                    "."
                }
                if directory == nil, artifactIDs.count > 1 {
                    throw .usage("--to must be an existing directory to save \(artifactIDs.count) artifacts")
                }
                for artifactID in artifactIDs {
                    let saved = try await save(artifactID, from: connection, directory: directory, file: directory == nil ? destination : nil)
                    console.writeLine(saved)
                }
                return .success
            }
        }
    }

    /// `workflowctl assets`: the asset registry as a table (or JSON lines), filtered; with a
    /// tag or id, that one asset.
    ///
    /// - Parameters:
    ///   - request: Filters and page size.
    ///   - tagOrID: One asset's tag or id; `nil` to list.
    ///   - output: Text (the default) or JSON lines.
    /// - Returns: ``ExitStatus/success``, or the failure's status.
    package func assets(_ request: WorkflowV1.ListAssetsRequest, tagOrID: String?, output: OutputMode?) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            try await withConnection { connection throws(CommandFailure) -> ExitStatus in
                let assets: [WorkflowV1.Asset]
                var total: Int32 = 0
                if let tagOrID {
                    let isID = !tagOrID.isEmpty && tagOrID.allSatisfy(\.isNumber)
                    assets = [try await connection.asset(isID ? WorkflowV1.GetAssetRequest(assetID: tagOrID) : WorkflowV1.GetAssetRequest(tag: tagOrID))]
                    total = 1
                } else {
                    let page = try await connection.listAssets(request)
                    assets = page.assets
                    total = page.totalCount
                }
                if output == .json {
                    for asset in assets { console.writeLine(String(decoding: asset.protoJSONBytes(), as: UTF8.self)) }
                } else {
                    for line in AssetListFormatter.lines(for: assets, detailed: tagOrID != nil) { console.writeLine(line) }
                    if tagOrID == nil, Int(total) > assets.count {
                        console.report("\(assets.count) of \(total) assets shown; --limit shows more (at most 1000)")
                    }
                }
                return .success
            }
        }
    }

    /// Whether `name` is a plain file name: 1 to 100 letters, digits, `.`, `_` or `-`, not
    /// starting with `.` or `-` (what the server allows an artifact to be named).
    static func isSafeFileName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...100).contains(bytes.count), bytes[0] != UInt8(ascii: "."), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }
    }

    /// Downloads one artifact into `directory` (under its name) or to `file`, checking its
    /// size and SHA-256 before renaming it into place.
    /// - Returns: What to print: the path and size.
    private func save(_ artifactID: String, from connection: WorkflowConnection, directory: String?, file: String?) async throws(CommandFailure) -> String {
        var iterator = connection.downloadArtifact(id: artifactID).makeAsyncIterator()
        var artifact: WorkflowV1.Artifact?
        var hasher = SHA256()
        var received: Int64 = 0
        var handle: FileHandle?
        var temporary = ""
        var target = ""
        defer {
            try? handle?.close()
            if !temporary.isEmpty { try? FileManager.default.removeItem(atPath: temporary) }
        }
        do {
            while let bytes = try await iterator.next() {
                let chunk = try WorkflowV1.ArtifactChunk(serializedBytes: bytes)
                if let description = chunk.artifact, artifact == nil {
                    // The name becomes a path: only what an artifact name may be (no '/', no '..').
                    guard Self.isSafeFileName(description.name) else {
                        throw CommandFailure(exitStatus: .serverError, message: "DownloadArtifact \(artifactID): the server named the file \"\(description.name)\", which is not a plain file name")
                    }
                    artifact = description
                    target = file ?? "\(directory ?? ".")/\(description.name)"
                    temporary = target + ".part"
                    FileManager.default.createFile(atPath: temporary, contents: nil)
                    handle = FileHandle(forWritingAtPath: temporary)
                    guard handle != nil else {
                        throw CommandFailure(exitStatus: .usage, message: "cannot write \(temporary)")
                    }
                }
                hasher.update(data: chunk.data)
                received += Int64(chunk.data.count)
                try handle?.write(contentsOf: chunk.data)
            }
        } catch let status as RPCStatus {
            throw .rpc(status, call: "DownloadArtifact \(artifactID)", address: connection.address)
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(exitStatus: .usage, message: "cannot save \(artifactID) to \(temporary): \(error.localizedDescription)")
        }
        guard let artifact else {
            throw CommandFailure(exitStatus: .serverError, message: "DownloadArtifact \(artifactID): the server sent no artifact description")
        }
        let digest = hasher.finalize().hex
        guard received == artifact.sizeBytes, digest == artifact.sha256 else {
            throw CommandFailure(
                exitStatus: .serverError,
                message: "DownloadArtifact \(artifactID): received \(received) bytes with SHA-256 \(digest), expected \(artifact.sizeBytes) with \(artifact.sha256)"
            )
        }
        do {
            try handle?.synchronize()
            try handle?.close()
            handle = nil
            if FileManager.default.fileExists(atPath: target) {
                _ = try FileManager.default.replaceItemAt(URL(fileURLWithPath: target), withItemAt: URL(fileURLWithPath: temporary))
            } else {
                try FileManager.default.moveItem(atPath: temporary, toPath: target)
            }
            temporary = ""
        } catch {
            throw CommandFailure(exitStatus: .usage, message: "cannot save \(target): \(error.localizedDescription)")
        }
        return "\(target)\t\(received) bytes"
    }
}
