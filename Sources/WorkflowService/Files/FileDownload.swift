import RPCCore
import Synchronization
import WorkflowFiles

/// One download stream (`DownloadArtifact`, `DownloadFile`): the first message describes the
/// file and carries its first chunk, each later one a chunk of at most 64 KiB, read from disk
/// only as fast as the client takes them.
final class FileDownload: ServerStreamProducer {
    /// The serialized message carrying `chunk`, with the file's description when `first`.
    typealias Encode = @Sendable (_ chunk: [UInt8], _ first: Bool) -> [UInt8]

    private struct State {
        var reader: FileChunkReader?
        var sentFirst = false
    }

    private let encode: Encode
    // Sendable: the reader and the progress live in the Mutex.
    private let state: Mutex<State>

    init(reader: FileChunkReader, encode: @escaping Encode) {
        self.encode = encode
        self.state = Mutex(State(reader: reader))
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
                guard !chunk.isEmpty || !state.sentFirst else {
                    state.reader = nil
                    return .finished(.ok)
                }
                output.append(message: encode(chunk, !state.sentFirst))
                state.sentFirst = true
            } while !output.isFull && !reader.isAtEnd
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
