import RPCCore
import Synchronization
import WorkflowFiles
import WorkflowMessages
import WorkflowModel

/// One `DownloadArtifact` stream: the artifact's description with the first chunk, then a chunk
/// of at most 64 KiB per message, read from disk only as fast as the client takes them.
final class ArtifactDownload: ServerStreamProducer {
    private struct State {
        var reader: FileChunkReader?
        var description: WorkflowV1.Artifact?
    }

    // Sendable: the reader is only used under the Mutex.
    private let state: Mutex<State>

    init(artifact: Artifact, reader: FileChunkReader) {
        self.state = Mutex(State(reader: reader, description: WorkflowV1.Artifact(artifact)))
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        state.withLock { state in
            guard let reader = state.reader else { return .finished(.ok) }
            repeat {
                let chunk: [UInt8]
                do throws(FileStoreError) {
                    chunk = try reader.next()
                } catch {
                    state.reader = nil
                    return .finished(RPCStatus(error))
                }
                let description = state.description.take()
                guard !chunk.isEmpty || description != nil else {
                    state.reader = nil
                    return .finished(.ok)
                }
                output.append(message: WorkflowV1.ArtifactChunk(artifact: description, data: chunk).serializedBytes())
            } while !output.isFull
            if reader.isAtEnd {
                state.reader = nil
                return .finished(.ok)
            }
            return .more
        }
    }

    func cancel() {
        state.withLock { $0.reader = nil }
    }
}
