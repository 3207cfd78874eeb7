import Dispatch
import Logging
import RPCCore
import Synchronization
import WorkflowFiles
import WorkflowMessages

/// One `UploadFile` call: the header starts an ``UploadWriter``, each chunk is written to disk as
/// it arrives (so the server holds one message at a time, whatever the file's size), and the
/// client's end finishes the upload off the network thread (checksum, sync, rename); the answer
/// follows. Any failure, a cancel or a cut connection discards what was written, also once the
/// last chunk is in: a call cancelled while its file is being finished has the file deleted as
/// soon as it is stored (nobody learned its id).
final class UploadFileCall: RequestStreamHandler {
    /// Legal next phases: awaitingHeader → receiving → finishing → answered; finishing →
    /// cancelledWhileFinishing (then ended once the finish is done); any → ended.
    private enum Phase {
        case awaitingHeader
        case receiving(UploadWriter)
        case finishing
        case cancelledWhileFinishing
        case answered(Result<[UInt8], RPCStatus>)
        case ended
    }

    private let uploads: UploadStore
    private let waker: StreamWaker
    private let logger: Logger
    private let phase = Mutex(Phase.awaitingHeader)

    init(uploads: UploadStore, waker: StreamWaker, logger: Logger) {
        self.uploads = uploads
        self.waker = waker
        self.logger = logger
    }

    func receive(_ message: [UInt8]) throws(RPCStatus) {
        let request: WorkflowV1.UploadFileRequest
        do throws(RPCStatus) {
            request = try WorkflowV1.UploadFileRequest(request: message)
        } catch {
            abort()
            throw error
        }
        let failure = phase.withLock { phase -> RPCStatus? in
            switch (phase, request.part) {
            case (.awaitingHeader, .header(let header)):
                let description = UploadDescription(
                    name: header.name, contentType: header.contentType, sha256: header.sha256,
                    sizeBytes: header.sizeBytes == 0 ? nil : header.sizeBytes
                )
                do throws(FileStoreError) {
                    phase = .receiving(try uploads.begin(description))
                    return nil
                } catch {
                    phase = .ended
                    return RPCStatus(error)
                }
            case (.awaitingHeader, _):
                phase = .ended
                return RPCStatus(code: .invalidArgument, message: "header: the first message must be the header (name, content type, sha256)")
            case (.receiving(let writer), .chunk(let chunk)):
                do throws(FileStoreError) {
                    try chunk.withUnsafeBytes { buffer -> Result<Void, FileStoreError> in
                        Result { () throws(FileStoreError) in try writer.append(buffer) }
                    }.get()
                    return nil
                } catch {
                    phase = .ended
                    return RPCStatus(error)
                }
            case (.receiving(let writer), _):
                writer.abort()
                phase = .ended
                return RPCStatus(code: .invalidArgument, message: "part: only the first message is a header; the others carry chunks")
            case (.finishing, _), (.cancelledWhileFinishing, _), (.answered, _), (.ended, _):
                return nil
            }
        }
        if let failure {
            throw failure
        }
    }

    func requestsEnded() {
        let writer = phase.withLock { phase -> UploadWriter? in
            switch phase {
            case .receiving(let writer):
                phase = .finishing
                return writer
            case .awaitingHeader:
                phase = .answered(.failure(RPCStatus(code: .invalidArgument, message: "header: the upload ended before its header")))
                return nil
            case .finishing, .cancelledWhileFinishing, .answered, .ended:
                return nil
            }
        }
        guard let writer else {
            waker()
            return
        }
        // Syncing a large file takes a while: never on the network thread.
        DispatchQueue.global().async { [self] in
            let answer: Result<[UInt8], RPCStatus>
            let stored: UploadedFile?
            do throws(FileStoreError) {
                let file = try writer.finish()
                stored = file
                answer = .success(WorkflowV1.UploadedFile(file).serializedBytes())
            } catch {
                stored = nil
                logger.info("files.upload_refused", metadata: ["file.name": "\(writer.description.name)", "file.error": "\(error.message)"])
                answer = .failure(RPCStatus(error))
            }
            let cancelled = phase.withLock { phase -> Bool in
                if case .finishing = phase {
                    phase = .answered(answer)
                    return false
                }
                phase = .ended
                return true
            }
            if let stored {
                if cancelled {
                    uploads.delete(id: stored.id)
                    logger.info("files.upload_cancelled", metadata: ["file.id": "\(stored.id)", "file.name": "\(stored.name)"])
                } else {
                    logger.info(
                        "files.upload_stored",
                        metadata: ["file.id": "\(stored.id)", "file.name": "\(stored.name)", "file.size_bytes": "\(stored.sizeBytes)"]
                    )
                }
            }
            waker()
        }
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        phase.withLock { phase in
            switch phase {
            case .answered(.success(let bytes)):
                phase = .ended
                output.append(message: bytes)
                return .finished(.ok)
            case .answered(.failure(let status)):
                phase = .ended
                return .finished(status)
            case .awaitingHeader, .receiving, .finishing, .cancelledWhileFinishing:
                return .pending
            case .ended:
                return .finished(RPCStatus(code: .cancelled, message: "the upload was cancelled"))
            }
        }
    }

    func cancel() {
        abort()
    }

    /// Discards an upload in progress; one being finished is deleted once it is stored.
    private func abort() {
        let writer = phase.withLock { phase -> UploadWriter? in
            switch phase {
            case .receiving(let writer):
                phase = .ended
                return writer
            case .finishing:
                phase = .cancelledWhileFinishing
                return nil
            case .awaitingHeader, .cancelledWhileFinishing, .answered, .ended:
                phase = .ended
                return nil
            }
        }
        writer?.abort()
    }
}

extension WorkflowV1.UploadedFile {
    init(_ file: UploadedFile) {
        self.init(
            fileID: file.id, name: file.name, contentType: file.contentType, sizeBytes: file.sizeBytes,
            sha256: file.sha256, createdAtMs: file.createdAtMs, expiresAtMs: file.expiresAtMs
        )
    }
}
