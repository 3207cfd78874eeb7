import Logging
import RPCCore
import WorkflowEngine
import WorkflowFiles
import WorkflowMessages
import WorkflowModel

/// Serves the file methods of `workflow.v1.WorkflowService`: `UploadFile` into the
/// ``UploadStore`` and `DownloadArtifact` from the ``ArtifactFileStore``, artifacts looked up in
/// the engine's workflows. Like ``WorkflowRPCService``, its handlers run on the engine's loop.
struct FileRPCService: Sendable {
    private let engine: WorkflowEngine
    private let files: FileArea
    private let logger: Logger

    init(engine: WorkflowEngine, files: FileArea, logger: Logger) {
        self.engine = engine
        self.files = files
        self.logger = logger
    }

    /// Adds the methods to `router`.
    func register(in router: inout RPCRouter) {
        typealias Methods = WorkflowV1.WorkflowService
        let uploads = files.uploads
        let logger = logger
        router.register(Methods.uploadFile, .bidirectionalStreaming { _, waker in
            UploadFileCall(uploads: uploads, waker: waker, logger: logger)
        })
        router.register(Methods.downloadArtifact, .serverStreaming(downloadArtifact))
    }

    private func downloadArtifact(_ bytes: [UInt8], _ context: ServerCallContext, _ waker: StreamWaker) throws(RPCStatus) -> any ServerStreamProducer {
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
            workflow = try engine.onItsLoop { engine throws(EngineError) in try engine.workflow(id: workflowID) }
        } catch {
            throw RPCStatus(code: .notFound, message: "no artifact \"\(request.artifactID)\": \(error.message)")
        }
        guard let artifact = workflow.artifacts.first(where: { $0.id == request.artifactID }) else {
            throw RPCStatus(code: .notFound, message: "workflow \(workflowID) has no artifact \"\(request.artifactID)\"")
        }
        let reader: FileChunkReader?
        do throws(FileStoreError) {
            reader = try FileChunkReader(path: files.artifacts.path(of: artifact), offset: request.offset)
        } catch {
            throw RPCStatus(error)
        }
        guard let reader else {
            throw RPCStatus(code: .notFound, message: "the file of artifact \(artifact.id) is gone from the server's disk")
        }
        guard request.offset <= reader.size else {
            throw RPCStatus(code: .outOfRange, message: "offset: \(request.offset) is past the end of \(artifact.name) (\(reader.size) bytes)")
        }
        return ArtifactDownload(artifact: artifact, reader: reader)
    }
}
