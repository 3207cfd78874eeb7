import AccessControl
import Logging
import RPCCore
import WorkflowEngine
import WorkflowFiles
import WorkflowMessages
import WorkflowModel

/// Serves the file methods of `workflow.v1.WorkflowService`: `UploadFile` into the
/// ``UploadStore``, `DownloadFile` back out of it, and `DownloadArtifact` from the
/// ``ArtifactFileStore``, artifacts looked up in the engine's workflows. Like ``WorkflowRPCService``, its handlers run on their connections' loops and enter the engine there.
///
/// Uploading takes a role that may start workflows. An artifact is read by those who may see
/// its workflow, and by workers (whose jobs read what earlier jobs made); an upload by anyone
/// who may read or serve jobs and knows its id, which is unguessable (130 random bits) and
/// given only to the uploader and, through a workflow's parameters, to those who see it.
struct FileRPCService: Sendable {
    private let engine: WorkflowEngine
    private let files: FileArea
    private let access: AccessGuard
    private let logger: Logger

    init(engine: WorkflowEngine, files: FileArea, access: AccessGuard, logger: Logger) {
        self.engine = engine
        self.files = files
        self.access = access
        self.logger = logger
    }

    /// Adds the methods to `router`.
    func register(in router: inout RPCRouter) {
        typealias Methods = WorkflowV1.WorkflowService
        let uploads = files.uploads
        let logger = logger
        router.register(Methods.uploadFile, access.requestStreaming(.start) { _, waker in
            UploadFileCall(uploads: uploads, waker: waker, logger: logger)
        })
        router.register(Methods.downloadArtifact, access.serverStreaming(.readFiles, downloadArtifact))
        router.register(Methods.downloadFile, access.serverStreaming(.readFiles, downloadFile))
    }

    private func downloadArtifact(_ bytes: [UInt8], _ check: CallerCheck, _ waker: StreamWaker) throws(RPCStatus) -> any ServerStreamProducer {
        let caller = check.caller
        let request = try WorkflowV1.DownloadArtifactRequest(request: bytes)
        guard !request.artifactID.isEmpty else {
            throw RPCStatus(code: .invalidArgument, message: "artifact_id: is required")
        }
        guard request.offset >= 0 else {
            throw RPCStatus(code: .invalidArgument, message: "offset: must not be negative, got \(request.offset)")
        }
        guard let (workflowID, _) = Artifact.parse(id: request.artifactID) else {
            throw RPCStatus(code: .invalidArgument, message: "artifact_id: must be \"<workflow id>.<name>\", got \"\(request.artifactID.prefix(200))\"")
        }
        try RequestValidation.checkWorkflowID(workflowID, field: "artifact_id", required: true)
        let workflow: Workflow
        do throws(EngineError) {
            workflow = try engine.fromHandler { engine throws(EngineError) in
                caller.readsEveryArtifact ? try engine.workflow(id: workflowID) : try engine.workflow(id: workflowID, visibleTo: caller)
            }
        } catch {
            throw RPCStatus(code: .notFound, message: "no artifact \"\(request.artifactID)\": \(error.message)")
        }
        guard let artifact = workflow.artifacts.first(where: { $0.id == request.artifactID }) else {
            throw RPCStatus(code: .notFound, message: "workflow \(workflowID) has no artifact \"\(request.artifactID)\"")
        }
        let reader = try Self.open(files.artifacts.path(of: artifact), at: request.offset, name: artifact.name, gone: "the file of artifact \(artifact.id)")
        let description = WorkflowV1.Artifact(artifact)
        return FileDownload(reader: reader) { chunk, first in
            WorkflowV1.ArtifactChunk(artifact: first ? description : nil, data: chunk).serializedBytes()
        }
    }

    private func downloadFile(_ bytes: [UInt8], _ check: CallerCheck, _ waker: StreamWaker) throws(RPCStatus) -> any ServerStreamProducer {
        let request = try WorkflowV1.DownloadFileRequest(request: bytes)
        guard !request.fileID.isEmpty else {
            throw RPCStatus(code: .invalidArgument, message: "file_id: is required")
        }
        guard UploadStore.isWellFormedID(request.fileID) else {
            throw RPCStatus(code: .invalidArgument, message: "file_id: must be an id UploadFile answered, got \"\(request.fileID.prefix(200))\"")
        }
        guard request.offset >= 0 else {
            throw RPCStatus(code: .invalidArgument, message: "offset: must not be negative, got \(request.offset)")
        }
        guard let file = files.uploads.file(id: request.fileID) else {
            throw RPCStatus(code: .notFound, message: "no upload \"\(request.fileID)\": it expired, or never finished")
        }
        let reader = try Self.open(files.uploads.contentPath(id: file.id), at: request.offset, name: file.name, gone: "upload \(file.id)")
        let description = WorkflowV1.UploadedFile(file)
        return FileDownload(reader: reader) { chunk, first in
            WorkflowV1.FileChunk(file: first ? description : nil, data: chunk).serializedBytes()
        }
    }

    /// Opens `path` to read from `offset`.
    /// - Throws: NOT_FOUND when the file is gone (`gone` names it), OUT_OF_RANGE past its end,
    ///   INTERNAL when it cannot be read.
    private static func open(_ path: String, at offset: Int64, name: String, gone: String) throws(RPCStatus) -> FileChunkReader {
        let reader: FileChunkReader?
        do throws(FileStoreError) {
            reader = try FileChunkReader(path: path, offset: offset)
        } catch {
            throw RPCStatus(error)
        }
        guard let reader else {
            throw RPCStatus(code: .notFound, message: "\(gone) is gone from the server's disk")
        }
        guard offset <= reader.size else {
            throw RPCStatus(code: .outOfRange, message: "offset: \(offset) is past the end of \(name) (\(reader.size) bytes)")
        }
        return reader
    }
}
